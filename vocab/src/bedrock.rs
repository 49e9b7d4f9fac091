//! Amazon Bedrock line items in CUR 2.0: usage types, billing forms, operations (reference §4).

use chrono::NaiveDate;

/// First usage day for which CUR 2.0 carries `line_item_iam_principal` (reference §1).
pub fn principal_data_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 4, 8).expect("valid date")
}

/// Operation of a non-streaming inference row.
pub const OP_INVOKE: &str = "InvokeModelInference";
/// Operation of a streaming inference row.
pub const OP_INVOKE_STREAMING: &str = "InvokeModelStreamingInference";

/// AWS-billed Bedrock product codes (form A) and related services.
pub const BEDROCK_PRODUCT_CODES: &[&str] = &[
    "AmazonBedrock",
    "AmazonBedrockService",
    "AmazonBedrockFoundationModels",
];

/// How a model's tokens are billed (reference §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BillingForm {
    /// Form A: billed by AWS, `pricing_unit = '1K tokens'`, usage in thousands of tokens.
    Aws,
    /// Form B: billed by AWS Marketplace, `pricing_unit = 'Units'` (1M tokens).
    Marketplace,
}

impl BillingForm {
    /// The `pricing_unit` value of this form.
    pub fn pricing_unit(self) -> &'static str {
        match self {
            BillingForm::Aws => "1K tokens",
            BillingForm::Marketplace => "Units",
        }
    }

    /// Tokens per pricing unit.
    pub fn tokens_per_unit(self) -> u64 {
        match self {
            BillingForm::Aws => 1_000,
            BillingForm::Marketplace => 1_000_000,
        }
    }

    /// The billing form a `pricing_unit` value implies, if any.
    pub fn from_pricing_unit(unit: &str) -> Option<BillingForm> {
        match unit {
            "1K tokens" => Some(BillingForm::Aws),
            "Units" => Some(BillingForm::Marketplace),
            _ => None,
        }
    }
}

/// The token direction of a usage type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TokenType {
    /// Prompt tokens.
    Input,
    /// Completion tokens.
    Output,
    /// Prompt-cache reads.
    CacheRead,
    /// Prompt-cache writes (5-minute TTL).
    CacheWrite,
    /// Prompt-cache writes (1-hour TTL).
    CacheWrite1h,
}

impl TokenType {
    /// All token types, in report order.
    pub const ALL: [TokenType; 5] = [
        TokenType::Input,
        TokenType::Output,
        TokenType::CacheRead,
        TokenType::CacheWrite,
        TokenType::CacheWrite1h,
    ];

    /// Stable short name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenType::Input => "input",
            TokenType::Output => "output",
            TokenType::CacheRead => "cache-read",
            TokenType::CacheWrite => "cache-write",
            TokenType::CacheWrite1h => "cache-write-1h",
        }
    }

    /// The `product['inference_type']` text.
    pub fn inference_type(self) -> &'static str {
        match self {
            TokenType::Input => "Input tokens",
            TokenType::Output => "Output tokens",
            TokenType::CacheRead => "Cache read input tokens",
            TokenType::CacheWrite => "Cache write input tokens",
            TokenType::CacheWrite1h => "Cache write input tokens (1h)",
        }
    }
}

/// Service tier of a request.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceTier {
    /// Default tier, no suffix.
    Standard,
    /// `-priority` suffix.
    Priority,
    /// `-flex` suffix.
    Flex,
}

pub use crate::usage_type::{
    parse_usage_type, usage_type, ParsedUsageType, Spelling, UsageKey, TOKEN_NEEDLES,
};

