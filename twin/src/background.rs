//! Background spend in a twin: per account and service (and the Bedrock charges that are not
//! model calls, by usage-type family), `[[background]]` entries whose resources are sized from
//! the service's cost per resource-hour.

use curlab_generator::scenario::model::*;
use curlab_generator::{
    background_product_code as product_code, hourly_cost_usd, BACKGROUND_SERVICES as SERVICES,
};
use curlab_vocab::Granularity;

use crate::anon::Renamer;
use crate::profile::Profile;
use crate::specs::{region_name, sorted, top_tags};
use crate::write::Notes;

/// Background spend: resources sized from the cost per resource-hour of each service (the
/// Bedrock charges that are not model calls included).
pub(crate) fn build(
    p: &Profile,
    granularity: Granularity,
    r: &mut Renamer,
    acct: &dyn Fn(&str) -> String,
    file: &mut ScenarioFile,
    notes: &mut Notes,
    statements: &mut Vec<String>,
) {
    // Background spend: resources sized from the cost per resource-hour of each service.
    // Usage hours a row stands for: 1 (hourly), 24 (daily), a month's (monthly).
    let span = match granularity {
        Granularity::Hourly => 1.0,
        Granularity::Daily => 24.0,
        Granularity::Monthly => 730.0,
    };
    let hours = |bg: &crate::profile::BackgroundStats| bg.units.count().max(1) as f64 * span;
    for (src_account, by_code) in sorted(&p.background) {
        for (code, bg) in sorted(by_code) {
            let service = SERVICES
                .iter()
                .copied()
                .find(|s| product_code(*s) == code)
                .or_else(|| crate::bill_stats::charge_service(code));
            let Some(service) = service else {
                statements.push(format!(
                    "background spend of product `{code}` (${:.4}) has no background service in \
                     the scenario format; it is left out",
                    bg.cost
                ));
                continue;
            };
            let per = hourly_cost_usd(service) * hours(bg);
            let resources = if per > 0.0 {
                (bg.cost / per).round().clamp(1.0, 10_000.0) as u32
            } else {
                1
            };
            let region_code = bg
                .regions
                .iter()
                .max_by_key(|(c, n)| (**n, std::cmp::Reverse(**c)))
                .map_or("USE1", |(c, _)| *c);
            let resource_tags = top_tags(r, &bg.tags);
            notes.item(
                "background",
                file.background.len(),
                format!("inferred: ${:.2} over {} hours", bg.cost, hours(bg)),
            );
            file.background.push(BackgroundSpec {
                service,
                account: acct(src_account),
                region: region_name(region_code),
                resources,
                resource_tags,
                caller: None,
            });
        }
    }
}
