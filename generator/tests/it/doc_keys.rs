//! `docs/scenarios.md` documents every key of the scenario format, and only those.
//!
//! The key names come from serde itself, not from a hand-kept copy: each table type rejects an
//! unknown key with "unknown field `x`, expected one of `a`, `b`, ...", which lists exactly the
//! names `scenario::model` accepts. The doc marks each key table with `<!-- keys: TypeName -->`.

use std::collections::{BTreeMap, BTreeSet};

use curlab_generator::scenario::model::*;
use serde::de::DeserializeOwned;

/// The field names `T` accepts, read from the unknown-field error for `src`.
fn accepted<T: DeserializeOwned + std::fmt::Debug>(src: &str) -> BTreeSet<String> {
    let err = toml::from_str::<T>(src).expect_err("an unknown key must be rejected");
    let msg = err.message().to_string();
    let Some((_, expected)) = msg.split_once("expected") else {
        panic!("unexpected serde message: {msg}");
    };
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Field names per documented type, from serde.
fn from_model() -> BTreeMap<&'static str, BTreeSet<String>> {
    const BOGUS: &str = "zz_not_a_key = 1";
    let mut naming: BTreeSet<String> = ["fixed", "lambda", "ecs", "ec2", "batch"]
        .iter()
        .flat_map(|k| accepted::<SessionNaming>(&format!("kind = \"{k}\"\n{BOGUS}")))
        .collect();
    naming.insert("kind".into());
    BTreeMap::from([
        ("ScenarioFile", accepted::<ScenarioFile>(BOGUS)),
        ("Meta", accepted::<Meta>(BOGUS)),
        ("ExportSpec", accepted::<ExportSpec>(BOGUS)),
        ("Organization", accepted::<Organization>(BOGUS)),
        ("AccountSpec", accepted::<AccountSpec>(BOGUS)),
        ("Assumptions", accepted::<Assumptions>(BOGUS)),
        ("IamUserSpec", accepted::<IamUserSpec>(BOGUS)),
        ("ApiKeySpec", accepted::<ApiKeySpec>(BOGUS)),
        ("RoleSpec", accepted::<RoleSpec>(BOGUS)),
        ("SessionNaming", naming),
        ("IdpSpec", accepted::<IdpSpec>(BOGUS)),
        ("UsersSpec", accepted::<UsersSpec>(BOGUS)),
        ("UserSpec", accepted::<UserSpec>(BOGUS)),
        ("GatewaySpec", accepted::<GatewaySpec>(BOGUS)),
        ("TagActivationSpec", accepted::<TagActivationSpec>(BOGUS)),
        ("TokenDist", accepted::<TokenDist>(BOGUS)),
        ("WorkloadSpec", accepted::<WorkloadSpec>(BOGUS)),
        ("RequestSpec", accepted::<RequestSpec>(BOGUS)),
        ("ModelSpec", accepted::<ModelSpec>(BOGUS)),
        ("BackgroundSpec", accepted::<BackgroundSpec>(BOGUS)),
        ("TaxSpec", accepted::<TaxSpec>(BOGUS)),
        ("DiscountsSpec", accepted::<DiscountsSpec>(BOGUS)),
        ("PrivateRateSpec", accepted::<PrivateRateSpec>(BOGUS)),
        ("AdjustmentSpec", accepted::<AdjustmentSpec>(BOGUS)),
        (
            "InferenceProfileSpec",
            accepted::<InferenceProfileSpec>(BOGUS),
        ),
    ])
}

