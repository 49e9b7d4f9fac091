//! `[[background]]`: non-Bedrock spend.

use serde::Deserialize;

use super::common::{us_east_1, TagMap};

/// A background (non-Bedrock) service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackgroundService {
    /// EC2 instance hours.
    Ec2,
    /// S3 storage.
    S3,
    /// Lambda requests and compute.
    Lambda,
    /// CloudWatch metrics.
    Cloudwatch,
    /// Data transfer out.
    DataTransfer,
    /// RDS PostgreSQL instance hours and GP3 storage.
    Rds,
    /// EKS cluster hours.
    Eks,
    /// SES email recipients.
    Ses,
    /// SNS API requests.
    Sns,
    /// SQS requests.
    Sqs,
    /// Secrets Manager secrets and API requests.
    SecretsManager,
    /// Bedrock Provisioned Throughput: Nova 2 Lite model units, 1-month commitment, hourly.
    BedrockProvisionedThroughput,
    /// Bedrock Reserved tier: 100K input and 10K output tokens per minute (Claude Sonnet 4.5
    /// class, 1 month, geo), hourly.
    BedrockReservedTier,
    /// Bedrock Guardrails text units (content, denied topics, sensitive information,
    /// contextual grounding).
    BedrockGuardrails,
    /// Amazon Rerank 1.0 search units.
    BedrockRerank,
    /// Bedrock AgentCore Runtime vCPU and memory hours.
    BedrockAgentcoreRuntime,
    /// Bedrock prompt-cache storage (`…_CacheStorage-Units`, million token-hours; the rate is
    /// an assumption).
    BedrockCacheStorage,
    /// OpenSearch Serverless search and indexing OCU-hours: the vector store of a Bedrock
    /// knowledge base, billed as its own product (`AmazonES`), not as Bedrock.
    OpensearchServerless,
}

/// How the truth file counts a Bedrock charge that is not a model call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BedrockCharge {
    /// Provisioned Throughput and Reserved tier fees (`commitment_fees`).
    Commitment,
    /// Other principal-free Bedrock charges (guardrails, rerank, AgentCore).
    Other,
}

impl BackgroundService {
    /// Whether the service is a Bedrock charge rather than non-Bedrock spend.
    pub fn bedrock_charge(self) -> Option<BedrockCharge> {
        match self {
            BackgroundService::BedrockProvisionedThroughput
            | BackgroundService::BedrockReservedTier => Some(BedrockCharge::Commitment),
            BackgroundService::BedrockGuardrails
            | BackgroundService::BedrockRerank
            | BackgroundService::BedrockAgentcoreRuntime
            | BackgroundService::BedrockCacheStorage => Some(BedrockCharge::Other),
            _ => None,
        }
    }
}

/// `[[background]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundSpec {
    /// Service.
    pub service: BackgroundService,
    /// Account id or name.
    pub account: String,
    /// Region.
    #[serde(default = "us_east_1")]
    pub region: String,
    /// Number of resources (instances, buckets, functions ...).
    #[serde(default = "one_u32")]
    pub resources: u32,
    /// Resource tags on those resources.
    #[serde(default)]
    pub resource_tags: TagMap,
    /// `bedrock-guardrails` only: the principal whose requests the guardrail screens, as a
    /// selector naming one principal (e.g. `role:SupportBotRole`). Its rows carry it (and its
    /// `iamPrincipal/` tags) when `[assumptions] guardrail_principal = "caller"`.
    #[serde(default)]
    pub caller: Option<String>,
}

fn one_u32() -> u32 {
    1
}
