"""pyarrow baseline for curlab's benchmark (bench/run.sh).

  pyarrow_baseline.py reencode <glob> <out-dir>
      Read every Parquet file the glob names into memory (not timed), then write each again
      with pyarrow's Parquet writer (snappy, pyarrow's defaults otherwise: dictionary on every
      column, 1 MiB pages, row groups of up to 1Mi rows) and time only the writing. This is the
      cost of encoding the same rows, the floor a generator that also has to invent them is
      measured against.
Prints "<seconds> <bytes written> <bytes read>" on the last line.
"""

import glob
import os
import sys
import time

import pyarrow.parquet as pq


def reencode(pattern, out_dir):
    files = sorted(glob.glob(pattern))
    if not files:
        sys.exit(f"no Parquet file matches {pattern}")
    os.makedirs(out_dir, exist_ok=True)
    tables = [pq.read_table(f) for f in files]
    read_bytes = sum(os.path.getsize(f) for f in files)
    outs = [os.path.join(out_dir, f"part-{i:05}.parquet") for i in range(len(files))]
    start = time.perf_counter()
    for table, out in zip(tables, outs):
        pq.write_table(table, out, compression="snappy")
    seconds = time.perf_counter() - start
    written = sum(os.path.getsize(o) for o in outs)
    rows = sum(t.num_rows for t in tables)
    print(f"  pyarrow re-encoded {rows} rows from {len(files)} files", file=sys.stderr)
    return seconds, written, read_bytes


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "reencode":
        s, w, r = reencode(sys.argv[2], sys.argv[3])
        print(f"{s:.3f} {w} {r}")
    else:
        sys.exit("usage: pyarrow_baseline.py reencode <glob> <out-dir>")
