#!/usr/bin/env bash
# Build and run one libFuzzer target without cargo-fuzz, on stable Rust: the coverage
# instrumentation cargo-fuzz adds is a set of stable codegen flags; only AddressSanitizer
# (-Zsanitizer) needs nightly, and safe Rust does not need it to find panics.
#
#   fuzz/run.sh TARGET [libFuzzer options...]     e.g. fuzz/run.sh arn -max_total_time=60
#
# Targets: arn tags scenario csv verify. Seeds: fuzz/corpus/TARGET/ (new finds are added there;
# commit the interesting ones and turn every crash into a regression test).
set -euo pipefail
cd "$(dirname "$0")"
target="${1:?usage: fuzz/run.sh TARGET [libFuzzer options]}"
shift
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
case "$target" in
  arn | tags) features=(--no-default-features) ;;
  *) features=() ;;
esac
# An explicit --target keeps RUSTFLAGS off build scripts and proc-macros (as cargo-fuzz does).
triple="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --target "$triple" "${features[@]}" --bin "$target"
mkdir -p "corpus/$target" "artifacts/$target"
exec "target/$triple/release/$target" -artifact_prefix="artifacts/$target/" "$@" "corpus/$target"
