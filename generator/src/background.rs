//! Non-Bedrock spend (EC2, S3, Lambda, CloudWatch, data transfer, RDS, EKS, SES, SNS, SQS,
//! Secrets Manager), so an export looks like a real mixed CUR: usage types, operations,
//! product families, descriptions and `product` maps shaped like real rows. Prices are
//! us-east-1 list prices; usage varies hour by hour, seeded.

use std::sync::Arc;

use curlab_vocab::bedrock;
use rand::RngExt;

use crate::keys::{bucket_of, BackgroundKey, FxMap};
use crate::plan::{BackgroundPlan, Plan};
use crate::rows::Sku;
use crate::scenario::model::BackgroundService;
use crate::seed::short_id;
use crate::seed::{self, Daily};

mod bedrock_charges;

/// How a service's usage types carry the region.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefix {
    /// No prefix in us-east-1, the region's billing code elsewhere (`BoxUsage:m5.large`,
    /// `EUC1-BoxUsage:m5.large`): the older services.
    NotInUsEast1,
    /// Always prefixed, also in us-east-1 (`USE1-DataProcessing-Bytes`; real exports show
    /// this for CloudWatch, EKS and Secrets Manager).
    Always,
}

/// An instance line: `product_instance_type`, `product_instance_family` and the
/// normalization factor AWS writes for it.
struct Instance {
    instance_type: &'static str,
    family: &'static str,
    normalization: f64,
}

/// One line a service produces: usage type (without the region prefix), operation, unit, rate
/// (1e-10 USD), the mean usage per resource per hour (1e-6 units) and how the row reads.
struct Line {
    usage: &'static str,
    operation: &'static str,
    unit: &'static str,
    rate_e10: i64,
    per_hour_e6: i64,
    /// Variation around the mean, 0 = constant.
    jitter: f64,
    /// `product_product_family`.
    family: &'static str,
    /// `line_item_line_item_description`; `{rate}` is the rate without trailing zeros,
    /// `{location}` the region's name and `{code}` its billing code. Empty: `${rate} per {unit}`.
    description: &'static str,
    /// Whether the price list has an `operation` attribute (`product_operation` is set).
    product_operation: bool,
    /// Service-specific `product` map entries (besides `product_name`, `servicename`, `region`).
    map: &'static [(&'static str, &'static str)],
    /// Instance type, for instance-hour lines.
    instance: Option<Instance>,
}

/// One background service: its product and lines. Key names and values of the `product` maps
/// are those of real CUR 2.0 rows where the real export has the service (S3, CloudWatch, RDS,
/// EKS, SES, SNS, SQS, Secrets Manager) and the AWS Price List attribute names in the same
/// snake_case form otherwise (EC2, Lambda, data transfer); docs/export-format.md lists which.
struct Service {
    product_code: &'static str,
    product_name: &'static str,
    /// `product['servicename']`.
    servicename: &'static str,
    prefix: Prefix,
    /// `line_item_availability_zone`: the resource's zone (`<region>a`), the region itself (RDS
    /// in the real export) or nothing.
    zone: Zone,
    /// Data transfer out to the internet (from/to locations instead of a location).
    data_transfer: bool,
    lines: &'static [Line],
}

/// What `line_item_availability_zone` holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Zone {
    /// Null.
    None,
    /// The region's first zone (`us-east-1a`).
    First,
    /// The region code itself.
    Region,
}

const LINE: Line = Line {
    usage: "",
    operation: "",
    unit: "",
    rate_e10: 0,
    per_hour_e6: 0,
    jitter: 0.0,
    family: "",
    description: "",
    product_operation: false,
    map: &[],
    instance: None,
};

