//! cargo-fuzz target: `harness::tags` (see fuzz/harness_vocab.rs).
#![no_main]

#[path = "../harness_vocab.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::tags(data));
