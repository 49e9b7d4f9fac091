//! The usage-type parser against real spellings (reference §4.1, §4.2, §10.1; the AWS Price
//! List fixtures of awslabs/model-info-amazon-bedrock and grafana/cloudcost-exporter), and the
//! builder round-tripping through it.

use super::*;
use crate::bedrock::{BillingForm, ServiceTier, TokenType};

use ServiceTier::{Flex, Priority, Standard};
use TokenType::{CacheRead, CacheWrite, CacheWrite1h, Input, Output};

/// (usage type, spelling, model, token, tier, batch, global, long context)
type Row = (
    &'static str,
    Spelling,
    Option<&'static str>,
    TokenType,
    ServiceTier,
    bool,
    bool,
    bool,
);

const A: Spelling = Spelling::Aws;
const CAMEL: Spelling = Spelling::MarketplaceCamel;
const SNAKE: Spelling = Spelling::MarketplaceSnake;

#[rustfmt::skip]
const REAL: &[Row] = &[
    // §4.2: AWS doc and blog examples.
    ("USE1-Claude4.6Sonnet-input-tokens", A, Some("Claude4.6Sonnet"), Input, Standard, false, false, false),
    ("USE1-Claude4.6Sonnet-cache-read-input-token-count", A, Some("Claude4.6Sonnet"), CacheRead, Standard, false, false, false),
    ("USE1-Claude4.6Sonnet-output-tokens-cross-region-global", A, Some("Claude4.6Sonnet"), Output, Standard, false, true, false),
    ("USW2-Claude4.5Sonnet-cache-write-input-token-count", A, Some("Claude4.5Sonnet"), CacheWrite, Standard, false, false, false),
    ("USE1-gpt-oss-120b-output-tokens-priority", A, Some("gpt-oss-120b"), Output, Priority, false, false, false),
    ("USE1-Nova2.0Lite-input-tokens-flex", A, Some("Nova2.0Lite"), Input, Flex, false, false, false),
    ("USE1-NovaPro-input-tokens-batch", A, Some("NovaPro"), Input, Standard, true, false, false),
    ("USE1-NovaPro-input-tokens-priority", A, Some("NovaPro"), Input, Priority, false, false, false),
    ("USE1-Llama3-3-70B-input-tokens", A, Some("Llama3-3-70B"), Input, Standard, false, false, false),
    ("USE1-Llama4-Maverick-17B-input-tokens-batch", A, Some("Llama4-Maverick-17B"), Input, Standard, true, false, false),
    ("USE1-Mistral-Large-3-675b-Instruct-output-tokens", A, Some("Mistral-Large-3-675b-Instruct"), Output, Standard, false, false, false),
    ("APN1-Nova2.0Lite-input-tokens-cross-region-global", A, Some("Nova2.0Lite"), Input, Standard, false, true, false),
    ("USE1-Nova2.0Lite-input-tokens-flex-cross-region-global", A, Some("Nova2.0Lite"), Input, Flex, false, true, false),
    ("EU-Qwen3-32B-input-tokens-batch", A, Some("Qwen3-32B"), Input, Standard, true, false, false),
    // §4.2: the CUDOS 1-hour cache-write marker.
    ("USE1-Claude4.6Sonnet-cache-write-input-token-count-1h", A, Some("Claude4.6Sonnet"), CacheWrite1h, Standard, false, false, false),
    // §4.2: bedrock-mantle.
    ("USE1-openai.gpt-oss-120b-mantle-input-tokens-standard", A, Some("openai.gpt-oss-120b"), Input, Standard, false, false, false),
    ("USW2-anthropic.claude-opus-4-8-mantle-cache-write-tokens-standard", A, Some("anthropic.claude-opus-4-8"), CacheWrite, Standard, false, false, false),
    ("USE1-openai.gpt-5.6-luna-mantle-cache-write-tokens-5m-long-ctx-flex", A, Some("openai.gpt-5.6-luna"), CacheWrite, Flex, false, false, true),
    // §10.1: batch with global cross-region, global first.
    ("USE1-Nova2.0Lite-input-tokens-cross-region-global-batch", A, Some("Nova2.0Lite"), Input, Standard, true, true, false),
    ("USE1-Claude4Sonnet-input-tokens-cross-region-global-batch", A, Some("Claude4Sonnet"), Input, Standard, true, true, false),
    // Long context (Price List: "Input tokens long context").
    ("USE1-Claude4Sonnet-input-tokens-long-context-cross-region-global", A, Some("Claude4Sonnet"), Input, Standard, false, true, true),
    ("USE1-Claude4Sonnet-output-tokens-long-context-cross-region-global", A, Some("Claude4Sonnet"), Output, Standard, false, true, true),
    ("USE1-Claude4Sonnet-cache-read-input-token-count-long-context-cross-region-global", A, Some("Claude4Sonnet"), CacheRead, Standard, false, true, true),
    ("USE1-Claude4Sonnet-cache-write-input-token-count-long-context-cross-region-global", A, Some("Claude4Sonnet"), CacheWrite, Standard, false, true, true),
    // §4.1: Marketplace CamelCase.
    ("USE1-MP:USE1_InputTokenCount-Units", CAMEL, None, Input, Standard, false, false, false),
    ("USE1-MP:USE1_OutputTokenCount-Units", CAMEL, None, Output, Standard, false, false, false),
    ("USE1-MP:USE1_CacheReadInputTokenCount-Units", CAMEL, None, CacheRead, Standard, false, false, false),
    ("USE1-MP:USE1_CacheWriteInputTokenCount-Units", CAMEL, None, CacheWrite, Standard, false, false, false),
    ("USE1-MP:USE1_CacheWrite1hInputTokenCount-Units", CAMEL, None, CacheWrite1h, Standard, false, false, false),
    ("USE1-MP:USE1_InputTokenCount_Global-Units", CAMEL, None, Input, Standard, false, true, false),
    ("USE1-MP:USE1_CacheWrite1hInputTokenCount_Global-Units", CAMEL, None, CacheWrite1h, Standard, false, true, false),
    ("USE1-MP:USE1_InputTokenCount_Batch-Units", CAMEL, None, Input, Standard, true, false, false),
    ("USE1-MP:USE1_MillionBatchInputTokens-Units", CAMEL, None, Input, Standard, true, false, false),
    // §10.1: Marketplace batch with global.
    ("USE1-MP:USE1_InputTokenCount_Global_Batch-Units", CAMEL, None, Input, Standard, true, true, false),
    // §4.1 / §10.1: Marketplace snake_case.
    ("USE2-MP:USE2_input_tokens_standard-Units", SNAKE, None, Input, Standard, false, false, false),
    ("USE2-MP:USE2_output_tokens_standard-Units", SNAKE, None, Output, Standard, false, false, false),
    ("USE1-MP:USE1_input_tokens_standard-Units", SNAKE, None, Input, Standard, false, false, false),
    ("USE1-MP:USE1_input_tokens_global_standard-Units", SNAKE, None, Input, Standard, false, true, false),
    ("USE1-MP:USE1_cache_write_tokens_1h_global_standard-Units", SNAKE, None, CacheWrite1h, Standard, false, true, false),
];

