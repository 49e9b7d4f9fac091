//! The built-in Bedrock price catalogue (reference §4.6), overridable per scenario.
//!
//! Prices are kept as integers in micro-dollars per million tokens, which is the same number as
//! pico-dollars per token: a row's cost is `tokens × price` exactly, with no float drift.

use curlab_vocab::bedrock::{BillingForm, ServiceTier, TokenType};

use crate::scenario::model::ModelSpec;

/// One model in the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// Catalogue id used in scenarios (`claude-sonnet-4.6`).
    pub id: String,
    /// Form A or form B.
    pub billing: BillingForm,
    /// Model token in form-A usage types (`Claude4.6Sonnet`).
    pub usage_name: String,
    /// Display name (`Claude Sonnet 4.6`).
    pub display_name: String,
    /// Provider (`Anthropic`).
    pub provider: String,
    /// Bedrock model id (`anthropic.claude-sonnet-4-6`).
    pub model_id: String,
    /// `line_item_product_code` (form A: `AmazonBedrock`/`AmazonBedrockService`; form B: an
    /// opaque Marketplace id).
    pub product_code: String,
    /// Base (global) prices in micro-dollars per 1M tokens, by token type; `None` when the
    /// model has no such token type (no prompt caching).
    pub prices: [Option<u64>; 5],
    /// Regional premium as a percentage (110 for Claude 4.5 and later, else 100).
    pub regional_premium_pct: u64,
}

/// Micro-dollars from a USD price with at most 6 decimals.
pub fn usd_to_micros(usd: f64) -> u64 {
    (usd * 1e6).round() as u64
}

fn idx(t: TokenType) -> usize {
    match t {
        TokenType::Input => 0,
        TokenType::Output => 1,
        TokenType::CacheRead => 2,
        TokenType::CacheWrite => 3,
        TokenType::CacheWrite1h => 4,
    }
}

/// `num/den` of `value`, rounded half up (exact for every catalogue price).
fn scale(value: u64, num: u64, den: u64) -> u64 {
    (value * num + den / 2) / den
}

impl Model {
    /// Base price for a token type, micro-dollars per 1M tokens.
    pub fn base_price(&self, t: TokenType) -> Option<u64> {
        self.prices[idx(t)]
    }

    /// The price a request pays per token, in pico-dollars, after the regional premium (not
    /// for global cross-region calls), the service tier and the batch discount.
    ///
    /// Tier multipliers are not in the reference for every model: priority is taken as
    /// 1.75× (Nova Pro's published priority input price) and flex as 0.5× [INF].
    pub fn price(&self, t: TokenType, tier: ServiceTier, batch: bool, global: bool) -> Option<u64> {
        let mut p = self.base_price(t)?;
        if !global {
            p = scale(p, self.regional_premium_pct, 100);
        }
        p = match tier {
            ServiceTier::Standard => p,
            ServiceTier::Priority => scale(p, 7, 4),
            ServiceTier::Flex => scale(p, 1, 2),
        };
        if batch {
            p = scale(p, 1, 2);
        }
        Some(p)
    }

    /// `product['product_name']` and `product['servicename']`.
    pub fn product_name(&self) -> String {
        match self.billing {
            BillingForm::Aws if self.product_code == "AmazonBedrockService" => {
                "Amazon Bedrock Service".into()
            }
            BillingForm::Aws => "Amazon Bedrock".into(),
            BillingForm::Marketplace => format!("{} (Amazon Bedrock Edition)", self.display_name),
        }
    }
}

struct Builtin {
    id: &'static str,
    usage_name: &'static str,
    display: &'static str,
    provider: &'static str,
    model_id: &'static str,
    // input, output, cache read, cache write 5m, cache write 1h (USD per 1M, base/global)
    prices: [Option<f64>; 5],
    premium: u64,
}

const fn claude(
    id: &'static str,
    usage_name: &'static str,
    display: &'static str,
    model_id: &'static str,
    p: [f64; 5],
    premium: u64,
) -> Builtin {
    Builtin {
        id,
        usage_name,
        display,
        provider: "Anthropic",
        model_id,
        prices: [Some(p[0]), Some(p[1]), Some(p[2]), Some(p[3]), Some(p[4])],
        premium,
    }
}

