//! `curlab verify s3://…` and `curlab report s3://…`: list the prefix, download what the local
//! reader needs (current execution folders only) into a temporary folder mirroring the keys,
//! and show `s3://` URIs instead of the temporary paths.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use anyhow::{anyhow, bail, Context, Result};
use curlab_vocab::export_layout::{self as layout, Area, Located};

use super::client::connect;
use super::uri::{is_s3, join_key, S3Args, S3Uri};

/// A local copy of what the reader needs from one `s3://` location.
pub(crate) struct Mirror {
    _tmp: tempfile::TempDir,
    /// `<tmp>/<bucket>`: local paths are this joined with the key.
    root: PathBuf,
    /// The URI as given (normalised).
    uri: S3Uri,
    /// The local path to hand to the reader.
    pub local: PathBuf,
    /// Whether the URI named a single object (not a prefix).
    single: bool,
    /// Objects downloaded, and their bytes.
    pub fetched: (usize, u64),
}

impl Mirror {
    /// The local path as a string, for the reader's PATH arguments.
    pub fn local_arg(&self) -> String {
        self.local.to_string_lossy().into_owned()
    }

    /// A path as the reader displays it (relative to the PATH given, or a file name for a
    /// single object) → its `s3://` URI.
    pub fn display(&self, shown: &str) -> String {
        if self.single {
            return self.uri.to_string();
        }
        let rel = shown.trim_start_matches("./");
        format!("{}", self.uri.join(rel))
    }

    /// A note that starts with a displayed path (`<path>: remark`) → the same with its URI.
    pub fn note(&self, note: &str) -> String {
        for (i, _) in note.match_indices(": ") {
            let head = &note[..i];
            if !head.is_empty() && self.local.join(head).exists() {
                return format!("{}{}", self.display(head), &note[i..]);
            }
        }
        self.text(note)
    }

    /// Replace the local mirror's paths in free text (error messages) by `s3://` URIs.
    pub fn text(&self, s: &str) -> String {
        let root = self.root.to_string_lossy();
        s.replace(&format!("{root}/"), &format!("s3://{}/", self.uri.bucket))
            .replace(root.as_ref(), &format!("s3://{}", self.uri.bucket))
    }
}

/// Keys under a listing, classified the way the local reader will see them.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct FetchPlan {
    /// Objects to download.
    pub fetch: Vec<String>,
    /// Objects to stand in as empty files (superseded execution folders: the reader notes
    /// them but never opens them).
    pub placeholders: Vec<String>,
}

/// Decide which listed objects the reader needs. `manifest_dirs(root, period)` returns the
/// execution folders (`data/BILLING_PERIOD=P/<exec>`) the period's newest manifest points into,
/// `None` when there is no readable manifest. `base` is the listed prefix (`""` or ending `/`).
pub(super) fn plan_fetch(
    keys: &[String],
    base: &str,
    period: Option<&str>,
    mut manifest_dirs: impl FnMut(&str, &str) -> Option<BTreeSet<String>>,
) -> FetchPlan {
    let mut plan = FetchPlan::default();
    // (root, period) → exec folder name → files; and files directly in the period folder.
    let mut execs: BTreeMap<(String, String), BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for key in keys {
        let name = key.rsplit('/').next().unwrap_or(key);
        if let Some(Located {
            period: p, rest, ..
        }) = layout::locate(key, Area::Metadata)
        {
            if layout::is_manifest_name(name)
                && rest.split('/').count() <= 2
                && period.is_none_or(|w| w == p)
            {
                plan.fetch.push(key.clone());
            }
            continue;
        }
        if !layout::is_data_file_name(name) {
            continue;
        }
        if let Some(Located {
            root,
            period: p,
            rest,
        }) = layout::locate(key, Area::Data)
        {
            if period.is_some_and(|w| w != p) {
                continue;
            }
            match rest.split_once('/') {
                None => plan.fetch.push(key.clone()),
                Some((exec, file)) if !file.contains('/') => execs
                    .entry((root.to_string(), p.to_string()))
                    .or_default()
                    .entry(exec.to_string())
                    .or_default()
                    .push(key.clone()),
                Some(_) => {} // deeper than the reader looks
            }
            continue;
        }
        // A plain folder of data files: only those directly under the prefix.
        if key.strip_prefix(base).is_some_and(|rel| !rel.contains('/')) {
            plan.fetch.push(key.clone());
        }
    }
    for ((root, p), dirs) in execs {
        let current = manifest_dirs(&root, &p).unwrap_or_else(|| {
            dirs.keys()
                .last()
                .map(|d| exec_dir(&p, d))
                .into_iter()
                .collect()
        });
        for (exec, files) in dirs {
            if current.contains(&exec_dir(&p, &exec)) {
                plan.fetch.extend(files);
            } else {
                plan.placeholders.extend(files);
            }
        }
    }
    plan.fetch.sort();
    plan.placeholders.sort();
    plan
}

