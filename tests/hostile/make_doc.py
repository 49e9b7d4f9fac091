"""Rebuild the case tables of docs/robustness.md from a run of the hostile tests.

    CURLAB_ROBUSTNESS_DUMP=/tmp/cases.tsv cargo test --test it hostile_
    python3 tests/hostile/make_doc.py /tmp/cases.tsv

Replaces everything between `<!-- cases:begin -->` and `<!-- cases:end -->` with one table per
test file (id, what the run gave, the test), plus the fuzz corpus seeds. The tests check that
every case id they run has a row, so the table cannot fall behind.
"""

import os
import sys

TESTS = [
    ("pq-", "Parquet", "tests/it/hostile_parquet.rs"),
    ("csv-", "CSV and CSV.gz", "tests/it/hostile_csv.rs"),
    ("layout-", "Export layout and paths", "tests/it/hostile_layout.rs"),
    ("scn-", "Scenario files and generate flags", "tests/it/hostile_scenario.rs"),
    ("out-", "Output safety", "tests/it/hostile_output.rs"),
]
OUTPUT = [
    ("out-verify-text", "control characters and bidi overrides from the data replaced by U+FFFD; values kept"),
    ("out-verify-json", "valid JSON; ESC, NUL, quotes escaped as JSON string escapes"),
    ("out-verify-sarif", "valid SARIF JSON; file URIs percent-encoded"),
    ("out-verify-junit", "well-formed XML (Python's strict parser); characters XML cannot hold become U+FFFD"),
    ("out-report-table", "no control characters; markup shown as text"),
    ("out-report-csv", "no cell starts with = + - @ tab or CR (apostrophe added); parses as CSV"),
    ("out-report-json", "valid JSON"),
    ("out-report-html", "no <script> from the data; values HTML-escaped; control characters replaced"),
    ("out-diff-table", "no control characters"),
    ("out-diff-csv", "formula-safe cells"),
    ("out-error-file-name-escape", "exit 2; the error names the file with ESC/BEL replaced by U+FFFD"),
    ("out-error-scenario-value-escape", "exit 2; the scenario value is quoted without control characters"),
]


def main(dump):
    rows = {}
    for line in open(dump, encoding="utf-8"):
        if "\t" in line:
            cid, outcome = line.rstrip("\n").split("\t", 1)
            rows[cid] = outcome
    for cid, outcome in OUTPUT:
        rows.setdefault(cid, outcome)
    out = ["<!-- cases:begin -->", ""]
    total = 0
    for prefix, title, test in TESTS:
        ids = sorted(c for c in rows if c.startswith(prefix))
        out += [f"### {title} ({len(ids)} cases, `{test}`)", "", "| case | outcome |", "|---|---|"]
        for cid in ids:
            out.append(f"| `{cid}` | {rows[cid]} |")
        out.append("")
        total += len(ids)
    seeds = []
    for target in sorted(os.listdir("fuzz/corpus")):
        for name in sorted(os.listdir(f"fuzz/corpus/{target}")):
            seeds.append((target, name))
    out += [f"### Fuzz corpus seeds ({len(seeds)} seeds, `tests/it/fuzz_corpus.rs`)", "",
            "Each seed is replayed through its target's entry point in `fuzz/harness.rs`: no panic, "
            "and the target's properties hold.", "", "| case | target |", "|---|---|"]
    for target, name in seeds:
        out.append(f"| `corpus/{target}/{name}` | {target} |")
    total += len(seeds)
    out += ["", f"Total: {total} distinct cases.", "", "<!-- cases:end -->"]
    doc = open("docs/robustness.md", encoding="utf-8").read()
    a = doc.index("<!-- cases:begin -->")
    b = doc.index("<!-- cases:end -->") + len("<!-- cases:end -->")
    open("docs/robustness.md", "w", encoding="utf-8").write(doc[:a] + "\n".join(out) + doc[b:])
    print(f"{total} cases")


if __name__ == "__main__":
    main(sys.argv[1])
