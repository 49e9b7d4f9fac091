//! Errors that stop a run over data files (exit code 2): unreadable input or a bad command
//! line. Problems *in* the data are findings (or cell errors), never errors.

use std::path::PathBuf;

/// Why a run over data files could not proceed. Every message names the file, what is wrong and the fix.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path given on the command line does not exist or matches nothing.
    #[error("{path}: {problem}; fix: {fix}")]
    Input {
        /// The path as given.
        path: String,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        fix: String,
    },
    /// A file exists but could not be read or decoded.
    #[error("{path}: {problem}{}; fix: {fix}", .place.as_deref().map(|p| format!(" (at {p})")).unwrap_or_default())]
    Read {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
        /// Where in the file, if known (row, byte, line).
        place: Option<String>,
        /// How to fix it.
        fix: String,
    },
    /// A command-line value is wrong (unknown rule code, bad period, ...).
    #[error("{0}")]
    Usage(String),
}

impl Error {
    /// A read error without a position.
    pub fn read(
        path: impl Into<PathBuf>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::Read {
            path: path.into(),
            problem: problem.into(),
            place: None,
            fix: fix.into(),
        }
    }
}
