//! curlab's integration tests, as one test binary: every file here is a module, so the suite
//! links once instead of once per file. Shared helpers live in `common` (running the CLI,
//! generating fixtures) and `hostile` (the hostile-input harness, see docs/robustness.md).
//!
//! Run one area with a filter: `cargo test --test it generate::`.

mod common;
mod hostile;

#[path = "../../fuzz/harness.rs"]
mod harness;
#[path = "../../fuzz/harness_vocab.rs"]
mod harness_vocab;

mod as_of;
mod bill;
mod chargeback;
mod compat;
mod digests;
mod fault_matrix;
mod fuzz_corpus;
mod fuzz_scenario;
mod fuzz_verify;
mod fuzz_vocab;
mod generate;
mod guardrail;
mod hostile_csv;
mod hostile_interrupt;
mod hostile_layout;
mod hostile_output;
mod hostile_parquet;
mod hostile_scenario;
mod real_shapes;
mod report;
mod report_html;
mod s3;
mod scenario_errors;
// libtest starts a binary's tests in name order and `_` sorts before letters: the longest test
// (Spark, DuckDB and sqlglot over ~30 exports) starts first, and the short ones fill the other
// threads meanwhile instead of leaving it to run alone at the end. The filter `sql_engines`
// still selects it.
#[path = "sql_engines.rs"]
mod _sql_engines;
mod twin;
mod verify_output;
