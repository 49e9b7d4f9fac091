//! Finding the data files behind the paths given on the command line.
//!
//! Accepted: an export folder in the Data Exports layout
//! (`<export>/data/BILLING_PERIOD=YYYY-MM/[<execution>/]<export>-00001.snappy.parquet|.csv.gz`
//! plus `<export>/metadata/BILLING_PERIOD=YYYY-MM/<export>-Manifest.json`), its `data` folder,
//! a folder holding exactly one export, single Parquet / CSV / CSV.gz files, and globs.
//! File formats are detected from their first bytes, not their names; only a `*.gz` name is
//! held to its content (it must be gzip).

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use curlab_vocab::export_layout::{self as layout, is_data_file_name};

use crate::error::Error;

/// How a data file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileEncoding {
    /// Apache Parquet (`PAR1` magic).
    Parquet,
    /// CSV, gzip-compressed when `gzip`.
    Csv {
        /// Starts with the gzip magic `1f 8b`.
        gzip: bool,
    },
}

/// One data file to read.
#[derive(Debug, Clone)]
pub struct DataFile {
    /// Where it is.
    pub path: PathBuf,
    /// The path shown in reports: relative to the PATH given.
    pub display: String,
    /// `YYYY-MM` of the `BILLING_PERIOD=` folder it sits in, if any.
    pub period: Option<String>,
    /// Detected encoding.
    pub format: FileEncoding,
}

/// A Data Exports manifest and how it compares to the files on disk.
#[derive(Debug, Clone, Default)]
pub struct ManifestCheck {
    /// Manifest path shown in reports.
    pub display: String,
    /// Billing period of its folder.
    pub period: String,
    /// `columns` as listed: (name, type).
    pub columns: Vec<(String, String)>,
    /// Listed data files (as `data/...` paths) that do not exist.
    pub missing_files: Vec<String>,
    /// Data files present next to the listed ones but not listed (display paths).
    pub unlisted_files: Vec<String>,
    /// Display paths of the data files this manifest covers (to compare columns).
    pub covered_files: Vec<String>,
    /// Listed entries that point outside the export's `data/` folder (`..`, absolute paths,
    /// other schemes); never opened.
    pub outside_files: Vec<String>,
}

/// Everything discovered.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Data files, in a stable order (paths in command-line order, files sorted within).
    pub files: Vec<DataFile>,
    /// Manifests found in export folders.
    pub manifests: Vec<ManifestCheck>,
    /// Whether any path was a Data Exports folder (so manifest rules can apply).
    pub has_export_layout: bool,
    /// Remarks for the report (superseded execution folders, ...).
    pub notes: Vec<String>,
}

/// A manifest's `columns` (name, type) and `dataFiles` (as `data/...` paths).
type ManifestContent = (Vec<(String, String)>, Vec<String>);

pub use curlab_vocab::export_layout::{data_relative, is_period};

/// Discover the data files behind `paths`, keeping only billing period `period` if given.
pub fn discover(paths: &[String], period: Option<&str>) -> Result<Inputs, Error> {
    if paths.is_empty() {
        return Err(Error::Usage(
            "no PATH given; fix: pass an export folder, data files or a glob, e.g. `curlab verify out/my-export`".into(),
        ));
    }
    if let Some(p) = period {
        if !is_period(p) {
            return Err(Error::Usage(format!(
                "--period `{p}` is not a billing period; fix: use YYYY-MM, e.g. --period 2026-04"
            )));
        }
    }
    let mut inputs = Inputs::default();
    for given in paths {
        let path = Path::new(given);
        let exists = path.symlink_metadata().is_ok();
        if exists && crate::layout::kind(path)? == crate::layout::Kind::Dir {
            discover_dir(given, path, period, &mut inputs)?;
        } else if exists {
            crate::layout::require_file(path)?;
            add_single(path, display_of_single(given), period, &mut inputs)?;
        } else if given.contains(['*', '?', '[']) {
            let found = crate::layout::expand_glob(given)?;
            if found.is_empty() {
                return Err(Error::Input {
                    path: given.clone(),
                    problem: "the glob matches no file".into(),
                    fix: "check the pattern; quote it so the shell does not expand it first".into(),
                });
            }
            for f in found {
                let shown = display_of_single(&f.to_string_lossy());
                add_single(&f, shown, period, &mut inputs)?;
            }
        } else {
            return Err(Error::Input {
                path: given.clone(),
                problem: "no such file or folder".into(),
                fix: "pass an existing export folder, data file or glob".into(),
            });
        }
    }
    if inputs.files.is_empty() {
        let scope = period
            .map(|p| format!(" for billing period {p}"))
            .unwrap_or_default();
        return Err(Error::Input {
            path: paths.join(" "),
            problem: format!("no data files found{scope}"),
            fix: "pass an export folder containing data/BILLING_PERIOD=YYYY-MM/*.parquet|*.csv.gz, or the files themselves".into(),
        });
    }
    Ok(inputs)
}

