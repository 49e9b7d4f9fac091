//! GW001: spend that should be per user shows a single gateway identity.

use std::collections::BTreeMap;
use curlab_vocab::arn::{IdentityKind, parse_principal};

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::money::{TOLERANCE_NANOS, to_dollars, usd};
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::dialect::Dialect;
use crate::sql::form::{Cte, SqlCx, SqlForm, Violations};
use crate::sql::fragment::{ASSUMED_ROLE_RE, sample, values_table};

/// GW001.
pub struct GatewayCollapsed;

static META: RuleMeta = RuleMeta {
    code: "GW001",
    name: "gateway-collapsed",
    family: Family::Gateway,
    severity: Severity::Error,
    applies: Applicability::Truth,
    needs: Needs {
        columns: &[Col::Principal],
        aggregates: &[Aggregate::Spend],
        ..Needs::NONE
    },
    summary: "Bedrock spend of a per-user gateway lands on a single gateway identity",
    checks: "For each truth gateway with `per_user_sessions = true`: no Bedrock spend (over $0.005) is on sessions of its execution role, and its invocation role shows at least half as many distinct sessions as expected (the invocation-role sessions of truth `by_principal`, else `expected_principals`). With only a policy file, gateway roles are checked by PO002 instead.",
    why: "A gateway that calls Bedrock with its own role (or one fixed session) makes every user's spend look like the gateway's; per-user chargeback from CUR becomes impossible.",
    example: "All LiteLLM traffic on `assumed-role/LiteLLMTaskRole/ecs-task-1` although the gateway should assume `BedrockInvoke/<user>` per user.",
    fix: "Configure the gateway to call AssumeRole per end user (RoleSessionName = user id, session tags = user/team) on a Bedrock invocation role, and cache the credentials per user.",
    sql: SqlForm::Query(sql),
};

fn role_name(arn: &str) -> Option<String> {
    parse_principal(arn).ok().map(|a| a.name.to_string())
}

impl Rule for GatewayCollapsed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        match &ctx.truth {
            Some(t) if t.gateways.iter().any(|g| g.per_user_sessions) => None,
            Some(_) => Some("the truth file has no gateway with per_user_sessions".into()),
            None => None,
        }
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(truth) = &ctx.truth else { return };
        let actual = agg.by_principal();
        for (gi, g) in truth
            .gateways
            .iter()
            .enumerate()
            .filter(|(_, g)| g.per_user_sessions)
        {
            let (Some(inv), exec) = (
                role_name(&g.invocation_role_arn),
                role_name(&g.execution_role_arn),
            ) else {
                continue;
            };
            let sessions_of =
                |principals: &mut dyn Iterator<Item = &str>, role: &str| -> Vec<String> {
                    principals
                        .filter_map(|p| parse_principal(p).ok().map(|a| (p, a)))
                        .filter(|(_, a)| {
                            a.kind == IdentityKind::AssumedRole
                                && a.name == role
                                && (g.account.is_empty() || a.account == g.account)
                        })
                        .map(|(p, _)| p.to_string())
                        .collect()
                };
            let observed: BTreeMap<String, i128> = sessions_of(&mut actual.keys().copied(), &inv)
                .into_iter()
                .map(|p| {
                    let n = actual.get(p.as_str()).map(|s| s.nanos).unwrap_or(0);
                    (p, n)
                })
                .collect();
            let exec_nanos: i128 = exec
                .as_deref()
                .map(|e| {
                    crate::money::sum(
                        sessions_of(&mut actual.keys().copied(), e)
                            .iter()
                            .map(|p| actual[p.as_str()].nanos),
                    )
                })
                .unwrap_or(0);
            let truth_sessions =
                sessions_of(&mut truth.by_principal.keys().map(String::as_str), &inv).len() as u64;
            let expected = if truth_sessions > 0 {
                truth_sessions
            } else {
                g.expected_principals
            };
            let too_few = expected >= 2 && (observed.len() as u64) * 2 < expected;
            if exec_nanos > TOLERANCE_NANOS || too_few {
                let top = observed
                    .iter()
                    .max_by_key(|(_, n)| **n)
                    .map(|(p, _)| p.clone())
                    .unwrap_or_default();
                out.hit_n(
                    1,
                    gi,
                    Some(to_dollars(crate::money::add(
                        exec_nanos,
                        crate::money::sum(observed.values().copied()),
                    ))),
                    export_sample(
                        None,
                        [
                            ("gateway", g.name.clone()),
                            ("expected_sessions", expected.to_string()),
                            ("observed_sessions", observed.len().to_string()),
                            ("execution_role_cost", usd(to_dollars(exec_nanos))),
                            ("top_session", top),
                        ],
                    ),
                );
            }
        }
    }
}

