//! `curlab scenario from-export`: the synthetic twin. For every shipped scenario, source
//! export → twin scenario → twin export, compared by shape: principals per access pattern
//! exactly, Bedrock cost per model, per usage type and per tag key within 5 %, tag coverage
//! within 1 point, rows within 10 %. Then: nothing of the source leaks into the anonymised
//! scenario, and what cannot be inferred is said.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::common::{curlab, generate};
use curlab_report::scan::Export;
use curlab_report::{Dim, Granularity, ReportSpec, Summary};
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
        granularity: Granularity::Monthly,
        period: None,
    };
    e.scan(&spec, 1, &|_| {}).expect("scan").finish(e.sources())
}

/// The one export folder under a `generate --out` folder.
fn export_dir(out: &Path) -> PathBuf {
    std::fs::read_dir(out)
        .expect("out")
        .map(|e| e.expect("entry").path())
        .find(|p| p.is_dir())
        .expect("an export folder")
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
        .map(|g| (g.key.join(" / "), g.cost as f64 * 1e-10))
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
        sa.total as f64,
        sb.total as f64,
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
            .map(|c| (c.key.clone(), (c.tagged as f64 * 1e-10, c.coverage)))
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
    bad
}

#[test]
fn twin_of_every_shipped_scenario_matches_its_source() {
    let mut bad = Vec::new();
    let list = scenarios();
    assert!(list.len() >= 8, "shipped scenarios found: {list:?}");
    for sc in &list {
        let name = sc.file_stem().unwrap().to_string_lossy().into_owned();
        let src = generate(sc.to_str().unwrap(), &["--seed", "11"]);
        let src_export = export_dir(src.path());
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("twin.toml");
        twin(&src_export, &toml, &[]);
        let tw = generate(toml.to_str().unwrap(), &[]);
        bad.extend(compare(&name, &src_export, &export_dir(tw.path())));
    }
    assert!(bad.is_empty(), "twins differ:\n{}", bad.join("\n"));
}
