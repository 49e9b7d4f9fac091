//! `curlab scenario from-export`: the synthetic twin. For every shipped scenario, source
//! export → twin scenario → twin export, compared by shape: principals per access pattern
//! exactly, Bedrock cost per model, per usage type and per tag key within 5 %, tag coverage
//! within 1 point, rows within 10 %. Then: nothing of the source leaks into the anonymised
//! scenario, and what cannot be inferred is said.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::{curlab, generate, shipped};
use curlab_report::scan::Export;
use curlab_report::{Dim, ReportSpec, Summary, TimeBucket};
use curlab_vocab::pattern::classify;

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("scenarios/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    v.sort();
    v
}

fn summary(export: &Path, group_by: Vec<Dim>) -> Summary {
    let e = Export::open(&[export.to_string_lossy().into_owned()], None).expect("open export");
    let spec = ReportSpec {
        group_by,
        filters: vec![],
        granularity: TimeBucket::Monthly,
        period: None,
        ..Default::default()
    };
    e.scan(&spec, 1, &|_| {}).expect("scan").finish(e.sources())
}

/// The one export folder under a `generate --out` folder; for a scenario with several payers
/// (`<scenario>/cur2/<payer-id>/<export>/`), the first payer's export: a twin is built from
/// one export.
fn export_dir(out: &Path) -> PathBuf {
    let first_dir = |dir: &Path| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        dirs.into_iter().next().expect("an export folder")
    };
    let export = first_dir(out);
    let payers = export.join("cur2");
    if payers.is_dir() {
        first_dir(&first_dir(&payers))
    } else {
        export
    }
}

fn twin(export: &Path, out: &Path, extra: &[&str]) -> (String, String) {
    let o = out.to_str().expect("utf-8");
    let mut args = vec![
        "scenario",
        "from-export",
        export.to_str().expect("utf-8"),
        "--out",
        o,
    ];
    args.extend_from_slice(extra);
    let r = curlab(&args);
    assert!(
        r.status.success(),
        "from-export {} failed: {}",
        export.display(),
        String::from_utf8_lossy(&r.stderr)
    );
    (
        std::fs::read_to_string(out).expect("twin written"),
        String::from_utf8_lossy(&r.stdout).into_owned(),
    )
}

fn groups(s: &Summary) -> BTreeMap<String, f64> {
    s.groups
        .iter()
        .map(|g| (g.key.join(" / "), g.cost.to_usd()))
        .collect()
}

fn patterns(s: &Summary) -> BTreeMap<&'static str, usize> {
    let mut out = BTreeMap::new();
    for p in classify(s.principals.iter().map(|a| a.name.as_str())).values() {
        *out.entry(p.as_str()).or_default() += 1;
    }
    out
}