/// `data/BILLING_PERIOD=<period>/<exec>`: an execution folder relative to its export.
fn exec_dir(period: &str, exec: &str) -> String {
    format!(
        "{}/{}/{exec}",
        layout::DATA_DIR,
        layout::period_folder(period)
    )
}

/// The execution folders a manifest's `dataFiles` point into (`data/BILLING_PERIOD=P/<exec>`).
fn manifest_exec_dirs(text: &str, export_name: &str) -> Option<BTreeSet<String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let files = v.get("dataFiles")?.as_array()?;
    Some(
        files
            .iter()
            .filter_map(|f| f.as_str())
            .map(|u| layout::data_relative(u, export_name))
            .filter_map(|d| layout::parent_dir(&d).map(str::to_string))
            .collect(),
    )
}

/// Copy what the local reader needs from `uri` into a temporary folder mirroring the keys.
pub(super) fn mirror(given: &str, period: Option<&str>, args: &S3Args) -> Result<Mirror> {
    let uri = S3Uri::parse(given)?.ok_or_else(|| anyhow!("{given}: not an s3:// URI"))?;
    if given.contains(['*', '?']) {
        bail!("{given}: globs are not supported in s3:// URIs; fix: give the export's prefix (s3://BUCKET/PREFIX/EXPORT/) or one object");
    }
    let bucket = connect(&uri.bucket, args)?;
    let tmp = tempfile::Builder::new()
        .prefix(".curlab-s3-")
        .tempdir()
        .context(
            "creating a local temporary folder for the download (set TMPDIR to choose where)",
        )?;
    let root = tmp.path().join(&uri.bucket);
    std::fs::create_dir_all(&root)?;
    // A `data/` (or `metadata/`) folder is read with its whole export, as the local reader
    // does: list the parent.
    let list_key = match uri.key.rsplit_once('/') {
        Some((parent, layout::DATA_DIR | layout::METADATA_DIR)) => parent.to_string(),
        None if matches!(uri.key.as_str(), layout::DATA_DIR | layout::METADATA_DIR) => {
            String::new()
        }
        _ => uri.key.clone(),
    };
    let list_prefix = if list_key.is_empty() {
        String::new()
    } else {
        format!("{list_key}/")
    };
    let shown = format!("s3://{}/{list_prefix}", uri.bucket);
    let listed = bucket.list(&list_prefix, &shown)?;
    let base = if uri.key.is_empty() {
        String::new()
    } else {
        format!("{}/", uri.key)
    };
    let under_given = listed.iter().any(|(k, _)| k.starts_with(&base));
    if !under_given {
        // Not a prefix: maybe one object.
        if !uri.key.is_empty() && bucket.exists(&uri.key)? {
            let bytes = bucket.download(std::slice::from_ref(&uri.key), &root)?;
            return Ok(Mirror {
                local: root.join(&uri.key),
                root,
                uri,
                single: true,
                fetched: (1, bytes),
                _tmp: tmp,
            });
        }
        let shown = if uri.key.is_empty() {
            uri.to_string()
        } else {
            format!("{uri}/")
        };
        bail!("{shown}: no objects under this prefix (and no object of that name); fix: check the bucket and prefix (`aws s3 ls {shown}`) and --endpoint-url");
    }
    let keys: Vec<String> = listed.into_iter().map(|(k, _)| k).collect();
    // The folder structure is mirrored whole (cheap), so the reader sees every billing period
    // and export folder; only files are fetched selectively.
    let dirs: BTreeSet<&str> = keys
        .iter()
        .filter_map(|k| k.rsplit_once('/').map(|(d, _)| d))
        .collect();
    for d in dirs {
        let dir = root.join(d);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the local mirror folder {}", dir.display()))?;
    }
    // Manifests are small: fetch them first, to know which execution folders are current.
    let manifests: Vec<String> = plan_fetch(&keys, &base, period, |_, _| None)
        .fetch
        .into_iter()
        .filter(|k| layout::is_manifest_name(k))
        .collect();
    let mut fetched = (manifests.len(), bucket.download(&manifests, &root)?);
    let plan = plan_fetch(&keys, &base, period, |export_root, p| {
        let prefix = join_key(
            export_root,
            &format!("{}/{}/", layout::METADATA_DIR, layout::period_folder(p)),
        );
        // The newest manifest, as the reader picks it: last in path order, one level deep.
        let mut candidates: Vec<&String> = manifests
            .iter()
            .filter(|m| {
                m.strip_prefix(&prefix)
                    .is_some_and(|r| r.split('/').count() <= 2)
            })
            .collect();
        candidates.sort_by(|a, b| a.split('/').cmp(b.split('/')));
        let newest = candidates.last()?;
        let text = std::fs::read_to_string(root.join(newest)).ok()?;
        let export_name = export_root.rsplit('/').next().unwrap_or(export_root);
        manifest_exec_dirs(&text, export_name)
    });
    let data: Vec<String> = plan
        .fetch
        .iter()
        .filter(|k| !manifests.contains(k))
        .cloned()
        .collect();
    fetched.0 += data.len();
    fetched.1 += bucket.download(&data, &root)?;
    for key in &plan.placeholders {
        let path = root.join(key);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    }
    let local = root.join(&uri.key);
    std::fs::create_dir_all(&local)?;
    Ok(Mirror {
        local,
        root,
        uri,
        single: false,
        fetched,
        _tmp: tmp,
    })
}

