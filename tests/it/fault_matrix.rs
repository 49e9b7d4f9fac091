//! Every fault on every shipped scenario where it applies is reported by the rule meant for it,
//! and every clean shipped scenario verifies with no findings beyond what it is about.
//!
//! Generation happens once per scenario and fault, at a reduced scale so the matrix stays fast;
//! the exports are shared with the SQL engines' test (`common::shared`), which plants the same
//! faults at the same scales: each is generated once per run.

use std::path::Path;

use crate::common::{curlab, shared, Generated};

const SCENARIOS: &[(&str, &str)] = &[
    ("blog-launch", "blog-launch"),
    ("s1-iam-users", "s1-iam-users"),
    ("s2-app-roles", "s2-app-roles"),
    ("s3-okta-saml", "s3-okta-saml"),
    ("s3-entra-oidc", "s3-entra-oidc"),
    ("s4-gateway-shared-role", "s4-gateway-shared-role"),
    ("s4-gateway-per-user", "s4-gateway-per-user"),
    ("enterprise", "enterprise-cur"),
    ("full-bill", "full-bill/cur2/210987654321/full-bill"),
];

/// `(fault, rule)`: the table in docs/faults.md.
const FAULTS: &[(&str, &str)] = &[
    ("missing-principal", "PR001"),
    ("malformed-arn", "PR002"),
    ("account-mismatch", "PR003"),
    ("principal-on-non-bedrock", "PR004"),
    ("principal-before-launch", "PR005"),
    ("unprefixed-tag", "TG002"),
    ("inactive-tag", "TG007"),
    ("tag-before-activation", "TG008"),
    ("session-override-lost", "TG009"),
    ("gateway-collapse", "GW001"),
    ("cost-mismatch", "CT001"),
    ("misaligned-hour", "CT002"),
    ("outside-billing-period", "SC007"),
    ("duplicate-line-item", "CT004"),
    ("map-as-string", "SC004"),
    ("manifest-mismatch", "SC005"),
    ("missing-column", "SC001"),
    ("legacy-cur-headers", "SC008"),
    ("net-above-gross", "CT006"),
    ("discount-net-mismatch", "CT007"),
    ("adjustment-sign", "CT008"),
    ("commitment-shape", "CT009"),
    ("principal-on-agentcore", "PR007"),
    ("profile-tags-lost", "TG010"),
    ("net-total-mismatch", "RC007"),
    ("invoice-total-mismatch", "RC008"),
    ("restatement-missed", "RC008"),
    ("restatement-doubled", "RC008"),
];

/// Faults only a restated period (`restated_at`, in `full-bill`) gives something to change:
/// they do not apply to the other scenarios, for this reason.
const RESTATEMENT_FAULTS: &[&str] = &["restatement-missed", "restatement-doubled"];
const NO_RESTATEMENT: &str = "no restated billing period";

/// Why `fault` does not apply to `scenario`, if it does not.
fn not_applicable(scenario: &str, fault: &str) -> Option<&'static str> {
    if scenario != "full-bill" && RESTATEMENT_FAULTS.contains(&fault) {
        return Some(NO_RESTATEMENT);
    }
    NOT_APPLICABLE
        .iter()
        .find(|(s, f, _)| *s == scenario && *f == fault)
        .map(|(_, _, reason)| *reason)
}

