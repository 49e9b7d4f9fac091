//! Hostile scenario files and command lines for `curlab generate`: garbage bytes, invalid
//! UTF-8, deep nesting, out-of-range numbers, absurd sizes (refused before any work with an
//! estimate of rows and bytes), and export names that would escape `--out`. Each exits 2 with a
//! message naming the file, creates no output folder, and never panics or hangs.
//! (tests/it/scenario_errors.rs pins the 40 ordinary mistakes with line and hint.)

use std::path::Path;
use std::time::Duration;

/// The smallest valid scenario.
const BASE: &str = r#"[scenario]
name = "bad"

[export]
billing_periods = ["2026-05"]

[organization]
payer = { id = "123456789012", name = "payer" }
"#;

fn workload(rpd: &str, users: &str) -> String {
    format!(
        "{BASE}\n[[roles]]\naccount = \"payer\"\nname = \"Fed\"\n\n[[identity_providers]]\nname = \"okta\"\nkind = \"okta-saml\"\naccount = \"payer\"\nrole = \"Fed\"\nusers = {{ count = {users} }}\n\n[[workloads]]\nprincipals = [\"idp:okta\"]\nmodel = \"nova-micro\"\nrequests_per_day = {rpd}\ninput_tokens = {{ mean = 100 }}\noutput_tokens = {{ mean = 10 }}\n"
    )
}

fn role_sessions(sessions: &str) -> String {
    format!("{BASE}\n[[roles]]\naccount = \"payer\"\nname = \"App\"\nsessions = {sessions}\n\n[[workloads]]\nprincipals = [\"role:App\"]\nmodel = \"nova-micro\"\nrequests_per_day = 1\ninput_tokens = {{ mean = 100 }}\noutput_tokens = {{ mean = 10 }}\n")
}

