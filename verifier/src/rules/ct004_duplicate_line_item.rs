//! CT004: the same line item twice in a billing period. The bounded-memory detection (hash
//! partitions spilled to temporary files) is in [`crate::dupes`].

use super::{Aggregates, Ctx, Rule};
use crate::finding::{Sample, Tally};
use crate::meta::*;

/// CT004.
pub struct DuplicateLineItem;

static META: RuleMeta = RuleMeta {
    code: "CT004",
    name: "duplicate-line-item",
    family: Family::Cost,
    severity: Severity::Error,
    applies: Applicability::Always,
    columns: &["identity_line_item_id"],
    summary: "an identity_line_item_id occurs more than once in a billing period",
    checks: "Within one billing period, every `identity_line_item_id` occurs once (ids are unique per partition, not across refreshes). Every occurrence after the first (in file and row order) is counted. Memory stays flat: the scan reduces each row to a 40-byte record (the 128-bit XXH3 digest of the id, the period, file, row and cost) and sends it to one of 16–1,024 hash partitions by the digest's top bits; past about 260,000 rows per worker, full partition buffers are appended to temporary files in TMPDIR (40 bytes per row of disk, removed at the end). Both occurrences of an id in a period land in one partition, so after the scan each partition is checked on its own: sorted by (digest, period, file, row), the first record of each run of equal (digest, period) is the first occurrence and every other one a duplicate. The result is exact unless two different ids share a 128-bit digest: for n ids that chance is about n²/2^129 (10^-24 for ten million ids, 10^-21 for a billion); XXH3 is not cryptographic, so only a deliberately forged file could make that happen.",
    why: "Duplicated rows double count spend. They typically come from reading two refreshes of the same period (an old execution folder, a copied file) or from a faulty merge.",
    example: "Two rows with `identity_line_item_id = ggj6pdvt…c6xa` in `BILLING_PERIOD=2026-04`.",
    fix: "Read only the files the period's manifest lists (the latest execution folder); remove stray copies from the period folder.",
    sql: crate::sql::SqlForm::Query(crate::sql::rules::ct004),
};

impl Rule for DuplicateLineItem {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        for d in &agg.duplicates {
            let file = ctx.files.get(d.pos.0).map(|f| f.file.display.clone());
            out.hit(
                d.pos.0,
                d.cost,
                Sample {
                    file,
                    row: Some(d.pos.1),
                    identity_line_item_id: d.id.clone(),
                    values: crate::finding::values([("billing_period", d.period.as_str())]),
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::Row;
    use crate::rules::testkit::*;

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
