//! Errors that stop a verification run (exit code 2): unreadable input or a bad command line.
//! Problems *in* the data are findings, never errors. The type is the reading layer's
//! ([`curlab_reader::Error`]): a run stops for the same reasons reading does.

pub use curlab_reader::Error as VerifyError;
