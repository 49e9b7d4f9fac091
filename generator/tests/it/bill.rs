//! The rest of the bill (issue #13): discounts (the `discount` map, net columns, separate
//! discount rows), credits and refunds, application inference profiles, and the truth file's
//! `bill` section, which must equal the rows' sums to the last digit.

use std::collections::BTreeMap;

use curlab_generator::plan;
use curlab_generator::rows::e16_to_usd;
use curlab_generator::scenario;
use curlab_generator::sim;
use curlab_generator::{Plan, Row, RowKind, TagTable};
use curlab_vocab::truth::Truth;

const FULL_BILL: &str = include_str!("../../../scenarios/full-bill.toml");

/// The plan of the scenario's first payer (full-bill has two; the first is `acme-payer`).
fn resolve(src: &str) -> Plan {
    let file = scenario::parse(src, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    plan::resolve_payers(&file, None, 1.0)
        .unwrap_or_else(|p| panic!("{}", scenario::with_positions(src, "t.toml", p)))
        .remove(0)
        .plan
}

fn run(plan: &Plan) -> (Vec<Row>, Truth) {
    let tags = TagTable::new(plan);
    let mut rows = Vec::new();
    let parts = sim::run_in_order(plan, &tags, |chunk| rows.extend(chunk.rows));
    let truth = sim::build_truth(plan, &tags, &parts);
    (rows, truth)
}

/// Net of a row as a reader sums it: the net column, or unblended where it is null.
fn net(r: &Row) -> i128 {
    r.net_cost_e16().unwrap_or(r.cost_e16).e16()
}

#[derive(Default)]
struct Sum {
    gross: i128,
    net: i128,
}

impl Sum {
    fn add(&mut self, r: &Row) {
        self.gross += r.cost_e16.e16();
        self.net += net(r);
    }
}

/// Every `bill` figure recomputed from the rows and compared exactly.
fn check_truth_against_rows(rows: &[Row], truth: &Truth) {
    let bill = &truth.bill;
    let all: i128 = rows.iter().map(|r| r.cost_e16.e16()).sum();
    assert_eq!(bill.totals.invoice_total, e16_to_usd(all), "invoice total");
    let usage: Vec<&Row> = rows.iter().filter(|r| r.kind.is_usage()).collect();
    let gross: i128 = usage.iter().map(|r| r.cost_e16.e16()).sum();
    let net_usage: i128 = usage.iter().map(|r| net(r)).sum();
    assert_eq!(bill.totals.unblended, e16_to_usd(gross));
    assert_eq!(bill.totals.net_unblended, e16_to_usd(net_usage));
    let sum_kind = |k: RowKind| -> i128 {
        rows.iter()
            .filter(|r| r.kind == k)
            .map(|r| r.cost_e16.e16())
            .sum()
    };
    assert_eq!(bill.totals.credits, e16_to_usd(sum_kind(RowKind::Credit)));
    assert_eq!(bill.totals.refunds, e16_to_usd(sum_kind(RowKind::Refund)));
    assert_eq!(bill.totals.tax, e16_to_usd(sum_kind(RowKind::Tax)));
    let public: i128 = usage
        .iter()
        .filter_map(|r| {
            r.sku
                .public_rate_e10
                .map(|p| i128::from(r.amount_e6) * i128::from(p))
        })
        .sum();
    assert_eq!(bill.totals.public_on_demand, e16_to_usd(public));

    let mut by_principal: BTreeMap<String, (Sum, i128)> = BTreeMap::new();
    let mut by_tag: BTreeMap<(String, String), Sum> = BTreeMap::new();
    let mut by_resource: BTreeMap<String, Sum> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.kind == RowKind::Bedrock) {
        if let Some(p) = &r.principal {
            let e = by_principal.entry(p.to_string()).or_default();
            e.0.add(r);
            if r.sku.billing_entity == "AWS Marketplace" {
                e.1 += r.cost_e16.e16();
            }
        }
        for (k, v) in r.tags.iter() {
            if k.starts_with("iamPrincipal/") {
                by_tag.entry((k.clone(), v.clone())).or_default().add(r);
            }
        }
        if let Some(id) = &r.resource_id {
            by_resource.entry(id.to_string()).or_default().add(r);
        }
    }
    assert_eq!(by_principal.len(), bill.by_principal.len());
    for (arn, (s, market)) in &by_principal {
        let t = &bill.by_principal[arn];
        assert_eq!(t.gross, e16_to_usd(s.gross), "{arn} gross");
        assert_eq!(t.net, e16_to_usd(s.net), "{arn} net");
        assert_eq!(t.marketplace, e16_to_usd(*market), "{arn} marketplace");
        assert_eq!(
            t.public_on_demand,
            e16_to_usd(s.gross - market),
            "{arn} public"
        );
    }
    let n_tags: usize = bill.by_tag.values().map(BTreeMap::len).sum();
    assert_eq!(by_tag.len(), n_tags);
    for ((k, v), s) in &by_tag {
        let t = &bill.by_tag[k][v];
        assert_eq!(t.gross, e16_to_usd(s.gross), "{k}={v} gross");
        assert_eq!(t.net, e16_to_usd(s.net), "{k}={v} net");
    }
    for p in &bill.profiles {
        let s = by_resource.get(&p.arn).expect("rows name the profile");
        assert_eq!(p.cost.gross, e16_to_usd(s.gross), "{} gross", p.name);
        assert_eq!(p.cost.net, e16_to_usd(s.net), "{} net", p.name);
    }
    // The chargeback reconciles: principals + unattributable = every row, gross and net.
    let principals: i128 = by_principal.values().map(|(s, _)| s.gross).sum();
    let principals_net: i128 = by_principal.values().map(|(s, _)| s.net).sum();
    let un_gross: f64 = bill.unattributable.values().map(|m| m.gross).sum();
    let un_net: f64 = bill.unattributable.values().map(|m| m.net).sum();
    let all_net: i128 = rows.iter().map(net).sum();
    let unattributed_rows: i128 = all - principals;
    assert!(
        (un_gross - e16_to_usd(unattributed_rows)).abs() < 1e-9,
        "{un_gross}"
    );
    assert!(
        (un_net - e16_to_usd(all_net - principals_net)).abs() < 1e-9,
        "{un_net}"
    );
}