/// Download one object (a `--truth` or `--policy` file) to a temporary file.
pub(crate) fn fetch_file(given: &str, args: &S3Args) -> Result<Mirror> {
    let uri = S3Uri::parse(given)?.ok_or_else(|| anyhow!("{given}: not an s3:// URI"))?;
    if uri.key.is_empty() {
        bail!("{given}: names a bucket, not an object; fix: give the file's full URI, e.g. s3://BUCKET/PREFIX/EXPORT.truth.json");
    }
    uri.object_key()?;
    let bucket = connect(&uri.bucket, args)?;
    let tmp = tempfile::Builder::new().prefix(".curlab-s3-").tempdir()?;
    let root = tmp.path().join(&uri.bucket);
    let bytes = bucket.download(std::slice::from_ref(&uri.key), &root)?;
    Ok(Mirror {
        local: root.join(&uri.key),
        root,
        uri,
        single: true,
        fetched: (1, bytes),
        _tmp: tmp,
    })
}

/// Mirrors for the `s3://` arguments among `paths`; the paths rewritten to the local copies.
pub(crate) struct Mirrors {
    /// One per `s3://` argument.
    pub mirrors: Vec<Mirror>,
    /// The paths to hand to the reader.
    pub paths: Vec<String>,
}

impl Mirrors {
    /// Mirror the `s3://` arguments among `paths` (at most one: displays are relative to the
    /// PATH given, so they could not be told apart).
    pub fn open(paths: &[String], period: Option<&str>, args: &S3Args) -> Result<Mirrors> {
        let s3: Vec<&String> = paths.iter().filter(|p| is_s3(p)).collect();
        if s3.len() > 1 || (s3.len() == 1 && paths.len() > 1) {
            bail!("{}: an s3:// PATH must be the only PATH; fix: give the prefix that holds the export (s3://BUCKET/PREFIX/EXPORT/) once", s3.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "));
        }
        let mut mirrors = Vec::new();
        let mut out = Vec::new();
        for p in paths {
            if is_s3(p) {
                let m = mirror(p, period, args)?;
                if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                    eprintln!(
                        "read {} object(s), {:.1} MiB, from {p}",
                        m.fetched.0,
                        m.fetched.1 as f64 / 1_048_576.0
                    );
                }
                out.push(m.local_arg());
                mirrors.push(m);
            } else {
                out.push(p.clone());
            }
        }
        Ok(Mirrors {
            mirrors,
            paths: out,
        })
    }

