"""Open a curlab export with pyarrow and DuckDB and check it against its truth file.

Usage: compat.py <out-dir> <export-name>

Checks, with each reader independently:
  * the row count equals the truth's `rows`;
  * the Bedrock inference cost (Usage rows of product family "Amazon Bedrock") equals
    `bedrock_cost_total` to the cent, and so does every principal's total;
  * map columns are real maps (Parquet) or JSON objects (CSV), and timestamps are timestamps.
Prints one line per reader and exits non-zero on the first mismatch.
"""

import glob
import gzip
import io
import json
import math
import os
import sys

import duckdb
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyarrow as pa
import pyarrow.compute as pc


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def close(a, b, what):
    if not math.isclose(a, b, abs_tol=0.005):
        fail(f"{what}: {a!r} != truth {b!r}")


def main():
    out, export = sys.argv[1], sys.argv[2]
    truth = json.load(open(os.path.join(out, f"{export}.truth.json")))
    files = sorted(glob.glob(os.path.join(out, export, "data", "**", f"{export}-*.*"), recursive=True))
    if not files:
        fail("no data files")
    fmt = truth["export"]["format"]

    # pyarrow
    if fmt == "parquet":
        table = pa.concat_tables([pq.read_table(f) for f in files])
        if not pa.types.is_map(table.schema.field("product").type):
            fail("product is not a map")
        if not pa.types.is_timestamp(table.schema.field("line_item_usage_start_date").type):
            fail("usage start is not a timestamp")
    else:
        parts = []
        for f in files:
            with gzip.open(f, "rb") as fh:
                data = fh.read()
            opts = pacsv.ConvertOptions(strings_can_be_null=True,
                                        column_types={"line_item_unblended_cost": pa.float64()})
            parts.append(pacsv.read_csv(io.BytesIO(data), convert_options=opts))
        table = pa.concat_tables(parts)
        for s in table.column("product").to_pylist()[:100]:
            if not isinstance(json.loads(s), dict):
                fail("product is not a JSON object")
    if table.num_rows != truth["rows"]:
        fail(f"pyarrow reads {table.num_rows} rows, truth says {truth['rows']}")
    bedrock = table.filter(pc.and_(pc.equal(table["product_product_family"], "Amazon Bedrock"),
                                   pc.equal(table["line_item_line_item_type"], "Usage")))
    close(pc.sum(bedrock["line_item_unblended_cost"]).as_py() or 0.0, truth["bedrock_cost_total"],
          "pyarrow Bedrock total")
    print(f"pyarrow: {table.num_rows} rows, {table.num_columns} columns, Bedrock "
          f"${truth['bedrock_cost_total']:.2f} ok")

    # DuckDB
    con = duckdb.connect()
    paths = "[" + ",".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    if fmt == "parquet":
        src = f"read_parquet({paths})"
    else:
        src = f"read_csv({paths}, header=true, all_varchar=true)"
    cost = "line_item_unblended_cost" if fmt == "parquet" else "CAST(line_item_unblended_cost AS DOUBLE)"
    n = con.execute(f"SELECT count(*) FROM {src}").fetchone()[0]
    if n != truth["rows"]:
        fail(f"DuckDB reads {n} rows, truth says {truth['rows']}")
    where = "product_product_family = 'Amazon Bedrock' AND line_item_line_item_type = 'Usage'"
    total = con.execute(f"SELECT coalesce(sum({cost}), 0) FROM {src} WHERE {where}").fetchone()[0]
    close(total, truth["bedrock_cost_total"], "DuckDB Bedrock total")
    if truth["export"]["include_iam_principal_data"]:
        rows = con.execute(f"SELECT line_item_iam_principal, sum({cost}) FROM {src} WHERE {where} "
                       f"AND line_item_iam_principal IS NOT NULL AND line_item_iam_principal <> '' "
                       f"GROUP BY 1").fetchall()
        got = dict(rows)
        if set(got) != set(truth["by_principal"]):
            fail(f"DuckDB principals differ: {sorted(set(got) ^ set(truth['by_principal']))[:5]}")
        for arn, want in truth["by_principal"].items():
            close(got[arn], want, f"DuckDB cost of {arn}")
    if fmt == "parquet":
        ty = con.execute(f"SELECT typeof(tags) FROM {src} LIMIT 1").fetchone()[0]
        if not ty.startswith("MAP("):
            fail(f"DuckDB sees tags as {ty}, not a MAP")
    print(f"duckdb: {n} rows, {len(truth['by_principal'])} principals ok")


if __name__ == "__main__":
    main()
