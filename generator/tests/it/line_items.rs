//! Line item identity and tax rows, as real exports write them.
//!
//! In real CUR 2.0 exports `identity_line_item_id` names a line item: the same id repeats for
//! every `identity_time_interval` of it, and (id, interval) is unique. Checked here on every
//! shipped scenario and on a scenario with every background service, hourly, daily and monthly:
//! (id, interval) is unique; one id ↔ one line item (same account, product, usage type,
//! operation, resource, principal and tags in every interval); ids have the real shape; and
//! tax rows are shaped like real ones.

use std::collections::{BTreeMap, BTreeSet};

use curlab_generator::plan;
use curlab_generator::scenario;
use curlab_generator::sim;
use curlab_generator::{Plan, Row, RowKind, TagTable};

fn resolve(src: &str, name: &str) -> Plan {
    let file = scenario::parse(src, name).unwrap_or_else(|e| panic!("{name}: {e}"));
    plan::resolve(&file, None, 1.0)
        .unwrap_or_else(|p| panic!("{name}: {}", scenario::with_positions(src, name, p)))
}

fn rows_of(plan: &Plan) -> Vec<Row> {
    let tags = TagTable::new(plan);
    let mut rows = Vec::new();
    sim::run_in_order(plan, &tags, |chunk| rows.extend(chunk.rows));
    rows
}

/// Everything that identifies a line item, except its time interval.
fn line_item(r: &Row) -> String {
    format!(
        "{}|{}|{:?}|{}|{}|{}|{:?}|{:?}|{:?}|{:?}|{}",
        r.period,
        r.account,
        r.kind,
        r.sku.product_code,
        r.sku.usage_type,
        r.operation,
        r.resource_id,
        r.principal,
        r.tags,
        r.resource_tags,
        r.sku.sku,
    )
}

/// The checks every generated export passes; returns how many ids recur over intervals.
fn check_ids(name: &str, rows: &[Row]) -> usize {
    let mut pairs = BTreeSet::new();
    let mut by_id: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut by_item: BTreeMap<String, String> = BTreeMap::new();
    for r in rows {
        let id = r.id.as_str().to_string();
        assert_eq!(id.len(), 52, "{name}: {id}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)),
            "{name}: {id} is not lowercase base32"
        );
        assert!(
            id.ends_with('a') || id.ends_with('q'),
            "{name}: {id}: a 256-bit value ends in a or q"
        );
        assert!(
            pairs.insert((id.clone(), r.start, r.end)),
            "{name}: ({id}, {}) appears twice",
            r.start
        );
        let item = line_item(r);
        let e = by_id.entry(id.clone()).or_insert_with(|| (item.clone(), 0));
        assert_eq!(e.0, item, "{name}: id {id} names two line items");
        e.1 += 1;
        let other = by_item.entry(item.clone()).or_insert_with(|| id.clone());
        assert_eq!(*other, id, "{name}: line item {item} has two ids");
    }
    by_id.values().filter(|(_, n)| *n > 1).count()
}

#[test]
fn ids_are_per_line_item_and_unique_per_interval_in_every_shipped_scenario() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("scenarios folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 8, "every shipped scenario: {names:?}");
    for path in names {
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let src = std::fs::read_to_string(&path).expect("read");
        let rows = rows_of(&resolve(&src, &name));
        assert!(!rows.is_empty(), "{name}");
        let recurring = check_ids(&name, &rows);
        // Statistical traffic and background services run a line item over many intervals:
        // its id recurs. (blog-launch has only one-off explicit requests.)
        if src.contains("[[workloads]]") || src.contains("[[background]]") {
            assert!(recurring > 0, "{name}: no id spans more than one interval");
        }
    }
}

const ALL_SERVICES: &str = r#"
[scenario]
name = "services"
seed = 5

[export]
name = "services"
billing_periods = ["2026-05", "2026-06"]
time_granularity = "GRANULARITY"

[organization]
payer = { id = "111111111111", name = "payer" }
accounts = [{ id = "222222222222", name = "apps" }]

[[iam_users]]
account = "apps"
name = "dev"
tags = { team = "ml" }

