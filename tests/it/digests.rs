//! Pins a digest of every file of every shipped scenario's export (fixed seed, Parquet and
//! CSV.gz) and of its truth file, so a refactor that should not change what curlab writes is
//! proven not to. A change in output is then a visible snapshot diff that its commit explains.

use std::fmt::Write as _;

use crate::common::{files, shipped};

/// The shipped scenarios, from `scenarios/`.
fn shipped_names() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .filter_map(|e| {
            let p = e.ok()?.path();
            if p.extension()? != "toml" {
                return None;
            }
            p.file_stem()?.to_str().map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

/// `path  digest  size` for every file curlab wrote, sorted by path.
fn digest_lines(out: &std::path::Path) -> String {
    let mut s = String::new();
    for rel in files(out) {
        let bytes = std::fs::read(out.join(&rel)).expect("read output file");
        let h = twox_hash::XxHash3_128::oneshot(&bytes);
        let path = rel.to_string_lossy().replace('\\', "/");
        writeln!(s, "{path}  {h:032x}  {} bytes", bytes.len()).expect("write to string");
    }
    s
}

#[test]
fn shipped_scenario_exports_are_pinned() {
    let names = shipped_names();
    assert!(
        names.len() >= 8,
        "expected the shipped scenarios, found {names:?}"
    );
    let mut all = String::new();
    for name in &names {
        for format in ["parquet", "csv"] {
            // The same files the twins and the readers' checks read (generated once per run).
            writeln!(all, "## {name} ({format})").expect("write to string");
            all.push_str(&digest_lines(shipped(name, format)));
        }
    }
    insta::with_settings!({snapshot_path => "../../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("shipped_export_digests", all);
    });
}
