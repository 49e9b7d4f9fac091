//! The access patterns, one module each: how a pattern's identities are checked and built
//! (callers with ARNs and effective tags, the requesters that send as them, and what
//! selectors find). [`AccessPattern`] names them; the truth file records it per principal.
//!
//! | pattern | module | scenario section |
//! |---|---|---|
//! | IAM users | [`iam_user`] | `[[iam_users]]` |
//! | Bedrock API keys | [`api_key`] | `[[api_keys]]` |
//! | application roles | [`app_role`] | `[[roles]]` with `sessions` |
//! | IdP federation (Okta SAML, Entra OIDC) | [`idp`] | `[[identity_providers]]` |
//! | IAM Identity Center | [`identity_center`] (through [`idp`]) | `[[identity_providers]]` with `kind = "identity-center"` |
//! | LLM gateways | [`gateway`] | `[[gateways]]` |

pub(crate) mod api_key;
pub(crate) mod app_role;
pub(crate) mod gateway;
pub(crate) mod iam_user;
pub(crate) mod identity_center;
pub(crate) mod idp;
pub(super) mod kind;

pub use kind::AccessPattern;

use super::context::{root, Ctx};
use super::identities::{Builder, MAX_PRINCIPALS};

/// Check the tag maps of the patterns that carry their own tags, in file section order.
pub(crate) fn check_tags(cx: &mut Ctx<'_>) {
    iam_user::check_tags(cx);
    api_key::check_tags(cx);
    app_role::check_tags(cx);
}

/// Build every access pattern's identities, in order, then check the total. The order is part
/// of the output: caller indices (and so every export) depend on it.
pub(crate) fn build(cx: &mut Ctx<'_>, b: &mut Builder<'_>) {
    iam_user::build(cx, b);
    api_key::build(cx, b);
    app_role::build(cx, b);
    idp::build(cx, b);
    gateway::build(cx, b);
    let total = b.callers.len() as u64;
    if total > MAX_PRINCIPALS {
        cx.problem(
            root(),
            format!("the scenario makes {total} principals, more than {MAX_PRINCIPALS}"),
            "lower user counts or --scale",
        );
    }
}