/// The token type a Bedrock usage type names, in any spelling [`parse_usage_type`] reads;
/// for other text that still looks like a token usage type (an unknown qualifier) the token
/// word decides, so a new AWS suffix does not hide a token row. `None` when it is not a token
/// usage type.
pub fn token_type_of(usage_type: &str) -> Option<TokenType> {
    if let Some(p) = parse_usage_type(usage_type) {
        return Some(p.token);
    }
    let u = usage_type.to_ascii_lowercase();
    if u.contains("cache-read") || u.contains("cacheread") || u.contains("cache_read") {
        Some(TokenType::CacheRead)
    } else if u.contains("cache-write") || u.contains("cachewrite") || u.contains("cache_write") {
        if u.contains("1h") {
            Some(TokenType::CacheWrite1h)
        } else {
            Some(TokenType::CacheWrite)
        }
    } else if u.contains("input-tokens")
        || u.contains("inputtokencount")
        || u.contains("inputtokens")
        || u.contains("input_tokens")
    {
        Some(TokenType::Input)
    } else if u.contains("output-tokens")
        || u.contains("outputtokencount")
        || u.contains("outputtokens")
        || u.contains("output_tokens")
    {
        Some(TokenType::Output)
    } else {
        None
    }
}

/// The billing form a Bedrock token usage type is written in.
pub fn form_of_usage_type(usage_type: &str) -> BillingForm {
    if usage_type.contains("-MP:") {
        BillingForm::Marketplace
    } else {
        BillingForm::Aws
    }
}

/// Billing region codes (reference §4.2). `ap-south-1` is `APS3`; `eu-west-1` is plain `EU`
/// (the Price List's oldest European code, as in `EU-BoxUsage:…` and the Bedrock usage type
/// `EU-Qwen3-32B-input-tokens-batch` of reference §4.2), not `EUW1`.
pub const REGION_CODES: &[(&str, &str)] = &[
    ("us-east-1", "USE1"),
    ("us-east-2", "USE2"),
    ("us-west-1", "USW1"),
    ("us-west-2", "USW2"),
    ("ca-central-1", "CAN1"),
    ("eu-central-1", "EUC1"),
    ("eu-west-1", "EU"),
    ("eu-west-2", "EUW2"),
    ("eu-west-3", "EUW3"),
    ("eu-north-1", "EUN1"),
    ("ap-northeast-1", "APN1"),
    ("ap-northeast-2", "APN2"),
    ("ap-northeast-3", "APN3"),
    ("ap-southeast-1", "APS1"),
    ("ap-southeast-2", "APS2"),
    ("ap-south-1", "APS3"),
];

/// The billing code of a region (`us-east-1` → `USE1`).
pub fn region_code(region: &str) -> Option<&'static str> {
    REGION_CODES
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, c)| *c)
}

/// The display name of a region as `product_location` spells it.
pub fn region_location(region: &str) -> &'static str {
    match region {
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-1" => "US West (N. California)",
        "us-west-2" => "US West (Oregon)",
        "ca-central-1" => "Canada (Central)",
        "eu-central-1" => "EU (Frankfurt)",
        "eu-west-1" => "EU (Ireland)",
        "eu-west-2" => "EU (London)",
        "eu-west-3" => "EU (Paris)",
        "eu-north-1" => "EU (Stockholm)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-northeast-2" => "Asia Pacific (Seoul)",
        "ap-northeast-3" => "Asia Pacific (Osaka)",
        "ap-southeast-1" => "Asia Pacific (Singapore)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "ap-south-1" => "Asia Pacific (Mumbai)",
        _ => "",
    }
}

/// Fields of one row that decide whether it is Bedrock spend.
#[derive(Debug, Clone, Copy, Default)]
pub struct RowIdentity<'a> {
    /// `line_item_product_code`
    pub product_code: &'a str,
    /// `bill_billing_entity`
    pub billing_entity: &'a str,
    /// `product_product_family`
    pub product_family: &'a str,
    /// `product['product_name']`
    pub product_name: &'a str,
    /// `line_item_operation`
    pub operation: &'a str,
    /// `line_item_line_item_type`
    pub line_item_type: &'a str,
}

/// True for any Amazon Bedrock row, in either billing form (CUDOS's rule plus the 2026-07
/// product family).
pub fn is_bedrock(r: &RowIdentity<'_>) -> bool {
    BEDROCK_PRODUCT_CODES.contains(&r.product_code)
        || r.product_family == "Amazon Bedrock"
        || (r.billing_entity == "AWS Marketplace" && r.product_name.contains("Bedrock"))
}

