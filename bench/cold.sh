#!/usr/bin/env bash
# The newcomer's wait: the README's two set-up commands timed on a fresh clone.
#
#   bench/cold.sh [--venv] [REPO [REF]]
#
# Clones REPO (default: the repository holding this script) at REF (default: its HEAD) into a
# temporary folder, then times, one after the other and with nothing cached in the clone:
#   1. cargo run --release -- generate blog-launch --out out   (the README's first command)
#   2. cargo test --workspace                                  (the README's second command)
# and prints both times, the user+system CPU seconds of each (from /usr/bin/time), the load
# average before each, and the test summary lines. The temporary folder is removed at the end.
#
# Without --venv the clone has no .venv, as a newcomer's has not: the first Python test creates
# it and pip-installs tests/requirements.txt (downloads; the time depends on the network).
# With --venv the source repository's .venv is copied in first, so only building and testing
# are timed. Crates are fetched before the clock starts (`cargo fetch`): what is timed is
# compiling, not downloading. Java 17 and chromium must already be installed (.ci/run installs
# them); S3 tests start their own moto server from .venv.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv=0
if [ "${1:-}" = "--venv" ]; then venv=1; shift; fi
repo="${1:-$here}"
ref="${2:-HEAD}"

tmp="$(mktemp -d /tmp/curlab-cold.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
git clone --quiet --no-checkout "$repo" "$tmp/curlab"
cd "$tmp/curlab"
git checkout --quiet "$(git -C "$repo" rev-parse "$ref")"
echo "clone of $repo at $(git rev-parse --short HEAD) in $tmp/curlab"
if [ "$venv" = 1 ]; then
  [ -x "$repo/.venv/bin/python" ] || { echo "--venv: $repo/.venv has no bin/python"; exit 2; }
  cp -a "$repo/.venv" .venv
  echo "copied $repo/.venv (Python set-up not timed)"
fi
# Nothing from the caller's environment may make the build warm or different.
unset CARGO_TARGET_DIR RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER RUSTFLAGS CARGO_INCREMENTAL \
  CURLAB_PYTHON CURLAB_TEST_S3_ENDPOINT
cargo fetch --quiet

timed() { # label, command...: runs it, logs to $tmp/<label>.log, records wall and CPU seconds
  local label=$1; shift
  local load; load=$(cut -d' ' -f1-3 /proc/loadavg)
  local t0=$SECONDS rc=0
  /usr/bin/time -o "$tmp/$label.time" -f "%U %S" "$@" >"$tmp/$label.log" 2>&1 || rc=$?
  local wall=$((SECONDS - t0))
  read -r u s <"$tmp/$label.time" || true
  printf '%-8s %5d s wall (%d min %02d s), %6.0f s CPU, load before %s, exit %d\n' \
    "$label" "$wall" $((wall / 60)) $((wall % 60)) "$(awk "BEGIN{print ${u:-0} + ${s:-0}}")" "$load" "$rc" \
    >>"$tmp/summary"
  return $rc
}

echo "== 1/2 cargo run --release -- generate blog-launch --out out"
status=0
timed build cargo run --release -- generate blog-launch --out out || status=1
tail -3 "$tmp/build.log"
echo "== 2/2 cargo test --workspace"
timed test cargo test --workspace || status=1
grep -E '^test result:|^error|FAILED|panicked' "$tmp/test.log" | head -40 || true

echo "== the newcomer's wait ($(nproc) cores, $(git rev-parse --short HEAD))"
cat "$tmp/summary"
exit $status