#[test]
fn real_spellings_parse() {
    for &(u, spelling, model, token, tier, batch, global, long) in REAL {
        let p = parse_usage_type(u).unwrap_or_else(|| panic!("{u} does not parse"));
        assert_eq!(p.spelling, spelling, "{u}");
        assert_eq!(p.model, model, "{u}");
        assert_eq!(p.token, token, "{u}");
        assert_eq!(p.tier, tier, "{u}");
        assert_eq!(
            (p.batch, p.global, p.long_context),
            (batch, global, long),
            "{u}"
        );
        assert_eq!(crate::bedrock::token_type_of(u), Some(token), "{u}");
        assert_eq!(
            crate::bedrock::form_of_usage_type(u),
            spelling.form(),
            "{u}"
        );
        let lower = u.to_ascii_lowercase();
        assert!(
            TOKEN_NEEDLES.iter().any(|n| lower.contains(n)),
            "the SQL needles miss {u}"
        );
    }
}

#[test]
fn other_qualifiers_and_non_tokens() {
    let geo = parse_usage_type("USE1-Claude4Sonnet-input-tokens-cross-region-geo").unwrap();
    assert!(geo.geo && !geo.global);
    let lo = parse_usage_type("USE1-NovaPro-input-tokens-latency-optimized").unwrap();
    assert!(lo.latency_optimized);
    for u in [
        "USE1-BoxUsage:m5.large",
        "BoxUsage:m5.large",
        "DataTransfer-Out-Bytes",
        "USE1-Guardrail-ContentPolicyUnitsConsumed",
        "USE1-NovaCanvas-output-image-count",
        "USE1-Claude4Sonnet-reserved-1-month-input-tokens-per-minute-cross-region-global",
        "USE1-MP:USE1_ProvisionedThroughput_1MonthCommit_ModelUnits_Usage-Units",
        "USE1-MP:USE1_CacheStorage-Units",
        "USE1-Claude4.6Sonnet-input-tokens-sideways",
        "",
    ] {
        assert!(parse_usage_type(u).is_none(), "{u}");
    }
    assert_eq!(parse_usage_type("USE1-MP:USE1_CacheStorage-Units"), None);
}