/// Pairs where the scenario has nothing the fault could change, with the reason the generator
/// gives. The generator refuses these (exit 2), which this test also checks.
const NOT_APPLICABLE: &[(&str, &str, &str)] = &[
    (
        "blog-launch",
        "principal-on-non-bedrock",
        "no non-Bedrock row",
    ),
    (
        "blog-launch",
        "tag-before-activation",
        "before its key's activation",
    ),
    (
        "blog-launch",
        "session-override-lost",
        "no session tag overrides",
    ),
    (
        "s1-iam-users",
        "principal-before-launch",
        "before 2026-04-08",
    ),
    (
        "s1-iam-users",
        "session-override-lost",
        "no session tag overrides",
    ),
    (
        "s1-iam-users",
        "gateway-collapse",
        "no gateway with per-user sessions",
    ),
    (
        "s2-app-roles",
        "principal-before-launch",
        "before 2026-04-08",
    ),
    (
        "s2-app-roles",
        "gateway-collapse",
        "no gateway with per-user sessions",
    ),
    (
        "s3-okta-saml",
        "principal-on-non-bedrock",
        "no non-Bedrock row",
    ),
    (
        "s3-okta-saml",
        "principal-before-launch",
        "before 2026-04-08",
    ),
    (
        "s3-okta-saml",
        "tag-before-activation",
        "before its key's activation",
    ),
    (
        "s3-okta-saml",
        "gateway-collapse",
        "no gateway with per-user sessions",
    ),
    (
        "s3-entra-oidc",
        "principal-on-non-bedrock",
        "no non-Bedrock row",
    ),
    (
        "s3-entra-oidc",
        "principal-before-launch",
        "before 2026-04-08",
    ),
    (
        "s3-entra-oidc",
        "tag-before-activation",
        "before its key's activation",
    ),
    (
        "s3-entra-oidc",
        "gateway-collapse",
        "no gateway with per-user sessions",
    ),
    (
        "s4-gateway-shared-role",
        "principal-before-launch",
        "before 2026-04-08",
    ),
    (
        "s4-gateway-shared-role",
        "tag-before-activation",
        "before its key's activation",
    ),
    (
        "s4-gateway-shared-role",
        "session-override-lost",
        "no session tag overrides",
    ),
    (
        "s4-gateway-shared-role",
        "gateway-collapse",
        "no gateway with per-user sessions",
    ),
    (
        "s4-gateway-per-user",
        "principal-before-launch",
        "before 2026-04-08",
    ),
    (
        "s4-gateway-per-user",
        "tag-before-activation",
        "before its key's activation",
    ),
    (
        "s4-gateway-per-user",
        "session-override-lost",
        "no session tag overrides",
    ),
    ("enterprise", "principal-before-launch", "before 2026-04-08"),
    ("full-bill", "principal-before-launch", "before 2026-04-08"),
    (
        "full-bill",
        "session-override-lost",
        "no session tag overrides",
    ),
    (
        "full-bill",
        "gateway-collapse",
        "no gateway with per-user sessions",
    ),
    (
        "blog-launch",
        "commitment-shape",
        "no Provisioned Throughput or Reserved tier row",
    ),
    (
        "blog-launch",
        "principal-on-agentcore",
        "no Amazon Bedrock AgentCore row",
    ),
    (
        "blog-launch",
        "profile-tags-lost",
        "no application inference profile row",
    ),
    (
        "s1-iam-users",
        "commitment-shape",
        "no Provisioned Throughput or Reserved tier row",
    ),
    (
        "s1-iam-users",
        "principal-on-agentcore",
        "no Amazon Bedrock AgentCore row",
    ),
    (
        "s1-iam-users",
        "profile-tags-lost",
        "no application inference profile row",
    ),
    (
        "s2-app-roles",
        "commitment-shape",
        "no Provisioned Throughput or Reserved tier row",
    ),
    (
        "s2-app-roles",
        "principal-on-agentcore",
        "no Amazon Bedrock AgentCore row",
    ),
    (
        "s2-app-roles",
        "profile-tags-lost",
        "no application inference profile row",
    ),
    (
        "s3-okta-saml",
        "commitment-shape",
        "no Provisioned Throughput or Reserved tier row",
    ),
    (
        "s3-okta-saml",
        "principal-on-agentcore",
        "no Amazon Bedrock AgentCore row",
    ),
    (
        "s3-okta-saml",
        "profile-tags-lost",
        "no application inference profile row",
    ),
    (
        "s3-entra-oidc",
        "commitment-shape",
        "no Provisioned Throughput or Reserved tier row",
    ),
    (
        "s3-entra-oidc",
        "principal-on-agentcore",
        "no Amazon Bedrock AgentCore row",
    ),
    (
        "s3-entra-oidc",
        "profile-tags-lost",
        "no application inference profile row",
    ),
    (
        "s4-gateway-shared-role",
        "commitment-shape",
        "no Provisioned Throughput or Reserved tier row",
    ),
    (
        "s4-gateway-shared-role",
        "principal-on-agentcore",
        "no Amazon Bedrock AgentCore row",
    ),
    (
        "s4-gateway-shared-role",
        "profile-tags-lost",
        "no application inference profile row",
    ),
    (
        "s4-gateway-per-user",
        "commitment-shape",
        "no Provisioned Throughput or Reserved tier row",
    ),
    (
        "s4-gateway-per-user",
        "principal-on-agentcore",
        "no Amazon Bedrock AgentCore row",
    ),
    (
        "s4-gateway-per-user",
        "profile-tags-lost",
        "no application inference profile row",
    ),
    (
        "enterprise",
        "commitment-shape",
        "no Provisioned Throughput or Reserved tier row",
    ),
    (
        "enterprise",
        "principal-on-agentcore",
        "no Amazon Bedrock AgentCore row",
    ),
    (
        "enterprise",
        "profile-tags-lost",
        "no application inference profile row",
    ),
];

