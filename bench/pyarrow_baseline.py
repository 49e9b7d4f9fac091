"""pyarrow baseline for curlab's benchmark (bench/run.sh).

  pyarrow_baseline.py reencode <glob> <out-dir>
      Read every Parquet file the glob names into memory (not timed), then write each again
      with pyarrow's Parquet writer (snappy, pyarrow's defaults otherwise: dictionary on every
      column, 1 MiB pages, row groups of up to 1Mi rows) and time only the writing. This is the
      cost of encoding the same rows, the floor a generator that also has to invent them is
      measured against. Rows are read and written one row group's worth (1Mi rows) at a time:
      a whole 4.5M-row file of strings took over 18 GiB in memory.
Prints "<seconds> <bytes written> <bytes read>" on the last line.
"""

import glob
import os
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq

# pyarrow's default row group size: each write of this many rows is one row group.
ROW_GROUP = 1_048_576


def reencode(pattern, out_dir):
    files = sorted(glob.glob(pattern))
    if not files:
        sys.exit(f"no Parquet file matches {pattern}")
    os.makedirs(out_dir, exist_ok=True)
    read_bytes = sum(os.path.getsize(f) for f in files)
    seconds, rows, outs = 0.0, 0, []
    for i, f in enumerate(files):
        src = pq.ParquetFile(f)
        out = os.path.join(out_dir, f"part-{i:05}.parquet")
        outs.append(out)
        writer = None
        pending, pending_rows = [], 0

        def flush():
            nonlocal writer, seconds, pending, pending_rows
            if not pending:
                return
            table = pa.Table.from_batches(pending)
            start = time.perf_counter()
            if writer is None:
                writer = pq.ParquetWriter(out, table.schema, compression="snappy")
            writer.write_table(table)
            seconds += time.perf_counter() - start
            pending, pending_rows = [], 0

        for batch in src.iter_batches(batch_size=65_536):
            pending.append(batch)
            pending_rows += batch.num_rows
            rows += batch.num_rows
            if pending_rows >= ROW_GROUP:
                flush()
        flush()
        if writer is not None:
            start = time.perf_counter()
            writer.close()
            seconds += time.perf_counter() - start
    written = sum(os.path.getsize(o) for o in outs if os.path.exists(o))
    print(f"  pyarrow re-encoded {rows} rows from {len(files)} files", file=sys.stderr)
    return seconds, written, read_bytes


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "reencode":
        s, w, r = reencode(sys.argv[2], sys.argv[3])
        print(f"{s:.3f} {w} {r}")
    else:
        sys.exit("usage: pyarrow_baseline.py reencode <glob> <out-dir>")