#[test]
fn built_spellings_round_trip() {
    for spelling in [A, CAMEL, SNAKE] {
        for token in TokenType::ALL {
            for tier in [Standard, Priority, Flex] {
                for bits in 0..8u8 {
                    let key = UsageKey {
                        token,
                        tier,
                        batch: bits & 1 != 0,
                        global: bits & 2 != 0,
                        long_context: bits & 4 != 0,
                    };
                    if spelling == SNAKE && key.batch && tier != Standard {
                        continue; // batch takes the snake tier slot
                    }
                    if spelling == CAMEL && tier != Standard {
                        continue; // no CamelCase tier spelling is known
                    }
                    let u = usage_type("USW2", "Claude4.5Sonnet", spelling, key);
                    let p = parse_usage_type(&u).unwrap_or_else(|| panic!("{u}"));
                    assert_eq!(p.spelling, spelling, "{u}");
                    assert_eq!(
                        UsageKey {
                            token: p.token,
                            tier: p.tier,
                            batch: p.batch,
                            global: p.global,
                            long_context: p.long_context,
                        },
                        key,
                        "{u}"
                    );
                }
            }
        }
    }
}

#[test]
fn builder_writes_the_reference_spellings() {
    let k = |token, tier, batch, global, long_context| UsageKey {
        token,
        tier,
        batch,
        global,
        long_context,
    };
    let cases = [
        (
            A,
            "Nova2.0Lite",
            k(Input, Standard, true, true, false),
            "USE1-Nova2.0Lite-input-tokens-cross-region-global-batch",
        ),
        (
            A,
            "Nova2.0Lite",
            k(Input, Flex, false, true, false),
            "USE1-Nova2.0Lite-input-tokens-flex-cross-region-global",
        ),
        (
            A,
            "NovaPro",
            k(Input, Standard, true, false, false),
            "USE1-NovaPro-input-tokens-batch",
        ),
        (
            A,
            "Claude4Sonnet",
            k(Input, Standard, false, true, true),
            "USE1-Claude4Sonnet-input-tokens-long-context-cross-region-global",
        ),
        (
            CAMEL,
            "x",
            k(Input, Standard, true, true, false),
            "USE1-MP:USE1_InputTokenCount_Global_Batch-Units",
        ),
        (
            CAMEL,
            "x",
            k(CacheWrite1h, Standard, false, true, false),
            "USE1-MP:USE1_CacheWrite1hInputTokenCount_Global-Units",
        ),
        (
            SNAKE,
            "x",
            k(Input, Standard, false, false, false),
            "USE1-MP:USE1_input_tokens_standard-Units",
        ),
        (
            SNAKE,
            "x",
            k(Input, Standard, false, true, false),
            "USE1-MP:USE1_input_tokens_global_standard-Units",
        ),
        (
            SNAKE,
            "x",
            k(CacheWrite1h, Standard, false, true, false),
            "USE1-MP:USE1_cache_write_tokens_1h_global_standard-Units",
        ),
    ];
    for (spelling, model, key, want) in cases {
        assert_eq!(usage_type("USE1", model, spelling, key), want);
    }
    assert_eq!(
        usage_type("USE2", "x", SNAKE, k(Output, Standard, false, false, false)),
        "USE2-MP:USE2_output_tokens_standard-Units"
    );
    assert_eq!(Spelling::MarketplaceSnake.form(), BillingForm::Marketplace);
}
