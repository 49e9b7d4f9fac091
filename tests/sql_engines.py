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

DuckDB and sqlglot run on one thread, Spark on another, each taking the exports in order.
Each export's line in the log gives both halves' seconds; the last line sums them per step.

It writes {export: {label: {engine: {"counts": {code: n|null}} | {"error": text}}}} and, for
each export, {"athena_ddl": {"columns": n, "partition": [...], "properties": {...}} | {"error"}}.
Comparing with `curlab verify` is the Rust test's job. Nothing is skipped: a missing package or
Java fails the run.
"""

import json
import os
import queue
import sys
import tempfile
import threading
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
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.sql.warehouse.dir", warehouse)
            # 3g: the fault-matrix exports (shared fixtures) run ~40 big analyses in one session;
            # at 1g the analyser ran out of heap on s1-iam-users+misaligned-hour.
            .config("spark.driver.memory", "3g")
            # The tables are small and each query is ~40 rules: Spark's time goes to planning,
            # code generation and scheduling ~100 tiny stages, not to data. A JVM that stops at
            # the first JIT tier, the serial collector, no whole-stage code generation, no
            # adaptive re-planning and one shuffle partition cut its CPU by a third
            # (BENCHMARKS.md, "The newcomer's wait"); the results are the same.
            .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
            .config("spark.sql.codegen.wholeStage", "false")
            .config("spark.sql.adaptive.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            # Results must not depend on the session time zone.
            .config("spark.sql.session.timeZone", "America/New_York")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.started = time.time() - t0
        print(f"spark {self.spark.version} started in {self.started:.1f}s", flush=True)

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


class Clock:
    """Seconds spent per engine step, summed over the exports (printed at the end)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.spent = {}

    def time(self, step, fn):
        t0 = time.time()
        try:
            return fn()
        finally:
            with self.lock:
                self.spent[step] = self.spent.get(step, 0.0) + time.time() - t0

    def summary(self):
        with self.lock:
            return ", ".join(f"{k} {v:.1f}s" for k, v in sorted(self.spent.items()))


def duckdb_and_sqlglot(e, r, clock):
    """The DuckDB and sqlglot half of one export: Athena DDL, DuckDB and transpiled Trino."""
    try:
        r["athena_ddl"] = clock.time("sqlglot", lambda: check_athena_ddl(e["ddl"]["athena"]))
    except Exception as ex:
        r["athena_ddl"] = {"error": f"{type(ex).__name__}: {ex}"}
    for q in e["queries"]:
        out = r[q["label"]]
        out["duckdb"] = clock.time(
            "duckdb", lambda: attempt(lambda: run_duckdb(e["ddl"]["duckdb"], read(q["duckdb"])))
        )
        trino = read(q["trino"])
        try:
            transpiled = clock.time("sqlglot", lambda: trino_to_duckdb(trino))
            out["trino_as_duckdb"] = clock.time(
                "duckdb", lambda: attempt(lambda: run_duckdb(e["ddl"]["duckdb"], transpiled))
            )
        except Exception as ex:
            out["trino_as_duckdb"] = {"error": f"sqlglot: {type(ex).__name__}: {ex}"}


def spark_half(spark, e, r, clock):
    """The Spark half of one export: its table, once, then each query the plan gives Spark."""
    ready = None
    for q in e["queries"]:
        if not q.get("spark"):
            continue
        if ready is None:
            ready = clock.time(
                "spark ddl", lambda: attempt(lambda: spark.ddl(e["ddl"]["spark"]) or {})
            )
        if "error" in ready:
            r[q["label"]]["spark"] = ready
        else:
            r[q["label"]]["spark"] = clock.time(
                "spark query", lambda: attempt(lambda: spark.query(read(q["spark"])))
            )


def worker(name, jobs, fn, clock, failures):
    """Run fn on each export of the queue until None; the first crash is kept for main."""
    while True:
        e = jobs.get()
        if e is None:
            return
        t0 = time.time()
        try:
            fn(e)
        except BaseException as ex:  # a bug in this script: report it, keep draining the queue
            failures.append(f"{name} on {e['name']}: {type(ex).__name__}: {ex}")
        print(f"{e['name']} [{name}]: {time.time() - t0:.1f}s", flush=True)


def main():
    results = {}
    clock = Clock()
    failures = []
    # Every run of the test has Spark queries: start the session before the first export
    # arrives, while curlab is still generating. DuckDB and sqlglot work on their own thread
    # next to Spark (Spark's work is in its JVM, DuckDB's in C++: both release the GIL), so
    # the slower of the two sets the pace, not their sum.
    t_start = time.time()
    spark = Spark()
    duck_jobs, spark_jobs = queue.Queue(), queue.Queue()
    threads = [
        threading.Thread(
            target=worker,
            args=("duckdb+sqlglot", duck_jobs,
                  lambda e: duckdb_and_sqlglot(e, results[e["name"]], clock), clock, failures),
        ),
        threading.Thread(
            target=worker,
            args=("spark", spark_jobs,
                  lambda e: spark_half(spark, e, results[e["name"]], clock), clock, failures),
        ),
    ]
    for t in threads:
        t.start()
    for e in exports():
        # The result slots exist before either half writes into them.
        results[e["name"]] = {q["label"]: {} for q in e["queries"]}
        duck_jobs.put(e)
        spark_jobs.put(e)
    duck_jobs.put(None)
    spark_jobs.put(None)
    for t in threads:
        t.join()
    spark.stop()
    if failures:
        sys.exit("\n".join(failures))
    total = time.time() - t_start
    print(f"{len(results)} exports in {total:.1f}s ({clock.summary()}; Spark started in "
          f"{spark.started:.1f}s)", flush=True)
    with open(sys.argv[1], "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