// A table row constructor: named positional fields read better here than a builder.
#[allow(clippy::too_many_arguments)]
const fn plain(
    id: &'static str,
    usage_name: &'static str,
    display: &'static str,
    provider: &'static str,
    model_id: &'static str,
    input: f64,
    output: f64,
    cache_read: Option<f64>,
) -> Builtin {
    let cache_write = match cache_read {
        Some(_) => Some(0.0),
        None => None,
    };
    Builtin {
        id,
        usage_name,
        display,
        provider,
        model_id,
        prices: [Some(input), Some(output), cache_read, cache_write, None],
        premium: 100,
    }
}

/// Reference §4.6: USD per 1M tokens, us-east-1, standard tier, global/base price.
const BUILTINS: &[Builtin] = &[
    claude(
        "claude-sonnet-4.6",
        "Claude4.6Sonnet",
        "Claude Sonnet 4.6",
        "anthropic.claude-sonnet-4-6",
        [3.0, 15.0, 0.30, 3.75, 6.0],
        110,
    ),
    claude(
        "claude-opus-4.6",
        "Claude4.6Opus",
        "Claude Opus 4.6",
        "anthropic.claude-opus-4-6-v1",
        [5.0, 25.0, 0.50, 6.25, 10.0],
        110,
    ),
    claude(
        "claude-sonnet-4.5",
        "Claude4.5Sonnet",
        "Claude Sonnet 4.5",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        [3.0, 15.0, 0.30, 3.75, 6.0],
        110,
    ),
    claude(
        "claude-opus-4.5",
        "Claude4.5Opus",
        "Claude Opus 4.5",
        "anthropic.claude-opus-4-5-20251101-v1:0",
        [5.0, 25.0, 0.50, 6.25, 10.0],
        110,
    ),
    claude(
        "claude-haiku-4.5",
        "Claude4.5Haiku",
        "Claude Haiku 4.5",
        "anthropic.claude-haiku-4-5-20251001-v1:0",
        [1.0, 5.0, 0.10, 1.25, 2.0],
        110,
    ),
    claude(
        "claude-sonnet-4",
        "Claude4Sonnet",
        "Claude Sonnet 4",
        "anthropic.claude-sonnet-4-20250514-v1:0",
        [3.0, 15.0, 0.30, 3.75, 6.0],
        100,
    ),
    claude(
        "claude-opus-4.1",
        "Claude4.1Opus",
        "Claude Opus 4.1",
        "anthropic.claude-opus-4-1-20250805-v1:0",
        [15.0, 75.0, 1.50, 18.75, 30.0],
        100,
    ),
    plain(
        "nova-micro",
        "NovaMicro",
        "Nova Micro",
        "Amazon",
        "amazon.nova-micro-v1:0",
        0.035,
        0.14,
        Some(0.00875),
    ),
    plain(
        "nova-lite",
        "NovaLite",
        "Nova Lite",
        "Amazon",
        "amazon.nova-lite-v1:0",
        0.06,
        0.24,
        Some(0.015),
    ),
    plain(
        "nova-pro",
        "NovaPro",
        "Nova Pro",
        "Amazon",
        "amazon.nova-pro-v1:0",
        0.80,
        3.20,
        Some(0.20),
    ),
    plain(
        "llama-3.3-70b",
        "Llama3-3-70B",
        "Llama 3.3 70B Instruct",
        "Meta",
        "meta.llama3-3-70b-instruct-v1:0",
        0.72,
        0.72,
        None,
    ),
    plain(
        "llama-4-maverick-17b",
        "Llama4-Maverick-17B",
        "Llama 4 Maverick 17B Instruct",
        "Meta",
        "meta.llama4-maverick-17b-instruct-v1:0",
        0.24,
        0.97,
        None,
    ),
    plain(
        "mistral-large-3",
        "Mistral-Large-3-675b-Instruct",
        "Mistral Large 3",
        "Mistral AI",
        "mistral.mistral-large-3-675b-instruct",
        0.50,
        1.50,
        None,
    ),
];

/// A deterministic 26-character lowercase product code for a Marketplace model (real ones are
/// opaque ids of this shape, e.g. `4a524th30q694o538qndh9ucht`).
pub fn marketplace_product_code(model_id: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut h = u64::from(curlab_vocab::arn::fnv1a32(model_id.as_bytes())) << 32
        | u64::from(curlab_vocab::arn::fnv1a32(
            format!("mp:{model_id}").as_bytes(),
        ));
    let mut out = String::with_capacity(26);
    for i in 0..26 {
        if i % 12 == 11 {
            h = h.rotate_left(17) ^ 0x9e37_79b9_7f4a_7c15;
        }
        out.push(ALPHABET[(h % 36) as usize] as char);
        h /= 36;
        h = h.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    }
    out
}