[[workloads]]
principals = ["user:dev"]
model = "claude-sonnet-4.6"
requests_per_day = 40
input_tokens = { mean = 800 }
output_tokens = { mean = 200 }

[[cost_allocation_tags]]
key = "team"
activated_at = "2026-05-10"

[[cost_allocation_tags]]
key = "team"
source = "resource"
activated_at = "2026-05-10"

SERVICES

# Small enough that the cheapest products' tax rounds to $0.00.
[tax]
rate = 0.001
tax_type = "VAT"
"#;

fn services_scenario(granularity: &str) -> String {
    let services = [
        "ec2",
        "s3",
        "lambda",
        "cloudwatch",
        "data-transfer",
        "rds",
        "eks",
        "ses",
        "sns",
        "sqs",
        "secrets-manager",
    ];
    let bg: Vec<String> = services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let region = if i % 2 == 0 { "us-east-1" } else { "eu-west-1" };
            // S3 also in Tokyo (APN1).
            let region = if *s == "s3" { "ap-northeast-1" } else { region };
            format!(
                "[[background]]\nservice = \"{s}\"\naccount = \"apps\"\nregion = \"{region}\"\nresources = 2\nresource_tags = {{ team = \"ml\" }}\n"
            )
        })
        .collect();
    ALL_SERVICES
        .replace("GRANULARITY", granularity)
        .replace("SERVICES", &bg.join("\n"))
}

#[test]
fn ids_hold_for_every_service_and_granularity() {
    for g in ["HOURLY", "DAILY", "MONTHLY"] {
        let src = services_scenario(g);
        let plan = resolve(&src, "services.toml");
        let rows = rows_of(&plan);
        let recurring = check_ids(g, &rows);
        if g == "MONTHLY" {
            assert_eq!(recurring, 0, "one interval per line item and period");
        } else {
            assert!(recurring > 0, "{g}");
        }
        // Tag activation mid-period starts a new line item (new tags), so a new id.
        let ec2: BTreeSet<&str> = rows
            .iter()
            .filter(|r| {
                r.kind == RowKind::Background && r.sku.product_code == "AmazonEC2" && r.period == 0
            })
            .map(|r| r.id.as_str())
            .collect();
        assert_eq!(ec2.len(), if g == "MONTHLY" { 2 } else { 4 }, "{g}");
    }
}

#[test]
fn tax_rows_are_shaped_like_real_ones() {
    let plan = resolve(&services_scenario("DAILY"), "services.toml");
    let rows = rows_of(&plan);
    let tax: Vec<&Row> = rows.iter().filter(|r| r.kind == RowKind::Tax).collect();
    // One tax line per account, product code and period, even when it rounds to $0.00.
    let codes: BTreeSet<(usize, usize, &str)> = rows
        .iter()
        .filter(|r| r.kind != RowKind::Tax)
        .map(|r| (r.period, r.account, r.sku.product_code.as_str()))
        .collect();
    let taxed: BTreeSet<(usize, usize, &str)> = tax
        .iter()
        .map(|r| (r.period, r.account, r.sku.product_code.as_str()))
        .collect();
    assert_eq!(codes, taxed);
    assert_eq!(tax.len(), taxed.len(), "one row each");
    assert!(tax.iter().any(|r| r.cost_e16 == 0), "a $0.00 tax line");
    assert!(tax.iter().any(|r| r.cost_e16 > 0), "a taxed line");
    for r in &tax {
        let per = &plan.export.periods[r.period];
        assert_eq!((r.start, r.end), (per.start, per.end));
        assert_eq!(r.usage_amount(), 1.0);
        assert_eq!(r.cost_e16 % 100_000_000_000_000, 0, "whole cents");
        let s = &r.sku;
        assert_eq!(
            s.description,
            format!("Tax for product code {}", s.product_code)
        );
        assert_eq!(
            s.product_map.as_slice(),
            &[("product_name".to_string(), s.product_name.clone())]
        );
        assert_eq!(s.servicecode, None);
        assert_eq!(s.usage_type, "");
        assert_eq!((s.rate_e10, s.public_rate_e10), (0, None));
        assert!(r.operation.is_empty() && r.resource_id.is_none() && r.principal.is_none());
        assert_eq!(r.tax_type.as_deref(), Some("VAT"));
    }
    let names: BTreeSet<&str> = tax.iter().map(|r| r.sku.product_name.as_str()).collect();
    for want in [
        "Amazon Bedrock Service",
        "Amazon Elastic Compute Cloud",
        "Amazon Relational Database Service",
        "AmazonCloudWatch",
        "AWS Data Transfer",
    ] {
        assert!(names.contains(want), "{want} in {names:?}");
    }
}

