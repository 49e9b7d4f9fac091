//! CT004: the same line item twice in a billing period: the same `identity_line_item_id` in
//! the same `identity_time_interval`. The bounded-memory detection (hash partitions spilled to
//! temporary files) is in `facts/dupes.rs`.

use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::{Sample, Tally};
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{SqlCx, SqlForm, Violations};
use crate::sql::fragment::{id, rows, sample};

/// CT004.
pub struct DuplicateLineItem;

static META: RuleMeta = RuleMeta {
    code: "CT004",
    name: "duplicate-line-item",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    needs: Needs {
        columns: &[Col::LineItemId],
        aggregates: &[Aggregate::LineItemIds],
        ..Needs::NONE
    },
    summary: "the same line item (identity_line_item_id and identity_time_interval) occurs more than once in a billing period",
    checks: "Within one billing period, every (`identity_line_item_id`, `identity_time_interval`) pair occurs once. An id alone names a line item, not a row: AWS repeats it for every hour (or day) in which the line item has usage, so one id over many intervals is normal; the same id in the same interval twice is a duplicate. In a file without `identity_time_interval` (or a row with it blank) the row's `line_item_usage_start_date` and `line_item_usage_end_date` stand in for it; such rows never match rows that have an interval; without those too, the id alone is the key. Every occurrence after the first (in file and row order) is counted. Memory stays flat: the scan reduces each row to a 40-byte record (the 128-bit XXH3 digest of the id and interval, the period, file, row and cost) and sends it to one of 16–1,024 hash partitions by the digest's top bits; past about 260,000 rows per worker, full partition buffers are appended to temporary files in TMPDIR (40 bytes per row of disk, removed at the end). Both occurrences of a key in a period land in one partition, so after the scan each partition is checked on its own: sorted by (digest, period, file, row), the first record of each run of equal (digest, period) is the first occurrence and every other one a duplicate. The result is exact unless two different keys share a 128-bit digest: for n rows that chance is about n²/2^129 (10^-24 for ten million, 10^-21 for a billion); XXH3 is not cryptographic, so only a deliberately forged file could make that happen.",
    why: "Duplicated rows double count spend. They typically come from reading two refreshes of the same period (an old execution folder, a copied file) or from a faulty merge.",
    example: "Two rows with `identity_line_item_id = ggj6pdvt…c6xa` and `identity_time_interval = 2026-04-20T10:00:00Z/2026-04-20T11:00:00Z` in `BILLING_PERIOD=2026-04` (the same id at 11:00–12:00 is the line item's next hour, not a duplicate).",
    fix: "Read only the files the period's manifest lists (the latest execution folder); remove stray copies from the period folder.",
    sql: SqlForm::Query(sql),
};

impl Rule for DuplicateLineItem {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        for d in &agg.duplicates {
            let file = ctx.files.get(d.pos.0).map(|f| f.file.display.clone());
            let mut values = vec![("billing_period", d.period.as_str())];
            if let Some(t) = &d.interval {
                values.push(("identity_time_interval", t.as_str()));
            }
            out.hit(
                d.pos.0,
                d.cost,
                Sample {
                    file,
                    row: Some(d.pos.1),
                    identity_line_item_id: d.id.clone(),
                    values: crate::finding::values(values),
                },
            );
        }
    }
}

/// The SQL form: every occurrence of a line item (identity_line_item_id and identity_time_interval) after
/// the first within a billing period.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let period = format!(
        "coalesce(billing_period, {})",
        d.to_str(&d.month_floor_ms("period_start"))
    );
    // The line item's key: id and interval; without an interval, the usage start and end (as
    // epoch ms, marked so they never equal an interval's text), as the native check does.
    let when = format!(
        "coalesce(time_interval, 'usage:' || coalesce({}, '') || '/' || coalesce({}, ''))",
        d.to_str("start_ms"),
        d.to_str("end_ms")
    );
    rows(format!(
        "SELECT count(*) - 1 AS n, {s} AS sample\nFROM base\nWHERE line_item_id IS NOT NULL\nGROUP BY {period}, line_item_id, {when}\nHAVING count(*) > 1",
        s = sample(d, &[id(), ("identity_time_interval", "min(time_interval)".into()), ("billing_period", period.clone()), ("occurrences", d.to_str("count(*)"))]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::Row;
    use crate::rules::testkit::*;

    #[test]
    fn one_id_over_many_hours_is_one_line_item() {
        let hours: Vec<String> = (0..5)
            .map(|h| format!("2026-04-20T{h:02}:00:00Z/2026-04-20T{:02}:00:00Z", h + 1))
            .collect();
        let rows: Vec<Row> = hours
            .iter()
            .enumerate()
            .map(|(i, t)| Row {
                row: i as u64 + 1,
                time_interval: Some(t.as_str()),
                start: ts(&t[..20]),
                end: ts(&t[21..]),
                ..inference()
            })
            .collect();
        assert_eq!(run(&DuplicateLineItem, &rows, &ctx()).count, 0);
        let again = Row {
            row: 9,
            ..rows[2].clone()
        };
        let t = run(&DuplicateLineItem, &[rows, vec![again]].concat(), &ctx());
        assert_eq!(t.count, 1, "the same id in the same hour twice");
        assert_eq!(t.samples().next().unwrap().row, Some(9));
    }

    #[test]
    fn without_an_interval_usage_start_and_end_stand_in() {
        let at = |h: &str| Row {
            time_interval: None,
            start: ts(&format!("2026-04-20T{h}:00:00Z")),
            ..inference()
        };
        let next = Row {
            row: 2,
            end: ts("2026-04-20T12:00:00Z"),
            ..at("11")
        };
        assert_eq!(run(&DuplicateLineItem, &[at("10"), next], &ctx()).count, 0);
        let again = Row { row: 3, ..at("10") };
        assert_eq!(run(&DuplicateLineItem, &[at("10"), again], &ctx()).count, 1);
    }

    #[test]
    fn fires_on_repeated_id() {
        assert_eq!(
            run(&DuplicateLineItem, &[inference(), ec2()], &ctx()).count,
            0
        );
        let again = Row {
            row: 7,
            ..inference()
        };
        let t = run(&DuplicateLineItem, &[again, inference()], &ctx());
        assert_eq!(t.count, 1);
        assert_eq!(t.samples().next().unwrap().row, Some(7));
    }
}