/// A single file is shown as given when relative, else by its file name.
fn display_of_single(given: &str) -> String {
    let p = Path::new(given);
    if p.is_absolute() {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| given.to_string())
    } else {
        given.trim_start_matches("./").to_string()
    }
}

fn add_single(
    path: &Path,
    display: String,
    period: Option<&str>,
    inputs: &mut Inputs,
) -> Result<(), Error> {
    let folder_period = period_of_path(path);
    if let (Some(want), Some(have)) = (period, folder_period.as_deref()) {
        if want != have {
            return Ok(());
        }
    }
    let format = detect_format(path)?;
    inputs.files.push(DataFile {
        path: path.to_path_buf(),
        display,
        period: folder_period,
        format,
    });
    Ok(())
}

/// The `YYYY-MM` of the nearest `BILLING_PERIOD=` folder in a path.
pub fn period_of_path(path: &Path) -> Option<String> {
    path.ancestors().skip(1).find_map(|a| {
        let name = a.file_name()?.to_str()?;
        let p = layout::parse_period_folder(name)?;
        is_period(p).then(|| p.to_string())
    })
}

/// Detect the encoding from the first bytes. A file named `*.gz` must be gzip: one that is not
/// is an error, not read as plain CSV.
pub fn detect_format(path: &Path) -> Result<FileEncoding, Error> {
    let mut head = [0u8; 4];
    let mut f = fs::File::open(path).map_err(|e| {
        Error::read(
            path,
            format!("cannot open: {e}"),
            "check the path and its permissions",
        )
    })?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => {
                return Err(Error::read(
                    path,
                    format!("cannot read: {e}"),
                    "check the file and its permissions",
                ))
            }
        }
    }
    if n == 0 {
        return Err(Error::read(
            path,
            "the file is empty",
            "re-download it; an export data file always has at least a header or a Parquet footer",
        ));
    }
    let gzip = n >= 2 && head[0] == 0x1f && head[1] == 0x8b;
    let named_gz = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".gz"));
    if named_gz && !gzip {
        // Reading it as plain text would hide a mislabelled or damaged download.
        let seen = if head[..n] == *b"PAR1" {
            "it starts with PAR1, the Parquet magic".to_string()
        } else {
            let hex: Vec<String> = head[..n].iter().map(|b| format!("{b:02x}")).collect();
            format!("it starts with the bytes {}, not 1f 8b", hex.join(" "))
        };
        return Err(Error::Read {
            path: path.to_path_buf(),
            problem: format!("not a gzip file: the name ends in .gz but {seen}"),
            place: Some("byte 0".into()),
            fix: "re-download the file (Data Exports gzips every CSV data file); if it is plain CSV or Parquet, rename it to .csv or .parquet".into(),
        });
    }
    Ok(if head[..n] == *b"PAR1" {
        FileEncoding::Parquet
    } else if gzip {
        FileEncoding::Csv { gzip: true }
    } else {
        FileEncoding::Csv { gzip: false }
    })
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let rd = fs::read_dir(dir).map_err(|e| {
        Error::read(
            dir,
            format!("cannot list folder: {e}"),
            "check the path and its permissions",
        )
    })?;
    let mut v: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    v.sort();
    Ok(v)
}

