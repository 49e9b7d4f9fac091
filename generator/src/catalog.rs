//! The built-in Bedrock price catalogue (reference §4.6), overridable per scenario.
//!
//! Prices are kept as integers in micro-dollars per million tokens, which is the same number as
//! pico-dollars per token: a row's cost is `tokens × price` exactly, with no float drift.

use curlab_vocab::bedrock::{BillingForm, ServiceTier, Spelling, TokenType, UsageKey};

use crate::scenario::model::{MarketplaceSpelling, ModelSpec};

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
    /// Service tiers the model is sold in (always `Standard`; Priority and Flex only for the
    /// models AWS launched them for, reference §10.1).
    pub tiers: Vec<ServiceTier>,
    /// Whether requests above [`LONG_CONTEXT_THRESHOLD`] input tokens pay the long-context
    /// rates (Claude Sonnet 4 and 4.5, reference §10.1).
    pub long_context: bool,
    /// How the model's usage types are spelled (form A, or one of the Marketplace families).
    pub spelling: Spelling,
}

/// Input tokens (input + cache reads + cache writes) above which a request of a long-context
/// model is billed at the long-context rates, whole request (Anthropic's pricing page: "If your
/// request exceeds 200K input tokens, all tokens incur premium pricing").
pub const LONG_CONTEXT_THRESHOLD: u64 = 200_000;

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
    /// for global cross-region calls), the long-context rate, the service tier and the batch
    /// discount, in that order (each rounded half up; exact for every catalogue price).
    ///
    /// Long context: input and cache tokens ×2, output ×1.5 (Anthropic's long-context table:
    /// $6 / $22.50 over $3 / $15; the cache multipliers apply on top, so cache writes and reads
    /// double too). Tier multipliers are not in the reference for every model: priority is
    /// taken as 1.75× (Nova Pro's published priority input price) and flex as 0.5× [INF].
    pub fn price(&self, key: UsageKey) -> Option<u64> {
        let mut p = self.base_price(key.token)?;
        if !key.global {
            p = scale(p, self.regional_premium_pct, 100);
        }
        if key.long_context {
            p = match key.token {
                TokenType::Output => scale(p, 3, 2),
                _ => p * 2,
            };
        }
        p = match key.tier {
            ServiceTier::Standard => p,
            ServiceTier::Priority => scale(p, 7, 4),
            ServiceTier::Flex => scale(p, 1, 2),
        };
        if key.batch {
            p = scale(p, 1, 2);
        }
        Some(p)
    }

    /// Whether the model is sold in `tier`.
    pub fn has_tier(&self, tier: ServiceTier) -> bool {
        self.tiers.contains(&tier)
    }

    /// Whether a request with these input tokens (input + cache reads + cache writes) is
    /// billed at the long-context rates.
    pub fn is_long_context(&self, input_tokens: u64) -> bool {
        self.long_context && input_tokens > LONG_CONTEXT_THRESHOLD
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
    /// Sold in Priority and Flex too.
    tiers: bool,
    /// Long-context rates above 200K input tokens.
    long: bool,
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
        tiers: false,
        long: false,
    }
}

/// A Claude model with long-context rates (Sonnet 4 and 4.5).
const fn long(b: Builtin) -> Builtin {
    Builtin { long: true, ..b }
}

