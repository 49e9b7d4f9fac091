//! The resolver's state: the file being resolved, the problems found so far, the seed and the
//! scale. Every check takes it and adds problems rather than stopping, so one run reports
//! them all.

use crate::scenario::model::ScenarioFile;
use crate::scenario::{Path, Problem};

/// The resolver's state.
pub(crate) struct Ctx<'a> {
    /// The parsed file.
    pub file: &'a ScenarioFile,
    /// Problems found so far, in the order they are found (the order they are reported in).
    pub problems: Vec<Problem>,
    /// The seed (`--seed` or the file's).
    pub seed: u64,
    /// `--scale`: multiplies generated populations.
    pub scale: f64,
}

impl Ctx<'_> {
    /// Record a problem at `path`.
    pub(crate) fn problem(&mut self, path: Path, msg: impl Into<String>, hint: impl Into<String>) {
        self.problems.push(Problem::new(path, msg, hint));
    }
}

/// The document root, where paths into the file start.
pub(crate) fn root() -> Path {
    Path::root()
}