/// Findings a clean scenario is about (rule, severity).
fn expected_clean(scenario: &str, with_truth: bool) -> Vec<&'static str> {
    match (scenario, with_truth) {
        // One gateway session carries the account's Bedrock spend: the point of the scenario.
        ("s4-gateway-shared-role", false) => vec!["GW002"],
        _ => vec![],
    }
}

fn scale_for(scenario: &str) -> &'static str {
    match scenario {
        "enterprise" => "0.05",
        "s3-okta-saml" | "s3-entra-oidc" | "s4-gateway-shared-role" | "s4-gateway-per-user" => {
            "0.2"
        }
        _ => "1",
    }
}

/// `curlab generate <scenario> --scale <scale_for> [--inject <fault>]`, once per run.
pub(crate) fn gen(scenario: &str, inject: Option<&str>) -> &'static Generated {
    let mut args = vec!["--scale", scale_for(scenario)];
    if let Some(f) = inject {
        args.extend(["--inject", f]);
    }
    shared(scenario, &args)
}

fn verify_json(dir: &Path, export: &str, with_truth: bool) -> (i32, serde_json::Value) {
    let export_dir = dir.join(export);
    let truth = dir.join(format!("{export}.truth.json"));
    let mut args = vec![
        "verify".to_string(),
        export_dir.display().to_string(),
        "--format".into(),
        "json".into(),
    ];
    if with_truth {
        args.push("--truth".into());
        args.push(truth.display().to_string());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = curlab(&refs);
    let code = o.status.code().unwrap_or(-1);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "verify {export}: not JSON ({e}); exit {code}; stderr: {}",
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (code, json)
}

fn rules_found(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().expect("rule").to_string(),
                f["severity"].as_str().expect("severity").to_string(),
            )
        })
        .collect()
}

#[test]
fn clean_scenarios_verify_clean() {
    for (scenario, export) in SCENARIOS {
        let dir = gen(scenario, None).path();
        for with_truth in [false, true] {
            let (code, report) = verify_json(dir, export, with_truth);
            let found: Vec<String> = rules_found(&report).into_iter().map(|(r, _)| r).collect();
            let expected = expected_clean(scenario, with_truth);
            assert_eq!(
                found, expected,
                "{scenario} (truth: {with_truth}) findings: {report:#}"
            );
            assert_eq!(code, 0, "{scenario} (truth: {with_truth}) exit code");
            assert!(report["summary"]["rows_scanned"].as_u64().unwrap_or(0) > 0);
        }
    }
}

/// Every fault on one scenario; returns how many faults applied.
fn faults_on(scenario: &str, export: &str) -> usize {
    let mut checked = 0;
    for (fault, rule) in FAULTS {
        let o = gen(scenario, Some(fault));
        if let Some(reason) = not_applicable(scenario, fault) {
            assert_eq!(o.code, Some(2), "{scenario}/{fault} should be refused");
            let err = &o.stderr;
            assert!(
                err.contains("does not apply") && err.contains(reason),
                "{scenario}/{fault}: {err}"
            );
            assert!(!o.out.join(export).exists(), "no export left behind");
            continue;
        }
        let dir = o.path();
        let truth: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{export}.truth.json"))).expect("truth"),
        )
        .expect("truth json");
        assert_eq!(truth["faults"][0]["fault"], *fault);
        assert_eq!(truth["faults"][0]["rule"], *rule);
        let (code, report) = verify_json(dir, export, true);
        let found = rules_found(&report);
        assert!(
            found.iter().any(|(r, sev)| r == rule && sev == "error"),
            "{scenario}/{fault}: {rule} not reported; found {found:?}"
        );
        assert_eq!(code, 1, "{scenario}/{fault}: errors give exit 1");
        checked += 1;
    }
    let not_applicable = FAULTS
        .iter()
        .filter(|(f, _)| not_applicable(scenario, f).is_some())
        .count();
    assert_eq!(checked, FAULTS.len() - not_applicable, "{scenario}");
    checked
}