/// Keys per `<!-- keys: Type -->` table of the doc: the backticked name in each row's first cell.
fn from_doc(doc: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut in_table = false;
    for line in doc.lines() {
        if let Some(ty) = line
            .trim()
            .strip_prefix("<!-- keys:")
            .and_then(|r| r.strip_suffix("-->"))
        {
            let ty = ty.trim().to_string();
            assert!(!out.contains_key(&ty), "two key tables for {ty}");
            out.insert(ty.clone(), BTreeSet::new());
            current = Some(ty);
            in_table = false;
            continue;
        }
        let Some(ty) = &current else { continue };
        if line.starts_with('|') {
            in_table = true;
            let first = line.split('|').nth(1).unwrap_or("");
            if let Some(key) = first.split('`').nth(1) {
                let keys = out.get_mut(ty).expect("section exists");
                assert!(
                    keys.insert(key.to_string()),
                    "{ty}: `{key}` documented twice"
                );
            }
        } else if in_table || !line.trim().is_empty() {
            current = None;
        }
    }
    out
}

/// Differences between the doc's key tables and the format, one line each.
fn differences(doc: &str) -> Vec<String> {
    let doc = from_doc(doc);
    let model = from_model();
    let mut out = Vec::new();
    let doc_types: BTreeSet<&str> = doc.keys().map(String::as_str).collect();
    let model_types: BTreeSet<&str> = model.keys().copied().collect();
    if doc_types != model_types {
        out.push(format!(
            "key tables in the doc {doc_types:?} vs types of the format {model_types:?}"
        ));
    }
    for (ty, keys) in &model {
        assert!(!keys.is_empty(), "{ty}: serde listed no fields");
        let Some(documented) = doc.get(*ty) else {
            continue;
        };
        for k in keys.difference(documented) {
            out.push(format!("{ty}: `{k}` is not documented"));
        }
        for k in documented.difference(keys) {
            out.push(format!(
                "{ty}: `{k}` is documented but scenario::model has no such key"
            ));
        }
    }
    out
}

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scenarios.md");
    std::fs::read_to_string(path).expect("docs/scenarios.md")
}

#[test]
fn every_key_of_the_format_is_documented_and_nothing_else() {
    let diff = differences(&doc());
    assert!(
        diff.is_empty(),
        "docs/scenarios.md is out of date:\n{}",
        diff.join("\n")
    );
}

#[test]
fn a_missing_or_invented_key_is_noticed() {
    // The same comparison on an edited copy of the doc must complain, or the test above
    // could never fail.
    let real = doc();
    let without_cv: String = real
        .lines()
        .filter(|l| !l.starts_with("| `cv` |"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        differences(&without_cv),
        vec!["TokenDist: `cv` is not documented".to_string()]
    );
    let invented = real.replacen(
        "| `mean` |",
        "| `median` | number | 1 | Invented. |\n| `mean` |",
        1,
    );
    assert_eq!(
        differences(&invented),
        vec!["TokenDist: `median` is documented but scenario::model has no such key".to_string()]
    );
}

#[test]
fn the_doc_parser_finds_keys() {
    // Guards the parser above: a table it cannot read would make the comparison vacuous.
    let doc = "<!-- keys: A -->\n| Key | Type |\n|---|---|\n| `x` | string |\n| `y` | bool |\n\nprose | `z` |\n";
    let parsed = from_doc(doc);
    assert_eq!(
        parsed["A"],
        BTreeSet::from(["x".to_string(), "y".to_string()])
    );
}

#[test]
fn the_doc_examples_are_valid_scenarios() {
    // The first TOML block is a complete scenario; later blocks are fragments that must still
    // resolve when appended to it.
    let doc = doc();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap_or(""))
        .collect();
    assert!(
        blocks.len() >= 2,
        "the doc has a full example and a [[models]] example"
    );
    for (i, extra) in blocks.iter().enumerate() {
        let src = if i == 0 {
            blocks[0].to_string()
        } else {
            format!("{}\n{extra}", blocks[0])
        };
        let file = curlab_generator::scenario::parse(&src, "docs/scenarios.md")
            .unwrap_or_else(|e| panic!("block {i}: {e}"));
        let resolved = curlab_generator::plan::resolve(&file, None, 1.0);
        assert!(
            resolved.is_ok(),
            "block {i}: {}",
            curlab_generator::scenario::with_positions(
                &src,
                "docs/scenarios.md",
                resolved.err().unwrap_or_default()
            )
        );
    }
}