/// True for a Bedrock model-inference usage row: the rows that carry a principal.
pub fn is_bedrock_inference(r: &RowIdentity<'_>) -> bool {
    r.line_item_type == "Usage"
        && matches!(r.operation, OP_INVOKE | OP_INVOKE_STREAMING)
        && is_bedrock(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes_follow_the_price_list() {
        assert_eq!(region_code("eu-west-1"), Some("EU"));
        assert_eq!(region_code("ap-south-1"), Some("APS3"));
        assert_eq!(region_code("us-east-1"), Some("USE1"));
        let p = crate::usage_type::parse_usage_type("EU-Qwen3-32B-input-tokens-batch")
            .expect("the reference's eu-west-1 batch usage type parses");
        assert!(p.batch);
        assert_eq!(p.region_code, "EU");
    }

    #[test]
    fn token_words_decide_unknown_suffixes() {
        // Not in any known grammar, but plainly a token usage type.
        assert_eq!(
            token_type_of("USE1-Claude9Sonnet-input-tokens-brand-new-suffix"),
            Some(TokenType::Input)
        );
        assert_eq!(token_type_of("USE1-BoxUsage:t3.large"), None);
        assert_eq!(
            form_of_usage_type("USE1-MP:USE1_input_tokens_standard-Units"),
            BillingForm::Marketplace
        );
    }

    #[test]
    fn classifies_rows() {
        let a = RowIdentity {
            product_code: "AmazonBedrock",
            operation: OP_INVOKE,
            line_item_type: "Usage",
            ..Default::default()
        };
        assert!(is_bedrock_inference(&a));
        let mp = RowIdentity {
            product_code: "4a524th30q694o538qndh9ucht",
            billing_entity: "AWS Marketplace",
            product_name: "Claude Sonnet 4.6 (Amazon Bedrock Edition)",
            operation: OP_INVOKE_STREAMING,
            line_item_type: "Usage",
            ..Default::default()
        };
        assert!(is_bedrock_inference(&mp));
        let tax = RowIdentity {
            line_item_type: "Tax",
            ..a
        };
        assert!(!is_bedrock_inference(&tax));
        let ec2 = RowIdentity {
            product_code: "AmazonEC2",
            operation: "RunInstances",
            ..a
        };
        assert!(!is_bedrock(&ec2));
    }
}

/// `line_item_product_code` of Amazon Bedrock AgentCore (Runtime, Gateway, Memory, tools), which
/// IAM principal attribution does not cover (AgentCore developer guide, "per-agent cost").
pub const AGENTCORE_PRODUCT_CODE: &str = "AmazonBedrockAgentCore";

/// Whether a usage type is a Bedrock commitment: Provisioned Throughput model units
/// (`USE1-<Model>-ProvisionedThroughput-1month-ModelUnits`,
/// `USE1-MP:USE1_ProvisionedThroughput_1MonthCommit_ModelUnits_Usage-Units`) or the Reserved
/// tier (`USE1-MP:USE1_Reserved_1Month_InputTPM_Geo-Units`). Case-insensitive substrings, as
/// the CUDOS dashboard classifies them (`provisionedthroughput`, `reserved`), narrowed by the
/// unit each spelling carries (`modelunits`, `tpm`).
pub fn is_commitment_usage_type(usage_type: &str) -> bool {
    let has = |needle: &str| {
        usage_type
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    (has("provisionedthroughput") && has("modelunits")) || (has("_reserved_") && has("tpm"))
}

#[cfg(test)]
mod commitment_tests {
    use super::*;

    #[test]
    fn commitment_usage_types() {
        for yes in [
            "USE1-Nova2.0Lite-ProvisionedThroughput-1month-ModelUnits",
            "USE1-MP:USE1_ProvisionedThroughput_1MonthCommit_ModelUnits_Usage-Units",
            "USE1-MP:USE1_Reserved_1Month_InputTPM_Geo-Units",
            "USW2-MP:USW2_Reserved_3Month_OutputTPM_Global-Units",
        ] {
            assert!(is_commitment_usage_type(yes), "{yes}");
        }
        for no in [
            "USE1-NovaPro-input-tokens",
            "USE1-MP:USE1_InputTokenCount-Units",
            "USE1-Guardrail-ContentPolicyUnitsConsumed",
            "USE1-Reserved-Something",
        ] {
            assert!(!is_commitment_usage_type(no), "{no}");
        }
    }
}