// One test per scenario, so the harness runs them in parallel.
macro_rules! fault_tests {
    ($($test:ident => $scenario:literal, $export:literal;)*) => {
        $(
            #[test]
            fn $test() {
                faults_on($scenario, $export);
            }
        )*

        #[test]
        fn the_matrix_covers_every_shipped_scenario() {
            let tested = [$($scenario),*];
            let shipped: Vec<&str> = SCENARIOS.iter().map(|(s, _)| *s).collect();
            assert_eq!(tested.to_vec(), shipped);
        }
    };
}

fault_tests! {
    faults_on_blog_launch => "blog-launch", "blog-launch";
    faults_on_s1_iam_users => "s1-iam-users", "s1-iam-users";
    faults_on_s2_app_roles => "s2-app-roles", "s2-app-roles";
    faults_on_s3_okta_saml => "s3-okta-saml", "s3-okta-saml";
    faults_on_s3_entra_oidc => "s3-entra-oidc", "s3-entra-oidc";
    faults_on_s4_gateway_shared_role => "s4-gateway-shared-role", "s4-gateway-shared-role";
    faults_on_s4_gateway_per_user => "s4-gateway-per-user", "s4-gateway-per-user";
    faults_on_enterprise => "enterprise", "enterprise-cur";
    faults_on_full_bill => "full-bill", "full-bill/cur2/210987654321/full-bill";
}

#[test]
fn fault_table_matches_the_generator() {
    let o = curlab(&["faults"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    let listed: Vec<(String, String)> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?.to_string(), w.next()?.to_string()))
        })
        .collect();
    let want: Vec<(String, String)> = FAULTS
        .iter()
        .map(|(f, r)| (f.to_string(), r.to_string()))
        .collect();
    assert_eq!(
        listed, want,
        "`curlab faults` and docs/faults.md agree with this table"
    );
}

/// Export shapes real users have: CSV.gz, the older 113-column set without principal data or
/// tags, empty strings for missing principals. None may produce a finding.
#[test]
fn other_export_shapes_verify_clean() {
    // (scenario, export, text edits to the scenario, extra generate flags)
    type Variant<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);
    let variants: &[Variant<'_>] = &[
        ("s2-app-roles", "s2-app-roles", &[], &["--format", "csv"]),
        (
            "s1-iam-users",
            "s1-iam-users",
            &[(
                "time_granularity = \"HOURLY\"",
                "time_granularity = \"HOURLY\"\nlegacy_113_columns = true\ninclude_iam_principal_data = false\ninclude_resources = false",
            )],
            &[],
        ),
        (
            "blog-launch",
            "blog-launch",
            &[("[organization]", "[assumptions]\nmissing_principal = \"empty\"\n\n[organization]")],
            &[],
        ),
    ];
    for (scenario, export, edits, flags) in variants {
        let dir = tempfile::tempdir().expect("tmp");
        let mut src = std::fs::read_to_string(format!(
            "{}/scenarios/{scenario}.toml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("scenario");
        for (from, to) in *edits {
            assert!(src.contains(from), "{scenario}: edit anchor {from}");
            src = src.replacen(from, to, 1);
        }
        let file = dir.path().join("variant.toml");
        std::fs::write(&file, src).expect("write");
        let out = dir.path().to_str().expect("utf-8");
        let mut args = vec![
            "generate",
            file.to_str().expect("p"),
            "--out",
            out,
            "--quiet",
        ];
        args.extend_from_slice(flags);
        let o = curlab(&args);
        assert!(
            o.status.success(),
            "{scenario}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        for with_truth in [false, true] {
            let (code, report) = verify_json(dir.path(), export, with_truth);
            let found = rules_found(&report);
            assert!(
                found.is_empty(),
                "{scenario} {flags:?} (truth: {with_truth}): {report:#}"
            );
            assert_eq!(code, 0);
        }
    }
}
