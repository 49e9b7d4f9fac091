//! Which catalogue model a usage type names, and `[[models]]` entries for the models the
//! catalogue lacks, priced at what the rows paid.

use std::collections::BTreeMap;

use curlab_generator::scenario::model::{MarketplaceSpelling, ModelSpec};
use curlab_generator::{builtin_models, Model};
use curlab_vocab::bedrock::{BillingForm, Spelling};

use crate::profile::WorkStats;

/// Model key → catalogue id, adding `[[models]]` for models the catalogue lacks.
pub(crate) struct Models {
    builtin: Vec<Model>,
    added: BTreeMap<String, ModelSpec>,
}

impl Models {
    pub(crate) fn new() -> Self {
        Models {
            builtin: builtin_models(),
            added: BTreeMap::new(),
        }
    }

    /// The `[[models]]` entries added.
    pub(crate) fn added(self) -> Vec<ModelSpec> {
        self.added.into_values().collect()
    }

    pub(crate) fn id(&mut self, key: &str, w: &[&WorkStats]) -> String {
        if let Some(name) = key.strip_prefix("MP:") {
            if let Some(m) = self
                .builtin
                .iter()
                .find(|m| m.billing == BillingForm::Marketplace && m.product_name() == name)
            {
                return m.id.clone();
            }
        } else if let Some(m) = self
            .builtin
            .iter()
            .find(|m| m.billing == BillingForm::Aws && (m.usage_name == key || m.model_id == key))
        {
            return m.id.clone();
        }
        let display = key
            .strip_prefix("MP:")
            .unwrap_or(key)
            .trim_end_matches(" (Amazon Bedrock Edition)");
        let id: String = display
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let id = format!("twin-{}", id.trim_matches('-'));
        if self.added.contains_key(&id) {
            return id;
        }
        // Prices from what the rows paid: cost over tokens, per token type.
        let mut cost = [0.0; 5];
        let mut tokens = [0.0; 5];
        for s in w {
            for i in 0..5 {
                tokens[i] += s.tokens[i];
                cost[i] += s.cost_t[i];
            }
        }
        let price =
            |i: usize| (tokens[i] > 0.0).then(|| ((cost[i] / tokens[i] * 1e6) * 1e6).round() / 1e6);
        let marketplace = key.starts_with("MP:");
        let spelling = w.first().map_or(Spelling::Aws, |s| s.spelling);
        self.added.insert(
            id.clone(),
            ModelSpec {
                id: id.clone(),
                billing: Some(if marketplace {
                    BillingForm::Marketplace
                } else {
                    BillingForm::Aws
                }),
                usage_name: (!marketplace).then(|| key.to_string()),
                display_name: Some(display.to_string()),
                provider: None,
                model_id: None,
                product_code: None,
                input: price(0).or(Some(0.0)),
                output: price(1).or(Some(0.0)),
                cache_read: price(2),
                cache_write: price(3),
                cache_write_1h: price(4),
                regional_premium: Some(1.0),
                service_tiers: None,
                long_context: None,
                marketplace_spelling: marketplace.then_some(
                    if spelling == Spelling::MarketplaceSnake {
                        MarketplaceSpelling::Snake
                    } else {
                        MarketplaceSpelling::Camel
                    },
                ),
            },
        );
        id
    }
}
