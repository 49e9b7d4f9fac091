//! The rest of the bill in a twin: application inference profiles (from
//! `line_item_resource_id`), discount programmes as observed rates, credits and refunds as
//! `[[adjustments]]`, and the Bedrock charges that are not model calls (Provisioned
//! Throughput, Reserved tier, guardrails, rerank, prompt-cache storage, AgentCore) as `[[background]]` services.
//!
//! Discounts are read from the separate `EdpDiscount` / `PrivateRateDiscount` rows: the EDP
//! rate is −Σ EDP discount / Σ unblended of the inference rows of the usage types the EDP
//! rows name, a private rate the same per model. The `discount` map is not read (the reading
//! layer has no map-of-numbers path); an export without discount rows whose net cost is below
//! its unblended cost (`map-only`) gets its discount per model as private rates, and says it
//! cannot tell EDP from private rates.

use std::collections::BTreeMap;
use std::sync::Arc;

use curlab_generator::scenario::model::*;

use crate::anon::Renamer;
pub use crate::bill_stats::{
    charge, charge_service, AdjustmentKey, BillStats, ProfileStats, CHARGES,
};
use crate::profile::{Map, Profile};
use crate::write::Notes;

/// A percentage in steps of 0.01, as the scenario takes it.
fn percent(discount: f64, base: f64) -> f64 {
    if base <= 0.0 {
        return 0.0;
    }
    ((-discount / base) * 10_000.0).round() / 100.0
}

