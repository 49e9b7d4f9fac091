//! Bad scenario files, through the real binary: every kind of invalid input the generator
//! promises to catch must exit with code 2, name the file, the line (`<file>:<line>:<col>`),
//! the offending value and a hint, and must leave no export behind.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

/// The smallest valid scenario; each case appends a fragment that breaks one thing.
const BASE: &str = r#"[scenario]
name = "bad"

[export]
billing_periods = ["2026-05"]

[organization]
payer = { id = "123456789012", name = "payer" }
accounts = [{ id = "210987654321", name = "member" }]
"#;

/// An IAM user `alice` and one explicit request by her; fragments build on it.
const ALICE: &str = r#"
[[iam_users]]
account = "payer"
name = "alice"
tags = { team = "ds" }
"#;

/// One bad-input case.
struct Case {
    /// What is being broken (shown when the case fails).
    what: &'static str,
    /// The scenario text after [`BASE`].
    toml: String,
    /// A substring of the line the error must point at (its first occurrence).
    line_of: &'static str,
    /// Text the problem's message must contain: the offending value.
    value: &'static str,
    /// Text the problem's hint must contain.
    hint: &'static str,
}

fn case(
    what: &'static str,
    toml: impl Into<String>,
    line_of: &'static str,
    value: &'static str,
    hint: &'static str,
) -> Case {
    Case {
        what,
        toml: toml.into(),
        line_of,
        value,
        hint,
    }
}

fn request(extra: &str) -> String {
    format!(
        "{ALICE}\n[[requests]]\ntime = \"2026-05-04T10:00:00Z\"\nprincipal = \"user:alice\"\nmodel = \"claude-sonnet-4.6\"\ninput_tokens = 100\n{extra}\n"
    )
}

fn workload(extra: &str) -> String {
    format!(
        "{ALICE}\n[[workloads]]\nprincipals = [\"user:alice\"]\nmodel = \"nova-micro\"\nrequests_per_day = 10\ninput_tokens = {{ mean = 100 }}\noutput_tokens = {{ mean = 10 }}\n{extra}\n"
    )
}

fn user_tags(tags: &str) -> String {
    format!("\n[[iam_users]]\naccount = \"payer\"\nname = \"carol\"\ntags = {{ {tags} }}\n")
}