/// The columns of usage and tax rows in the record batch, as in the real CUR 2.0 export.
#[test]
fn batch_columns_follow_the_real_export() {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Float64Type;
    use arrow_array::Array;
    use curlab_generator::batch::{to_batch, BatchContext};

    let plan = resolve(&services_scenario("HOURLY"), "services.toml");
    let rows = rows_of(&plan);
    let ctx = BatchContext {
        table: plan.export.table,
        payer: plan.payer.clone(),
        accounts: plan.accounts.clone(),
        periods: plan.export.periods.clone(),
        invoice_finalized: plan.export.invoice_finalized,
        missing_principal: plan.assumptions.missing_principal,
        maps_as_strings: false,
        drop_columns: vec![],
        legacy_names: false,
    };
    let b = to_batch(&ctx, &ctx.schema(), &rows).expect("batch");
    let s = |name: &str| {
        b.column_by_name(name)
            .expect(name)
            .as_string::<i32>()
            .clone()
    };
    let d = |name: &str| {
        b.column_by_name(name)
            .expect(name)
            .as_primitive::<Float64Type>()
            .clone()
    };
    let (kind, code, sub) = (
        s("line_item_line_item_type"),
        s("line_item_product_code"),
        s("reservation_subscription_id"),
    );
    let mut subs: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for i in 0..b.num_rows() {
        for c in [
            "reservation_normalized_units_per_reservation",
            "reservation_number_of_reservations",
            "reservation_total_reserved_normalized_units",
            "reservation_total_reserved_units",
            "reservation_units_per_reservation",
        ] {
            assert_eq!(s(c).value(i), "", "{c} is '' on every row");
            assert!(s(c).is_valid(i));
        }
        assert!(s("product_pricing_unit").is_null(i));
        if kind.value(i) == "Tax" {
            for c in [
                "pricing_currency",
                "product_servicecode",
                "line_item_usage_type",
                "line_item_operation",
                "line_item_unblended_rate",
                "pricing_unit",
                "product_location",
                "product_sku",
                "reservation_subscription_id",
            ] {
                assert!(s(c).is_null(i), "{c} on a tax row");
            }
            assert_eq!(d("line_item_usage_amount").value(i), 1.0);
            assert_eq!(d("pricing_public_on_demand_cost").value(i), 0.0);
            assert_eq!(s("line_item_currency_code").value(i), "USD");
        } else {
            assert_eq!(s("pricing_currency").value(i), "USD");
            let id = sub.value(i);
            assert!(
                (9..=11).contains(&id.len()) && id.bytes().all(|c| c.is_ascii_digit()),
                "subscription id {id}"
            );
            subs.entry(code.value(i)).or_default().insert(id);
        }
        let dt = s("product_to_location").is_valid(i);
        if dt {
            assert!(s("product_location").is_null(i) && s("product_region_code").is_null(i));
        }
    }
    // One subscription id per service in the (single) usage account.
    assert!(subs.values().all(|v| v.len() == 1), "{subs:?}");
    let distinct: BTreeSet<&&str> = subs.values().flatten().collect();
    assert_eq!(distinct.len(), subs.len());
}