const EC2: Service = Service {
    product_code: "AmazonEC2",
    product_name: "Amazon Elastic Compute Cloud",
    servicename: "Amazon Elastic Compute Cloud",
    prefix: Prefix::NotInUsEast1,
    zone: Zone::First,
    data_transfer: false,
    lines: &[Line {
        usage: "BoxUsage:m5.large",
        operation: "RunInstances",
        unit: "Hrs",
        rate_e10: 960_000_000,
        per_hour_e6: 1_000_000,
        jitter: 0.0,
        family: "Compute Instance",
        description: "${rate} per On Demand Linux m5.large Instance Hour",
        product_operation: true,
        // AWS Price List attributes of the m5.large Linux shared on-demand SKU.
        map: &[
            ("capacitystatus", "Used"),
            ("classicnetworkingsupport", "false"),
            ("clock_speed", "3.1 GHz"),
            ("current_generation", "Yes"),
            ("dedicated_ebs_throughput", "Up to 4750 Mbps"),
            ("ecu", "10"),
            ("enhanced_networking_supported", "Yes"),
            ("gpu_memory", "NA"),
            ("intel_avx2_available", "Yes"),
            ("intel_avx_available", "Yes"),
            ("intel_turbo_available", "Yes"),
            ("license_model", "No License required"),
            ("marketoption", "OnDemand"),
            ("memory", "8 GiB"),
            ("network_performance", "Up to 10 Gigabit"),
            ("normalization_size_factor", "4"),
            ("operating_system", "Linux"),
            ("physical_processor", "Intel Xeon Platinum 8175"),
            ("pre_installed_sw", "NA"),
            ("processor_architecture", "64-bit"),
            (
                "processor_features",
                "Intel AVX; Intel AVX2; Intel AVX512; Intel Turbo",
            ),
            ("storage", "EBS only"),
            ("tenancy", "Shared"),
            ("vcpu", "2"),
            ("vpcnetworkingsupport", "true"),
        ],
        instance: Some(Instance {
            instance_type: "m5.large",
            family: "General purpose",
            normalization: 4.0,
        }),
    }],
};

const S3: Service = Service {
    product_code: "AmazonS3",
    product_name: "Amazon Simple Storage Service",
    servicename: "Amazon Simple Storage Service",
    prefix: Prefix::NotInUsEast1,
    zone: Zone::None,
    data_transfer: false,
    lines: &[
        Line {
            usage: "TimedStorage-ByteHrs",
            operation: "StandardStorage",
            unit: "GB-Mo",
            rate_e10: 230_000_000,
            per_hour_e6: 694_444,
            jitter: 0.02,
            family: "Storage",
            description: "${rate} per GB - first 50 TB / month of storage used",
            map: &[
                ("availability", "99.99%"),
                ("durability", "99.999999999%"),
                ("storage_class", "General Purpose"),
                ("volume_type", "Standard"),
            ],
            ..LINE
        },
        Line {
            usage: "Requests-Tier1",
            operation: "PutObject",
            unit: "Requests",
            rate_e10: 50_000,
            per_hour_e6: 2_000_000_000,
            jitter: 0.6,
            family: "API Request",
            description: "$0.005 per 1,000 PUT, COPY, POST, or LIST requests",
            map: &[
                ("group", "S3-API-Tier1"),
                ("group_description", "PUT/COPY/POST or LIST requests"),
            ],
            ..LINE
        },
    ],
};

const LAMBDA: Service = Service {
    product_code: "AWSLambda",
    product_name: "AWS Lambda",
    servicename: "AWS Lambda",
    prefix: Prefix::NotInUsEast1,
    zone: Zone::None,
    data_transfer: false,
    lines: &[
        Line {
            usage: "Lambda-GB-Second",
            operation: "Invoke",
            unit: "Lambda-GB-Second",
            rate_e10: 166_667,
            per_hour_e6: 3_600_000_000,
            jitter: 0.5,
            family: "Serverless",
            description: "AWS Lambda - Total Compute - {location}",
            map: &[
                ("group", "AWS-Lambda-Duration"),
                ("group_description", "Invocation duration"),
            ],
            ..LINE
        },
        Line {
            usage: "Request",
            operation: "Invoke",
            unit: "Requests",
            rate_e10: 2_000,
            per_hour_e6: 12_000_000_000,
            jitter: 0.5,
            family: "Serverless",
            description: "AWS Lambda - Total Requests - {location}",
            map: &[
                ("group", "AWS-Lambda-Requests"),
                ("group_description", "Invocation call for a Lambda function"),
            ],
            ..LINE
        },
    ],
};

const CLOUDWATCH: Service = Service {
    product_code: "AmazonCloudWatch",
    product_name: "AmazonCloudWatch",
    servicename: "AmazonCloudWatch",
    prefix: Prefix::Always,
    zone: Zone::None,
    data_transfer: false,
    lines: &[Line {
        usage: "DataProcessing-Bytes",
        operation: "PutLogEvents",
        unit: "GB",
        rate_e10: 5_000_000_000,
        per_hour_e6: 150_000,
        jitter: 0.4,
        family: "Data Payload",
        product_operation: true,
        map: &[
            ("group", "Ingested Logs"),
            (
                "group_description",
                "Existing system, application, and custom log files",
            ),
            ("logs_destination", "Amazon CloudWatch Logs"),
            ("version", "Current"),
        ],
        ..LINE
    }],
};