/// Every way the twin export differs from the source beyond the bounds.
fn compare(name: &str, a: &Path, b: &Path) -> Vec<String> {
    let mut bad = Vec::new();
    let close = |what: &str, x: f64, y: f64, tol: f64, bad: &mut Vec<String>| {
        if (x - y).abs() > tol * x.abs().max(1e-9) {
            bad.push(format!(
                "{name}: {what}: source {x:.4}, twin {y:.4} ({:+.1} %)",
                (y / x - 1.0) * 100.0
            ));
        }
    };
    let (sa, sb) = (summary(a, vec![Dim::Model]), summary(b, vec![Dim::Model]));
    if patterns(&sa) != patterns(&sb) {
        bad.push(format!(
            "{name}: principals per access pattern: source {:?}, twin {:?}",
            patterns(&sa),
            patterns(&sb)
        ));
    }
    close(
        "Bedrock rows",
        sa.rows as f64,
        sb.rows as f64,
        0.10,
        &mut bad,
    );
    close(
        "Bedrock cost",
        sa.total.to_usd(),
        sb.total.to_usd(),
        0.05,
        &mut bad,
    );
    for dims in [vec![Dim::Model], vec![Dim::UsageType]] {
        let what = dims[0].to_string();
        let (ga, gb) = (groups(&summary(a, dims.clone())), groups(&summary(b, dims)));
        let keys: BTreeSet<&String> = ga.keys().chain(gb.keys()).collect();
        for k in keys {
            let (x, y) = (
                ga.get(k).copied().unwrap_or(0.0),
                gb.get(k).copied().unwrap_or(0.0),
            );
            close(&format!("cost of {what} {k}"), x, y, 0.05, &mut bad);
        }
    }
    let cov = |s: &Summary| -> BTreeMap<String, (f64, f64)> {
        s.coverage
            .iter()
            .map(|c| (c.key.clone(), (c.tagged.to_usd(), c.coverage)))
            .collect()
    };
    let (ca, cb) = (cov(&sa), cov(&sb));
    let keys: BTreeSet<&String> = ca.keys().chain(cb.keys()).collect();
    for k in keys {
        let (x, y) = (
            ca.get(k).copied().unwrap_or_default(),
            cb.get(k).copied().unwrap_or_default(),
        );
        close(&format!("cost tagged {k}"), x.0, y.0, 0.05, &mut bad);
        if (x.1 - y.1).abs() > 0.01 {
            bad.push(format!(
                "{name}: coverage of {k}: source {:.2} %, twin {:.2} %",
                x.1 * 100.0,
                y.1 * 100.0
            ));
        }
    }
    let rows = |p: &Path| {
        curlab_twin::Profile::read(&[p.to_string_lossy().into_owned()], None, 1)
            .expect("profile")
            .rows as f64
    };
    close("all rows", rows(a), rows(b), 0.10, &mut bad);
    bad.extend(compare_bill(name, a, b));
    bad
}