#[test]
fn full_bill_truth_equals_the_rows() {
    let plan = resolve(FULL_BILL);
    let (rows, truth) = run(&plan);
    assert_eq!(truth.curlab_truth_version, 2);
    assert_eq!(truth.bill.discount_representation, "map-and-rows");
    check_truth_against_rows(&rows, &truth);
    let b = &truth.bill;
    assert!(b.totals.discounts < 0.0, "{:?}", b.totals);
    assert!(b.totals.net_unblended < b.totals.unblended);
    // Refunds: June's $4.50 and May's late $12.40 (restated on 2026-06-09).
    assert!(b.totals.credits == -25.0 && (b.totals.refunds + 16.9).abs() < 1e-9);
    assert_eq!(b.restatements["2026-05"].restated_at, "2026-06-09");
    for key in ["discount-rows", "credits", "refunds", "tax", "non-bedrock"] {
        assert!(
            b.unattributable.contains_key(key),
            "{key}: {:?}",
            b.unattributable.keys()
        );
    }
    assert_eq!(b.unattributable["discount-rows"].net, 0.0);
    assert_eq!(b.unattributable["discount-rows"].gross, b.totals.discounts);
    assert_eq!(b.totals_by_period.len(), 2);
    let per: f64 = b.totals_by_period.values().map(|t| t.invoice_total).sum();
    assert!((per - b.totals.invoice_total).abs() < 1e-9);
}

