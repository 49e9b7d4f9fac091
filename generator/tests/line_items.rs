//! Line item identity and tax rows, as real exports write them.
//!
//! In real CUR 2.0 exports `identity_line_item_id` names a line item: the same id repeats for
//! every `identity_time_interval` of it, and (id, interval) is unique. Checked here on every
//! shipped scenario and on a scenario with every background service, hourly, daily and monthly:
//! (id, interval) is unique; one id ↔ one line item (same account, product, usage type,
//! operation, resource, principal and tags in every interval); ids have the real shape; and
//! tax rows are shaped like real ones.

use std::collections::{BTreeMap, BTreeSet};

use curlab_generator::plan::{self, Plan};
use curlab_generator::rows::{Row, RowKind};
use curlab_generator::scenario;
use curlab_generator::sim::{self, TagTable};

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