    /// A displayed path → its URI (unchanged for local paths).
    pub fn display(&self, shown: &str) -> String {
        match self.mirrors.first() {
            Some(m) => m.display(shown),
            None => shown.to_string(),
        }
    }

    /// A note → with its URI.
    pub fn note(&self, note: &str) -> String {
        match self.mirrors.first() {
            Some(m) => m.note(note),
            None => note.to_string(),
        }
    }

    /// Free text with local mirror paths → with URIs.
    pub fn text(&self, s: &str) -> String {
        self.mirrors
            .iter()
            .fold(s.to_string(), |acc, m| m.text(&acc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_current_execution_folders() {
        let keys: Vec<String> = [
            "p/exp/data/BILLING_PERIOD=2026-04/2026-05-01T00:00:00.000Z-aaa/exp-00001.snappy.parquet",
            "p/exp/data/BILLING_PERIOD=2026-04/2026-05-02T00:00:00.000Z-bbb/exp-00001.snappy.parquet",
            "p/exp/data/BILLING_PERIOD=2026-05/exp-00001.snappy.parquet",
            "p/exp/data/BILLING_PERIOD=2026-06/2026-07-01T00:00:00.000Z-ccc/exp-00001.csv.gz",
            "p/exp/data/BILLING_PERIOD=2026-06/2026-07-02T00:00:00.000Z-ddd/exp-00001.csv.gz",
            "p/exp/metadata/BILLING_PERIOD=2026-04/exp-Manifest.json",
            "p/exp/metadata/BILLING_PERIOD=2026-05/exp-Manifest.json",
            "p/exp/notes.txt",
            "p/loose.parquet",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // 2026-04's manifest points at the older folder; 2026-06 has no manifest (latest wins).
        let plan = plan_fetch(&keys, "p/", None, |root, p| {
            assert_eq!(root, "p/exp");
            (p == "2026-04").then(|| {
                ["data/BILLING_PERIOD=2026-04/2026-05-01T00:00:00.000Z-aaa".to_string()]
                    .into_iter()
                    .collect()
            })
        });
        assert_eq!(plan.placeholders, vec![keys[1].clone(), keys[3].clone(),]);
        assert!(plan.fetch.contains(&keys[0]));
        assert!(plan.fetch.contains(&keys[2]));
        assert!(plan.fetch.contains(&keys[4]));
        assert!(plan.fetch.contains(&keys[5]));
        assert!(plan.fetch.contains(&"p/loose.parquet".to_string()));
        assert!(!plan.fetch.iter().any(|k| k.ends_with("notes.txt")));
        let only_may = plan_fetch(&keys, "p/", Some("2026-05"), |_, _| None);
        assert_eq!(
            only_may.fetch,
            vec![
                keys[2].clone(),
                keys[6].clone(),
                "p/loose.parquet".to_string()
            ]
        );
        assert!(only_may.placeholders.is_empty());
    }

    #[test]
    fn manifest_dirs() {
        let m = r#"{"dataFiles": ["s3://b/p/exp/data/BILLING_PERIOD=2026-04/2026-05-01T00:00:00.000Z-aaa/exp-00001.snappy.parquet"]}"#;
        let dirs = manifest_exec_dirs(m, "exp").unwrap();
        assert_eq!(
            dirs.into_iter().collect::<Vec<_>>(),
            vec!["data/BILLING_PERIOD=2026-04/2026-05-01T00:00:00.000Z-aaa".to_string()]
        );
        assert!(manifest_exec_dirs("not json", "exp").is_none());
    }
}
