//! The scenarios shipped in `scenarios/`, compiled in so `curlab generate <name>` works from
//! any folder.

/// One shipped scenario.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shipped {
    /// Name, as given to `curlab generate`.
    pub name: &'static str,
    /// TOML source.
    pub source: &'static str,
}

macro_rules! shipped {
    ($($name:literal),* $(,)?) => {
        /// Every shipped scenario, in documentation order.
        pub const SHIPPED: &[Shipped] = &[
            $(Shipped { name: $name, source: include_str!(concat!("../scenarios/", $name, ".toml")) },)*
        ];
    };
}

shipped!(
    "blog-launch",
    "s1-iam-users",
    "s2-app-roles",
    "s3-okta-saml",
    "s3-entra-oidc",
    "s4-gateway-shared-role",
    "s4-gateway-per-user",
    "enterprise",
    "full-bill",
);

/// Find a shipped scenario by name.
pub(crate) fn find(name: &str) -> Option<&'static Shipped> {
    SHIPPED.iter().find(|s| s.name == name)
}