fn cases() -> Vec<Case> {
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    let many: Vec<String> = (1..=51).map(|i| format!("k{i} = \"v\"")).collect();
    vec![
        case("TOML syntax error", "\n[[iam_users]]\naccount = \"payer\"\nname = \"alice\n", "name = \"alice", "invalid basic string", "not valid TOML"),
        case("unknown key", "\n[[iam_users]]\naccount = \"payer\"\nnmae = \"alice\"\n", "nmae", "unknown field `nmae`", "check the spelling"),
        case("wrong type (string for a number)", request("output_tokens = \"100\""), "output_tokens = \"100\"", "string \"100\"", "type docs/scenarios.md gives"),
        case("wrong type (number for an account id)", "\n[[iam_users]]\naccount = 123456789012\nname = \"dave\"\n", "account = 123456789012", "invalid type: integer", "type docs/scenarios.md gives"),
        case("wrong enum value", "\n[[identity_providers]]\nname = \"x\"\nkind = \"ping-saml\"\naccount = \"payer\"\nrole = \"R\"\nusers = { count = 1 }\n", "ping-saml", "ping-saml", "docs/scenarios.md"),
        case("bad account id", "", "21098765432", "`21098765432` is not 12 digits", "exactly 12 digits"),
        case("bad IAM role name", "\n[[roles]]\naccount = \"payer\"\nname = \"App Role\"\n", "App Role", "`App Role` is not a valid IAM name", "1-64 characters"),
        case("bad IAM path (ARN part)", "\n[[iam_users]]\naccount = \"payer\"\nname = \"erin\"\npath = \"engineering\"\n", "engineering", "IAM path `engineering` must start and end with `/`", "write e.g. \"/engineering/\""),
        case("IAM path with a space (ARN part)", "\n[[iam_users]]\naccount = \"payer\"\nname = \"erin\"\npath = \"/eng team/\"\n", "eng team", "IAM path `/eng team/` is not valid", "printable ASCII"),
        case("bad API key id (ARN part)", "\n[[api_keys]]\naccount = \"payer\"\nid = \"ab/cd\"\n", "ab/cd", "BedrockAPIKey-ab/cd", "1-64 characters"),
        case("unknown account", "\n[[iam_users]]\naccount = \"nobody\"\nname = \"frank\"\n", "nobody", "unknown account `nobody`", "210987654321 (member)"),
        case("session name too short", "\n[[roles]]\naccount = \"payer\"\nname = \"App\"\nsessions = { kind = \"fixed\", name = \"x\" }\n", "sessions = ", "session name `x` is 1 characters", "RoleSessionName must be 2-64"),
        case("session name with a bad character", "\n[[roles]]\naccount = \"payer\"\nname = \"Fn\"\nsessions = { kind = \"lambda\", functions = [\"ok-fn\", \"my function\"] }\n", "functions", "`my function` contains ` `", "RoleSessionName must be 2-64"),
        case("IdP user whose email breaks STS rules", "\n[[roles]]\naccount = \"payer\"\nname = \"Fed\"\n\n[[identity_providers]]\nname = \"okta\"\nkind = \"okta-saml\"\naccount = \"payer\"\nrole = \"Fed\"\nusers = { list = [{ name = \"gina\", email = \"gina smith@acme.org\" }] }\n", "gina smith", "`gina smith@acme.org` breaks the STS rules", "session_name = \"username\""),
        case("tag key too long", user_tags(&format!("{long_key} = \"x\"")), "kkkk", "key is 129 characters", "tag keys are 1-128 characters"),
        case("tag key with a bad character", user_tags("\"team!\" = \"x\""), "team!", "`team!`: key contains `!`", "tag keys are 1-128 characters"),
        case("tag value too long", user_tags(&format!("team = \"{long_value}\"")), "vvvv", "value is 257 characters", "tag values are 0-256 characters"),
        case("tag value with a bad character", user_tags("team = \"a#b\""), "a#b", "value contains `#`", "tag values are 0-256 characters"),
        case("aws: prefix", user_tags("\"AWS:team\" = \"x\""), "AWS:team", "`AWS:team`: the `aws:` prefix is reserved", "not starting with aws:"),
        case("more than 50 tags", user_tags(&many.join(", ")), "k51", "has 51 tags; IAM allows at most 50", "drop tags"),
        case("tag keys differing only in case", user_tags("Team = \"a\", team = \"b\""), "Team = ", "`Team` and `team` differ only in case", "keep one spelling"),
        case("gateway session tag key with aws: prefix", "\n[[roles]]\naccount = \"payer\"\nname = \"Invoke\"\ntrust_allows_tag_session = true\n\n[[gateways]]\nname = \"gw\"\naccount = \"payer\"\nexecution_role = \"GwTask\"\ninvocation_role = \"Invoke\"\nper_user_sessions = true\nsession_tags = { \"aws:team\" = \"team\" }\nusers = { count = 2 }\n", "aws:team", "session tag key `aws:team`", "not starting with aws:"),
        case("session tags without sts:TagSession (role)", "\n[[roles]]\naccount = \"payer\"\nname = \"App\"\nsessions = { kind = \"fixed\", name = \"svc\" }\nsession_tags = { team = \"x\" }\n", "session_tags", "role `App` gets session tags", "trust_allows_tag_session = true"),
        case("session tags without sts:TagSession (IdP)", "\n[[roles]]\naccount = \"payer\"\nname = \"Shared\"\n\n[[identity_providers]]\nname = \"okta\"\nkind = \"okta-saml\"\naccount = \"payer\"\nrole = \"Shared\"\nsession_tags = { team = \"dept\" }\nusers = { count = 2 }\n", "session_tags", "role `Shared` does not allow sts:TagSession", "trust_allows_tag_session = true on role `Shared`"),
        case("session tags without sts:TagSession (gateway)", "\n[[roles]]\naccount = \"payer\"\nname = \"Invoke\"\n\n[[gateways]]\nname = \"gw\"\naccount = \"payer\"\nexecution_role = \"GwTask\"\ninvocation_role = \"Invoke\"\nper_user_sessions = true\nsession_tags = { team = \"team\" }\nusers = { count = 2 }\n", "session_tags", "invocation role `Invoke` must allow sts:TagSession", "trust_allows_tag_session = true"),
        case("malformed billing period", "", "billing_periods", "`2026-13` is not a billing period", "write YYYY-MM"),
        case("billing period out of range", "", "billing_periods", "`2019-12` is not a billing period", "between 2020 and 2035"),
        case("request outside the billing periods", request("").replace("2026-05-04T10", "2026-06-04T10"), "2026-06-04", "2026-06-04T10:00:00Z is outside the billing periods", "add its month"),
        case("malformed request time", request("").replace("2026-05-04T10", "2026-05-32T10"), "2026-05-32", "`2026-05-32T10:00:00Z` is not a time", "RFC 3339"),
        case("malformed activation date", format!("{ALICE}\n[[cost_allocation_tags]]\nkey = \"team\"\nactivated_at = \"2026-02-30\"\n"), "2026-02-30", "`2026-02-30` is not a date or time", "YYYY-MM-DD"),
        case("backfill beyond 12 months", format!("{ALICE}\n[[cost_allocation_tags]]\nkey = \"team\"\nactivated_at = \"2026-05-10\"\nbackfill_from = \"2024-01\"\n"), "backfill_from", "more than 12 months", "at most 12 months"),
        case("malformed workload start", workload("start = \"May 1\""), "May 1", "`May 1` is not a date", "YYYY-MM-DD"),
        case("unknown model (workload)", workload("").replace("nova-micro", "nova-giga"), "nova-giga", "unknown model `nova-giga`", "add it under [[models]]"),
        case("unknown model (request)", request("").replace("claude-sonnet-4.6", "claude-sonnet-9"), "claude-sonnet-9", "unknown model `claude-sonnet-9`", "claude-sonnet-4.6"),
        case("unknown region", request("region = \"us-east-9\""), "us-east-9", "unknown region `us-east-9`", "us-east-1"),
        case("selector matching nothing", request("").replace("user:alice", "user:bob"), "user:bob", "selector `user:bob` matches no principal", "selectors match names defined in this file"),
        case("role selector matching nothing", workload("").replace("\"user:alice\"", "\"role:Ghost\""), "role:Ghost", "selector `role:Ghost` matches no principal", "has `sessions`"),
        case("selector with an unknown account", request("").replace("\"user:alice\"", "\"999999999999/user:alice\""), "999999999999/user:alice", "names unknown account `999999999999`", "210987654321 (member)"),
        case("generated users' attribute value breaking tag rules", "\n[[roles]]\naccount = \"payer\"\nname = \"Shared\"\ntrust_allows_tag_session = true\n\n[[identity_providers]]\nname = \"okta\"\nkind = \"okta-saml\"\naccount = \"payer\"\nrole = \"Shared\"\nsession_tags = { team = \"team\" }\nusers = { count = 2, attributes = { team = [\"ok\", \"bad#value\"] } }\n", "bad#value", "attribute `team` value: value contains `#`", "become session tag values"),
        case("priority tier on Claude (request)", request("service_tier = \"priority\""), "service_tier", "Claude Sonnet 4.6 (`claude-sonnet-4.6`) is not sold in the priority tier", "AWS offers batch inference (batch_share) instead"),
        case("flex tier on a model without it (workload)", workload("service_tier = \"flex\"").replace("nova-micro", "llama-3.3-70b"), "service_tier", "is not sold in the flex tier", "gpt-oss-120b"),
        case("batch in the priority tier (request)", request("batch = true\nservice_tier = \"priority\"").replace("claude-sonnet-4.6", "gpt-oss-120b"), "batch = true", "batch request in the priority or flex tier", "set batch = false"),
        case("Marketplace spelling on an AWS-billed model", "\n[[models]]\nid = \"claude-opus-4.6\"\nmarketplace_spelling = \"snake\"\n", "marketplace_spelling", "a Marketplace spelling is set on an AWS-billed model", "billing = \"marketplace\""),
        case("credential TTL above 60 minutes", "\n[[gateways]]\nname = \"gw\"\naccount = \"payer\"\nexecution_role = \"GwTask\"\ninvocation_role = \"Invoke\"\ncredential_ttl_minutes = 90\nusers = { count = 2 }\n", "credential_ttl_minutes", "90 minutes is outside 15..60", "caps them at 1 hour"),
    ]
}

