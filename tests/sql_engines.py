"""Run curlab's emitted SQL on real engines and report per-rule violation counts.

Usage: sql_engines.py <results.json>   (the exports arrive on standard input, one per line)

tests/it/sql_engines.rs starts this script first, so that Spark starts while curlab generates
the exports, and writes one JSON line per export as soon as its files are ready, each with the
files `curlab ddl` and `curlab sql` wrote for it:

  {"name": ..., "ddl": {"duckdb": path, "spark": path, "athena": path},
   "queries": [{"label": ..., "duckdb": path, "trino": path, "spark": path|null}]}

End of input ends the run.

For every export and query this script
  * DuckDB: creates the view from the emitted DuckDB DDL and runs the emitted DuckDB query;
  * sqlglot: parses the Athena DDL (athena dialect) and the Trino query (trino dialect), then
    transpiles the Trino query to DuckDB and runs it on the same view;
  * Spark (one local session for everything): creates the table from the emitted Spark DDL
    (CREATE TABLE + MSCK REPAIR) and runs the emitted Spark query, when the plan asks for it.

It writes {export: {label: {engine: {"counts": {code: n|null}} | {"error": text}}}} and, for
each export, {"athena_ddl": {"columns": n, "partition": [...], "properties": {...}} | {"error"}}.
Comparing with `curlab verify` is the Rust test's job. Nothing is skipped: a missing package or
Java fails the run.
"""

import json
import os
import sys
import tempfile
import time


def statements(text):
    """Split a file of `;`-terminated statements (no `;` inside literals in curlab's output)."""
    out = []
    for part in text.split(";\n"):
        body = "\n".join(l for l in part.splitlines() if not l.strip().startswith("--")).strip()
        if body:
            out.append(body.rstrip(";"))
    return out


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def counts_of(rows):
    """{code: violations} from (code, violations, sample) rows."""
    out = {}
    for row in rows:
        code, n = row[0], row[1]
        if code in out:
            raise ValueError(f"rule {code} appears twice in the result")
        out[code] = None if n is None else int(n)
    return out


def run_duckdb(ddl_path, query_text):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'America/New_York'")  # results must not depend on it
    for s in statements(read(ddl_path)):
        con.execute(s)
    rows = con.execute(statements(query_text)[0]).fetchall()
    con.close()
    return counts_of(rows)


def check_athena_ddl(path):
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(read(path), read="athena")
    if not isinstance(tree, exp.Create):
        raise ValueError(f"not a CREATE statement: {type(tree).__name__}")
    schema = tree.this
    columns = [c for c in schema.expressions if isinstance(c, exp.ColumnDef)]
    props = {}
    partition = []
    for p in tree.args.get("properties").expressions:
        if isinstance(p, exp.ExternalProperty):
            props["EXTERNAL"] = "true"
        elif isinstance(p, exp.PartitionedByProperty):
            partition = [c.name for c in p.this.expressions]
        # LocationProperty and FileFormatProperty are Property subclasses: test them first.
        elif isinstance(p, exp.LocationProperty):
            props["LOCATION"] = p.this.name
        elif isinstance(p, exp.FileFormatProperty):
            props["STORED AS"] = p.this.name
        elif isinstance(p, exp.Property):
            props[p.name] = p.args["value"].name
    # Athena DDL is Hive DDL (string, not varchar): render the parsed types in that dialect.
    types = {c.name: c.args["kind"].sql("hive") for c in columns}
    return {"columns": len(columns), "types": types, "partition": partition, "properties": props}


def trino_to_duckdb(text):
    import sqlglot

    body = statements(text)[0]
    trees = sqlglot.parse(body, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    if len(trees) != 1:
        raise ValueError(f"{len(trees)} statements")
    return trees[0].sql(dialect="duckdb")


class Spark:
    def __init__(self):
        from pyspark.sql import SparkSession

        warehouse = tempfile.mkdtemp(prefix="curlab-spark-")
        t0 = time.time()
        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("curlab-sql-test")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.warehouse.dir", warehouse)
            .config("spark.driver.memory", "1g")
            # Results must not depend on the session time zone.
            .config("spark.sql.session.timeZone", "America/New_York")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        print(f"spark {self.spark.version} started in {time.time() - t0:.1f}s", flush=True)

    def ddl(self, path):
        for s in statements(read(path)):
            self.spark.sql(s).collect()

    def query(self, text):
        rows = self.spark.sql(statements(text)[0]).collect()
        return counts_of([(r[0], r[1], r[2]) for r in rows])

    def stop(self):
        self.spark.stop()


def attempt(fn):
    try:
        return {"counts": fn()}
    except Exception as e:  # an engine's rejection is a result the Rust side judges
        return {"error": f"{type(e).__name__}: {str(e)[:2000]}"}


def exports():
    """The exports, one JSON object a line on standard input, as the Rust test prepares them."""
    for line in sys.stdin:
        if line.strip():
            yield json.loads(line)


def main():
    results = {}
    # Every run of the test has Spark queries: start the session before the first export
    # arrives, while curlab is still generating.
    t_start = time.time()
    spark = Spark()
    busy = 0.0
    for e in exports():
        t0 = time.time()
        r = results.setdefault(e["name"], {})
        try:
            r["athena_ddl"] = check_athena_ddl(e["ddl"]["athena"])
        except Exception as ex:
            r["athena_ddl"] = {"error": f"{type(ex).__name__}: {ex}"}
        spark_ready = None
        for q in e["queries"]:
            out = r.setdefault(q["label"], {})
            out["duckdb"] = attempt(lambda: run_duckdb(e["ddl"]["duckdb"], read(q["duckdb"])))
            trino = read(q["trino"])
            try:
                transpiled = trino_to_duckdb(trino)
                out["trino_as_duckdb"] = attempt(lambda: run_duckdb(e["ddl"]["duckdb"], transpiled))
            except Exception as ex:
                out["trino_as_duckdb"] = {"error": f"sqlglot: {type(ex).__name__}: {ex}"}
            if q.get("spark"):
                if spark_ready is None:
                    spark_ready = attempt(lambda: spark.ddl(e["ddl"]["spark"]) or {})
                if "error" in spark_ready:
                    out["spark"] = spark_ready
                else:
                    out["spark"] = attempt(lambda: spark.query(read(q["spark"])))
        busy += time.time() - t0
        print(f"{e['name']}: {time.time() - t0:.1f}s", flush=True)
    spark.stop()
    total = time.time() - t_start
    print(f"{len(results)} exports in {total:.1f}s: {busy:.1f}s on the engines, the rest starting "
          f"Spark or waiting for curlab", flush=True)
    with open(sys.argv[1], "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
