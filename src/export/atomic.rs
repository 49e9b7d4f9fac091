//! The temporary folder an export is written into, and the rename that puts it in place: a
//! reader never sees a half-written export, and an interrupted run leaves the old one intact.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// An export being written: `<out>/.<export>.curlab-tmp-*/` holds `<export>/` and the truth file
/// until [`Staging::commit`] renames them to `<out>/<export>/` and `<out>/<export>.truth.json`.
pub(super) struct Staging {
    tmp: tempfile::TempDir,
    export: String,
    final_dir: PathBuf,
    final_truth: PathBuf,
}

/// Refuse to write `<out>/<export>` when it (or its truth file) is already there.
pub(crate) fn refuse_existing(out: &Path, export: &str) -> Result<()> {
    let final_dir = out.join(export);
    if final_dir.exists() || out.join(format!("{export}.truth.json")).exists() {
        bail!(
            "{} already exists; pass --force to replace it, or choose another --out",
            final_dir.display()
        );
    }
    Ok(())
}

impl Staging {
    /// Check that `<out>/<export>` may be written (an existing one only with `force`) and
    /// create the temporary folder beside it.
    pub(super) fn begin(out: &Path, export: &str, force: bool) -> Result<Self> {
        let final_dir = out.join(export);
        let final_truth = out.join(format!("{export}.truth.json"));
        if !force {
            refuse_existing(out, export)?;
        }
        fs::create_dir_all(out)
            .with_context(|| format!("creating output folder {}", out.display()))?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{export}.curlab-tmp-"))
            .tempdir_in(out)
            .with_context(|| format!("creating a temporary folder in {}", out.display()))?;
        Ok(Staging {
            tmp,
            export: export.to_string(),
            final_dir,
            final_truth,
        })
    }

    /// The temporary folder: paths from the layout (`<export>/data/...`) are relative to it.
    pub(super) fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// Write the truth file, then swap the export and its truth file into place: the old
    /// export is removed only now that the new one is complete.
    pub(super) fn commit(self, truth: &impl serde::Serialize) -> Result<()> {
        let truth_tmp = self.tmp.path().join("truth.json");
        // Streamed: for tens of thousands of principals the JSON text alone is tens of MiB.
        let mut w = BufWriter::new(File::create(&truth_tmp)?);
        serde_json::to_writer_pretty(&mut w, truth)?;
        w.write_all(b"\n")?;
        w.flush()?;
        // Last chance to stop before anything outside the temporary folder changes.
        crate::signal::check()?;
        if self.final_dir.exists() {
            fs::remove_dir_all(&self.final_dir)
                .with_context(|| format!("removing old {}", self.final_dir.display()))?;
        }
        fs::rename(self.tmp.path().join(&self.export), &self.final_dir)
            .with_context(|| format!("moving the export into {}", self.final_dir.display()))?;
        fs::rename(&truth_tmp, &self.final_truth)?;
        Ok(())
    }
}