#[test]
fn bedrock_rows_without_a_principal_are_an_unattributable_line() {
    // Batch rows without a principal (`batch_principal = "none"`): their gross and net move
    // from the principals to `bedrock-without-principal`.
    let src = FULL_BILL.replacen(
        "[[iam_users]]",
        "[assumptions]\nbatch_principal = \"none\"\n\n[[iam_users]]",
        1,
    );
    let plan = resolve(&src);
    let (rows, truth) = run(&plan);
    check_truth_against_rows(&rows, &truth);
    let line = truth.bill.unattributable["bedrock-without-principal"];
    let batch: i128 = rows
        .iter()
        .filter(|r| r.kind == RowKind::Bedrock && r.principal.is_none())
        .map(|r| r.cost_e16.e16())
        .sum();
    assert!(batch > 0);
    assert_eq!(line.gross, e16_to_usd(batch));
    assert!(line.net < line.gross, "Nova batch rows are EDP-discounted");
    // No principal, no principal tags: a row without `line_item_iam_principal` carries none of
    // the caller's `iamPrincipal/` keys (else PR001/TG001 would see tags without a principal).
    let batch_rows: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Bedrock && r.sku.usage_type.ends_with("-batch"))
        .collect();
    assert!(!batch_rows.is_empty());
    for r in &batch_rows {
        assert!(r.principal.is_none(), "{}", r.sku.usage_type);
        assert!(
            r.tags.iter().all(|(k, _)| !k.starts_with("iamPrincipal/")),
            "{} {:?}",
            r.sku.usage_type,
            r.tags
        );
    }
    // The same caller's other rows keep theirs.
    assert!(rows.iter().any(|r| r.kind == RowKind::Bedrock
        && r.principal.is_some()
        && r.tags.iter().any(|(k, _)| k == "iamPrincipal/team")));
}

#[test]
fn discounted_rows_carry_the_map_and_separate_rows() {
    let plan = resolve(FULL_BILL);
    let (rows, _) = run(&plan);
    let by_id: BTreeMap<&str, &Row> = rows
        .iter()
        .filter(|r| r.kind == RowKind::Bedrock)
        .map(|r| (r.id.as_str(), r))
        .collect();
    // A discount line: the usage line's attributes a discount row keeps.
    let line = |r: &Row| {
        (
            r.period,
            r.account,
            r.start,
            r.sku.usage_type.clone(),
            r.operation.to_string(),
        )
    };
    let mut edp_lines: BTreeMap<_, i128> = BTreeMap::new();
    let mut private_lines: BTreeMap<_, i128> = BTreeMap::new();
    let mut edp_rows = 0;
    let mut private_rows = 0;
    for r in rows.iter().filter(|r| r.kind == RowKind::Bedrock) {
        let d = r
            .discount_e16
            .expect("map representation: every row has net columns")
            .map(|m| m.e16());
        let claude_sonnet = r.sku.usage_type.contains("Claude4.6Sonnet")
            || r.sku.product_name.contains("Sonnet 4.6");
        let form_a = r.sku.billing_entity == "AWS";
        // EDP 6.5 % on AWS-billed rows only; 10 % private rate on Claude Sonnet 4.6 only.
        assert_eq!(
            d[0],
            if form_a {
                -r.cost_e16.e16() * 650 / 10_000
            } else {
                0
            },
            "{}",
            r.sku.usage_type
        );
        assert_eq!(
            d[1],
            if claude_sonnet {
                -r.cost_e16.e16() * 1000 / 10_000
            } else {
                0
            }
        );
        assert_eq!(
            r.net_cost_e16().map(|m| m.e16()),
            Some(r.cost_e16.e16() + d[0] + d[1])
        );
        edp_rows += usize::from(d[0] != 0);
        private_rows += usize::from(d[1] != 0);
        if d[0] != 0 {
            *edp_lines.entry(line(r)).or_default() += d[0];
        }
        if d[1] != 0 {
            *private_lines.entry(line(r)).or_default() += d[1];
        }
    }
    assert!(edp_rows > 0 && private_rows > 0);
    // One discount row per line and program, costing the sum of the line's row discounts.
    for (kind, lines) in [
        (RowKind::EdpDiscount, &edp_lines),
        (RowKind::PrivateRateDiscount, &private_lines),
    ] {
        let got: BTreeMap<_, i128> = rows
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| (line(r), r.cost_e16.e16()))
            .collect();
        assert_eq!(&got, lines, "{kind:?}");
    }
    let edp: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kind == RowKind::EdpDiscount)
        .collect();
    let private: Vec<&Row> = rows
        .iter()
        .filter(|r| r.kind == RowKind::PrivateRateDiscount)
        .collect();
    assert_eq!(edp.len(), edp_lines.len());
    assert_eq!(private.len(), private_lines.len());
    // Claude Sonnet 4.6 is called by alice and bob: one private-rate row for both.
    assert!(
        private.len() < private_rows,
        "lines aggregate principals and tags"
    );
    for r in edp.iter().chain(&private) {
        assert!(r.cost_e16.e16() < 0 && r.amount_e6 == 0);
        assert!(r.principal.is_none() && r.resource_id.is_none() && r.tags.is_empty());
        assert_eq!(r.net_cost_e16().map(|m| m.e16()), Some(0));
        assert!(
            !by_id.contains_key(r.id.as_str()),
            "a discount row has its own id"
        );
    }
    let credit = rows
        .iter()
        .find(|r| r.kind == RowKind::Credit)
        .expect("credit row");
    assert_eq!(credit.line_item_type(), "Credit");
    assert_eq!(credit.bill_type(), "Anniversary");
    assert_eq!(credit.cost_e16.e16(), -25 * 10_000_000_000_000_000);
    let refund = rows
        .iter()
        .find(|r| r.kind == RowKind::Refund && !r.late)
        .expect("refund row");
    assert_eq!(
        (refund.line_item_type(), refund.bill_type()),
        ("Refund", "Refund")
    );
    assert_eq!(refund.sku.description, "Refund for a duplicated charge");
    // The late refund of the restated May: a Refund like any other, flagged late (its own
    // credit memo's invoice id).
    let late = rows
        .iter()
        .find(|r| r.kind == RowKind::Refund && r.late)
        .expect("late refund row");
    assert_eq!(
        late.sku.description,
        "Refund for a Provisioned Throughput outage"
    );
    assert_eq!(late.cost_e16.e16(), -124 * 1_000_000_000_000_000);
}

