//! Bedrock charges that are not model calls, as background services: Provisioned Throughput,
//! Reserved tier, guardrails, rerank and AgentCore Runtime (docs/export-format.md, "Other
//! Bedrock charges"). Operation `Usage` **[choice]**: only the two InvokeModel operations are
//! documented.

use super::{Line, Prefix, Service, Zone, LINE};

/// Provisioned Throughput: Nova 2 Lite, 1-month commitment, per model-unit hour.
pub(super) const BEDROCK_PT: Service = Service {
    product_code: "AmazonBedrock",
    product_name: "Amazon Bedrock",
    servicename: "Amazon Bedrock",
    prefix: Prefix::Always,
    zone: Zone::None,
    data_transfer: false,
    lines: &[Line {
        usage: "Nova2.0Lite-ProvisionedThroughput-1month-ModelUnits",
        operation: "Usage",
        unit: "Hrs",
        rate_e10: 550_000_000_000,
        per_hour_e6: 1_000_000,
        family: "Amazon Bedrock",
        description: "${rate} per model unit-hour for Nova 2 Lite Provisioned Throughput (1 month commitment) in {location}",
        product_operation: true,
        map: &[
            ("feature", "Provisioned Throughput Inference - 1 month"),
            ("model", "Nova 2 Lite"),
            ("provider", "Amazon"),
        ],
        ..LINE
    }],
};

/// Reserved tier: 1 month, geo, input and output tokens per minute.
pub(super) const BEDROCK_RESERVED: Service = Service {
    product_code: "AmazonBedrockService",
    product_name: "Amazon Bedrock Service",
    servicename: "Amazon Bedrock Service",
    prefix: Prefix::Always,
    zone: Zone::None,
    data_transfer: false,
    lines: &[
        Line {
            usage: "MP:{code}_Reserved_1Month_InputTPM_Geo-Units",
            operation: "Usage",
            unit: "Units",
            rate_e10: 1_980_000_000,
            per_hour_e6: 100_000_000,
            family: "Amazon Bedrock",
            description: "${rate} per 1K input tokens-per-minute-hour, Reserved tier (1 month, geo) in {location}",
            product_operation: true,
            map: &[
                ("feature", "Reserved Tier - 1 month"),
                ("model", "Claude Sonnet 4.5"),
                ("provider", "Anthropic"),
            ],
            ..LINE
        },
        Line {
            usage: "MP:{code}_Reserved_1Month_OutputTPM_Geo-Units",
            operation: "Usage",
            unit: "Units",
            rate_e10: 9_000_000_000,
            per_hour_e6: 10_000_000,
            family: "Amazon Bedrock",
            description: "${rate} per 1K output tokens-per-minute-hour, Reserved tier (1 month, geo) in {location}",
            product_operation: true,
            map: &[
                ("feature", "Reserved Tier - 1 month"),
                ("model", "Claude Sonnet 4.5"),
                ("provider", "Anthropic"),
            ],
            ..LINE
        },
    ],
};

/// A guardrail policy's text units.
const fn guardrail(usage: &'static str, rate_e10: i64, per_hour_e6: i64) -> Line {
    Line {
        usage,
        operation: "Usage",
        unit: "1K text units",
        rate_e10,
        per_hour_e6,
        jitter: 0.5,
        family: "Amazon Bedrock",
        description: "${rate} per 1K text units, Amazon Bedrock Guardrails in {location}",
        product_operation: true,
        map: &[("feature", "Guardrails")],
        instance: None,
    }
}

/// Guardrails: the paid policies.
pub(super) const BEDROCK_GUARDRAILS: Service = Service {
    product_code: "AmazonBedrock",
    product_name: "Amazon Bedrock",
    servicename: "Amazon Bedrock",
    prefix: Prefix::Always,
    zone: Zone::None,
    data_transfer: false,
    lines: &[
        guardrail(
            "Guardrail-ContentPolicyUnitsConsumed",
            1_500_000_000,
            1_500_000,
        ),
        guardrail(
            "Guardrail-TopicPolicyUnitsConsumed",
            1_500_000_000,
            1_500_000,
        ),
        guardrail(
            "Guardrail-SensitiveInformationPolicyPaidUnitsConsumed",
            1_000_000_000,
            1_500_000,
        ),
        guardrail(
            "Guardrail-ContextualGroundingPolicyUnitsConsumed",
            1_000_000_000,
            500_000,
        ),
    ],
};

/// Amazon Rerank 1.0 search units.
pub(super) const BEDROCK_RERANK: Service = Service {
    product_code: "AmazonBedrock",
    product_name: "Amazon Bedrock",
    servicename: "Amazon Bedrock",
    prefix: Prefix::Always,
    zone: Zone::None,
    data_transfer: false,
    lines: &[Line {
        usage: "AmazonRerank-v1-searchunits",
        operation: "Usage",
        unit: "Search Units",
        rate_e10: 10_000_000,
        per_hour_e6: 40_000_000,
        jitter: 0.5,
        family: "Amazon Bedrock",
        description: "${rate} per search unit for Amazon Rerank 1.0 in {location}",
        product_operation: true,
        map: &[
            ("feature", "Rerank"),
            ("model", "Amazon Rerank 1.0"),
            ("provider", "Amazon"),
        ],
        ..LINE
    }],
};

/// AgentCore Runtime vCPU and memory.
pub(super) const BEDROCK_AGENTCORE: Service = Service {
    product_code: "AmazonBedrockAgentCore",
    product_name: "Amazon Bedrock AgentCore",
    servicename: "Amazon Bedrock AgentCore",
    prefix: Prefix::Always,
    zone: Zone::None,
    data_transfer: false,
    lines: &[
        Line {
            usage: "Runtime:Consumption-based:vCPU",
            operation: "Usage",
            unit: "vCPU-Hours",
            rate_e10: 895_000_000,
            per_hour_e6: 500_000,
            jitter: 0.6,
            family: "Amazon Bedrock AgentCore",
            description: "${rate} per vCPU-hour, AgentCore Runtime in {location}",
            product_operation: true,
            map: &[("feature", "Runtime")],
            ..LINE
        },
        Line {
            usage: "Runtime:Consumption-based:Memory",
            operation: "Usage",
            unit: "GB-Hours",
            rate_e10: 94_500_000,
            per_hour_e6: 2_000_000,
            jitter: 0.6,
            family: "Amazon Bedrock AgentCore",
            description: "${rate} per GB-hour, AgentCore Runtime in {location}",
            product_operation: true,
            map: &[("feature", "Runtime")],
            ..LINE
        },
    ],
};