const DATA_TRANSFER: Service = Service {
    product_code: "AWSDataTransfer",
    product_name: "AWS Data Transfer",
    servicename: "AWS Data Transfer",
    prefix: Prefix::NotInUsEast1,
    zone: Zone::None,
    data_transfer: true,
    lines: &[Line {
        usage: "DataTransfer-Out-Bytes",
        operation: "RunInstances",
        unit: "GB",
        rate_e10: 900_000_000,
        per_hour_e6: 400_000,
        jitter: 0.7,
        family: "Data Transfer",
        description:
            "$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier",
        map: &[("transfer_type", "AWS Outbound")],
        ..LINE
    }],
};

const RDS: Service = Service {
    product_code: "AmazonRDS",
    product_name: "Amazon Relational Database Service",
    servicename: "Amazon Relational Database Service",
    prefix: Prefix::NotInUsEast1,
    zone: Zone::Region,
    data_transfer: false,
    lines: &[
        Line {
            usage: "InstanceUsage:db.m5.large",
            operation: "CreateDBInstance:0014",
            unit: "Hrs",
            rate_e10: 1_780_000_000,
            per_hour_e6: 1_000_000,
            jitter: 0.0,
            family: "Database Instance",
            description: "${rate} per RDS db.m5.large Single-AZ instance hour (or partial hour) running PostgreSQL",
            product_operation: true,
            map: &[
                ("clock_speed", "2.5 GHz"),
                ("current_generation", "Yes"),
                ("database_engine", "PostgreSQL"),
                ("dedicated_ebs_throughput", "Up to 2120 Mbps"),
                ("deployment_option", "Single-AZ"),
                ("engine_code", "14"),
                ("enhanced_networking_supported", "Yes"),
                ("instance_type_family", "M5"),
                ("license_model", "No license required"),
                ("memory", "8 GiB"),
                ("network_performance", "Up to 10 Gigabit"),
                ("normalization_size_factor", "4"),
                ("physical_processor", "Intel Xeon Platinum 8175"),
                ("processor_architecture", "64-bit"),
                (
                    "processor_features",
                    "Intel AVX, Intel AVX2, Intel AVX512, Intel Turbo",
                ),
                ("storage", "EBS Only"),
                ("vcpu", "2"),
            ],
            instance: Some(Instance {
                instance_type: "db.m5.large",
                family: "General purpose",
                normalization: 4.0,
            }),
        },
        Line {
            usage: "RDS:GP3-Storage",
            operation: "CreateDBInstance:0014",
            unit: "GB-Mo",
            rate_e10: 1_150_000_000,
            per_hour_e6: 136_986,
            jitter: 0.0,
            family: "Database Storage",
            description: "${rate} per GB-month of provisioned GP3 storage running PostgreSQL",
            product_operation: true,
            map: &[
                ("database_engine", "PostgreSQL"),
                ("deployment_option", "Single-AZ"),
                ("engine_code", "14"),
                ("max_volume_size", "64 TB"),
                ("min_volume_size", "20 GB"),
                ("storage_media", "SSD"),
                ("volume_type", "General Purpose-GP3"),
            ],
            ..LINE
        },
    ],
};

const EKS: Service = Service {
    product_code: "AmazonEKS",
    product_name: "Amazon Elastic Container Service for Kubernetes",
    servicename: "Amazon Elastic Container Service for Kubernetes",
    prefix: Prefix::Always,
    zone: Zone::None,
    data_transfer: false,
    lines: &[Line {
        usage: "AmazonEKS-Hours:perCluster",
        operation: "CreateOperation",
        unit: "Hours",
        rate_e10: 1_000_000_000,
        per_hour_e6: 1_000_000,
        jitter: 0.0,
        family: "Compute",
        description: "Amazon EKS cluster usage in {location}",
        product_operation: true,
        map: &[("tiertype", "HAStandard")],
        instance: None,
    }],
};

const SES: Service = Service {
    product_code: "AmazonSES",
    product_name: "Amazon Simple Email Service",
    servicename: "Amazon Simple Email Service",
    prefix: Prefix::NotInUsEast1,
    zone: Zone::None,
    data_transfer: false,
    lines: &[Line {
        usage: "Recipients",
        operation: "Send",
        unit: "Count",
        rate_e10: 1_000_000,
        per_hour_e6: 200_000_000,
        jitter: 0.6,
        family: "Sending Email",
        description: "USD{rate} Cost per recipient of SendEmail or SendRawEmail {code}",
        product_operation: true,
        map: &[
            ("content_type", "Message Body"),
            (
                "description",
                "Charged for each email sent to an external recipient",
            ),
            ("origin", "Other"),
            ("recipient", "Other"),
        ],
        instance: None,
    }],
};