/// The truth file written beside an export folder.
fn truth_of(export: &Path) -> serde_json::Value {
    let name = export.file_name().unwrap().to_string_lossy().into_owned();
    let path = export.with_file_name(format!("{name}.truth.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("truth file")).expect("json")
}

/// The rest of the bill, from the two truth files: discounts, credits, refunds, commitment
/// fees and other Bedrock charges within 5 %, the same number of application inference
/// profiles with their spend within 5 %.
fn compare_bill(name: &str, a: &Path, b: &Path) -> Vec<String> {
    let (ta, tb) = (truth_of(a), truth_of(b));
    let mut bad = Vec::new();
    let num = |v: &serde_json::Value| v.as_f64().unwrap_or(0.0);
    let check = |what: String, x: f64, y: f64, bad: &mut Vec<String>| {
        if (x - y).abs() > 0.05 * x.abs() + 1e-6 {
            bad.push(format!("{name}: {what}: source {x:.4}, twin {y:.4}"));
        }
    };
    for k in ["discounts", "credits", "refunds", "commitment_fees"] {
        check(
            format!("bill {k}"),
            num(&ta["bill"]["totals"][k]),
            num(&tb["bill"]["totals"][k]),
            &mut bad,
        );
    }
    check(
        "other Bedrock charges".into(),
        num(&ta["bill"]["unattributable"]["bedrock-other-charges"]["gross"]),
        num(&tb["bill"]["unattributable"]["bedrock-other-charges"]["gross"]),
        &mut bad,
    );
    let profiles = |t: &serde_json::Value| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = t["bill"]["profiles"]
            .as_array()
            .map(|ps| {
                ps.iter()
                    .map(|p| (num(&p["cost"]["gross"]), num(&p["cost"]["net"])))
                    .collect()
            })
            .unwrap_or_default();
        v.sort_by(|x, y| x.0.total_cmp(&y.0));
        v
    };
    let (pa, pb) = (profiles(&ta), profiles(&tb));
    if pa.len() != pb.len() {
        bad.push(format!(
            "{name}: inference profiles: source {}, twin {}",
            pa.len(),
            pb.len()
        ));
    }
    for (x, y) in pa.iter().zip(&pb) {
        check("inference profile gross".into(), x.0, y.0, &mut bad);
        check("inference profile net".into(), x.1, y.1, &mut bad);
    }
    if ta["bill"]["discount_representation"] != tb["bill"]["discount_representation"] {
        bad.push(format!(
            "{name}: discount representation: source {}, twin {}",
            ta["bill"]["discount_representation"], tb["bill"]["discount_representation"]
        ));
    }
    bad
}

#[test]
fn twin_of_every_shipped_scenario_matches_its_source() {
    let mut bad = Vec::new();
    let list = scenarios();
    assert!(list.len() >= 8, "shipped scenarios found: {list:?}");
    for sc in &list {
        let name = sc.file_stem().unwrap().to_string_lossy().into_owned();
        let src_export = export_dir(shipped(&name, "parquet"));
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("twin.toml");
        let (text, _) = twin(&src_export, &toml, &[]);
        // The workers share one store: the twin is the same whatever their number.
        let one = dir.path().join("one-thread.toml");
        let (single, _) = twin(&src_export, &one, &["--threads", "1"]);
        if single != text {
            bad.push(format!(
                "{name}: the twin differs between 1 thread and the default"
            ));
        }
        let tw = generate(toml.to_str().unwrap(), &[]);
        let tw_export = export_dir(tw.path());
        bad.extend(compare(&name, &src_export, &tw_export));
        // `curlab diff` reads the same by shape: principals per access pattern agree.
        let d = curlab(&[
            "diff",
            src_export.to_str().unwrap(),
            tw_export.to_str().unwrap(),
            "--format",
            "json",
            "-q",
        ]);
        assert!(d.status.success(), "{}", String::from_utf8_lossy(&d.stderr));
        let d: serde_json::Value = serde_json::from_slice(&d.stdout).unwrap();
        if d["a"]["patterns"] != d["b"]["patterns"] || d["a"]["patterns"].as_object().is_none() {
            bad.push(format!(
                "{name}: diff patterns {} vs {}",
                d["a"]["patterns"], d["b"]["patterns"]
            ));
        }
    }
    assert!(bad.is_empty(), "twins differ:\n{}", bad.join("\n"));
}

/// Every string cell of `columns` in the export's data files (maps: keys and values).
fn cells(export: &Path, columns: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    use arrow_array::cast::AsArray;
    use arrow_array::Array;
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in crate::common::data_files(export) {
        for b in crate::common::read_parquet(&f) {
            for c in columns {
                let Some(col) = b.column_by_name(c) else {
                    continue;
                };
                let set = out.entry(c.to_string()).or_default();
                if let Some(m) = col.as_map_opt() {
                    let (k, v) = (m.keys(), m.values());
                    for a in [k, v] {
                        let s = arrow_cast::cast(a, &arrow_schema::DataType::Utf8).unwrap();
                        let s = s.as_string::<i32>();
                        set.extend(s.iter().flatten().map(str::to_string));
                    }
                    continue;
                }
                let s = arrow_cast::cast(col, &arrow_schema::DataType::Utf8).unwrap();
                let s = s.as_string::<i32>();
                for i in 0..s.len() {
                    if s.is_valid(i) && !s.value(i).is_empty() {
                        set.insert(s.value(i).to_string());
                    }
                }
            }
        }
    }
    out
}

/// What identifies the source: account ids, every ARN component (path segments, user, role
/// and session names, the permission set in an Identity Center role), tag values, resource ids.
fn secrets(export: &Path) -> BTreeSet<String> {
    let c = cells(
        export,
        &[
            "bill_payer_account_id",
            "line_item_usage_account_id",
            "line_item_iam_principal",
            "line_item_resource_id",
            "line_item_line_item_description",
            "line_item_line_item_type",
            "tags",
        ],
    );
    let mut out: BTreeSet<String> = BTreeSet::new();
    for col in ["bill_payer_account_id", "line_item_usage_account_id"] {
        out.extend(c[col].iter().cloned());
    }
    for arn in &c["line_item_iam_principal"] {
        let resource = arn.splitn(6, ':').nth(5).unwrap_or("");
        out.extend(arn.split(':').nth(4).map(str::to_string));
        for part in resource.split('/').skip(1).filter(|p| !p.is_empty()) {
            out.insert(part.to_string());
            if let Some(rest) = part.strip_prefix("AWSReservedSSO_") {
                out.extend(rest.split('_').map(str::to_string));
            }
            if let Some(local) = part.split('@').next().filter(|_| part.contains('@')) {
                out.insert(local.to_string());
            }
        }
    }
    // Tag values (the map's keys are the tag keys, kept by default).
    let keys: BTreeSet<&String> = c["tags"]
        .iter()
        .filter(|k| k.starts_with("iamPrincipal/") || k.starts_with("resourceTags/"))
        .collect();
    out.extend(c["tags"].iter().filter(|v| !keys.contains(v)).cloned());
    out.extend(c["line_item_resource_id"].iter().cloned());
    // The id at the end of a resource ARN (an application inference profile's id).
    out.extend(
        c["line_item_resource_id"]
            .iter()
            .filter_map(|r| r.rsplit(['/', ':']).next())
            .map(str::to_string),
    );
    // Free text of credits and refunds (the twin keeps the amounts, not the description).
    if c["line_item_line_item_type"].contains("Credit") {
        out.extend(
            c["line_item_line_item_description"]
                .iter()
                .filter(|d| d.contains("credit") || d.contains("Refund"))
                .cloned(),
        );
    }
    out.retain(|s| s.len() >= 2);
    out
}

/// Keys whose values are words of the scenario format (`session`, `user`, `standard`), not
/// data: a source session named `session` is not leaked by `override_key_spelling = "session"`.
const FORMAT_WORDS: [&str; 14] = [
    "override_key_spelling",
    "batch_principal",
    "missing_principal",
    "profile_resource_id",
    "session_name",
    "session_name_from",
    "kind",
    "source",
    "service_tier",
    "format",
    "delivery",
    "time_granularity",
    "billing",
    "service",
];

/// Secrets found in `text`: as a whole token outside comments (whose English words such as
/// `session` are no data) and format words, or anywhere when it is 6 characters or longer and
/// not a plain word (account ids, e-mails, ids inside other text).
fn leaks<'a>(text: &str, secrets: &'a BTreeSet<String>) -> Vec<&'a String> {
    let data: String = text
        .lines()
        .filter(|l| {
            !l.starts_with('#')
                && !FORMAT_WORDS
                    .iter()
                    .any(|k| l.starts_with(&format!("{k} = \"")))
        })
        .collect::<Vec<_>>()
        .join("\n");
    // Selector kinds (`user:`, `role:` ...) are format words too.
    let data = ["user:", "api-key:", "role:", "idp:", "gateway:"]
        .iter()
        .fold(data, |d, k| d.replace(k, ":"));
    let tokens: BTreeSet<&str> = data
        .split(|c: char| !(c.is_ascii_alphanumeric() || "@._+=,-".contains(c)))
        .collect();
    secrets
        .iter()
        .filter(|s| {
            tokens.contains(s.as_str())
                || (s.len() >= 6
                    && !s.chars().all(|c| c.is_ascii_alphabetic())
                    && text.contains(s.as_str()))
        })
        .collect()
}