/// Product maps, families and usage type prefixes per service, as the real export (or, for
/// services it lacks, the Price List) has them.
#[test]
fn background_rows_carry_the_product_attributes_dashboards_read() {
    let plan = resolve(&services_scenario("DAILY"), "services.toml");
    let rows = rows_of(&plan);
    let first = |code: &str, usage: &str| {
        rows.iter()
            .find(|r| {
                r.kind == RowKind::Background
                    && r.sku.product_code == code
                    && r.sku.usage_type.ends_with(usage)
            })
            .unwrap_or_else(|| panic!("{code} {usage}"))
    };
    let map = |r: &Row| -> BTreeMap<String, String> { r.sku.product_map.iter().cloned().collect() };
    // (code, usage suffix, region of the entry, expected usage type, family, keys that must be there)
    let cases: &[(&str, &str, &str, &str, &[&str])] = &[
        (
            "AmazonEC2",
            "BoxUsage:m5.large",
            "BoxUsage:m5.large",
            "Compute Instance",
            &[
                "vcpu",
                "memory",
                "physical_processor",
                "clock_speed",
                "operating_system",
                "tenancy",
                "processor_architecture",
                "network_performance",
                "current_generation",
            ],
        ),
        (
            "AmazonS3",
            "TimedStorage-ByteHrs",
            "{APN1}-TimedStorage-ByteHrs",
            "Storage",
            &["storage_class", "volume_type", "availability", "durability"],
        ),
        (
            "AWSLambda",
            "Lambda-GB-Second",
            "Lambda-GB-Second",
            "Serverless",
            &["group", "group_description"],
        ),
        (
            "AmazonCloudWatch",
            "DataProcessing-Bytes",
            "{EU}-DataProcessing-Bytes",
            "Data Payload",
            &["group", "group_description", "logs_destination"],
        ),
        (
            "AWSDataTransfer",
            "DataTransfer-Out-Bytes",
            "DataTransfer-Out-Bytes",
            "Data Transfer",
            &["transfer_type"],
        ),
        (
            "AmazonRDS",
            "InstanceUsage:db.m5.large",
            "{EU}-InstanceUsage:db.m5.large",
            "Database Instance",
            &[
                "database_engine",
                "deployment_option",
                "instance_type_family",
                "vcpu",
                "memory",
            ],
        ),
        (
            "AmazonEKS",
            "AmazonEKS-Hours:perCluster",
            "USE1-AmazonEKS-Hours:perCluster",
            "Compute",
            &["tiertype"],
        ),
        (
            "AmazonSES",
            "Recipients",
            "{EU}-Recipients",
            "Sending Email",
            &["recipient", "content_type"],
        ),
        (
            "AmazonSNS",
            "Requests-Tier1",
            "Requests-Tier1",
            "API Request",
            &["group"],
        ),
        (
            "AWSQueueService",
            "Requests-RBP",
            "{EU}-Requests-RBP",
            "API Request",
            &["queue_type", "group"],
        ),
        (
            "AWSSecretsManager",
            "AWSSecretsManager-Secrets",
            "USE1-AWSSecretsManager-Secrets",
            "Secret",
            &["group"],
        ),
    ];
    for (code, usage, want_usage, family, keys) in cases {
        let r = first(code, usage);
        let m = map(r);
        // The billing codes come from the vocabulary's region table.
        let code_of = |region: &str| curlab_vocab::bedrock::region_code(region).expect(region);
        let want_usage = want_usage
            .replace("{EU}", code_of("eu-west-1"))
            .replace("{APN1}", code_of("ap-northeast-1"));
        assert_eq!(r.sku.usage_type, want_usage, "{code}");
        assert_eq!(&r.sku.family, family, "{code}");
        for k in ["product_name", "servicename", "region"]
            .iter()
            .chain(keys.iter())
        {
            assert!(
                m.contains_key(*k),
                "{code}: product['{k}'] missing in {m:?}"
            );
        }
        assert_eq!(m["region"], r.sku.region, "{code}");
        // Top-level columns are not repeated as map keys.
        for k in [
            "instance_type",
            "instance_family",
            "location",
            "sku",
            "usagetype",
            "operation",
            "servicecode",
        ] {
            assert!(!m.contains_key(k), "{code}: {k} is a column, not a map key");
        }
    }
    let ec2 = first("AmazonEC2", "BoxUsage:m5.large");
    assert_eq!(ec2.sku.instance_type.as_deref(), Some("m5.large"));
    assert_eq!(ec2.sku.instance_family.as_deref(), Some("General purpose"));
    assert_eq!(ec2.sku.normalization_factor, 4.0);
}