fn rel_display(base: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(base).unwrap_or(file);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn discover_dir(
    given: &str,
    dir: &Path,
    period: Option<&str>,
    inputs: &mut Inputs,
) -> Result<(), Error> {
    // `<export>/` itself.
    if dir.join(layout::DATA_DIR).is_dir() {
        return discover_export(dir, dir, period, inputs);
    }
    // `<export>/data/`.
    let entries = sorted_entries(dir)?;
    let has_periods = entries.iter().any(|e| {
        e.is_dir()
            && e.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(layout::PERIOD_PREFIX))
    });
    if has_periods {
        let root = dir.parent().unwrap_or(dir);
        return discover_export(root, dir, period, inputs);
    }
    // A parent folder holding exactly one export.
    let exports: Vec<&PathBuf> = entries
        .iter()
        .filter(|e| e.join(layout::DATA_DIR).is_dir())
        .collect();
    match exports.len() {
        1 => return discover_export(exports[0], dir, period, inputs),
        0 => {}
        n => {
            return Err(Error::Input {
                path: given.to_string(),
                problem: format!(
                    "holds {n} exports ({})",
                    exports
                        .iter()
                        .map(|e| rel_display(dir, e))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                fix: "pass one export folder (or several, as separate PATHs)".into(),
            })
        }
    }
    // A plain folder of data files (a data-file name that is not a regular file is an error).
    let files: Vec<&PathBuf> = entries
        .iter()
        .filter(|e| {
            e.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_data_file_name)
        })
        .filter(|e| !e.is_dir())
        .collect();
    for f in &files {
        crate::layout::require_file(f)?;
    }
    if files.is_empty() {
        return Err(Error::Input {
            path: given.to_string(),
            problem: "is neither a Data Exports folder (no data/BILLING_PERIOD=YYYY-MM/) nor a folder of .parquet/.csv/.csv.gz files".into(),
            fix: "pass the export folder (the one containing data/ and metadata/) or the data files".into(),
        });
    }
    for f in files {
        add_single(f, rel_display(dir, f), period, inputs)?;
    }
    Ok(())
}

fn discover_export(
    root: &Path,
    base: &Path,
    period: Option<&str>,
    inputs: &mut Inputs,
) -> Result<(), Error> {
    inputs.has_export_layout = true;
    let export_name = root
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let data_dir = root.join(layout::DATA_DIR);
    for pdir in sorted_entries(&data_dir)? {
        let Some(p) = pdir
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(layout::parse_period_folder)
            .map(str::to_string)
        else {
            continue;
        };
        if crate::layout::kind(&pdir)? != crate::layout::Kind::Dir {
            continue;
        }
        if !is_period(&p) {
            return Err(Error::read(
                &pdir,
                format!("folder BILLING_PERIOD={p} is not a billing period (YYYY-MM)"),
                "rename it to the month of its rows, e.g. BILLING_PERIOD=2026-04, or pass its files directly",
            ));
        }
        if period.is_some_and(|want| want != p) {
            continue;
        }
        let metadata_dir = root
            .join(layout::METADATA_DIR)
            .join(layout::period_folder(&p));
        let manifest = find_manifest(&metadata_dir)?;
        if manifest.is_none() {
            inputs.notes.push(format!(
                "BILLING_PERIOD={p}: no manifest in {}; the manifest rules do not cover this period (Data Exports writes the manifest last: the delivery may be incomplete)",
                rel_display(base, &metadata_dir)
            ));
        }
        // Files directly in the period folder, and per execution folder.
        let mut root_files = Vec::new();
        let mut exec_dirs: Vec<(PathBuf, Vec<PathBuf>)> = Vec::new();
        let data_named = |f: &Path| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_data_file_name)
        };
        for e in sorted_entries(&pdir)? {
            if crate::layout::kind(&e)? == crate::layout::Kind::Dir {
                let mut files = Vec::new();
                for f in sorted_entries(&e)? {
                    // Only data-file names matter inside an execution folder (it may be a link
                    // back up the tree; its folders are not walked).
                    if data_named(&f) && crate::layout::kind(&f)? != crate::layout::Kind::Dir {
                        crate::layout::require_file(&f)?;
                        files.push(f);
                    }
                }
                exec_dirs.push((e, files));
            } else if data_named(&e) {
                crate::layout::require_file(&e)?;
                root_files.push(e);
            }
        }
        let rel_root = |f: &Path| rel_display(root, f);
        let mut chosen: Vec<PathBuf> = root_files.clone();
        let listed: Option<(PathBuf, ManifestContent)> = match &manifest {
            Some(mpath) => Some((mpath.clone(), read_manifest(mpath, &export_name)?)),
            None => None,
        };
        // Which execution folders are current: the ones the manifest points into, else the latest.
        let current_dirs: BTreeSet<String> = match &listed {
            Some((_, (_, data_files))) => data_files
                .iter()
                .filter(|d| crate::layout::stays_in_data(d))
                .filter_map(|d| layout::parent_dir(d).map(str::to_string))
                .collect(),
            None => exec_dirs
                .last()
                .map(|(d, _)| rel_root(d))
                .into_iter()
                .collect(),
        };
        for (d, files) in &exec_dirs {
            if current_dirs.contains(&rel_root(d)) {
                chosen.extend(files.iter().cloned());
            } else if !files.is_empty() {
                inputs.notes.push(format!(
                    "{}: superseded execution folder, not read",
                    rel_display(base, d)
                ));
            }
        }
        chosen.sort();
        if let Some((mpath, (columns, data_files))) = listed {
            let present: BTreeSet<String> = chosen.iter().map(|f| rel_root(f)).collect();
            let (inside, outside): (Vec<String>, Vec<String>) = data_files
                .into_iter()
                .partition(|d| crate::layout::stays_in_data(d));
            let listed_set: BTreeSet<String> = inside.into_iter().collect();
            let missing_files = listed_set.difference(&present).cloned().collect();
            let unlisted_files = present
                .difference(&listed_set)
                .map(|f| rel_display(base, &root.join(f)))
                .collect();
            inputs.manifests.push(ManifestCheck {
                display: rel_display(base, &mpath),
                period: p.clone(),
                columns,
                missing_files,
                unlisted_files,
                covered_files: chosen.iter().map(|f| rel_display(base, f)).collect(),
                outside_files: outside,
            });
        }
        for f in chosen {
            let format = detect_format(&f)?;
            inputs.files.push(DataFile {
                display: rel_display(base, &f),
                path: f,
                period: Some(p.clone()),
                format,
            });
        }
    }
    Ok(())
}

