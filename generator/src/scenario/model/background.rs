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
}

fn one_u32() -> u32 {
    1
}