const SNS: Service = Service {
    product_code: "AmazonSNS",
    product_name: "Amazon Simple Notification Service",
    servicename: "Amazon Simple Notification Service",
    prefix: Prefix::NotInUsEast1,
    zone: Zone::None,
    data_transfer: false,
    lines: &[Line {
        usage: "Requests-Tier1",
        operation: "Publish",
        unit: "Requests",
        rate_e10: 5_000,
        per_hour_e6: 20_000_000_000,
        jitter: 0.5,
        family: "API Request",
        description: "$0.50 per 1 million Amazon SNS API Requests",
        map: &[
            ("group", "SNS-Requests-Tier1"),
            ("group_description", "Amazon SNS API Requests"),
        ],
        ..LINE
    }],
};

const SQS: Service = Service {
    product_code: "AWSQueueService",
    product_name: "Amazon Simple Queue Service",
    servicename: "Amazon Simple Queue Service",
    prefix: Prefix::NotInUsEast1,
    zone: Zone::None,
    data_transfer: false,
    lines: &[Line {
        usage: "Requests-RBP",
        operation: "SendMessage",
        unit: "Requests",
        rate_e10: 4_000,
        per_hour_e6: 50_000_000_000,
        jitter: 0.5,
        family: "API Request",
        description: "$0.40 per 1,000,000 Amazon SQS Requests",
        map: &[
            ("group", "SQS-APIRequest-Tier1"),
            ("group_description", "Amazon SQS Requests"),
            ("message_delivery_frequency", "At Least Once"),
            ("message_delivery_order", "Not Guaranteed"),
            ("queue_type", "Standard"),
        ],
        ..LINE
    }],
};

const SECRETS_MANAGER: Service = Service {
    product_code: "AWSSecretsManager",
    product_name: "AWS Secrets Manager",
    servicename: "AWS Secrets Manager",
    prefix: Prefix::Always,
    zone: Zone::None,
    data_transfer: false,
    lines: &[
        Line {
            usage: "AWSSecretsManager-Secrets",
            operation: "SecretUsage",
            unit: "Secrets",
            rate_e10: 4_000_000_000,
            per_hour_e6: 1_389,
            jitter: 0.0,
            family: "Secret",
            description: "${rate} per Secret",
            map: &[("group", "AWSSecretsManager-Secret")],
            ..LINE
        },
        Line {
            usage: "AWSSecretsManagerAPIRequest",
            operation: "GetSecretValue",
            unit: "API Requests",
            rate_e10: 50_000,
            per_hour_e6: 300_000_000,
            jitter: 0.5,
            family: "API Request",
            description: "$0.05 per 10000 API Requests",
            map: &[("group", "AWSSecretsManager-APIRequest")],
            ..LINE
        },
    ],
};

fn service(s: BackgroundService) -> &'static Service {
    match s {
        BackgroundService::Ec2 => &EC2,
        BackgroundService::S3 => &S3,
        BackgroundService::Lambda => &LAMBDA,
        BackgroundService::Cloudwatch => &CLOUDWATCH,
        BackgroundService::DataTransfer => &DATA_TRANSFER,
        BackgroundService::Rds => &RDS,
        BackgroundService::Eks => &EKS,
        BackgroundService::Ses => &SES,
        BackgroundService::Sns => &SNS,
        BackgroundService::Sqs => &SQS,
        BackgroundService::SecretsManager => &SECRETS_MANAGER,
        BackgroundService::BedrockProvisionedThroughput => &bedrock_charges::BEDROCK_PT,
        BackgroundService::BedrockReservedTier => &bedrock_charges::BEDROCK_RESERVED,
        BackgroundService::BedrockGuardrails => &bedrock_charges::BEDROCK_GUARDRAILS,
        BackgroundService::BedrockRerank => &bedrock_charges::BEDROCK_RERANK,
        BackgroundService::BedrockAgentcoreRuntime => &bedrock_charges::BEDROCK_AGENTCORE,
        BackgroundService::BedrockCacheStorage => &bedrock_charges::BEDROCK_CACHE_STORAGE,
        BackgroundService::OpensearchServerless => &bedrock_charges::OPENSEARCH_SERVERLESS,
    }
}

fn lines(s: BackgroundService) -> &'static [Line] {
    service(s).lines
}

/// `line_item_operation` of a background line.
pub fn operation(service: BackgroundService, line: u8) -> &'static str {
    lines(service)[line as usize].operation
}

