//! cargo-fuzz target: `harness::arn` (see fuzz/harness_vocab.rs).
#![no_main]

#[path = "../harness_vocab.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::arn(data));
