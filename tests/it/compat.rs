//! Exports open in real readers: every shipped scenario is generated and read back by pyarrow
//! and DuckDB (tests/compat.py), which check row counts and cost sums against the truth file.
//! The exports are the seed-11 ones the digests pin (`common::shipped`, generated once per run).
//!
//! The readers live in a Python virtualenv at `.venv` (created here from
//! tests/requirements.txt when missing; `.ci/run` creates it up front). Set CURLAB_PYTHON to
//! use another interpreter that has duckdb and pyarrow.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

fn python() -> &'static PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| crate::common::python("duckdb, pyarrow"))
}

/// Read the shipped scenario's export (seed 11, the files the digests pin) in both readers.
fn check(scenario: &str, export: &str, format: &str) {
    let dir = crate::common::shipped(scenario, format);
    let o = Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/compat.py"))
        .arg(dir)
        .arg(export)
        .output()
        .expect("python runs");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{scenario}: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("pyarrow:") && out.contains("duckdb:"),
        "both readers ran: {out}"
    );
}

#[test]
fn blog_launch_parquet_and_csv() {
    check("blog-launch", "blog-launch", "parquet");
    check("blog-launch", "blog-launch", "csv");
}

#[test]
fn s1_iam_users() {
    check("s1-iam-users", "s1-iam-users", "parquet");
}

#[test]
fn s2_app_roles_parquet_and_csv() {
    check("s2-app-roles", "s2-app-roles", "parquet");
    check("s2-app-roles", "s2-app-roles", "csv");
}

#[test]
fn s3_okta_saml() {
    check("s3-okta-saml", "s3-okta-saml", "parquet");
}

#[test]
fn s3_entra_oidc() {
    check("s3-entra-oidc", "s3-entra-oidc", "parquet");
}

#[test]
fn s4_gateway_shared_role() {
    check(
        "s4-gateway-shared-role",
        "s4-gateway-shared-role",
        "parquet",
    );
}

#[test]
fn s4_gateway_per_user() {
    check("s4-gateway-per-user", "s4-gateway-per-user", "parquet");
}

#[test]
fn enterprise() {
    check("enterprise", "enterprise-cur", "parquet");
}
