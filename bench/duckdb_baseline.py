"""DuckDB baselines for curlab's benchmark (bench/run.sh).

  duckdb_baseline.py generate <reference.parquet> <rows> <out.parquet>
      Write <rows> rows with exactly the reference file's schema (every CUR 2.0 column, map
      columns as maps) with COPY ... TO ... (FORMAT PARQUET, COMPRESSION SNAPPY).
  duckdb_baseline.py verify <glob>
      Run the checks curlab's default rule set makes, as SQL over the same files: principal
      grammar, tag prefixes, cost = usage × rate, time alignment, per-principal and per-tag
      totals.
Prints the wall time in seconds on the last line.
"""

import sys
import time

import duckdb


def column_expr(name, ty):
    t = ty.upper()
    if t.startswith("MAP("):
        if "DOUBLE" in t.split(",")[1]:
            return "MAP {}::MAP(VARCHAR, DOUBLE)"
        if name == "tags":
            return ("MAP {'iamPrincipal/team': 'team-' || (i % 7)::VARCHAR, "
                    "'iamPrincipal/cost-center': (10000 + i % 13)::VARCHAR}")
        if name == "product":
            return ("MAP {'model': 'Claude Sonnet 4.6', 'provider': 'Anthropic', "
                    "'region': 'us-east-1', 'inference_type': 'Input tokens'}")
        return "MAP {}::MAP(VARCHAR, VARCHAR)"
    if t.startswith("TIMESTAMP"):
        return "(TIMESTAMPTZ '2026-09-01 00:00:00+00' + to_hours((i % 720)::BIGINT))"
    if t == "DOUBLE":
        return "(i % 1000) * 0.0033"
    if name == "line_item_iam_principal":
        return "'arn:aws:sts::200000000002:assumed-role/OktaBedrockUsers/user' || (i % 2000)::VARCHAR || '@acme.com'"
    if name == "identity_line_item_id":
        return "md5(i::VARCHAR) || substr(md5((i + 1)::VARCHAR), 1, 20)"
    return "'value-' || (i % 97)::VARCHAR"


def generate(reference, rows, out):
    con = duckdb.connect()
    cols = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{reference}')").fetchall()
    exprs = ",\n  ".join(f"{column_expr(n, t)} AS \"{n}\"" for n, t, *_ in cols)
    sql = (f"COPY (SELECT\n  {exprs}\nFROM range({rows}) t(i)) TO '{out}' "
           f"(FORMAT PARQUET, COMPRESSION SNAPPY)")
    start = time.perf_counter()
    con.execute(sql)
    return time.perf_counter() - start


CHECKS = {
    "principal grammar": """
        SELECT count(*) FROM src
        WHERE line_item_iam_principal IS NOT NULL AND line_item_iam_principal <> ''
          AND NOT regexp_matches(line_item_iam_principal,
            '^arn:aws[a-z-]*:(iam::[0-9]{12}:(user|role)(/[!-~]*)?/[A-Za-z0-9_+=,.@-]{1,64}|sts::[0-9]{12}:assumed-role/[A-Za-z0-9_+=,.@-]{1,64}/[A-Za-z0-9_+=,.@-]{2,64})$')""",
    "principal account": """
        SELECT count(*) FROM src
        WHERE line_item_iam_principal LIKE 'arn:%'
          AND split_part(line_item_iam_principal, ':', 5) <> line_item_usage_account_id""",
    "tag prefixes": """
        SELECT count(*) FROM (SELECT unnest(map_keys(tags)) AS k FROM src)
        WHERE NOT (k LIKE 'iamPrincipal/%' OR k LIKE 'resourceTags/%' OR k LIKE 'accountTag/%'
                   OR k LIKE 'userAttribute/%' OR k LIKE 'costCategory/%')""",
    "cost = usage x rate": """
        SELECT count(*) FROM src
        WHERE line_item_unblended_rate IS NOT NULL AND line_item_unblended_rate <> ''
          AND abs(line_item_unblended_cost - line_item_usage_amount * CAST(line_item_unblended_rate AS DOUBLE))
              > 1e-6 + 1e-6 * abs(line_item_unblended_cost)""",
    "time alignment": """
        SELECT count(*) FROM src
        WHERE line_item_line_item_type = 'Usage'
          AND (line_item_usage_end_date <= line_item_usage_start_date
               OR (epoch(line_item_usage_start_date)::BIGINT % 3600) <> 0)""",
    "per-principal totals": """
        SELECT count(*) FROM (SELECT line_item_iam_principal, sum(line_item_unblended_cost)
                              FROM src WHERE line_item_product_code LIKE 'AmazonBedrock%'
                                 OR product_product_family = 'Amazon Bedrock' GROUP BY 1)""",
    "per-tag totals": """
        SELECT count(*) FROM (SELECT e.key, e.value, sum(c) FROM
          (SELECT unnest(map_entries(tags)) AS e, line_item_unblended_cost AS c FROM src
           WHERE product_product_family = 'Amazon Bedrock') GROUP BY 1, 2)""",
}


def verify(pattern):
    con = duckdb.connect()
    start = time.perf_counter()
    con.execute(f"CREATE VIEW src AS SELECT * FROM read_parquet('{pattern}')")
    for name, sql in CHECKS.items():
        n = con.execute(sql).fetchone()[0]
        print(f"  {name}: {n}", file=sys.stderr)
    return time.perf_counter() - start


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        print(f"{generate(sys.argv[2], int(sys.argv[3]), sys.argv[4]):.3f}")
    elif sys.argv[1] == "verify":
        print(f"{verify(sys.argv[2]):.3f}")
    else:
        sys.exit("usage: duckdb_baseline.py generate|verify ...")