#[test]
fn profile_rows_name_the_profile_and_carry_both_tag_kinds() {
    let plan = resolve(FULL_BILL);
    let (rows, truth) = run(&plan);
    let p = &truth.bill.profiles[0];
    assert!(
        p.arn
            .starts_with("arn:aws:bedrock:us-east-1:345678901234:application-inference-profile/"),
        "{}",
        p.arn
    );
    let id = p.arn.rsplit('/').next().unwrap();
    assert!(
        id.len() == 12
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );
    let through: Vec<&Row> = rows
        .iter()
        .filter(|r| r.resource_id.as_deref() == Some(p.arn.as_str()))
        .collect();
    assert!(!through.is_empty());
    for r in &through {
        assert!(r
            .principal
            .as_deref()
            .is_some_and(|a| a.contains("assumed-role/SupportBotRole/")));
        let tags: BTreeMap<&str, &str> = r
            .tags
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(tags.get("resourceTags/Application"), Some(&"support-bot"));
        assert_eq!(tags.get("iamPrincipal/team"), Some(&"support"));
        // CostCenter is not activated as a resource tag.
        assert!(!tags.contains_key("resourceTags/CostCenter"));
        assert_eq!(
            r.resource_tags.as_slice(),
            &[("user_application".to_string(), "support-bot".to_string())]
        );
    }
    // Other rows keep the model ARN and no resource tags.
    assert!(rows
        .iter()
        .filter(|r| r.kind == RowKind::Bedrock && r.resource_id.as_deref() != Some(p.arn.as_str()))
        .all(|r| r.resource_tags.is_empty()
            && r.resource_id
                .as_deref()
                .is_some_and(|id| !id.contains("application-inference-profile"))));
    // The principal view holds the profile's dollars too: it is not added on top.
    let role_gross: f64 = truth
        .bill
        .by_principal
        .iter()
        .filter(|(a, _)| a.contains("SupportBotRole"))
        .map(|(_, m)| m.gross)
        .sum();
    assert!((role_gross - p.cost.gross).abs() < 1e-9);
}