/// The scenario text of a case: the fragment after the base; the cases that break the base
/// itself (billing period, account id) edit it instead.
fn source(c: &Case) -> String {
    let base = match c.what {
        "malformed billing period" => BASE.replace("2026-05", "2026-13"),
        "billing period out of range" => BASE.replace("2026-05", "2019-12"),
        "bad account id" => BASE.replace("210987654321", "21098765432"),
        _ => BASE.to_string(),
    };
    format!("{base}{}", c.toml)
}

fn line_of(src: &str, needle: &str) -> usize {
    src.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("needle `{needle}` not in the scenario"))
        + 1
}

/// Run `curlab generate <file> --out <dir>/out`; returns the file, the output folder and the
/// finished command's output.
fn run(src: &str) -> (tempfile::TempDir, PathBuf, PathBuf, std::process::Output) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, src).expect("write scenario");
    let out = dir.path().join("out");
    let output = Command::cargo_bin("curlab")
        .expect("curlab binary")
        .args([
            "generate",
            file.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "--quiet",
        ])
        .output()
        .expect("curlab runs");
    (dir, file, out, output)
}

/// Whether `stderr` reports a problem at `<file>:<line>:<col>` whose message contains `value`
/// and whose hint (the next line) contains `hint`.
fn reports(stderr: &str, file: &Path, line: usize, value: &str, hint: &str) -> bool {
    let prefix = format!("{}:{line}:", file.display());
    let lines: Vec<&str> = stderr.lines().collect();
    lines.iter().enumerate().any(|(i, l)| {
        let Some(rest) = l.trim_start().strip_prefix(&prefix) else {
            return false;
        };
        let col: String = rest.chars().take_while(char::is_ascii_digit).collect();
        !col.is_empty()
            && rest.contains(value)
            && lines
                .get(i + 1)
                .is_some_and(|h| h.trim_start().starts_with("hint:") && h.contains(hint))
    })
}

