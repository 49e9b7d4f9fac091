//! What the pass learns about the rest of the bill (inference profiles, discounts, credits
//! and refunds) and which Bedrock charges are written as background services.

use std::collections::BTreeMap;
use std::sync::Arc;

use curlab_generator::scenario::model::BackgroundService;

use crate::map::Map;

/// The Bedrock charges the scenario format writes as background services, by the name the
/// profile keys them with (the service's scenario name).
pub const CHARGES: [(BackgroundService, &str); 6] = [
    (
        BackgroundService::BedrockProvisionedThroughput,
        "bedrock-provisioned-throughput",
    ),
    (
        BackgroundService::BedrockReservedTier,
        "bedrock-reserved-tier",
    ),
    (BackgroundService::BedrockGuardrails, "bedrock-guardrails"),
    (BackgroundService::BedrockRerank, "bedrock-rerank"),
    (
        BackgroundService::BedrockCacheStorage,
        "bedrock-cache-storage",
    ),
    (
        BackgroundService::BedrockAgentcoreRuntime,
        "bedrock-agentcore-runtime",
    ),
];

/// The background service a Bedrock charge that is not a model call belongs to, by its usage
/// type family (and product code for AgentCore).
pub fn charge(usage_type: &str, product_code: &str) -> Option<&'static str> {
    let name = if product_code == "AmazonBedrockAgentCore"
        || usage_type.contains("Runtime:Consumption-based")
    {
        "bedrock-agentcore-runtime"
    } else if usage_type.contains("ProvisionedThroughput") {
        "bedrock-provisioned-throughput"
    } else if usage_type.contains("_Reserved_") {
        "bedrock-reserved-tier"
    } else if usage_type.contains("Guardrail-") {
        "bedrock-guardrails"
    } else if usage_type.contains("Rerank") {
        "bedrock-rerank"
    } else if usage_type.contains("CacheStorage") {
        "bedrock-cache-storage"
    } else {
        return None;
    };
    Some(name)
}

/// The background service of a profile key (a product code or a [`CHARGES`] name).
pub fn charge_service(key: &str) -> Option<BackgroundService> {
    CHARGES.iter().find(|(_, n)| *n == key).map(|(s, _)| *s)
}

/// An application inference profile seen in `line_item_resource_id`.
#[derive(Debug, Clone, Default)]
pub struct ProfileStats {
    /// Inference rows through it.
    pub rows: u64,
    /// Their cost, USD.
    pub cost: f64,
    /// `resourceTags/` key (without prefix) → value → rows.
    pub tags: Map<String, Map<String, u64>>,
}

/// Credit or refund rows of one kind, billing period, account, product and description.
pub type AdjustmentKey = (bool, String, String, String, String);

/// What the profile learns about the rest of the bill.
#[derive(Debug, Clone, Default)]
pub struct BillStats {
    /// Application inference profiles by ARN.
    pub profiles: Map<Arc<str>, ProfileStats>,
    /// Inference rows by model key and usage type: (unblended, unblended of the rows with a
    /// net cost, their net − unblended). Indexed by [`BillStats::usage_index`].
    pub usage: Vec<(Arc<str>, String, [f64; 3])>,
    usage_index: Map<Arc<str>, Map<String, usize>>,
    /// Separate discount rows: (line item type, usage type, model key) → cost (≤ 0).
    pub discount_rows: Map<(String, String, Arc<str>), f64>,
    /// Usage rows carrying a net cost.
    pub net_rows: u64,
    /// Credit (`true`) and refund rows: key → amount (positive USD).
    pub adjustments: BTreeMap<AdjustmentKey, f64>,
}

impl BillStats {
    /// The index of a model key and usage type in [`BillStats::usage`].
    pub fn usage_index(&mut self, model: &Arc<str>, usage_type: &str) -> usize {
        if let Some(i) = self
            .usage_index
            .get(&**model)
            .and_then(|m| m.get(usage_type))
        {
            return *i;
        }
        self.usage
            .push((model.clone(), usage_type.to_string(), [0.0; 3]));
        let i = self.usage.len() - 1;
        self.usage_index
            .entry(model.clone())
            .or_default()
            .insert(usage_type.to_string(), i);
        i
    }

    /// Add another worker's figures.
    pub fn merge(&mut self, o: BillStats) {
        for (arn, s) in o.profiles {
            let e = self.profiles.entry(arn).or_default();
            e.rows += s.rows;
            e.cost += s.cost;
            for (k, vs) in s.tags {
                let t = e.tags.entry(k).or_default();
                for (v, n) in vs {
                    *t.entry(v).or_default() += n;
                }
            }
        }
        for (model, ut, v) in o.usage {
            let i = self.usage_index(&model, &ut);
            for (x, y) in self.usage[i].2.iter_mut().zip(v) {
                *x += y;
            }
        }
        for (k, c) in o.discount_rows {
            *self.discount_rows.entry(k).or_default() += c;
        }
        self.net_rows += o.net_rows;
        for (k, a) in o.adjustments {
            *self.adjustments.entry(k).or_default() += a;
        }
    }

    pub(crate) fn unblended_of(&self, model: &str, usage_type: &str) -> f64 {
        self.usage_index
            .get(model)
            .and_then(|m| m.get(usage_type))
            .map_or(0.0, |i| self.usage[*i].2[0])
    }
}