/// The newest `*Manifest.json` under a metadata period folder (searched one level deep too,
/// for execution folders).
fn find_manifest(dir: &Path) -> Result<Option<PathBuf>, Error> {
    if dir.symlink_metadata().is_err() {
        return Ok(None);
    }
    if crate::layout::kind(dir)? != crate::layout::Kind::Dir {
        return Ok(None);
    }
    let mut found = Vec::new();
    for e in sorted_entries(dir)? {
        if crate::layout::kind(&e)? == crate::layout::Kind::Dir {
            for f in sorted_entries(&e)? {
                if is_manifest(&f) {
                    crate::layout::require_file(&f)?;
                    found.push(f);
                }
            }
        } else if is_manifest(&e) {
            crate::layout::require_file(&e)?;
            found.push(e);
        }
    }
    Ok(found.pop())
}

fn is_manifest(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(layout::is_manifest_name)
}

/// Read a manifest: its columns, and its `dataFiles` reduced to `data/...` paths.
fn read_manifest(path: &Path, export_name: &str) -> Result<ManifestContent, Error> {
    let text = fs::read_to_string(path).map_err(|e| {
        Error::read(
            path,
            format!("cannot read manifest: {e}"),
            "check the file and its permissions",
        )
    })?;
    let not_json = |e: serde_json::Error| Error::Read {
        path: path.to_path_buf(),
        problem: format!("manifest is not valid JSON: {e}"),
        place: Some(format!("line {}, column {}", e.line(), e.column())),
        fix: "re-download the manifest; Data Exports writes it after all data files".into(),
    };
    // Serde would read a struct from a JSON array too (`[]` as an empty manifest, a nested
    // array as a wrong-typed field): anything but an object is checked as plain JSON first,
    // and valid JSON that is not an object is refused as clearly as malformed JSON.
    let lead = text.len() - text.trim_start().len();
    if !text[lead..].starts_with('{') {
        let found = match serde_json::from_str::<serde_json::Value>(&text).map_err(not_json)? {
            serde_json::Value::Array(_) => "an array",
            serde_json::Value::String(_) => "a string",
            serde_json::Value::Number(_) => "a number",
            serde_json::Value::Bool(_) => "a boolean",
            serde_json::Value::Null => "null",
            serde_json::Value::Object(_) => "an object",
        };
        let before = &text[..lead];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        return Err(Error::Read {
            path: path.to_path_buf(),
            problem: format!(
                "manifest is not a JSON object: its top level is {found}; a Data Exports \
                 manifest is an object with `columns` and `dataFiles`"
            ),
            place: Some(format!("line {line}, column {column}")),
            fix: "re-download the manifest; Data Exports writes it after all data files".into(),
        });
    }
    let raw: layout::ManifestListing = serde_json::from_str(&text).map_err(not_json)?;
    let columns = raw.columns.into_iter().map(|c| (c.name, c.ty)).collect();
    let data = raw
        .data_files
        .iter()
        .map(|u| data_relative(u, export_name))
        .collect();
    Ok((columns, data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        assert!(is_period("2026-04"));
        assert!(!is_period("2026-13"));
        assert!(!is_period("2026-4"));
        assert_eq!(
            period_of_path(Path::new("x/data/BILLING_PERIOD=2026-05/e/f.parquet")).as_deref(),
            Some("2026-05")
        );
    }

    #[test]
    fn a_gz_name_must_hold_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("x-00001.csv.gz");
        fs::write(&plain, "identity_line_item_id\nid-1\n").unwrap();
        let e = detect_format(&plain).unwrap_err().to_string();
        for needle in [
            "x-00001.csv.gz",
            "not a gzip file",
            "69 64 65 6e",
            "byte 0",
            "fix: re-download",
        ] {
            assert!(e.contains(needle), "{needle} in {e}");
        }
        let parquet = dir.path().join("y.GZ");
        fs::write(&parquet, b"PAR1....PAR1").unwrap();
        let e = detect_format(&parquet).unwrap_err().to_string();
        assert!(e.contains("PAR1, the Parquet magic"), "{e}");
        // The same bytes under other names are read for what they are.
        let csv = dir.path().join("x.csv");
        fs::write(&csv, "identity_line_item_id\nid-1\n").unwrap();
        assert_eq!(
            detect_format(&csv).unwrap(),
            FileEncoding::Csv { gzip: false }
        );
        let gz = dir.path().join("z.csv.gz");
        fs::write(&gz, [0x1f, 0x8b, 8, 0]).unwrap();
        assert_eq!(
            detect_format(&gz).unwrap(),
            FileEncoding::Csv { gzip: true }
        );
    }

    #[test]
    fn manifest_must_be_a_json_object() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e-Manifest.json");
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        for (text, needles) in [
            (
                "[]",
                &["not a JSON object", "an array", "line 1, column 1"][..],
            ),
            (
                "\n  42",
                &["not a JSON object", "a number", "line 2, column 3"],
            ),
            ("", &["not valid JSON", "EOF"]),
            (deep.as_str(), &["not valid JSON", "recursion limit"]),
            ("{\"dataFiles\": 42}", &["not valid JSON", "invalid type"]),
        ] {
            fs::write(&p, text).unwrap();
            let e = read_manifest(&p, "e").unwrap_err().to_string();
            for n in needles {
                assert!(e.contains(n), "{text:.20}: {e}");
            }
        }
        fs::write(
            &p,
            r#"{"dataFiles": ["s3://b/e/data/BILLING_PERIOD=2026-04/f.csv.gz"]}"#,
        )
        .unwrap();
        let (_, data) = read_manifest(&p, "e").unwrap();
        assert_eq!(
            data,
            vec!["data/BILLING_PERIOD=2026-04/f.csv.gz".to_string()]
        );
    }

    #[test]
    fn manifest_uris() {
        assert_eq!(
            data_relative(
                "s3://b/p/exp/data/BILLING_PERIOD=2026-04/exp-00001.snappy.parquet",
                "exp"
            ),
            "data/BILLING_PERIOD=2026-04/exp-00001.snappy.parquet"
        );
        assert_eq!(
            data_relative("s3://b/p/other/data/BILLING_PERIOD=2026-04/x.csv.gz", "exp"),
            "data/BILLING_PERIOD=2026-04/x.csv.gz"
        );
    }
}