#[test]
fn every_kind_of_bad_input_is_reported_with_file_line_value_and_hint() {
    let mut failures = Vec::new();
    for c in cases() {
        let src = source(&c);
        let line = line_of(&src, c.line_of);
        let (_dir, file, out, output) = run(&src);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let mut why = Vec::new();
        if output.status.code() != Some(2) {
            why.push(format!("exit code {:?}, want 2", output.status.code()));
        }
        if !stderr.contains(&format!("{} has ", file.display())) {
            why.push("the summary line does not name the file".to_string());
        }
        if !reports(&stderr, &file, line, c.value, c.hint) {
            why.push(format!(
                "no problem at line {line} with `{}` and hint `{}`",
                c.value, c.hint
            ));
        }
        if out.exists() {
            why.push("an output folder was created".to_string());
        }
        if !why.is_empty() {
            failures.push(format!(
                "{}: {}\n--- stderr ---\n{stderr}",
                c.what,
                why.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_base_scenarios_of_the_cases_are_valid() {
    // Guards the table above: each case must fail because of its fragment, not the scaffolding.
    for src in [
        BASE.to_string(),
        format!("{BASE}{}", request("")),
        format!("{BASE}{}", workload("")),
    ] {
        let (_dir, _file, out, output) = run(&src);
        assert!(
            output.status.success(),
            "{}\n{src}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(out.join("bad").is_dir());
    }
}

#[test]
fn problems_are_all_reported_at_once() {
    let src = format!(
        "{BASE}{}{}",
        user_tags("\"aws:x\" = \"1\""),
        "\n[[roles]]\naccount = \"payer\"\nname = \"A B\"\n"
    );
    let (_dir, file, out, output) = run(&src);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr.contains(&format!("{} has 2 problems:", file.display())),
        "{stderr}"
    );
    assert!(
        reports(
            &stderr,
            &file,
            line_of(&src, "aws:x"),
            "`aws:x`",
            "not starting with aws:"
        ),
        "{stderr}"
    );
    assert!(
        reports(
            &stderr,
            &file,
            line_of(&src, "A B"),
            "`A B`",
            "1-64 characters"
        ),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn too_large_a_scenario_is_refused_before_any_work() {
    // 9M requests a day for 31 days, times the 0.8 weekday average: about 2.23e8 requests.
    let src = format!(
        "{BASE}{}",
        workload("").replace("requests_per_day = 10", "requests_per_day = 9000000")
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("huge.toml");
    std::fs::write(&file, src).expect("write");
    let out = dir.path().join("out");
    Command::cargo_bin("curlab")
        .expect("curlab binary")
        .args([
            "generate",
            file.to_str().expect("utf-8"),
            "--out",
            out.to_str().expect("utf-8"),
            "--quiet",
        ])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("about 2.23e8 requests"))
        .stderr(predicate::str::contains("huge.toml would simulate"))
        .stderr(predicate::str::contains("MiB of Parquet"))
        .stderr(predicate::str::contains("safety limit of 1e8"))
        .stderr(predicate::str::contains("--allow-large"));
    assert!(
        !out.exists(),
        "the size guard must stop before the output folder is made"
    );
}

/// Two payers, each with a member account and a user; fragments build on it.
const TWO_PAYERS: &str = r#"[scenario]
name = "bad"

[export]
billing_periods = ["2026-05"]

[[organization.payers]]
id = "123456789012"
name = "payer-a"
accounts = [{ id = "210987654321", name = "member-a" }]

[[organization.payers]]
id = "345678901234"
name = "payer-b"
accounts = [{ id = "456789012345", name = "member-b" }]

[[iam_users]]
account = "member-a"
name = "alice"
tags = { team = "ds" }

[[iam_users]]
account = "member-b"
name = "bob"
tags = { team = "ops" }
"#;

fn payer_workload(payer_line: &str, principal: &str) -> String {
    format!(
        "\n[[workloads]]\n{payer_line}\nprincipals = [\"{principal}\"]\nmodel = \"nova-micro\"\nrequests_per_day = 10\ninput_tokens = {{ mean = 100 }}\noutput_tokens = {{ mean = 10 }}\n"
    )
}

#[test]
fn several_payers_mistakes_name_file_place_and_fix() {
    let ok_a = payer_workload("payer = \"payer-a\"", "user:alice");
    let cases = [
        case(
            "workload without payer",
            format!("{ok_a}{}", payer_workload("# no payer", "user:bob")),
            "# no payer",
            "needs a `payer`",
            "payer = ",
        ),
        case(
            "unknown payer",
            payer_workload("payer = \"payer-c\"", "user:alice"),
            "payer = \"payer-c\"",
            "`payer-c` is not one of the payers",
            "`payer-a`, `payer-b`",
        ),
        case(
            "user in an account of no payer",
            format!("{ok_a}\n[[iam_users]]\naccount = \"member-z\"\nname = \"zed\"\n"),
            "account = \"member-z\"",
            "not an account of any payer",
            "[[organization.payers]]",
        ),
        case(
            "selector of the other payer's principal",
            payer_workload("payer = \"payer-a\"", "user:bob"),
            "\"user:bob\"",
            "user:bob",
            "",
        ),
        case(
            "account under two payers",
            TWO_PAYERS.replace(
                "accounts = [{ id = \"456789012345\", name = \"member-b\" }]",
                "accounts = [{ id = \"210987654321\", name = \"member-b\" }]",
            ) + &ok_a,
            "{ id = \"210987654321\", name = \"member-b\" }",
            "belongs to payer 123456789012 and to payer 345678901234",
            "one organization",
        ),
        case(
            "payer and payers together",
            TWO_PAYERS.replace(
                "[[organization.payers]]\nid = \"123456789012\"",
                "[organization]\npayer = { id = \"999999999999\", name = \"x\" }\n\n[[organization.payers]]\nid = \"123456789012\"",
            ) + &ok_a,
            "payer = { id = \"999999999999\"",
            "cannot be combined",
            "[[organization.payers]]",
        ),
        case(
            "a payer key naming another payer in a single-payer file",
            format!(
                "[scenario]\nname = \"bad\"\n\n[export]\nbilling_periods = [\"2026-05\"]\n\n[organization]\npayer = {{ id = \"123456789012\", name = \"payer-a\" }}\n\n[[iam_users]]\naccount = \"payer-a\"\nname = \"alice\"\n{}",
                payer_workload("payer = \"payer-b\"", "user:alice")
            ),
            "payer = \"payer-b\"",
            "`payer-b` is not this scenario's payer",
            "`123456789012` or `payer-a`",
        ),
        case(
            "a bad value in a payer's part keeps its place in the file",
            format!(
                "{ok_a}\n[[cost_allocation_tags]]\nkey = \"team\"\nactivated_at = \"2026-13-01\"\npayer = \"payer-b\"\n"
            ),
            "activated_at = \"2026-13-01\"",
            "2026-13-01",
            "",
        ),
    ];
    let mut failures = Vec::new();
    for c in cases {
        let src = if c.toml.starts_with("[scenario]") {
            c.toml.clone()
        } else {
            format!("{TWO_PAYERS}{}", c.toml)
        };
        // A missing key is reported at its table's header, the line above the comment.
        let above = usize::from(c.line_of.starts_with('#'));
        let line = line_of(&src, c.line_of) - above;
        let (_dir, file, out, output) = run(&src);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.code() != Some(2)
            || !reports(&stderr, &file, line, c.value, c.hint)
            || out.exists()
        {
            failures.push(format!(
                "{}: want line {line}, `{}`, hint `{}`\n{stderr}",
                c.what, c.value, c.hint
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_valid_two_payer_scenario_writes_one_export_per_payer() {
    let src = format!(
        "{TWO_PAYERS}{}{}",
        payer_workload("payer = \"payer-a\"", "user:alice"),
        payer_workload("payer = \"345678901234\"", "user:bob")
    );
    let (_dir, _file, out, output) = run(&src);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for payer in ["123456789012", "345678901234"] {
        let p = out.join("bad/cur2").join(payer);
        assert!(p.join("bad/data").is_dir(), "{}", p.display());
        assert!(p.join("bad.truth.json").is_file(), "{}", p.display());
    }
    assert!(!out.join("bad/data").exists(), "no single-payer layout");
}
