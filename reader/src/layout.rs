//! Defensive file-system checks for discovery (`input`): entries that are broken or looping
//! symbolic links, FIFOs or devices named like data files, manifest paths that leave the export
//! folder, and globs that walk into symbolic-link cycles. Nothing here opens a file for reading.

use std::collections::HashSet;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::Error;

/// What a directory entry is, after following symbolic links.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A folder.
    Dir,
    /// A FIFO, socket or device: never read.
    Special,
}

/// Follow `path` and say what it is; a link that cannot be followed (a loop, a missing target)
/// is an error naming it.
pub fn kind(path: &Path) -> Result<Kind, Error> {
    match fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(Kind::File),
        Ok(m) if m.is_dir() => Ok(Kind::Dir),
        Ok(_) => Ok(Kind::Special),
        Err(e) => {
            let is_link = fs::symlink_metadata(path)
                .map(|m| m.file_type().is_symlink())
                .unwrap_or(false);
            Err(if is_link {
                Error::read(
                    path,
                    format!("is a symbolic link that cannot be followed (a loop or a missing target): {e}"),
                    "remove the link or point it at the real file or folder",
                )
            } else {
                Error::read(
                    path,
                    format!("cannot inspect: {e}"),
                    "check the path and its permissions",
                )
            })
        }
    }
}

/// A data file candidate must be a regular file: a FIFO would block the reader forever and a
/// device would never end.
pub fn require_file(path: &Path) -> Result<(), Error> {
    match kind(path)? {
        Kind::File => Ok(()),
        Kind::Dir => Err(Error::read(
            path,
            "is a folder, not a data file",
            "pass the files inside it, or the export folder",
        )),
        Kind::Special => Err(Error::read(
            path,
            "is not a regular file (a FIFO, socket or device); it is not read",
            "remove it from the export folder; Data Exports only writes regular files",
        )),
    }
}

/// Whether a manifest entry, reduced to a path relative to the export folder, stays inside
/// `data/`: no `..`, no absolute path or other scheme, no backslash or percent-encoded escape.
/// Entries that fail are reported and never opened.
pub fn stays_in_data(rel: &str) -> bool {
    if !rel.starts_with("data/") || rel.contains('\\') || rel.contains('%') || rel.contains('\0') {
        return false;
    }
    Path::new(rel)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
}

/// Most folders a `**` glob walks into.
const MAX_GLOB_DIRS: usize = 100_000;

/// Expand a glob. Patterns without `**` go to the `glob` crate (their depth is bounded by the
/// pattern); `**` patterns are walked here, remembering each folder by device and inode so a
/// symbolic-link cycle is reported instead of walked forever.
pub fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>, Error> {
    let bad = |e: &dyn std::fmt::Display| Error::Input {
        path: pattern.to_string(),
        problem: format!("not a valid glob: {e}"),
        fix: "quote the pattern and use *, ? or [..] as in a shell".into(),
    };
    if !pattern.contains("**") {
        let matches = glob::glob(pattern).map_err(|e| bad(&e))?;
        let mut found = Vec::new();
        for m in matches.filter_map(Result::ok) {
            if matches!(kind(&m), Ok(Kind::File)) {
                found.push(m);
            }
        }
        found.sort();
        return Ok(found);
    }
    let pat = glob::Pattern::new(pattern).map_err(|e| bad(&e))?;
    // The literal folder the pattern starts from.
    let mut base = PathBuf::new();
    for c in Path::new(pattern).components() {
        let s = c.as_os_str().to_string_lossy();
        if s.contains(['*', '?', '[']) {
            break;
        }
        base.push(c);
    }
    if base.as_os_str().is_empty() {
        base.push(".");
    }
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    let mut stack = vec![base.clone()];
    let strip_dot = !pattern.starts_with("./");
    while let Some(dir) = stack.pop() {
        if let Some(id) = dir_id(&dir) {
            if !seen.insert(id) {
                return Err(Error::Input {
                    path: pattern.to_string(),
                    problem: format!(
                        "the glob walks into a symbolic link cycle at {} (a folder already visited)",
                        dir.display()
                    ),
                    fix: "narrow the pattern, or remove the symbolic link that points back up".into(),
                });
            }
        }
        if seen.len() > MAX_GLOB_DIRS {
            return Err(Error::Input {
                path: pattern.to_string(),
                problem: format!("the glob walks more than {MAX_GLOB_DIRS} folders"),
                fix: "narrow the pattern".into(),
            });
        }
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            let shown = match (strip_dot, e.strip_prefix(".")) {
                (true, Ok(p)) if base == Path::new(".") => p.to_path_buf(),
                _ => e.clone(),
            };
            match kind(&e) {
                Ok(Kind::Dir) => stack.push(e),
                Ok(Kind::File) if pat.matches_path_with(&shown, opts) => found.push(shown),
                Ok(_) => {}
                Err(err) if pat.matches_path_with(&shown, opts) => return Err(err),
                Err(_) => {}
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(unix)]
fn dir_id(p: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn dir_id(p: &Path) -> Option<PathBuf> {
    fs::canonicalize(p).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_stay_in_data() {
        assert!(stays_in_data(
            "data/BILLING_PERIOD=2026-04/x-00001.snappy.parquet"
        ));
        assert!(stays_in_data("data/BILLING_PERIOD=2026-04/exec/x.csv.gz"));
        for bad in [
            "../secret.parquet",
            "/etc/passwd",
            "file:///etc/passwd",
            "data/../../x",
            "data/BILLING_PERIOD=2026-04/../../../x",
            "data\\..\\x",
            "data/%2e%2e/x",
            "",
        ] {
            assert!(!stays_in_data(bad), "{bad}");
        }
    }
}
