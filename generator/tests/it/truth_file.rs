//! The truth file written principal by principal (`sim::truth_file`) is byte for byte the
//! JSON of the whole `Truth` built first: for every shipped scenario and payer.

use curlab_generator::{plan, scenario, sim, TagTable};

const SHIPPED: &[(&str, &str)] = &[
    (
        "enterprise",
        include_str!("../../../scenarios/enterprise.toml"),
    ),
    (
        "full-bill",
        include_str!("../../../scenarios/full-bill.toml"),
    ),
    (
        "blog-launch",
        include_str!("../../../scenarios/blog-launch.toml"),
    ),
    ("s1", include_str!("../../../scenarios/s1-iam-users.toml")),
    ("s2", include_str!("../../../scenarios/s2-app-roles.toml")),
    (
        "s3-entra",
        include_str!("../../../scenarios/s3-entra-oidc.toml"),
    ),
    (
        "s3-okta",
        include_str!("../../../scenarios/s3-okta-saml.toml"),
    ),
    (
        "s4-per-user",
        include_str!("../../../scenarios/s4-gateway-per-user.toml"),
    ),
    (
        "s4-shared",
        include_str!("../../../scenarios/s4-gateway-shared-role.toml"),
    ),
];

#[test]
fn streamed_truth_is_the_whole_truth() {
    for (name, src) in SHIPPED {
        let file = scenario::parse(src, "t.toml").unwrap_or_else(|e| panic!("{name}: {e}"));
        let payers = plan::resolve_payers(&file, None, 0.2)
            .unwrap_or_else(|p| panic!("{name}: {}", scenario::with_positions(src, "t.toml", p)));
        for payer in payers {
            let plan = payer.plan;
            let tags = TagTable::new(&plan);
            let parts = sim::run_in_order(&plan, &tags, |_| {});
            let file = sim::truth_file(&plan, &tags, &parts);
            let whole = file.materialize();
            assert!(!whole.principals.is_empty(), "{name}: no principals");
            assert!(whole.principals.windows(2).all(|w| w[0].arn < w[1].arn));
            assert_eq!(file.principal_count(), whole.by_principal.len(), "{name}");
            let streamed = serde_json::to_string_pretty(&file).unwrap();
            let built = serde_json::to_string_pretty(&whole).unwrap();
            assert!(streamed == built, "{name}: streamed truth differs");
        }
    }
}