/// The role name and account of a principal matched by [`ASSUMED_ROLE_RE`], excluding
/// Identity Center sessions (`IdentityKind::AssumedRole` only).
fn assumed_role_sessions(d: Dialect, from: &str) -> String {
    format!(
        "SELECT principal, nanos, split_part(split_part(principal, ':', 6), '/', 2) AS role_name, split_part(principal, ':', 5) AS account\n  FROM {from}\n  WHERE {re} AND substr(split_part(split_part(principal, ':', 6), '/', 2), 1, 15) <> 'AWSReservedSSO_'",
        re = d.regex("principal", ASSUMED_ROLE_RE),
    )
}

/// The SQL form: a per-user gateway of the truth whose execution role carries Bedrock spend, or
/// whose invocation role shows fewer than half the expected sessions; one per gateway.
fn sql(cx: &SqlCx<'_>) -> Violations {
    let d = cx.d;
    let mut gateways = Vec::new();
    if let Some(truth) = &cx.ctx.truth {
        for (gi, g) in truth
            .gateways
            .iter()
            .enumerate()
            .filter(|(_, g)| g.per_user_sessions)
        {
            let Some(inv) = role_name(&g.invocation_role_arn) else {
                continue;
            };
            let exec = role_name(&g.execution_role_arn);
            // Expected sessions: the invocation-role sessions of the truth's by_principal.
            let truth_sessions = truth
                .by_principal
                .keys()
                .filter_map(|p| parse_principal(p).ok())
                .filter(|a| {
                    a.kind == IdentityKind::AssumedRole
                        && a.name == inv
                        && (g.account.is_empty() || a.account == g.account)
                })
                .count() as u64;
            let expected = if truth_sessions > 0 {
                truth_sessions
            } else {
                g.expected_principals
            };
            gateways.push(vec![
                gi.to_string(),
                d.lit(&g.name),
                d.lit(&inv),
                exec.map_or_else(|| format!("CAST(NULL AS {})", d.varchar()), |e| d.lit(&e)),
                d.lit(&g.account),
                expected.to_string(),
            ]);
        }
    }
    let gw = values_table(
        d,
        "g",
        &[
            ("gi", "INTEGER"),
            ("name", "VARCHAR"),
            ("invocation_role", "VARCHAR"),
            ("execution_role", "VARCHAR"),
            ("account", "VARCHAR"),
            ("expected", "BIGINT"),
        ],
        &gateways,
    );
    Violations {
        sql: format!(
            "SELECT 1 AS n, {s} AS sample\nFROM (\n  SELECT g.gi, g.name, g.expected,\n    count(DISTINCT CASE WHEN s.role_name = g.invocation_role THEN s.principal END) AS observed,\n    coalesce(sum(CASE WHEN s.role_name = g.execution_role THEN s.nanos END), 0) AS execution_nanos\n  FROM {gw}\n  LEFT JOIN (\n  {sessions}\n  ) s ON (g.account = '' OR s.account = g.account)\n  GROUP BY g.gi, g.name, g.expected\n) t\nWHERE execution_nanos > {TOLERANCE_NANOS} OR (expected >= 2 AND observed * 2 < expected)",
            s = sample(d, &[("gateway", "name".into()), ("expected_sessions", d.to_str("expected")), ("observed_sessions", d.to_str("observed")), ("execution_role_nanos", d.to_str("execution_nanos"))]),
            sessions = assumed_role_sessions(d, "principals"),
        ),
        uses: &[Cte::Spend, Cte::Principals],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::Row;
    use crate::rules::testkit::*;
    use curlab_vocab::truth::{Truth, TruthGateway};

    fn truth_ctx() -> Ctx {
        let mut c = ctx();
        c.truth = Some(Truth {
            gateways: vec![TruthGateway {
                name: "litellm".into(),
                account: "111122223333".into(),
                per_user_sessions: true,
                invocation_role_arn: "arn:aws:iam::111122223333:role/BedrockInvoke".into(),
                execution_role_arn: "arn:aws:iam::111122223333:role/LiteLLMTask".into(),
                expected_principals: 2,
            }],
            ..Default::default()
        });
        c
    }

    #[test]
    fn fires_when_execution_role_carries_spend() {
        let c = truth_ctx();
        let a = Row {
            principal: Some("arn:aws:sts::111122223333:assumed-role/BedrockInvoke/alice"),
            ..inference()
        };
        let b = Row {
            principal: Some("arn:aws:sts::111122223333:assumed-role/BedrockInvoke/bob"),
            ..inference()
        };
        assert_eq!(run(&GatewayCollapsed, &[a, b], &c).count, 0);
        let gw = Row {
            principal: Some("arn:aws:sts::111122223333:assumed-role/LiteLLMTask/task-1"),
            ..inference()
        };
        assert_eq!(run(&GatewayCollapsed, &[gw], &c).count, 1);
    }
}
