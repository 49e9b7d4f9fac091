//! PO002: a gateway role that must use per-user sessions does not.

use std::collections::BTreeMap;
use curlab_vocab::arn::{IdentityKind, parse_principal};

use super::shared::export_sample;
use crate::context::Ctx;
use crate::facts::{Aggregate, Aggregates, Needs};
use crate::finding::Tally;
use crate::meta::{Applicability, Family, RuleMeta, Severity};
use crate::money::to_dollars;
use crate::read::Col;
use crate::rule::Rule;
use crate::sql::form::SqlForm;

/// PO002.
pub struct GatewaySessions;

static META: RuleMeta = RuleMeta {
    code: "PO002",
    name: "gateway-without-per-user-sessions",
    family: Family::Policy,
    severity: Severity::Error,
    applies: Applicability::Policy,
    needs: Needs {
        columns: &[Col::Principal, Col::UnblendedCost],
        aggregates: &[Aggregate::Spend],
        ..Needs::NONE
    },
    summary: "a gateway role of the policy carries its Bedrock spend on too few sessions",
    checks: "For each `[[gateway]]` of the policy: over the assumed-role sessions whose role name matches one of its `roles` globs, when they carry Bedrock spend there are at least `min_sessions` distinct sessions (default 2) and no session carries more than `max_session_share` of it (default 0.5).",
    why: "A gateway that reuses one fixed session (or its own task role) for every user makes per-user chargeback impossible; the policy demands per-user AssumeRole.",
    example: "`roles = [\"LiteLLM*\"]`; all spend is on `assumed-role/LiteLLMInvoke/litellm`.",
    fix: "Configure the gateway to call AssumeRole per end user with RoleSessionName = user id and session tags.",
    sql: SqlForm::NativeOnly("matches role names against the policy's globs (the glob crate's semantics, including `**` and character classes), which SQL LIKE/regex do not reproduce exactly"),
};

impl Rule for GatewaySessions {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn skip_reason(&self, ctx: &Ctx) -> Option<String> {
        ctx.policy
            .as_ref()
            .is_some_and(|p| p.gateways.is_empty())
            .then(|| "the policy has no [[gateway]] table".to_string())
    }

    fn finish(&self, agg: &Aggregates, ctx: &Ctx, out: &mut Tally) {
        let Some(p) = &ctx.policy else { return };
        let actual = agg.by_principal();
        for (gi, g) in p.gateways.iter().enumerate() {
            let patterns: Vec<glob::Pattern> = g
                .roles
                .iter()
                .filter_map(|r| glob::Pattern::new(r).ok())
                .collect();
            let sessions: BTreeMap<&str, i128> = actual
                .iter()
                .filter(|(arn, _)| {
                    parse_principal(arn).is_ok_and(|a| {
                        a.kind == IdentityKind::AssumedRole
                            && patterns.iter().any(|pt| pt.matches(a.name))
                    })
                })
                .map(|(arn, s)| (*arn, s.nanos))
                .collect();
            let total: i128 = crate::money::sum(sessions.values().copied());
            if total <= 0 {
                continue;
            }
            let (top, top_nanos) = sessions
                .iter()
                .max_by_key(|(_, n)| **n)
                .map(|(a, n)| (*a, *n))
                .unwrap_or(("", 0));
            let share = top_nanos as f64 / total as f64;
            if (sessions.len() as u64) < g.min_sessions() || share > g.max_share() {
                out.hit_n(
                    1,
                    gi,
                    Some(to_dollars(total)),
                    export_sample(
                        None,
                        [
                            ("gateway", g.name.clone()),
                            ("sessions", sessions.len().to_string()),
                            ("top_session", top.to_string()),
                            ("top_share", format!("{:.1} %", share * 100.0)),
                        ],
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{GatewayPolicy, Policy};
    use crate::row::Row;
    use crate::rules::testkit::*;

    #[test]
    fn fires_on_single_session() {
        let mut c = ctx();
        c.policy = Some(Policy {
            gateways: vec![GatewayPolicy {
                name: "gw".into(),
                roles: vec!["Bedrock*".into()],
                max_session_share: None,
                min_sessions: None,
            }],
            ..Default::default()
        });
        let a = Row {
            principal: Some("arn:aws:sts::111122223333:assumed-role/BedrockInvoke/alice"),
            ..inference()
        };
        let b = Row {
            principal: Some("arn:aws:sts::111122223333:assumed-role/BedrockInvoke/bob"),
            ..inference()
        };
        assert_eq!(run(&GatewaySessions, &[a.clone(), b], &c).count, 0);
        assert_eq!(run(&GatewaySessions, &[a], &c).count, 1);
    }
}