/// The application inference profiles, discounts and adjustments of a profile, written into
/// `file`. `model_id` names a profile's model key in the scenario; `acct` renames an account.
/// Returns the profile name for each profile ARN, for the workloads that call through them.
pub fn build(
    p: &Profile,
    r: &mut Renamer,
    acct: &dyn Fn(&str) -> String,
    model_id: &mut dyn FnMut(&str) -> Option<String>,
    file: &mut ScenarioFile,
    notes: &mut Notes,
    statements: &mut Vec<String>,
) -> Map<Arc<str>, String> {
    let b = &p.bill;
    let mut names = Map::default();
    let mut arns: Vec<&Arc<str>> = b.profiles.keys().collect();
    arns.sort();
    for arn in arns {
        let s = &b.profiles[arn];
        // arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let (region, account, id) = match parts.as_slice() {
            [_, _, _, region, account, rest] => (
                *region,
                *account,
                rest.rsplit('/').next().unwrap_or_default(),
            ),
            _ => continue,
        };
        let keep = r.keeps_names();
        let name = if keep {
            id.to_string()
        } else {
            r.name("profile", "profile-", id)
        };
        let mut tags = TagMap::new();
        let mut keys: Vec<&String> = s.tags.keys().collect();
        keys.sort();
        for k in keys {
            let mut vs: Vec<(&String, &u64)> = s.tags[k].iter().collect();
            vs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            if let Some((v, _)) = vs.first() {
                let rk = r.tag_key(k);
                tags.insert(rk, r.tag_value(k, v));
            }
        }
        notes.item(
            "inference_profiles",
            file.inference_profiles.len(),
            format!(
                "inferred: {} inference row(s), ${:.2}, through this application inference \
                 profile",
                s.rows, s.cost
            ),
        );
        file.inference_profiles.push(InferenceProfileSpec {
            name: name.clone(),
            account: acct(account),
            region: region.to_string(),
            id: keep.then(|| id.to_string()),
            tags,
        });
        names.insert(arn.clone(), name);
    }

    // Discounts.
    let (mut edp, mut edp_base) = (0.0, 0.0);
    let mut edp_types: Vec<(&str, &str)> = Vec::new();
    let mut private: BTreeMap<&str, (f64, Vec<&str>)> = BTreeMap::new();
    for ((kind, ut, model), cost) in &b.discount_rows {
        match kind.as_str() {
            "EdpDiscount" => {
                edp += cost;
                if !edp_types.contains(&(&**model, ut.as_str())) {
                    edp_types.push((model, ut));
                    edp_base += b.unblended_of(model, ut);
                }
            }
            "PrivateRateDiscount" => {
                let e = private.entry(model).or_default();
                e.0 += cost;
                if !e.1.contains(&ut.as_str()) {
                    e.1.push(ut);
                }
            }
            other => statements.push(format!(
                "discount rows of type `{other}` (${cost:.2}) have no scenario key; left out"
            )),
        }
    }
    let mut rates = Vec::new();
    for (model, (cost, types)) in &private {
        let base: f64 = types.iter().map(|t| b.unblended_of(model, t)).sum();
        match model_id(model) {
            Some(id) if base > 0.0 => rates.push(PrivateRateSpec {
                model: Some(id),
                product_code: None,
                percent: percent(*cost, base),
            }),
            _ => statements.push(format!(
                "a private-rate discount (${cost:.2}) on `{model}`, a model without inference \
                 rows in the twin, is left out"
            )),
        }
    }
    let gap: f64 = b.usage.iter().map(|(_, _, v)| v[2]).sum();
    if edp < 0.0 || !rates.is_empty() {
        file.discounts = Some(DiscountsSpec {
            edp_percent: percent(edp, edp_base),
            private_rates: rates,
            representation: if b.net_rows > 0 {
                DiscountRepresentation::MapAndRows
            } else {
                DiscountRepresentation::RowsOnly
            },
        });
        notes.item(
            "discounts",
            0,
            format!(
                "inferred from the separate discount rows: EDP ${:.2} of ${:.2} on the usage \
                 types it names; private rates per model the same way",
                -edp, edp_base
            ),
        );
    } else if gap < 0.0 {
        // map-only: net below unblended, no separate rows. Per model, as private rates.
        let mut per_model: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for (model, _, v) in &b.usage {
            if v[2] < 0.0 {
                let e = per_model.entry(model.to_string()).or_default();
                e.0 += v[2];
                e.1 += v[1];
            }
        }
        let mut rates = Vec::new();
        for (key, (g, base)) in per_model {
            if let Some(id) = model_id(&key) {
                rates.push(PrivateRateSpec {
                    model: Some(id),
                    product_code: None,
                    percent: percent(g, base),
                });
            }
        }
        file.discounts = Some(DiscountsSpec {
            edp_percent: 0.0,
            private_rates: rates,
            representation: DiscountRepresentation::MapOnly,
        });
        statements.push(format!(
            "net cost is ${:.2} below unblended without separate discount rows: the split \
             between EDP and private rates is in the `discount` map, which is not read, so the \
             discount is written per model as private rates",
            -gap
        ));
    }

    // Credits and refunds.
    let keep = r.keeps_names();
    let mut replaced = 0usize;
    for ((credit, period, account, product, description), amount) in &b.adjustments {
        if !keep && !description.is_empty() {
            replaced += 1;
        }
        notes.item(
            "adjustments",
            file.adjustments.len(),
            format!(
                "inferred: one or more {} rows",
                if *credit { "Credit" } else { "Refund" }
            ),
        );
        file.adjustments.push(AdjustmentSpec {
            kind: if *credit {
                AdjustmentKind::Credit
            } else {
                AdjustmentKind::Refund
            },
            period: period.clone(),
            amount: (amount * 1e6).round() / 1e6,
            account: Some(acct(account)),
            product_code: if product.is_empty() {
                "AmazonBedrock".into()
            } else {
                product.clone()
            },
            description: (keep && !description.is_empty()).then(|| description.clone()),
            // One export shows the latest delivery: a restatement is not visible in its rows.
            restated_at: None,
        });
    }
    if replaced > 0 {
        notes.header(format!(
            "{replaced} credit/refund description(s) are free text and replaced by the default \
             (`--keep-names` keeps them)"
        ));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_are_read_by_usage_type_family() {
        let cases = [
            (
                "USE1-Nova2.0Lite-ProvisionedThroughput-1month-ModelUnits",
                "AmazonBedrock",
                Some("bedrock-provisioned-throughput"),
            ),
            (
                "USE1-MP:USE1_Reserved_1Month_InputTPM_Geo-Units",
                "AmazonBedrockService",
                Some("bedrock-reserved-tier"),
            ),
            (
                "USE1-Guardrail-ContentPolicyUnitsConsumed",
                "AmazonBedrock",
                Some("bedrock-guardrails"),
            ),
            (
                "USE1-AmazonRerank-v1-searchunits",
                "AmazonBedrock",
                Some("bedrock-rerank"),
            ),
            (
                "USE1-Runtime:Consumption-based:vCPU",
                "AmazonBedrockAgentCore",
                Some("bedrock-agentcore-runtime"),
            ),
            ("USE1-Claude4.6Sonnet-input-tokens", "AmazonBedrock", None),
            ("USE1-TimedStorage-ByteHrs", "AmazonS3", None),
        ];
        for (ut, code, want) in cases {
            assert_eq!(charge(ut, code), want, "{ut}");
            if let Some(name) = want {
                assert!(charge_service(name).is_some());
            }
        }
        assert_eq!(charge_service("AmazonS3"), None);
    }

    #[test]
    fn rates_are_percent_in_hundredths() {
        assert_eq!(percent(-6.5, 100.0), 6.5);
        assert_eq!(percent(-1.0, 3.0), 33.33);
        assert_eq!(percent(-1.0, 0.0), 0.0);
    }

    #[test]
    fn usage_of_two_workers_merges_by_model_and_usage_type() {
        let m: Arc<str> = Arc::from("Claude4.6Sonnet");
        let mut a = BillStats::default();
        let i = a.usage_index(&m, "USE1-Claude4.6Sonnet-input-tokens");
        a.usage[i].2[0] += 2.0;
        let mut b = BillStats::default();
        b.usage_index(&m, "USE1-Claude4.6Sonnet-output-tokens");
        let j = b.usage_index(&m, "USE1-Claude4.6Sonnet-input-tokens");
        b.usage[j].2[0] += 3.0;
        a.merge(b);
        assert_eq!(a.usage.len(), 2);
        assert_eq!(
            a.unblended_of("Claude4.6Sonnet", "USE1-Claude4.6Sonnet-input-tokens"),
            5.0
        );
        assert_eq!(
            a.unblended_of("MP:x", "USE1-Claude4.6Sonnet-input-tokens"),
            0.0
        );
    }
}