#[test]
fn representations_change_only_how_discounts_show() {
    for (rep, map, rows_written) in [("map-only", true, false), ("rows-only", false, true)] {
        let src = FULL_BILL.replace(
            "representation = \"map-and-rows\"",
            &format!("representation = \"{rep}\""),
        );
        let plan = resolve(&src);
        let (rows, truth) = run(&plan);
        check_truth_against_rows(&rows, &truth);
        assert_eq!(truth.bill.discount_representation, rep);
        let discount_rows = rows
            .iter()
            .filter(|r| matches!(r.kind, RowKind::EdpDiscount | RowKind::PrivateRateDiscount))
            .count();
        assert_eq!(discount_rows > 0, rows_written, "{rep}");
        assert_eq!(rows.iter().all(|r| r.discount_e16.is_some()), map, "{rep}");
        let b = &truth.bill;
        assert!(b.totals.discounts < 0.0);
        if map {
            assert!(b.totals.net_unblended < b.totals.unblended);
        } else {
            assert_eq!(b.totals.net_unblended, b.totals.unblended);
            assert!(b.by_principal.values().all(|m| m.net == m.gross));
        }
    }
}

#[test]
fn without_discounts_net_is_gross_and_columns_stay_null() {
    let src = FULL_BILL.split("[discounts]").next().unwrap().to_string() + "[tax]\nrate = 0.08\n";
    let plan = resolve(&src);
    let (rows, truth) = run(&plan);
    check_truth_against_rows(&rows, &truth);
    assert!(rows.iter().all(|r| r.discount_e16.is_none()));
    assert_eq!(truth.bill.discount_representation, "none");
    assert_eq!(truth.bill.totals.discounts, 0.0);
    assert_eq!(truth.bill.totals.net_unblended, truth.bill.totals.unblended);
    // The old fields are the gross view.
    for (arn, m) in &truth.bill.by_principal {
        assert_eq!(truth.by_principal[arn], m.gross);
    }
}

#[test]
fn bad_bill_keys_name_their_place() {
    let cases = [
        (
            "[discounts]\nedp_percent = 6.555\n",
            "discounts.edp_percent",
            "steps of 0.01",
        ),
        (
            "[discounts]\nprivate_rates = [{ model = \"no-such-model\", percent = 5 }]\n",
            "discounts.private_rates[0]",
            "matches no model",
        ),
        (
            "[[adjustments]]\ntype = \"credit\"\nperiod = \"2027-01\"\namount = 5.0\naccount = \"ml-prod\"\n",
            "adjustments[0].period",
            "not in the export",
        ),
        (
            "[[adjustments]]\ntype = \"refund\"\nperiod = \"2026-05\"\namount = -5.0\naccount = \"ml-prod\"\n",
            "adjustments[0].amount",
            "positive",
        ),
        (
            "[[inference_profiles]]\nname = \"x\"\naccount = \"nobody\"\n",
            "inference_profiles[0].account",
            "is not an account of any payer",
        ),
        (
            "[[inference_profiles]]\nname = \"x\"\naccount = \"ml-prod\"\nid = \"UPPER\"\n",
            "inference_profiles[0].id",
            "12 lowercase",
        ),
    ];
    let base = FULL_BILL.split("[discounts]").next().unwrap();
    for (extra, place, words) in cases {
        let src = format!("{base}{extra}");
        let file = scenario::parse(&src, "t.toml").unwrap_or_else(|e| panic!("{e}"));
        let problems = plan::resolve_payers(&file, None, 1.0).expect_err(extra);
        let text = scenario::with_positions(&src, "t.toml", problems).to_string();
        assert!(text.contains(words), "{extra}: {text}");
        // The message names the file and the line of the offending key.
        assert!(text.contains("t.toml:"), "{place}: {text}");
    }
    // An unknown profile named by a workload.
    let src = FULL_BILL.replace(
        "inference_profile = \"support-bot\"",
        "inference_profile = \"nope\"",
    );
    let file = scenario::parse(&src, "t.toml").unwrap();
    let text = scenario::with_positions(
        &src,
        "t.toml",
        plan::resolve_payers(&file, None, 1.0).unwrap_err(),
    )
    .to_string();
    assert!(text.contains("unknown inference profile `nope`"), "{text}");
}