#[test]
fn anonymised_twin_leaks_nothing_of_the_source() {
    for sc in ["blog-launch", "s2-app-roles", "enterprise", "full-bill"] {
        let export = export_dir(shipped(sc, "parquet"));
        let secrets = secrets(&export);
        assert!(
            secrets.len() > 10,
            "{sc}: too few source values: {secrets:?}"
        );
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("twin.toml");
        let (text, _) = twin(&export, &out, &[]);
        let found = leaks(&text, &secrets);
        assert!(
            found.is_empty(),
            "{sc}: the twin shows source values {found:?}"
        );
        // The same salt gives the same file; another salt other names.
        let (again, _) = twin(&export, &dir.path().join("again.toml"), &[]);
        assert_eq!(text, again, "{sc}: two runs disagree");
        let (salted, _) = twin(&export, &dir.path().join("s.toml"), &["--salt", "x"]);
        assert_ne!(text, salted, "{sc}: --salt changes nothing");
        assert!(leaks(&salted, &secrets).is_empty());
        // The scan does find them when names are kept (so it can fail).
        let (kept, _) = twin(&export, &dir.path().join("k.toml"), &["--keep-names"]);
        assert!(
            leaks(&kept, &secrets).len() > 5,
            "{sc}: --keep-names should keep the source's names"
        );
        // --rename-keys: tag keys go too.
        let (renamed, _) = twin(&export, &dir.path().join("r.toml"), &["--rename-keys"]);
        let keys: BTreeSet<String> = cells(&export, &["tags"])["tags"]
            .iter()
            .filter_map(|k| k.strip_prefix("iamPrincipal/").map(str::to_string))
            .filter(|k| k.len() >= 3)
            .collect();
        assert!(!keys.is_empty());
        let found = leaks(&renamed, &keys);
        assert!(found.is_empty(), "{sc}: --rename-keys keeps keys {found:?}");
    }
}

