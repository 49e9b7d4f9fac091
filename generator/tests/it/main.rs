//! The generator's integration tests, as one test binary (one link instead of one per file).

mod bill;
mod doc_keys;
mod line_items;
mod properties;
mod truth_file;
