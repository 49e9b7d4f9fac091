//! Resolve a parsed scenario into a [`Plan`]: accounts, callers with their exact ARNs and
//! effective tags, request streams, activations. Every semantic check happens here, and each
//! problem names its place in the file.
//!
//! [`resolve`] runs the sections in a fixed order (the order problems are reported in):
//! `[export]` (`export`), `[organization]` (`accounts`), the tag maps, `[[models]]`
//! (`models`), the identities of every access pattern (`identities`, one module per
//! pattern under `patterns`), `[[workloads]]` and their streams (`workloads`),
//! `[[requests]]` (`requests`), `[[cost_allocation_tags]]` (`activations`),
//! `[[background]]` (`background`) and `[tax]`.

mod accounts;
mod activations;
mod background;
mod bill;
mod checks;
mod context;
mod export;
mod identities;
mod models;
mod patterns;
mod payers;
mod requests;
mod tags;
mod types;
mod users;
mod workloads;

pub use crate::time::{day_of, parse_instant, parse_month, rfc3339, Ts};
pub use patterns::AccessPattern;
pub use payers::{resolve_payers, split, PayerPlan, PayerScenario};
pub use types::{
    Account, ActivationPlan, AsOfPlan, BackgroundPlan, Caller, ExplicitRequest, ExportPlan,
    GatewayPlan, Period, Plan, Requester, Stream, Tags, TokenCounts, Workload,
};
pub use types::{AdjustmentPlan, DeliveryPass, DiscountPlan, ProfilePlan};

use crate::catalog;
use crate::scenario::model::ScenarioFile;
use crate::scenario::Problem;

use context::{root, Ctx};
use identities::Builder;

/// Resolve a parsed scenario. `scale` multiplies generated populations (users, sessions,
/// background resources); `seed` overrides the scenario's seed.
pub fn resolve(file: &ScenarioFile, seed: Option<u64>, scale: f64) -> Result<Plan, Vec<Problem>> {
    let mut cx = Ctx {
        file,
        problems: Vec::new(),
        seed: seed.unwrap_or(file.scenario.seed),
        scale,
    };
    let export = export::resolve_export(&mut cx);
    let (payer, accounts) = accounts::resolve_accounts(&mut cx);
    patterns::check_tags(&mut cx);
    background::check_tags(&mut cx);
    let models = catalog::with_overrides(&file.models);
    models::check_models(&mut cx, &models);
    let days = export
        .as_ref()
        .map(|e| days_of(&e.periods))
        .unwrap_or_default();
    let mut b = Builder::new(&accounts, file.assumptions.override_key_spelling, days);
    patterns::build(&mut cx, &mut b);
    let discounts = bill::resolve_discounts(&mut cx, &models);
    let profiles = bill::resolve_profiles(&mut cx, &accounts);
    let workloads = workloads::resolve_workloads(&mut cx, &models, export.as_ref(), &profiles);
    let streams = workloads::resolve_streams(&mut cx, &b);
    let explicit = requests::resolve_requests(&mut cx, &b, &models, export.as_ref());
    let activations = activations::resolve_activations(&mut cx);
    let background = background::resolve_background(&mut cx, &accounts, &b);
    if let Some(tax) = &file.tax {
        if !(0.0..=1.0).contains(&tax.rate) {
            cx.problem(
                root().key("tax").key("rate"),
                format!("tax rate {} is outside 0..1", tax.rate),
                "write a share, e.g. 0.08 for 8 %",
            );
        }
    }
    let adjustments = export
        .as_ref()
        .map(|e| bill::resolve_adjustments(&mut cx, &accounts, &payer, &e.periods))
        .unwrap_or_default();
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    let Some(export) = export else {
        return Err(cx.problems);
    };
    let Builder {
        mut callers,
        mut requesters,
        gateways,
        tag_sets,
        key_sets,
        ..
    } = b;
    // Vectors grown by doubling hold up to twice what they need (a plan lives for the run).
    callers.shrink_to_fit();
    requesters.shrink_to_fit();
    Ok(Plan {
        name: file.scenario.name.clone(),
        description: file.scenario.description.clone(),
        seed: cx.seed,
        export,
        assumptions: file.assumptions.clone(),
        payer,
        accounts,
        models,
        callers,
        tag_sets: tag_sets.values,
        key_sets: key_sets.values,
        requesters,
        workloads,
        streams,
        explicit,
        activations,
        gateways,
        background,
        tax: file.tax.clone(),
        discounts,
        adjustments,
        profiles,
        delivery: DeliveryPass::Latest,
    })
}

/// Days (since epoch) of the billing periods, in order.
fn days_of(periods: &[Period]) -> Vec<i64> {
    periods
        .iter()
        .flat_map(|p| (p.start / 86_400)..(p.end / 86_400))
        .collect()
}
