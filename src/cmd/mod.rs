//! One module per subcommand. The CLI owns files, threads and output formats.

pub(crate) mod generate;
pub(crate) mod report;
pub(crate) mod scenario;
pub(crate) mod sql;
pub(crate) mod verify;
