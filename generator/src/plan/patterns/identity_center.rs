//! IAM Identity Center (`[[identity_providers]]` with `kind = "identity-center"`): users sign
//! in through a permission set, and AWS names the role `AWSReservedSSO_<permission set>_<16
//! hex>` (the suffix drawn from the population `sso:<account>:<permission set>`). The users,
//! sessions and tags are built like any identity provider's ([`super::idp`]); the identity
//! kind is Identity Center's.

use crate::scenario::model::IdpSpec;
use crate::scenario::Path;
use crate::seed;

use super::super::context::Ctx;
use super::super::identities::Builder;

/// The role Identity Center made for `idp`'s permission set in account `acct`; checks the
/// permission set's name and that no `role` is set (AWS names it).
pub(crate) fn role(
    cx: &mut Ctx<'_>,
    b: &Builder<'_>,
    idp: &IdpSpec,
    acct: usize,
    p: &Path,
) -> String {
    let ps = idp
        .permission_set
        .clone()
        .unwrap_or_else(|| "BedrockUsers".into());
    if ps.is_empty()
        || ps.len() > 32
        || !ps
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        cx.problem(
            p.key("permission_set"),
            format!("permission set `{ps}` is not valid"),
            "permission set names are 1-32 characters of letters, digits and _+=,.@-",
        );
    }
    let mut r = seed::named(cx.seed, &format!("sso:{}:{ps}", b.accounts[acct].id));
    let name = format!("AWSReservedSSO_{ps}_{}", seed::hex(&mut r, 16));
    if idp.role.is_some() {
        cx.problem(
            p.key("role"),
            "Identity Center roles are named by AWS",
            "set permission_set instead of role",
        );
    }
    name
}
