//! `[[requests]]`: explicit requests, for exact rows. Each names exactly one caller.

use std::collections::BTreeSet;

use curlab_vocab::bedrock::{self, ServiceTier, TokenType};

use crate::catalog::{self, Model};
use crate::time::parse_instant;

use super::context::{root, Ctx};
use super::identities::{select, Builder};
use super::types::{ExplicitRequest, ExportPlan};

/// Resolve the explicit requests, sorted by time.
pub(crate) fn resolve_requests(
    cx: &mut Ctx<'_>,
    b: &Builder<'_>,
    models: &[Model],
    export: Option<&ExportPlan>,
) -> Vec<ExplicitRequest> {
    let mut out = Vec::new();
    for (i, r) in cx.file.requests.iter().enumerate() {
        let p = root().key("requests").index(i);
        let Some(ts) = parse_instant(&r.time) else {
            cx.problem(
                p.key("time"),
                format!("`{}` is not a time", r.time),
                "write RFC 3339, e.g. \"2026-04-20T10:15:00Z\"",
            );
            continue;
        };
        // A period that failed to parse is already reported; judging times against the
        // remaining ones would add a misleading second problem per request.
        let periods_ok =
            export.is_some_and(|e| e.periods.len() == cx.file.export.billing_periods.len());
        if let (Some(e), true) = (export, periods_ok) {
            if !e.periods.iter().any(|per| ts >= per.start && ts < per.end) {
                cx.problem(
                    p.key("time"),
                    format!("{} is outside the billing periods", r.time),
                    "move the request into a listed billing period or add its month",
                );
            }
        }
        let requesters = select(cx, b, &r.principal, p.key("principal"));
        let callers: BTreeSet<usize> = requesters
            .iter()
            .flat_map(|q| b.requesters[*q].callers.iter().map(|(c, _)| *c))
            .collect();
        let caller = match callers.len() {
            0 => continue,
            1 => callers.into_iter().next().unwrap_or(0),
            n => {
                cx.problem(
                    p.key("principal"),
                    format!(
                        "`{}` matches {n} principals; an explicit request needs exactly one",
                        r.principal
                    ),
                    "name one session, e.g. role:Role-1/session-123",
                );
                continue;
            }
        };
        let Some(model) = models.iter().position(|m| m.id == r.model) else {
            cx.problem(
                p.key("model"),
                format!("unknown model `{}`", r.model),
                "use a catalogue id such as claude-sonnet-4.6",
            );
            continue;
        };
        let Some(region_code) = bedrock::region_code(&r.region) else {
            cx.problem(
                p.key("region"),
                format!("unknown region `{}`", r.region),
                "use e.g. us-east-1",
            );
            continue;
        };
        let tokens = [
            r.input_tokens,
            r.output_tokens,
            r.cache_read_tokens,
            r.cache_write_tokens,
            r.cache_write_1h_tokens,
        ];
        if tokens.iter().any(|t| *t > 1_000_000_000) {
            cx.problem(
                p.clone(),
                "more than 10^9 tokens in one request",
                "split it; one request carries at most a few million tokens",
            );
        }
        for (t, n) in TokenType::ALL.iter().zip(tokens) {
            if n > 0 && models[model].base_price(*t).is_none() {
                cx.problem(
                    p.clone(),
                    format!("{} has no {} price", models[model].display_name, t.as_str()),
                    "remove those tokens or add the price under [[models]]",
                );
            }
        }
        if let Some((msg, hint)) = catalog::tier_problem(models, &models[model], r.service_tier) {
            cx.problem(p.key("service_tier"), msg, hint);
        } else if r.batch && r.service_tier != ServiceTier::Standard {
            cx.problem(
                p.key("batch"),
                "a batch request in the priority or flex tier: batch inference is a tier of its own",
                "set batch = false or service_tier = \"standard\"",
            );
        }
        if !b.callers[caller].exists_on(ts / 86_400) {
            cx.problem(
                p.key("time"),
                "the batch-job session does not exist on that day",
                "pick the job session of the request's day",
            );
        }
        out.push(ExplicitRequest {
            ts,
            caller,
            model,
            region: r.region.clone(),
            region_code,
            tokens,
            streaming: r.streaming,
            batch: r.batch,
            global: r.global,
            tier: r.service_tier,
        });
    }
    out.sort_by_key(|r| r.ts);
    out
}
