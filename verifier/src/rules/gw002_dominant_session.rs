//! GW002: one assumed-role session carries most of an account's Bedrock spend (heuristic).

use std::collections::BTreeMap;
use curlab_vocab::arn::{IdentityKind, parse_principal};

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs, Spend};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use curlab_vocab::Money;
use crate::finding::usd;
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::{Cte, SqlCx, SqlForm, Violations};
use crate::sql::fragment::{ASSUMED_ROLE_RE, sample};

/// GW002.
pub struct DominantSession;

/// Share of an account's attributed Bedrock spend above which one session is suspicious.
pub const SPEND_SHARE: f64 = 0.8;
/// Smallest spend (USD) of the session for the warning, unless its row share is high.
pub const MIN_SPEND: f64 = 1.0;
/// Row share that makes a small-spend session count anyway.
pub const ROW_SHARE: f64 = 0.5;
/// Fewest Bedrock rows of the session (a few hours of traffic, not a one-off test).
pub const MIN_ROWS: u64 = 10;

static META: RuleMeta = RuleMeta {
    code: "GW002",
    name: "dominant-role-session",
    family: Family::Gateway,
    severity: Severity::Warning,
    applies: Applicability::NoTruthNorPolicy {
        instead: "GW001 (truth) and PO002 (policy)",
    },
    needs: Needs {
        columns: &[Col::Principal, Col::UsageAccount],
        aggregates: &[Aggregate::Spend],
        ..Needs::NONE
    },
    summary: "one assumed-role session carries most of an account's Bedrock spend (what a gateway calling Bedrock with one shared identity looks like; a single application looks the same)",
    checks: "A heuristic, run only without --truth and --policy (then GW001/PO002 decide). Per usage account, over Bedrock inference rows with a principal: warns when one assumed-role ARN (not an Identity Center session) carries more than 80 % of the account's attributed spend, that spend is at least $1.00 or covers at least 50 % of the account's attributed rows, and the session has at least 10 Bedrock rows (sustained traffic, not a one-off test). An account whose only Bedrock caller is one application session also matches: that is expected for a dedicated app account, and the fix below says how to silence it.",
    why: "A gateway (LiteLLM, Kong, a homegrown proxy) that calls Bedrock with its own role session makes all users' spend look like one identity; per-user chargeback from CUR is then impossible.",
    example: "`arn:aws:sts::111122223333:assumed-role/LiteLLMTaskRole/4f1c…` carries $950 of the account's $1,000 Bedrock spend.",
    fix: "If the session is a gateway, make it AssumeRole per end user with session tags (see GW001). If it is a single application, this is expected: pass --policy or --truth, or --ignore GW002.",
    sql: SqlForm::Query(sql),
};

impl Rule for DominantSession {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn finish(&self, agg: &Aggregates, _ctx: &Ctx, out: &mut Tally) {
        let mut accounts: BTreeMap<&str, Vec<(&str, Spend)>> = BTreeMap::new();
        for (acct, p, s) in agg
            .spend
            .iter()
            .flat_map(|(a, m)| m.iter().map(move |(p, s)| (a, p, s)))
        {
            if !p.is_empty() {
                accounts
                    .entry(&**acct)
                    .or_default()
                    .push((&**p, *s));
            }
        }
        for (ai, (acct, principals)) in accounts.iter().enumerate() {
            let total: Money = (principals.iter().map(|(_, s)| s.cost)).sum::<Money>();
            let rows: u64 = principals.iter().map(|(_, s)| s.rows).sum();
            if total <= Money::ZERO {
                continue;
            }
            for (p, s) in principals {
                let is_session =
                    parse_principal(p).is_ok_and(|a| a.kind == IdentityKind::AssumedRole);
                let share = s.cost.share_of(total);
                let row_share = s.rows as f64 / rows.max(1) as f64;
                if is_session
                    && s.rows >= MIN_ROWS
                    && share > SPEND_SHARE
                    && (s.cost.to_usd() >= MIN_SPEND || row_share >= ROW_SHARE)
                {
                    out.hit_n(
                        1,
                        ai,
                        Some(s.cost.to_usd()),
                        export_sample(
                            None,
                            [
                                ("line_item_usage_account_id", acct.to_string()),
                                ("line_item_iam_principal", p.to_string()),
                                ("share", format!("{:.1} %", share * 100.0)),
                                ("cost", usd(s.cost.to_usd())),
                                ("account_principals", principals.len().to_string()),
                            ],
                        ),
                    );
                }
            }
        }
    }
}

/// The SQL form: per usage account, an assumed-role session with over 80 % of the attributed spend,
/// at least 10 rows and $1.00 or half the rows; one per (account, session).
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let min_e10 = Money::from_usd(MIN_SPEND).e10();
    let sessions = format!(
        "SELECT usage_account, principal, e10, row_count FROM spend\n  WHERE principal IS NOT NULL AND {} AND substr(split_part(split_part(principal, ':', 6), '/', 2), 1, 15) <> 'AWSReservedSSO_'",
        d.regex("principal", ASSUMED_ROLE_RE)
    );
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM (\n  {sessions}\n) p\nJOIN (\n  SELECT usage_account AS account, sum(e10) AS total_e10, sum(row_count) AS total_rows\n  FROM spend WHERE principal IS NOT NULL GROUP BY usage_account\n) a ON a.account = p.usage_account\nWHERE a.total_e10 > 0 AND p.row_count >= {min_rows}\n  AND {share} > {spend_share}\n  AND (p.e10 >= {min_e10} OR {row_share} >= {row_share_min})",
            s = sample(d, &[("line_item_usage_account_id", "p.usage_account".into()), ("line_item_iam_principal", "p.principal".into()), ("e10", d.to_str("p.e10")), ("account_e10", d.to_str("a.total_e10"))]),
            min_rows = MIN_ROWS,
            share = d.ratio("p.e10", "a.total_e10"),
            spend_share = d.dbl(SPEND_SHARE),
            row_share = d.ratio("p.row_count", "greatest(a.total_rows, 1)"),
            row_share_min = d.dbl(ROW_SHARE),
        ),
        uses: &[Cte::Spend],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::Row;
    use crate::rules::testkit::*;

    #[test]
    fn warns_on_dominant_session() {
        let alice = inference();
        let gw = Row {
            principal: Some("arn:aws:sts::111122223333:assumed-role/Gw/task-1"),
            cost: Some(5.0),
            ..inference()
        };
        let small = Row {
            cost: Some(0.05),
            ..gw.clone()
        };
        let mut rows = vec![alice.clone()];
        rows.extend(std::iter::repeat_n(small, 10));
        assert_eq!(run(&DominantSession, &rows, &ctx()).count, 0);
        let few = vec![alice.clone(), gw.clone(), gw.clone()];
        assert_eq!(run(&DominantSession, &few, &ctx()).count, 0);
        let mut rows = vec![alice];
        rows.extend(std::iter::repeat_n(gw, 10));
        assert_eq!(run(&DominantSession, &rows, &ctx()).count, 1);
    }
}
