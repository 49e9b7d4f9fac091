#!/usr/bin/env bash
# curlab vs DuckDB on the same machine, same rows, same files.
#
#   bench/run.sh [SCALE...]      default: 2.5 25  (enterprise ≈ 1M and 10M rows)
#
# Builds release, then for each scale: curlab generate (Parquet, snappy, every column), DuckDB
# COPY of the same number of rows with the same schema, curlab verify (default rules), and the
# same checks as DuckDB SQL, and pyarrow re-encoding the export's rows from memory (snappy;
# only the write is timed). Prints a table: rows, seconds, rows/s, peak RSS, ratio to the
# baseline (DuckDB for both curlab rows; pyarrow for the "curlab gen / pyarrow" row), then the
# output sizes: curlab's Parquet bytes against pyarrow's for the same rows.
# The load average is printed beside each scale: the machine is shared, compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -eq 0 ]; then scales=(2.5 25); else scales=("$@"); fi
work=${BENCH_DIR:-target/bench}
mkdir -p "$work"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet -r tests/requirements.txt
fi
py=.venv/bin/python
cargo build --release --quiet
bin=target/release/curlab

measure() { # prints "seconds rss_kib" for a command (GNU time writes them to a file)
  local f
  f=$(mktemp)
  /usr/bin/time -o "$f" -f "%e %M" "$@" >/dev/null 2>&1
  tail -1 "$f"
  rm -f "$f"
}

printf "%-10s %-22s %12s %9s %12s %10s %8s\n" scale task rows seconds rows/s "RSS MiB" ratio
for s in "${scales[@]}"; do
  out="$work/s$s"
  rm -rf "$out"
  read -r gsec grss < <(measure "$bin" generate enterprise --out "$out" --scale "$s" --quiet --force)
  rows=$("$py" -c "import json;print(json.load(open('$out/enterprise-cur.truth.json'))['rows'])")
  ref=$(ls "$out"/enterprise-cur/data/*/*.parquet | head -1)
  ddir="$out/duckdb"; mkdir -p "$ddir"
  read -r dsec drss < <(measure "$py" bench/duckdb_baseline.py generate "$ref" "$rows" "$ddir/copy.parquet")
  read -r vsec vrss < <(measure "$bin" verify "$out/enterprise-cur" --format json)
  read -r qsec qrss < <(measure "$py" bench/duckdb_baseline.py verify "$out/enterprise-cur/data/*/*.parquet")
  row() { printf "%-10s %-22s %12s %9.2f %12.0f %10.0f %8s\n" "$s" "$1" "$rows" "$2" "$(echo "$rows / $2" | bc -l)" "$(echo "$3 / 1024" | bc -l)" "$4"; }
  pdir="$out/pyarrow"; rm -rf "$pdir"
  read -r psec pbytes cbytes < <("$py" bench/pyarrow_baseline.py reencode "$out/enterprise-cur/data/*/*.parquet" "$pdir" 2>/dev/null | tail -1)
  rm -rf "$pdir" "$ddir"
  echo "# scale $s: load average $(cut -d' ' -f1-3 /proc/loadavg)"
  row "curlab generate" "$gsec" "$grss" "$(printf %.2f "$(echo "$gsec / $dsec" | bc -l)")"
  row "pyarrow write" "$psec" 0 "1.00"
  row "curlab gen / pyarrow" "$gsec" "$grss" "$(printf %.2f "$(echo "$gsec / $psec" | bc -l)")"
  row "duckdb COPY" "$dsec" "$drss" "1.00"
  row "curlab verify" "$vsec" "$vrss" "$(printf %.2f "$(echo "$vsec / $qsec" | bc -l)")"
  row "duckdb checks" "$qsec" "$qrss" "1.00"
  printf "%-10s %-22s %12s bytes, pyarrow %s bytes, ratio %.3f (target <= 1.05)\n" "$s" "parquet size: curlab" \
    "$cbytes" "$pbytes" "$(echo "$cbytes / $pbytes" | bc -l)"
done