#[test]
fn written_scenarios_parse_back_to_themselves() {
    use curlab_generator::scenario::parse;
    use curlab_twin::write::{write, Notes};
    for sc in scenarios() {
        let text = std::fs::read_to_string(&sc).unwrap();
        let s = parse(&text, "shipped.toml").expect("shipped scenario parses");
        let written = write(&s, &Notes::default());
        let back = parse(&written, "written.toml").unwrap_or_else(|e| {
            panic!(
                "{}: written form does not parse: {e}\n{written}",
                sc.display()
            )
        });
        assert_eq!(format!("{s:?}"), format!("{back:?}"), "{}", sc.display());
    }
    // And a twin: parse(write(parse(twin))) == parse(twin).
    let src = shipped("s2-app-roles", "parquet");
    let dir = tempfile::tempdir().unwrap();
    let (text, _) = twin(&export_dir(src), &dir.path().join("t.toml"), &[]);
    let s = parse(&text, "twin.toml").expect("twin parses");
    let back = parse(&write(&s, &Notes::default()), "w.toml").expect("rewritten twin parses");
    assert_eq!(format!("{s:?}"), format!("{back:?}"));
}

/// A small scenario for the "cannot infer" fixtures.
fn small(dir: &Path, principal_data: bool, bedrock: bool) -> PathBuf {
    let mut s = format!(
        r#"[scenario]
name = "small"
seed = 3

[export]
billing_periods = ["2026-05"]
include_iam_principal_data = {principal_data}

[organization]
payer = {{ id = "111122223333", name = "payer" }}
accounts = [{{ id = "444455556666", name = "apps" }}]

[[iam_users]]
account = "apps"
name = "alice"
tags = {{ team = "search" }}

[[cost_allocation_tags]]
key = "team"
activated_at = "2026-04-01"

[[background]]
service = "ec2"
account = "apps"
resources = 2
resource_tags = {{ app = "web" }}

[[cost_allocation_tags]]
key = "app"
source = "resource"
activated_at = "2026-04-01"
"#
    );
    if bedrock {
        s.push_str(
            r#"
[[workloads]]
principals = ["user:alice"]
model = "claude-sonnet-4.6"
requests_per_day = 200
input_tokens = { mean = 3000 }
output_tokens = { mean = 600 }
"#,
        );
    }
    let p = dir.join("small.toml");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn what_cannot_be_inferred_is_said() {
    let dir = tempfile::tempdir().unwrap();
    // A CUR 2.0 export without the principal column: said; Bedrock usage still reproduced.
    let sc = small(dir.path(), false, true);
    let src = generate(sc.to_str().unwrap(), &[]);
    let export = export_dir(src.path());
    assert!(!cells(&export, &["line_item_iam_principal"]).contains_key("line_item_iam_principal"));
    let out = dir.path().join("np.toml");
    let (text, stdout) = twin(&export, &out, &[]);
    assert!(
        stdout.contains("cannot infer: no line_item_iam_principal column"),
        "{stdout}"
    );
    assert!(text.contains("# cannot infer: no line_item_iam_principal column"));
    assert!(
        text.contains("include_iam_principal_data = false"),
        "{text}"
    );
    let tw = generate(out.to_str().unwrap(), &[]);
    let (a, b) = (
        summary(&export, vec![]),
        summary(&export_dir(tw.path()), vec![]),
    );
    let (x, y) = (a.total.to_usd(), b.total.to_usd());
    assert!(
        x > 0.0 && (x - y).abs() <= 0.05 * x,
        "Bedrock cost {x} vs {y}"
    );
    assert_eq!(
        b.attributed,
        curlab_vocab::Money::ZERO,
        "the twin's export has no principals either"
    );

    // No Bedrock rows: said; the scenario holds background spend and tags only.
    let sc = small(dir.path(), true, false);
    let src = generate(sc.to_str().unwrap(), &[]);
    let export = export_dir(src.path());
    let out = dir.path().join("nb.toml");
    let (text, stdout) = twin(&export, &out, &[]);
    assert!(
        stdout.contains("cannot infer: no Bedrock inference rows"),
        "{stdout}"
    );
    assert!(!text.contains("[[workloads]]") && !text.contains("[[requests]]"));
    assert!(
        text.contains("service = \"ec2\"") && text.contains("key = \"app\""),
        "{text}"
    );
    let tw = generate(out.to_str().unwrap(), &[]);
    let rows = |p: &Path| {
        curlab_twin::Profile::read(&[p.to_string_lossy().into_owned()], None, 1)
            .unwrap()
            .rows as f64
    };
    let (x, y) = (rows(&export), rows(&export_dir(tw.path())));
    assert!((x - y).abs() <= 0.10 * x, "rows {x} vs {y}");

    // A legacy CUR (CUR 1) CSV: named, not read. Alone it is an error; next to a CUR 2.0
    // export it is a statement and the twin is written for the rest.
    let legacy = dir.path().join("legacy.csv");
    std::fs::write(
        &legacy,
        "identity/LineItemId,identity/TimeInterval,bill/PayerAccountId,lineItem/UsageAccountId,\
         lineItem/LineItemType,lineItem/UsageType,lineItem/UnblendedCost\n\
         abc,2026-05-01T00:00:00Z/2026-05-01T01:00:00Z,111122223333,444455556666,Usage,\
         BoxUsage:m5.large,0.096\n",
    )
    .unwrap();
    let o = dir.path().join("l.toml");
    let r = curlab(&[
        "scenario",
        "from-export",
        legacy.to_str().unwrap(),
        "--out",
        o.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains("legacy.csv") && err.contains("legacy CUR") && err.contains("fix:"),
        "{err}"
    );
    assert!(!o.exists());
    let r = curlab(&[
        "scenario",
        "from-export",
        export.to_str().unwrap(),
        legacy.to_str().unwrap(),
        "--out",
        o.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(
        stdout.contains("cannot infer: legacy.csv: legacy CUR"),
        "{stdout}"
    );
    assert!(o.exists());
}

/// Discounts shown only on the usage rows (`map-only`: no separate discount rows): the split
/// between EDP and private rates cannot be read, which is said, and the discount is written
/// per model so the net cost is kept.
#[test]
fn map_only_discounts_are_kept_per_model_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/full-bill.toml");
    let text = std::fs::read_to_string(shipped).unwrap();
    assert!(text.contains("representation = \"map-and-rows\""));
    let sc = dir.path().join("map-only.toml");
    std::fs::write(
        &sc,
        text.replace(
            "representation = \"map-and-rows\"",
            "representation = \"map-only\"",
        ),
    )
    .unwrap();
    let src = generate(sc.to_str().unwrap(), &["--seed", "11"]);
    let export = export_dir(src.path());
    let out = dir.path().join("twin.toml");
    let (toml, stdout) = twin(&export, &out, &[]);
    assert!(
        stdout.contains("cannot infer: net cost is $") && stdout.contains("split between EDP"),
        "{stdout}"
    );
    assert!(toml.contains("representation = \"map-only\""), "{toml}");
    let tw = generate(out.to_str().unwrap(), &[]);
    let (ta, tb) = (truth_of(&export), truth_of(&export_dir(tw.path())));
    let d = |t: &serde_json::Value| t["bill"]["totals"]["discounts"].as_f64().unwrap();
    let (x, y) = (d(&ta), d(&tb));
    assert!(
        x < 0.0 && (x - y).abs() <= 0.05 * x.abs(),
        "discounts {x} vs {y}"
    );
}
