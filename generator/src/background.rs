//! Non-Bedrock spend (EC2, S3, Lambda, CloudWatch, data transfer), so an export looks like a
//! real mixed CUR. Prices are us-east-1 list prices; usage varies hour by hour, seeded.

use std::sync::Arc;

use curlab_vocab::bedrock;
use rand::RngExt;

use crate::plan::{BackgroundPlan, Plan};
use crate::rows::{short_id, Sku};
use crate::scenario::model::BackgroundService;
use crate::sim::{bucket_of, rng_for, BackgroundKey, DayOutput};

/// One line a service produces: usage type suffix, operation, unit, rate (1e-10 USD) and the
/// mean usage per resource per hour (1e-6 units).
struct Line {
    usage: &'static str,
    operation: &'static str,
    unit: &'static str,
    rate_e10: i64,
    per_hour_e6: i64,
    /// Variation around the mean, 0 = constant.
    jitter: f64,
}

fn lines(service: BackgroundService) -> &'static [Line] {
    match service {
        BackgroundService::Ec2 => &[Line {
            usage: "BoxUsage:m5.large",
            operation: "RunInstances",
            unit: "Hrs",
            rate_e10: 960_000_000,
            per_hour_e6: 1_000_000,
            jitter: 0.0,
        }],
        BackgroundService::S3 => &[
            Line {
                usage: "TimedStorage-ByteHrs",
                operation: "StandardStorage",
                unit: "GB-Mo",
                rate_e10: 230_000_000,
                per_hour_e6: 694_444,
                jitter: 0.02,
            },
            Line {
                usage: "Requests-Tier1",
                operation: "PutObject",
                unit: "Requests",
                rate_e10: 50_000,
                per_hour_e6: 2_000_000_000,
                jitter: 0.6,
            },
        ],
        BackgroundService::Lambda => &[
            Line {
                usage: "Lambda-GB-Second",
                operation: "Invoke",
                unit: "Lambda-GB-Second",
                rate_e10: 166_667,
                per_hour_e6: 3_600_000_000,
                jitter: 0.5,
            },
            Line {
                usage: "Request",
                operation: "Invoke",
                unit: "Requests",
                rate_e10: 2_000,
                per_hour_e6: 12_000_000_000,
                jitter: 0.5,
            },
        ],
        BackgroundService::Cloudwatch => &[Line {
            usage: "DataProcessing-Bytes",
            operation: "PutLogEvents",
            unit: "GB",
            rate_e10: 5_000_000_000,
            per_hour_e6: 150_000,
            jitter: 0.4,
        }],
        BackgroundService::DataTransfer => &[Line {
            usage: "DataTransfer-Out-Bytes",
            operation: "RunInstances",
            unit: "GB",
            rate_e10: 900_000_000,
            per_hour_e6: 400_000,
            jitter: 0.7,
        }],
    }
}

/// `line_item_operation` of a background line.
pub fn operation(service: BackgroundService, line: u8) -> &'static str {
    lines(service)[line as usize].operation
}

/// Simulate one day of every background entry into `out`.
pub fn simulate_day(plan: &Plan, day: i64, out: &mut DayOutput) {
    for (ei, e) in plan.background.iter().enumerate() {
        for (li, line) in lines(e.service).iter().enumerate() {
            for (ri, _) in e.resources.iter().enumerate() {
                let mut rng = rng_for(
                    plan.seed,
                    100 + li as u64,
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
                    *out.background.entry(key).or_default() += amount;
                }
            }
        }
    }
}

/// The SKU of one background line.
pub fn sku(e: &BackgroundPlan, line: u8) -> Sku {
    let l = &lines(e.service)[line as usize];
    let code = bedrock::region_code(&e.region).unwrap_or("USE1");
    // us-east-1 usage types carry no region prefix; every other region does.
    let usage_type = if e.region == "us-east-1" {
        l.usage.to_string()
    } else {
        format!("{code}-{}", l.usage)
    };
    let (product_code, product_name, family) = match e.service {
        BackgroundService::Ec2 => (
            "AmazonEC2",
            "Amazon Elastic Compute Cloud",
            "Compute Instance",
        ),
        BackgroundService::S3 => (
            "AmazonS3",
            "Amazon Simple Storage Service",
            if line == 0 { "Storage" } else { "API Request" },
        ),
        BackgroundService::Lambda => ("AWSLambda", "AWS Lambda", "Serverless"),
        BackgroundService::Cloudwatch => ("AmazonCloudWatch", "AmazonCloudWatch", "Data Payload"),
        BackgroundService::DataTransfer => {
            ("AWSDataTransfer", "AWS Data Transfer", "Data Transfer")
        }
    };
    let location = bedrock::region_location(&e.region);
    let mut map = vec![
        ("product_name".to_string(), product_name.to_string()),
        ("region".to_string(), e.region.clone()),
        ("servicename".to_string(), product_name.to_string()),
    ];
    if e.service == BackgroundService::Ec2 {
        map.push(("operating_system".into(), "Linux".into()));
        map.push(("tenancy".into(), "Shared".into()));
        map.push(("current_generation".into(), "Yes".into()));
    }
    map.sort();
    let sku = short_id(&format!("{product_code}|{usage_type}"), 16).to_uppercase();
    let unit_desc = match l.unit {
        "Hrs" => "per On Demand Linux m5.large Instance Hour".to_string(),
        u => format!("per {u}"),
    };
    Sku {
        product_code: product_code.into(),
        servicecode: Some(product_code.into()),
        product_name: product_name.into(),
        family: family.into(),
        billing_entity: "AWS",
        legal_entity: "Amazon Web Services, Inc.".into(),
        usage_type,
        pricing_unit: l.unit,
        rate_e10: l.rate_e10,
        public_rate_e10: Some(l.rate_e10),
        description: format!(
            "${} {unit_desc}",
            crate::rows::format_rate(l.rate_e10)
                .trim_end_matches('0')
                .trim_end_matches('.')
        ),
        region: e.region.clone(),
        location,
        product_map: Arc::new(map),
        rate_code: format!("{sku}.JRTCKXETXF.6YS6EN2CT7"),
        rate_id: short_id(&sku, 10),
        sku,
        instance_type: (e.service == BackgroundService::Ec2).then(|| "m5.large".into()),
        instance_family: (e.service == BackgroundService::Ec2).then(|| "General purpose".into()),
        availability_zone: (e.service == BackgroundService::Ec2).then(|| format!("{}a", e.region)),
        to_location: (e.service == BackgroundService::DataTransfer).then(|| "External".into()),
    }
}