/// `(id, scenario bytes, extra args, needles in stderr)`: one hostile scenario case.
type Case = (&'static str, Vec<u8>, Vec<&'static str>, Vec<&'static str>);

fn cases() -> Vec<Case> {
    let t = |s: String| s.into_bytes();
    let nest = |n: usize| format!("{BASE}\nx = {}{}\n", "[".repeat(n), "]".repeat(n));
    let inline_nest = |n: usize| format!("{BASE}\nx = {}1{}\n", "{a=".repeat(n), "}".repeat(n));
    vec![
        ("scn-empty-file", vec![], vec![], vec!["missing field"]),
        ("scn-only-comments", t("# nothing\n".into()), vec![], vec!["missing field"]),
        ("scn-random-bytes", (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect(), vec![], vec!["is not UTF-8 text", "byte offset"]),
        ("scn-invalid-utf8", [BASE.as_bytes(), &b"\n# caf\xe9\n"[..]].concat(), vec![], vec!["is not UTF-8 text", "byte offset"]),
        ("scn-utf16", [0xffu8, 0xfe].into_iter().chain(BASE.encode_utf16().flat_map(u16::to_le_bytes)).collect(), vec![], vec!["is not UTF-8 text"]),
        ("scn-nul-bytes", t(format!("{BASE}\0\0")), vec![], vec!["not valid TOML"]),
        ("scn-parquet-file-as-scenario", b"PAR1\x15\x04PAR1".to_vec(), vec![], vec!["not valid TOML"]),
        ("scn-deeply-nested-arrays", t(nest(100_000)), vec![], vec!["nested deeper than 64 levels"]),
        ("scn-deeply-nested-inline-tables", t(inline_nest(50_000)), vec![], vec!["nested deeper than 64 levels"]),
        ("scn-moderately-nested-arrays", t(nest(20)), vec![], vec!["unknown field `x`"]),
        ("scn-huge-file", t(format!("{BASE}\n{}", "# padding padding padding padding\n".repeat(200_000))), vec![], vec!["bytes, more than a scenario file can be"]),
        ("scn-very-long-string", t(BASE.replace("name = \"bad\"", &format!("name = \"{}\"", "n".repeat(1 << 20)))), vec![], vec!["export name", "is not valid"]),
        ("scn-integer-overflow", t(workload("1", "99999999999999999999999")), vec![], vec!["s.toml:19:19:", "integer `99999999999999999999999`", "expected u64", "hint:"]),
        ("scn-negative-count", t(workload("1", "-5")), vec![], vec!["invalid value"]),
        ("scn-float-count", t(workload("1", "1.5")), vec![], vec!["invalid type"]),
        ("scn-nan-requests-per-day", t(workload("nan", "2")), vec![], vec!["requests per day is outside"]),
        ("scn-inf-requests-per-day", t(workload("inf", "2")), vec![], vec!["requests per day is outside"]),
        ("scn-negative-requests-per-day", t(workload("-1", "2")), vec![], vec!["requests per day is outside"]),
        ("scn-requests-10e12", t(workload("1e7", "100000")), vec![], vec!["would simulate", "requests", "rows", "MiB of Parquet", "--allow-large"]),
        ("scn-principals-10e7", t(workload("1", "1000000").replace("users = { count = 1000000 }", "users = { count = 1000000 }\n\n[[identity_providers]]\nname = \"b\"\nkind = \"okta-saml\"\naccount = \"payer\"\nrole = \"Fed\"\nusers = { count = 9000000 }")), vec![], vec!["would simulate", "1.0e7 principals", "rows", "MiB of Parquet", "--allow-large"]),
        ("scn-principals-via-scale", t(workload("1", "2000")), vec!["--scale", "1000"], vec!["would simulate", "2.0e6 principals", "--allow-large"]),
        ("scn-ecs-tasks-4e9", t(role_sessions("{ kind = \"ecs\", tasks = 4000000000 }")), vec!["--allow-large"], vec!["would simulate", "4.0e9 principals", "even with --allow-large"]),
        ("scn-ec2-instances-3e7-with-consent", t(role_sessions("{ kind = \"ec2\", instances = 30000000 }")), vec!["--allow-large"], vec!["even with --allow-large"]),
        ("scn-scale-zero", t(BASE.into()), vec!["--scale", "0"], vec!["--scale 0 is outside"]),
        ("scn-scale-nan", t(BASE.into()), vec!["--scale", "NaN"], vec!["--scale NaN is outside"]),
        ("scn-scale-huge", t(BASE.into()), vec!["--scale", "1e300"], vec!["is outside (0, 10000]"]),
        ("scn-name-dotdot", t(BASE.replace("name = \"bad\"", "name = \"..\"")), vec![], vec!["export name `..` is not valid"]),
        ("scn-name-parent-path", t(BASE.replace("name = \"bad\"", "name = \"../../escaped\"")), vec![], vec!["export name `../../escaped` is not valid"]),
        ("scn-name-absolute-path", t(BASE.replace("name = \"bad\"", "name = \"/tmp/escaped\"")), vec![], vec!["export name `/tmp/escaped` is not valid"]),
        ("scn-export-name-subfolder", t(BASE.replace("[export]", "[export]\nname = \"a/b\"")), vec![], vec!["export name `a/b` is not valid"]),
        ("scn-export-name-backslash", t(BASE.replace("[export]", "[export]\nname = \"..\\\\x\"")), vec![], vec!["is not valid"]),
        ("scn-export-name-empty", t(BASE.replace("[export]", "[export]\nname = \"\"")), vec![], vec!["export name `` is not valid"]),
        ("scn-export-name-control-chars", t(BASE.replace("[export]", "[export]\nname = \"a\\u001b[2Jb\"")), vec![], vec!["is not valid"]),
        ("scn-export-name-dot", t(BASE.replace("[export]", "[export]\nname = \".\"")), vec![], vec!["export name `.` is not valid"]),
        ("scn-row-group-rows-zero", t(BASE.into()), vec!["--row-group-rows", "0"], vec!["--row-group-rows must be at least 1"]),
        ("scn-max-rows-per-file-zero", t(BASE.into()), vec!["--max-rows-per-file", "0"], vec!["--max-rows-per-file must be at least 1"]),
        ("scn-part-out-of-range", t(BASE.into()), vec!["--parts", "2", "--part", "5"], vec!["--part 5 is not one of 0..2"]),
        ("scn-unknown-fault", t(BASE.into()), vec!["--inject", "meteor-strike"], vec!["--inject meteor-strike: unknown fault", "curlab faults"]),
        ("scn-fault-rate-nan", t(BASE.into()), vec!["--inject", "malformed-arn=NaN"], vec!["--inject malformed-arn=NaN: rate `NaN`", "(0, 1]", "malformed-arn=0.1"]),
        ("scn-scenario-is-a-folder", vec![], vec!["@folder"], vec!["is not a file"]),
    ]
}

#[test]
fn hostile_scenarios_are_refused_before_any_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut failures = Vec::new();
    let mut ids = Vec::new();
    for (id, bytes, extra, needles) in cases() {
        let case = dir.path().join(id);
        std::fs::create_dir_all(&case).expect("mkdir");
        let file = case.join("s.toml");
        let file_arg = if extra.first() == Some(&"@folder") {
            std::fs::create_dir_all(case.join("folder.toml")).expect("mkdir");
            "folder.toml".to_string()
        } else {
            std::fs::write(&file, &bytes).expect("write");
            "s.toml".to_string()
        };
        let mut args: Vec<String> = vec![
            "generate".into(),
            file_arg.clone(),
            "--out".into(),
            "out".into(),
            "--quiet".into(),
        ];
        args.extend(
            extra
                .iter()
                .filter(|a| !a.starts_with('@'))
                .map(|s| s.to_string()),
        );
        let start = std::time::Instant::now();
        let o = crate::hostile::run_in(&case, &args, Duration::from_secs(60));
        crate::hostile::record(id, &o);
        let mut why = Vec::new();
        if o.code != Some(2) {
            why.push(format!("exit {:?}, want 2", o.code));
        }
        if !o.stderr.contains(&file_arg) && !o.stderr.contains("--") {
            why.push("the message names neither the file nor the flag".into());
        }
        for n in &needles {
            if !o.stderr.contains(n) {
                why.push(format!("stderr lacks `{n}`"));
            }
        }
        if o.stderr.contains("panicked") {
            why.push("panicked".into());
        }
        if o.stderr.chars().any(|c| c.is_control() && c != '\n') {
            why.push("control characters on stderr".into());
        }
        if case.join("out").exists() || Path::new("/tmp/escaped").exists() {
            why.push("an output folder was created".into());
        }
        // Refused before work: size guards answer in well under the time to build anything.
        if start.elapsed() > Duration::from_secs(20) {
            why.push(format!("took {:?}", start.elapsed()));
        }
        if !why.is_empty() {
            failures.push(format!(
                "{id}: {}\n  stderr: {}",
                why.join("; "),
                o.stderr.trim()
            ));
        }
        ids.push(id);
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    crate::hostile::documented(&ids);
}

#[test]
fn allow_large_is_the_consent_that_lifts_the_size_guard() {
    // 1.2e6 principals in one identity provider: refused by the size guard without consent;
    // with --allow-large the guard lets it through to the resolver, whose per-population cap
    // (1e6 users) then answers instead. Both answers come before anything is built.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("s.toml"), workload("0", "1200000")).expect("write");
    let args = ["generate", "s.toml", "--out", "out", "--quiet"].map(String::from);
    let refused = crate::hostile::run_in(dir.path(), &args, Duration::from_secs(60));
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("1.2e6 principals"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("--allow-large"),
        "{}",
        refused.stderr
    );
    let mut consent = args.to_vec();
    consent.push("--allow-large".into());
    let resolved = crate::hostile::run_in(dir.path(), &consent, Duration::from_secs(60));
    assert_eq!(resolved.code, Some(2), "{}", resolved.stderr);
    assert!(
        !resolved.stderr.contains("safety limit"),
        "{}",
        resolved.stderr
    );
    assert!(
        resolved
            .stderr
            .contains("1200000 users is more than curlab generates"),
        "{}",
        resolved.stderr
    );
    assert!(!dir.path().join("out").exists());
}