/// A model sold in the Priority and Flex tiers too.
const fn tiered(b: Builtin) -> Builtin {
    Builtin { tiers: true, ..b }
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
        tiers: false,
        long: false,
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
    long(claude(
        "claude-sonnet-4.5",
        "Claude4.5Sonnet",
        "Claude Sonnet 4.5",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        [3.0, 15.0, 0.30, 3.75, 6.0],
        110,
    )),
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
    long(claude(
        "claude-sonnet-4",
        "Claude4Sonnet",
        "Claude Sonnet 4",
        "anthropic.claude-sonnet-4-20250514-v1:0",
        [3.0, 15.0, 0.30, 3.75, 6.0],
        100,
    )),
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
    tiered(plain(
        "nova-pro",
        "NovaPro",
        "Nova Pro",
        "Amazon",
        "amazon.nova-pro-v1:0",
        0.80,
        3.20,
        Some(0.20),
    )),
    // Reference §4.6 (legacy, end of life 2026-09-14).
    tiered(plain(
        "nova-premier",
        "NovaPremier",
        "Nova Premier",
        "Amazon",
        "amazon.nova-premier-v1:0",
        2.50,
        12.50,
        Some(0.625),
    )),
    // Priority/Flex models of reference §10.1. Prices: us-east-1 on-demand, as LiteLLM's
    // model_prices_and_context_window.json and models.dev list them (docs/scenarios.md).
    tiered(plain(
        "gpt-oss-120b",
        "gpt-oss-120b",
        "gpt-oss-120b",
        "OpenAI",
        "openai.gpt-oss-120b-1:0",
        0.15,
        0.60,
        None,
    )),
    tiered(plain(
        "gpt-oss-20b",
        "gpt-oss-20b",
        "gpt-oss-20b",
        "OpenAI",
        "openai.gpt-oss-20b-1:0",
        0.07,
        0.30,
        None,
    )),
    tiered(plain(
        "qwen3-32b",
        "Qwen3-32B",
        "Qwen3 32B",
        "Qwen",
        "qwen.qwen3-32b-v1:0",
        0.15,
        0.60,
        None,
    )),
    tiered(plain(
        "qwen3-235b",
        "Qwen3-235B-A22B-2507",
        "Qwen3 235B A22B 2507",
        "Qwen",
        "qwen.qwen3-235b-a22b-2507-v1:0",
        0.22,
        0.88,
        None,
    )),
    tiered(plain(
        "deepseek-v3.1",
        "DeepSeek-V3.1",
        "DeepSeek-V3.1",
        "DeepSeek",
        "deepseek.v3-v1:0",
        0.58,
        1.68,
        None,
    )),
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

/// Why `m` cannot serve a request in `tier`, as (problem, hint); `None` when it can.
/// Priority and Flex exist only for the models AWS launched them for (reference §10.1), never
/// for Claude, for which AWS points to batch inference.
pub fn tier_problem(models: &[Model], m: &Model, tier: ServiceTier) -> Option<(String, String)> {
    if m.has_tier(tier) {
        return None;
    }
    let name = match tier {
        ServiceTier::Standard => "standard",
        ServiceTier::Priority => "priority",
        ServiceTier::Flex => "flex",
    };
    let with: Vec<&str> = models
        .iter()
        .filter(|x| x.has_tier(tier))
        .map(|x| x.id.as_str())
        .collect();
    let claude = if m.provider == "Anthropic" {
        "; for Claude, AWS offers batch inference (batch_share) instead"
    } else {
        ""
    };
    Some((
        format!("{} (`{}`) is not sold in the {name} tier", m.display_name, m.id),
        format!(
            "use service_tier = \"standard\"{claude}, or a model that has {name}: {}; a [[models]] entry can list service_tiers",
            if with.is_empty() { "none".to_string() } else { with.join(", ") }
        ),
    ))
}

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
                tiers: if b.tiers {
                    vec![
                        ServiceTier::Standard,
                        ServiceTier::Priority,
                        ServiceTier::Flex,
                    ]
                } else {
                    vec![ServiceTier::Standard]
                },
                long_context: b.long,
                spelling: Spelling::Aws,
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
                tiers: vec![ServiceTier::Standard],
                long_context: false,
                spelling: Spelling::Aws,
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
        if let Some(tiers) = &spec.service_tiers {
            m.tiers = tiers.clone();
        }
        if let Some(l) = spec.long_context {
            m.long_context = l;
        }
        m.spelling = match (m.billing, spec.marketplace_spelling) {
            (BillingForm::Aws, _) => Spelling::Aws,
            (BillingForm::Marketplace, Some(MarketplaceSpelling::Snake)) => {
                Spelling::MarketplaceSnake
            }
            (BillingForm::Marketplace, _) => Spelling::MarketplaceCamel,
        };
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

    fn key(token: TokenType, tier: ServiceTier, batch: bool, global: bool) -> UsageKey {
        UsageKey {
            token,
            tier,
            batch,
            global,
            long_context: false,
        }
    }

    #[test]
    fn regional_premium_and_discounts() {
        let s = model("claude-sonnet-4.6");
        use ServiceTier::Standard;
        assert_eq!(
            s.price(key(TokenType::Input, Standard, false, false)),
            Some(3_300_000)
        );
        assert_eq!(
            s.price(key(TokenType::Input, Standard, false, true)),
            Some(3_000_000)
        );
        assert_eq!(
            s.price(key(TokenType::CacheWrite, Standard, false, false)),
            Some(4_125_000)
        );
        assert_eq!(
            s.price(key(TokenType::Output, Standard, true, false)),
            Some(8_250_000)
        );
        let nova = model("nova-micro");
        assert_eq!(
            nova.price(key(TokenType::CacheRead, Standard, true, false)),
            Some(4_375)
        );
        assert_eq!(
            model("llama-3.3-70b").price(key(TokenType::CacheRead, Standard, false, false)),
            None
        );
    }

    #[test]
    fn long_context_rates_follow_anthropics_table() {
        // Global (no premium) Sonnet 4.5 above 200K: $6 / $22.50 / write $7.50 / 1h $12 /
        // read $0.60 per 1M; LiteLLM's us-gov entry is the same ×1.2.
        let s = model("claude-sonnet-4.5");
        let long = |token, global| UsageKey {
            long_context: true,
            ..key(token, ServiceTier::Standard, false, global)
        };
        let want = [
            (TokenType::Input, 6_000_000),
            (TokenType::Output, 22_500_000),
            (TokenType::CacheWrite, 7_500_000),
            (TokenType::CacheWrite1h, 12_000_000),
            (TokenType::CacheRead, 600_000),
        ];
        for (t, p) in want {
            assert_eq!(s.price(long(t, true)), Some(p), "{t:?}");
        }
        // Regional: the 10 % premium first, then long context (and batch halves it).
        assert_eq!(s.price(long(TokenType::Input, false)), Some(6_600_000));
        assert_eq!(s.price(long(TokenType::Output, false)), Some(24_750_000));
        assert_eq!(
            s.price(UsageKey {
                batch: true,
                ..long(TokenType::Input, true)
            }),
            Some(3_000_000)
        );
        assert!(s.is_long_context(200_001) && !s.is_long_context(200_000));
        assert!(model("claude-sonnet-4").long_context);
        for id in [
            "claude-sonnet-4.6",
            "claude-opus-4.6",
            "claude-haiku-4.5",
            "nova-pro",
        ] {
            assert!(!model(id).is_long_context(900_000), "{id}");
        }
    }

    #[test]
    fn priority_and_flex_only_where_aws_sells_them() {
        for id in [
            "gpt-oss-120b",
            "gpt-oss-20b",
            "qwen3-32b",
            "qwen3-235b",
            "deepseek-v3.1",
            "nova-pro",
            "nova-premier",
        ] {
            let m = model(id);
            assert!(
                m.has_tier(ServiceTier::Priority) && m.has_tier(ServiceTier::Flex),
                "{id}"
            );
        }
        for m in builtin().iter().filter(|m| m.provider == "Anthropic") {
            assert!(!m.has_tier(ServiceTier::Priority) && !m.has_tier(ServiceTier::Flex));
            assert!(m.has_tier(ServiceTier::Standard));
        }
        // Nova Pro's published priority input price: $1.40 per 1M (reference §4.6).
        assert_eq!(
            model("nova-pro").price(key(TokenType::Input, ServiceTier::Priority, false, false)),
            Some(1_400_000)
        );
    }

    #[test]
    fn blog_numbers() {
        // Reference §2.2: alice 21,000 input / 13,000 output tokens of Sonnet 4.6 → $0.0693 / $0.2145.
        let s = model("claude-sonnet-4.6");
        let p = s
            .price(key(TokenType::Input, ServiceTier::Standard, false, false))
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