/// The built-in catalogue.
pub fn builtin() -> Vec<Model> {
    BUILTINS
        .iter()
        .map(|b| {
            let product_code = if b.provider == "Anthropic" {
                "AmazonBedrockService"
            } else {
                "AmazonBedrock"
            };
            Model {
                id: b.id.into(),
                billing: BillingForm::Aws,
                usage_name: b.usage_name.into(),
                display_name: b.display.into(),
                provider: b.provider.into(),
                model_id: b.model_id.into(),
                product_code: product_code.into(),
                prices: b.prices.map(|p| p.map(usd_to_micros)),
                regional_premium_pct: b.premium,
            }
        })
        .collect()
}

/// The catalogue a scenario sees: built-ins with its `[[models]]` applied.
pub fn with_overrides(specs: &[ModelSpec]) -> Vec<Model> {
    let mut models = builtin();
    for spec in specs {
        let pos = models.iter().position(|m| m.id == spec.id);
        let mut m = match pos {
            Some(i) => models[i].clone(),
            None => Model {
                id: spec.id.clone(),
                billing: BillingForm::Aws,
                usage_name: spec.id.clone(),
                display_name: spec.id.clone(),
                provider: "Unknown".into(),
                model_id: spec.id.clone(),
                product_code: "AmazonBedrock".into(),
                prices: [None; 5],
                regional_premium_pct: 100,
            },
        };
        if let Some(v) = &spec.usage_name {
            m.usage_name = v.clone();
        }
        if let Some(v) = &spec.display_name {
            m.display_name = v.clone();
        }
        if let Some(v) = &spec.provider {
            m.provider = v.clone();
        }
        if let Some(v) = &spec.model_id {
            m.model_id = v.clone();
        }
        for (i, v) in [
            spec.input,
            spec.output,
            spec.cache_read,
            spec.cache_write,
            spec.cache_write_1h,
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(v) = v {
                m.prices[i] = Some(usd_to_micros(v));
            }
        }
        if let Some(p) = spec.regional_premium {
            m.regional_premium_pct = (p * 100.0).round() as u64;
        }
        if let Some(b) = spec.billing {
            m.billing = b;
            if b == BillingForm::Marketplace && spec.product_code.is_none() {
                m.product_code = marketplace_product_code(&m.model_id);
            }
        }
        if let Some(code) = &spec.product_code {
            m.product_code = code.clone();
        }
        match pos {
            Some(i) => models[i] = m,
            None => models.push(m),
        }
    }
    models
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(id: &str) -> Model {
        builtin().into_iter().find(|m| m.id == id).unwrap()
    }

    #[test]
    fn regional_premium_and_discounts() {
        let s = model("claude-sonnet-4.6");
        use ServiceTier::Standard;
        assert_eq!(
            s.price(TokenType::Input, Standard, false, false),
            Some(3_300_000)
        );
        assert_eq!(
            s.price(TokenType::Input, Standard, false, true),
            Some(3_000_000)
        );
        assert_eq!(
            s.price(TokenType::CacheWrite, Standard, false, false),
            Some(4_125_000)
        );
        assert_eq!(
            s.price(TokenType::Output, Standard, true, false),
            Some(8_250_000)
        );
        let nova = model("nova-micro");
        assert_eq!(
            nova.price(TokenType::CacheRead, Standard, true, false),
            Some(4_375)
        );
        assert_eq!(
            model("llama-3.3-70b").price(TokenType::CacheRead, Standard, false, false),
            None
        );
    }

    #[test]
    fn blog_numbers() {
        // Reference §2.2: alice 21,000 input / 13,000 output tokens of Sonnet 4.6 → $0.0693 / $0.2145.
        let s = model("claude-sonnet-4.6");
        let p = s
            .price(TokenType::Input, ServiceTier::Standard, false, false)
            .unwrap();
        assert_eq!(21_000 * p, 69_300_000_000); // pico-dollars
    }

    #[test]
    fn marketplace_codes_are_stable_and_shaped() {
        let c = marketplace_product_code("anthropic.claude-sonnet-4-6");
        assert_eq!(c.len(), 26);
        assert_eq!(c, marketplace_product_code("anthropic.claude-sonnet-4-6"));
        assert_ne!(c, marketplace_product_code("anthropic.claude-opus-4-6-v1"));
    }
}
