//! One module per subcommand. The CLI owns files, threads and output formats.

pub mod generate;
pub mod report;
pub mod scenario;
pub mod sql;
pub mod verify;