#[test]
fn commitments_and_other_bedrock_charges_carry_no_principal() {
    let plan = resolve(FULL_BILL);
    let (rows, truth) = run(&plan);
    let of = |needle: &str| -> Vec<&Row> {
        rows.iter()
            .filter(|r| r.kind == RowKind::Background && r.sku.usage_type.contains(needle))
            .collect()
    };
    let pt = of("ProvisionedThroughput-1month-ModelUnits");
    let reserved = of("_Reserved_1Month_");
    let guardrails = of("Guardrail-");
    let rerank = of("AmazonRerank-v1-searchunits");
    let agentcore = of("Runtime:Consumption-based:");
    let cache_storage = of("_CacheStorage-Units");
    for (what, set) in [
        ("pt", &pt),
        ("reserved", &reserved),
        ("guardrails", &guardrails),
        ("rerank", &rerank),
        ("agentcore", &agentcore),
        ("cache storage", &cache_storage),
    ] {
        assert!(!set.is_empty(), "{what} rows");
        for r in set.iter() {
            assert!(r.principal.is_none(), "{what}: no principal");
            assert_eq!(&*r.operation, "Usage", "{what}");
            assert_eq!(r.line_item_type(), "Usage", "{what}");
        }
    }
    // Daily rows: one model unit for 24 hours at $55.00.
    assert!(pt
        .iter()
        .all(|r| r.amount_e6 == 24_000_000 && r.sku.pricing_unit == "Hrs"));
    assert!(pt.iter().all(|r| r.resource_id.as_deref().is_some_and(
        |id| id.starts_with("arn:aws:bedrock:us-east-1:345678901234:provisioned-model/")
    )));
    assert!(reserved.iter().all(|r| r.resource_id.is_none()));
    assert!(reserved.iter().all(|r| r
        .sku
        .usage_type
        .starts_with("USE1-MP:USE1_Reserved_1Month_")));
    assert!(agentcore
        .iter()
        .all(|r| r.sku.product_code == "AmazonBedrockAgentCore"));
    let sum = |set: &[&Row]| -> i128 { set.iter().map(|r| r.cost_e16.e16()).sum() };
    let commitments = sum(&pt) + sum(&reserved);
    assert!(cache_storage.iter().all(|r| r.resource_id.is_none()
        && r.sku.usage_type == "USE1-MP:USE1_CacheStorage-Units"
        && r.sku.product_code == "AmazonBedrockService"));
    let other = sum(&guardrails) + sum(&rerank) + sum(&agentcore) + sum(&cache_storage);
    let b = &truth.bill;
    assert_eq!(b.totals.commitment_fees, e16_to_usd(commitments));
    assert_eq!(
        b.unattributable["commitment-fees"].gross,
        e16_to_usd(commitments)
    );
    assert_eq!(
        b.unattributable["bedrock-other-charges"].gross,
        e16_to_usd(other)
    );
    // They are neither model-call Bedrock cost nor non-Bedrock spend.
    let non_bedrock: i128 = rows
        .iter()
        .filter(|r| {
            r.kind == RowKind::Background
                && r.sku.family != "Amazon Bedrock"
                && r.sku.family != "Amazon Bedrock AgentCore"
        })
        .map(|r| r.cost_e16.e16())
        .sum();
    assert_eq!(truth.background_cost_total, e16_to_usd(non_bedrock));
    // A knowledge base's vector store is OpenSearch Serverless, not Bedrock: non-Bedrock spend.
    let ocu = of("OCU");
    assert_eq!(
        ocu.len(),
        2 * 61,
        "search and indexing, daily, May and June"
    );
    assert!(ocu.iter().all(|r| r.sku.product_code == "AmazonES"
        && r.sku.family == "Amazon OpenSearch Serverless"
        && r.principal.is_none()
        && r.resource_id
            .as_deref()
            .is_some_and(|id| id.starts_with("arn:aws:aoss:us-east-1:345678901234:collection/"))));
    assert!(sum(&ocu) > 0 && sum(&ocu) < non_bedrock);
    assert_eq!(
        b.unattributable["non-bedrock"].gross,
        e16_to_usd(non_bedrock)
    );
}