/// Every background service, in the order of [`BackgroundService`].
pub const SERVICES: [BackgroundService; 11] = [
    BackgroundService::Ec2,
    BackgroundService::S3,
    BackgroundService::Lambda,
    BackgroundService::Cloudwatch,
    BackgroundService::DataTransfer,
    BackgroundService::Rds,
    BackgroundService::Eks,
    BackgroundService::Ses,
    BackgroundService::Sns,
    BackgroundService::Sqs,
    BackgroundService::SecretsManager,
];

/// `line_item_product_code` of a background service's rows.
pub fn product_code(s: BackgroundService) -> &'static str {
    service(s).product_code
}

/// Mean cost of one resource of a service for one hour, USD (its lines' rate times mean usage;
/// the hourly jitter averages out). The synthetic twin sizes `resources` with it.
pub fn hourly_cost_usd(s: BackgroundService) -> f64 {
    lines(s)
        .iter()
        .map(|l| l.rate_e10 as f64 * 1e-10 * l.per_hour_e6 as f64 * 1e-6)
        .sum()
}

/// Simulate one day of every background entry into `out`.
pub fn simulate_day(plan: &Plan, day: i64, out: &mut FxMap<BackgroundKey, i64>) {
    for (ei, e) in plan.background.iter().enumerate() {
        for (li, line) in lines(e.service).iter().enumerate() {
            for (ri, _) in e.resources.iter().enumerate() {
                let mut rng = seed::daily(
                    plan.seed,
                    Daily::BackgroundLine(li as u8),
                    (ei as u64) << 32 | ri as u64,
                    day,
                );
                for h in 0..24 {
                    let t = day * 86_400 + h * 3600;
                    let factor = if line.jitter > 0.0 {
                        1.0 + line.jitter * (rng.random::<f64>() * 2.0 - 1.0)
                    } else {
                        1.0
                    };
                    let amount = (line.per_hour_e6 as f64 * factor).round() as i64;
                    let key = BackgroundKey {
                        bucket: bucket_of(plan, t),
                        entry: ei as u32,
                        resource: ri as u32,
                        line: li as u8,
                    };
                    *out.entry(key).or_default() += amount;
                }
            }
        }
    }
}

/// The SKU of one background line.
pub fn sku(e: &BackgroundPlan, line: u8) -> Sku {
    let svc = service(e.service);
    let l = &svc.lines[line as usize];
    let code = bedrock::region_code(&e.region).unwrap_or("USE1");
    let usage = l.usage.replace("{code}", code);
    let usage_type = if e.region == "us-east-1" && svc.prefix == Prefix::NotInUsEast1 {
        usage
    } else {
        format!("{code}-{usage}")
    };
    let location = bedrock::region_location(&e.region);
    let mut map: Vec<(String, String)> = l
        .map
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    map.push(("product_name".into(), svc.product_name.into()));
    map.push(("region".into(), e.region.clone()));
    map.push(("servicename".into(), svc.servicename.into()));
    map.sort();
    let sku = short_id(&format!("{}|{usage_type}", svc.product_code), 16).to_uppercase();
    let rate = crate::rows::format_rate(l.rate_e10);
    let rate = rate.trim_end_matches('0').trim_end_matches('.');
    let description = if l.description.is_empty() {
        format!("${rate} per {}", l.unit)
    } else {
        l.description
            .replace("{rate}", rate)
            .replace("{location}", location)
            .replace("{code}", code)
    };
    Sku {
        product_code: svc.product_code.into(),
        servicecode: Some(svc.product_code.into()),
        product_name: svc.product_name.into(),
        family: l.family.into(),
        billing_entity: "AWS",
        legal_entity: "Amazon Web Services, Inc.".into(),
        usage_type,
        pricing_unit: l.unit,
        rate_e10: l.rate_e10,
        public_rate_e10: Some(l.rate_e10),
        description,
        region: e.region.clone(),
        location,
        product_map: Arc::new(map),
        rate_code: format!("{sku}.JRTCKXETXF.6YS6EN2CT7"),
        rate_id: short_id(&sku, 10),
        sku,
        instance_type: l.instance.as_ref().map(|i| i.instance_type.into()),
        instance_family: l.instance.as_ref().map(|i| i.family.into()),
        availability_zone: match svc.zone {
            Zone::None => None,
            Zone::First => Some(format!("{}a", e.region)),
            Zone::Region => Some(e.region.clone()),
        },
        to_location: svc.data_transfer.then(|| "External".into()),
        product_operation: l.product_operation,
        normalization_factor: l.instance.as_ref().map_or(0.0, |i| i.normalization),
    }
}
