//! `curlab generate --out s3://…`: build the export locally, then upload it in the order a
//! Data Exports reader can trust: data files, the truth file, manifests last.

use std::collections::BTreeSet;
use std::path::{Path as FsPath, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use curlab_vocab::export_layout as layout;

use super::client::{byte_bar, connect, Bucket};
use super::uri::{join_key, S3Args, S3Uri};

/// Every file under `dir`, relative, `/`-separated, sorted.
fn walk(dir: &FsPath) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("listing {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap_or(&p);
                out.push(
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Generate the export of `plan` locally, then upload it under `out`:
/// `<out>/<export>/data/…` first, then `<out>/<export>.truth.json`, then the manifests
/// `<out>/<export>/metadata/…` last. An existing export there is replaced only with `force`;
/// objects of the old export that the new one does not have are deleted after the new
/// manifests are in place.
pub(crate) fn generate(
    plan: &curlab_generator::plan::Plan,
    out: &S3Uri,
    args: &S3Args,
    force: bool,
    opts: &crate::export::GenerateOptions,
    progress: &dyn Fn(usize, usize),
) -> Result<crate::export::Summary> {
    let name = &plan.export.name;
    if opts.part.is_some() {
        bail!("--parts cannot write to {out}: every part would write its own manifest for the same billing period; fix: generate the parts into local folders and upload their union (e.g. `aws s3 sync`)");
    }
    let bucket = connect(&out.bucket, args)?;
    let export_uri = out.join(name);
    let truth_key = join_key(&out.key, &format!("{name}.truth.json"));
    // Check the bucket and what is there before spending time generating.
    let existing: Vec<String> = bucket
        .list(&format!("{}/", export_uri.key), &format!("{export_uri}/"))?
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let truth_exists = bucket.exists(&truth_key)?;
    if (!existing.is_empty() || truth_exists) && !force {
        bail!(
            "{export_uri}/ already exists ({} object{}{}); fix: pass --force to replace it, or choose another --out",
            existing.len(),
            if existing.len() == 1 { "" } else { "s" },
            if truth_exists { " and the truth file" } else { "" }
        );
    }
    let tmp = tempfile::Builder::new()
        .prefix(".curlab-s3-")
        .tempdir()
        .context("creating a local temporary folder for the export (set TMPDIR to choose where)")?;
    let summary = crate::export::generate(plan, tmp.path(), false, opts, progress)?;
    let local_export = tmp.path().join(name);
    let rels = walk(&local_export)?;
    let to_key = |rel: &str| join_key(&export_uri.key, rel);
    let (manifests, data): (Vec<&String>, Vec<&String>) = rels.iter().partition(|r| {
        r.strip_prefix(layout::METADATA_DIR)
            .is_some_and(|rest| rest.starts_with('/'))
    });
    let data: Vec<(PathBuf, String)> = data
        .into_iter()
        .map(|r| (local_export.join(r), to_key(r)))
        .collect();
    let mut last: Vec<(PathBuf, String)> = vec![(
        tmp.path().join(format!("{name}.truth.json")),
        truth_key.clone(),
    )];
    last.extend(
        manifests
            .into_iter()
            .map(|r| (local_export.join(r), to_key(r))),
    );
    let total = data.len() + last.len();
    let bar = byte_bar(&format!("uploading {name} to {out}:"), total);
    let mut uploaded: Vec<String> = Vec::new();
    for (step, batch) in [&data, &last[..1].to_vec(), &last[1..].to_vec()]
        .into_iter()
        .enumerate()
    {
        if let Err(f) = bucket.upload(batch, &bar) {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            uploaded.extend(f.uploaded);
            return Err(upload_error(
                &bucket,
                &export_uri,
                &f.key,
                &f.message,
                step,
                &uploaded,
                total,
                &existing,
                truth_exists,
            ));
        }
        uploaded.extend(batch.iter().map(|(_, k)| k.clone()));
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    // Replace, not merge: drop what the old export had and the new one does not.
    let new: BTreeSet<&String> = uploaded.iter().collect();
    let stale: Vec<String> = existing
        .iter()
        .filter(|k| !new.contains(k))
        .cloned()
        .collect();
    if !stale.is_empty() {
        bucket.delete(&stale).map_err(|e| {
            anyhow!("{export_uri}/: the new export is complete, but deleting {} object(s) of the old one failed: {e}; fix: delete them by hand (`aws s3 rm`), or re-run with --force", stale.len())
        })?;
    }
    Ok(summary)
}

#[allow(clippy::too_many_arguments)]
fn upload_error(
    bucket: &Bucket,
    export_uri: &S3Uri,
    key: &str,
    message: &str,
    step: usize,
    uploaded: &[String],
    total: usize,
    existing: &[String],
    truth_existed: bool,
) -> anyhow::Error {
    let stage = ["a data file", "the truth file", "a manifest"][step.min(2)];
    let head = format!(
        "uploading s3://{}/{key} ({stage}) failed ({}): {message}; {} of {total} objects were uploaded and no new manifest was written",
        bucket.name,
        bucket.endpoint,
        uploaded.len()
    );
    if existing.is_empty() && !truth_existed {
        // Nothing was there before: take the partial upload away again.
        match bucket.delete(uploaded) {
            Ok(()) => anyhow!("{head}; the objects uploaded so far were deleted again, so {export_uri}/ is empty; fix: check the permissions and the endpoint, then re-run"),
            Err(e) => anyhow!("{head}; deleting them again failed too ({e}), so {export_uri}/ holds data files without a manifest, which Data Exports readers ignore; fix: delete the prefix (`aws s3 rm --recursive {export_uri}/`) or re-run with --force"),
        }
    } else {
        anyhow!("{head}; {export_uri}/ now mixes new data files with the previous export's manifest (which may list files that were overwritten); fix: re-run with --force once the cause is fixed")
    }
}
