"""Write odd but possible Parquet shapes of one curlab data file, for tests/it/hostile_parquet.rs.

Usage: make_parquet.py <source.parquet> <out-dir>

Each output file is the source table changed in one way (a timestamp unit, a column type, a
missing or extra column, a huge value, invalid UTF-8, ...). The file names are the case ids
the Rust test expects; it fails if one is missing.
"""

import json
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TS_COLS = [
    "bill_billing_period_start_date",
    "bill_billing_period_end_date",
    "line_item_usage_start_date",
    "line_item_usage_end_date",
]
MIB = 1024 * 1024


def main(src, out):
    t = pq.read_table(src)
    names = t.column_names

    def write(name, table, **kw):
        pq.write_table(table, f"{out}/{name}.parquet", **kw)

    def replace(table, col, arr):
        i = table.column_names.index(col)
        return table.set_column(i, pa.field(col, arr.type), arr)

    def cast_ts(table, unit, tz="UTC"):
        for c in TS_COLS:
            if c in table.column_names:
                table = replace(table, c, pc.cast(table[c], pa.timestamp(unit, tz)))
        return table

    # The reference: the source as pyarrow writes it.
    write("base", t)

    # Timestamps in every unit and encoding Parquet has.
    write("ts-int96", t, use_deprecated_int96_timestamps=True)
    write("ts-millis", cast_ts(t, "ms"), coerce_timestamps="ms")
    write("ts-micros", cast_ts(t, "us"), coerce_timestamps="us")
    write("ts-nanos", cast_ts(t, "ns"), version="2.6")
    write("ts-seconds-as-millis", cast_ts(t, "s"))
    write("ts-new-york", cast_ts(t, "us", "America/New_York"))
    write("ts-offset-plus-05-30", cast_ts(t, "us", "+05:30"))
    write("ts-naive", cast_ts(t, "us", None))
    nulls = t
    for c in ["line_item_usage_start_date", "line_item_usage_end_date"]:
        nulls = replace(nulls, c, pa.nulls(len(t), pa.timestamp("ms", "UTC")))
    write("ts-null", nulls)
    write("ts-as-string", replace(t, "line_item_usage_start_date",
                                  pc.strftime(t["line_item_usage_start_date"], "%Y-%m-%dT%H:%M:%SZ")))
    write("ts-as-int64", replace(t, "line_item_usage_start_date",
                                 pc.cast(pc.cast(t["line_item_usage_start_date"], pa.timestamp("ms", "UTC")), pa.int64())))

    # Wrong column types.
    write("type-cost-as-string", replace(t, "line_item_unblended_cost",
                                         pc.cast(t["line_item_unblended_cost"], pa.string())))
    write("type-cost-as-int64", replace(t, "line_item_unblended_cost",
                                        pc.cast(pc.round(t["line_item_unblended_cost"]), pa.int64())))
    write("type-cost-as-float32", replace(t, "line_item_unblended_cost",
                                          pc.cast(t["line_item_unblended_cost"], pa.float32())))
    write("type-cost-as-decimal", replace(t, "line_item_unblended_cost",
                                          pc.cast(t["line_item_unblended_cost"], pa.decimal128(38, 10))))
    write("type-usage-amount-as-bool", replace(t, "line_item_usage_amount",
                                               pc.greater(t["line_item_usage_amount"], 0)))
    write("type-principal-as-binary", replace(t, "line_item_iam_principal",
                                              pc.cast(t["line_item_iam_principal"], pa.binary())))
    write("type-principal-as-int64", replace(t, "line_item_iam_principal",
                                             pa.array([i for i in range(len(t))], pa.int64())))
    write("type-principal-as-list", replace(t, "line_item_iam_principal",
                                            pa.array([[v] for v in t["line_item_iam_principal"].to_pylist()],
                                                     pa.list_(pa.string()))))
    write("type-principal-large-string", replace(t, "line_item_iam_principal",
                                                 pc.cast(t["line_item_iam_principal"], pa.large_string())))
    write("type-principal-dictionary", replace(t, "line_item_iam_principal",
                                               pc.dictionary_encode(t["line_item_iam_principal"])))
    write("type-product-code-as-int32", replace(t, "line_item_product_code",
                                                pa.array([7] * len(t), pa.int32())))

    # Missing and extra columns.
    write("missing-principal", t.drop_columns(["line_item_iam_principal"]))
    write("missing-tags", t.drop_columns(["tags"]))
    write("missing-cost", t.drop_columns(["line_item_unblended_cost"]))
    write("missing-usage-type-and-product", t.drop_columns(["line_item_usage_type", "line_item_product_code"]))
    write("missing-all-but-one", t.select(["identity_line_item_id"]))
    extra = t.append_column("my_team_extra", pa.array(["x"] * len(t)))
    extra = extra.append_column("tags_2", pa.array([7] * len(t), pa.int64()))
    write("extra-columns", extra)
    dup = t.append_column("line_item_iam_principal", pa.array(["not-an-arn"] * len(t)))
    write("duplicate-column-name", dup)
    write("columns-reordered", t.select(list(reversed(names))))

    # Map columns as strings (JSON) or as structs.
    tags = t["tags"].to_pylist()
    as_json = pa.array([None if m is None else json.dumps(dict(m)) for m in tags], pa.string())
    write("map-tags-as-json-string", replace(t, "tags", as_json))
    keys = sorted({k for m in tags if m for k, _ in m})
    struct_rows = [None if m is None else {k: dict(m).get(k) for k in keys} for m in tags]
    if keys:
        struct_type = pa.struct([(k, pa.string()) for k in keys])
        write("map-tags-as-struct", replace(t, "tags", pa.array(struct_rows, struct_type)))
    else:
        write("map-tags-as-struct", replace(t, "tags", pa.array([{"x": None}] * len(t),
                                                               pa.struct([("x", pa.string())]))))
    write("map-tags-as-list-of-pairs", replace(t, "tags", pa.array(
        [None if m is None else [[k, v] for k, v in m] for m in tags], pa.list_(pa.list_(pa.string())))))
    product = t["product"].to_pylist()
    write("map-product-as-json-string", replace(t, "product", pa.array(
        [None if m is None else json.dumps(dict(m)) for m in product], pa.string())))
    write("map-tags-int-values", replace(t, "tags", pa.array(
        [None if m is None else [(k, len(v or "")) for k, v in m] for m in tags], pa.map_(pa.string(), pa.int64()))))

    # All-null columns, typed and untyped.
    write("null-principal-typed", replace(t, "line_item_iam_principal", pa.nulls(len(t), pa.string())))
    write("null-principal-untyped", replace(t, "line_item_iam_principal", pa.nulls(len(t))))
    write("null-cost", replace(t, "line_item_unblended_cost", pa.nulls(len(t), pa.float64())))
    write("null-tags", replace(t, "tags", pa.nulls(len(t), t.schema.field("tags").type)))
    write("null-every-column", pa.table({n: pa.nulls(len(t), t.schema.field(n).type) for n in names}))

    # Huge values: MiB-long ARN, tag value, tag key, usage type.
    principal = t["line_item_iam_principal"].to_pylist()
    product_code = t["line_item_product_code"].to_pylist()
    first = next(i for i, p in enumerate(principal) if p)
    huge_arn = list(principal)
    huge_arn[first] = "arn:aws:iam::123456789012:role/" + "R" * (2 * MIB)
    write("huge-arn", replace(t, "line_item_iam_principal", pa.array(huge_arn, pa.string())))
    huge_tags = list(tags)
    huge_tags[first] = list(tags[first] or []) + [("iamPrincipal/team", "v" * (2 * MIB))]
    write("huge-tag-value", replace(t, "tags", pa.array(huge_tags, t.schema.field("tags").type)))
    huge_key = list(tags)
    huge_key[first] = list(tags[first] or []) + [("iamPrincipal/" + "k" * (2 * MIB), "x")]
    write("huge-tag-key", replace(t, "tags", pa.array(huge_key, t.schema.field("tags").type)))
    many = list(tags)
    many[first] = [(f"iamPrincipal/k{i}", "v") for i in range(100_000)]
    write("huge-tag-count", replace(t, "tags", pa.array(many, t.schema.field("tags").type)))
    usage = t["line_item_usage_type"].to_pylist()
    usage[first] = "USE1-" + "x" * (4 * MIB)
    write("huge-usage-type", replace(t, "line_item_usage_type", pa.array(usage, pa.string())))

    # Invalid UTF-8 in string columns (written without validation, as a broken writer would).
    def invalid_utf8(values, at):
        raw = [None if v is None else v.encode() for v in values]
        raw[at] = b"arn:aws:iam::123456789012:user/\xff\xfe\xc3("
        return pa.array(raw, pa.binary()).view(pa.string())
    write("utf8-invalid-principal", replace(t, "line_item_iam_principal", invalid_utf8(principal, first)))
    bad_tags = list(tags)
    write("utf8-invalid-usage-type", replace(t, "line_item_usage_type", invalid_utf8(
        t["line_item_usage_type"].to_pylist(), first)))
    # Strings that are valid UTF-8 but hostile for outputs.
    hostile = list(principal)
    hostile[first] = "arn:aws:iam::123456789012:user/\x1b[2J\x1b]0;pwned\x07<script>alert(1)</script>=cmd|' /C calc'!A0\u202e"
    write("utf8-control-chars-principal", replace(t, "line_item_iam_principal", pa.array(hostile, pa.string())))
    nul = list(principal)
    nul[first] = "arn:aws:iam::123456789012:user/a\x00b"
    write("utf8-nul-in-principal", replace(t, "line_item_iam_principal", pa.array(nul, pa.string())))
    del bad_tags, product_code

    # Zero rows; one row; many row groups; one huge row group (written separately by the test).
    write("rows-zero", t.slice(0, 0))
    write("rows-one", t.slice(0, 1))
    write("row-groups-of-one-row", t, row_group_size=1)
    write("compression-none", t, compression="none")
    write("compression-gzip", t, compression="gzip")
    write("compression-zstd", t, compression="zstd")
    write("compression-brotli", t, compression="brotli")
    write("compression-lz4", t, compression="lz4")
    write("page-index-and-stats-off", t, write_statistics=False, write_page_index=False)
    write("dictionary-off", t, use_dictionary=False)
    write("data-page-v2", t, data_page_version="2.0")
    doubles = [f.name for f in t.schema if pa.types.is_floating(f.type)]
    write("byte-stream-split", t, use_dictionary=False, use_byte_stream_split=doubles)


def huge_row_group(out, rows):
    """One row group of `rows` Bedrock rows, few columns: memory must stay flat while reading."""
    n = rows
    base = pa.table({
        "identity_line_item_id": pa.array([f"id{i}" for i in range(n)]),
        "line_item_product_code": pa.array(["AmazonBedrock"] * n),
        "line_item_usage_type": pa.array(["USE1-NovaMicro-input-tokens"] * n),
        "line_item_iam_principal": pa.array(["arn:aws:iam::123456789012:user/alice"] * n),
        "line_item_unblended_cost": pa.array([0.000001] * n, pa.float64()),
        "line_item_usage_amount": pa.array([28.0] * n, pa.float64()),
    })
    pq.write_table(base, f"{out}/huge-row-group.parquet", row_group_size=n)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--huge-row-group":
        huge_row_group(sys.argv[3], int(sys.argv[2]))
    else:
        main(sys.argv[1], sys.argv[2])
