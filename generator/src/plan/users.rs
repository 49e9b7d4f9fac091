//! End-user populations of identity providers and gateways: listed users, then generated ones
//! (names from `fake`, attributes drawn from pools), seeded by the population's name.

use std::collections::BTreeSet;

use curlab_vocab::tags;
use fake::Fake;
use rand::RngExt;

use crate::scenario::model::{TagMap, UsersSpec};
use crate::scenario::Path;
use crate::seed;
use crate::size::scaled;

use super::checks::check_tag_map;
use super::context::Ctx;
use super::identities::MAX_PRINCIPALS;

/// One end user.
pub(crate) struct EndUser {
    /// User name (or user id, for gateways).
    pub name: String,
    /// Email address.
    pub email: String,
    /// Attributes (department, cost center, tenant ...): the source of session tag values.
    pub attributes: TagMap,
}

/// The users of `spec`, generated ones drawn from the population `salt`.
pub(crate) fn users_of(cx: &mut Ctx<'_>, spec: &UsersSpec, salt: &str, path: Path) -> Vec<EndUser> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, u) in spec.list.iter().enumerate() {
        if !names.insert(u.name.clone()) {
            cx.problem(
                path.key("list").index(i).key("name"),
                format!("user `{}` is listed twice", u.name),
                "give each user a unique name",
            );
        }
        let email = u
            .email
            .clone()
            .unwrap_or_else(|| format!("{}@{}", u.name, spec.domain));
        check_tag_map(
            cx,
            &u.attributes,
            &path.key("list").index(i).key("attributes"),
            "the user",
        );
        out.push(EndUser {
            name: u.name.clone(),
            email,
            attributes: u.attributes.clone(),
        });
    }
    let count = scaled(spec.count, cx.scale);
    if count > MAX_PRINCIPALS {
        cx.problem(
            path.key("count"),
            format!("{count} users is more than curlab generates ({MAX_PRINCIPALS})"),
            "lower count or --scale",
        );
        return out;
    }
    for (attr, pool) in &spec.attributes {
        if pool.is_empty() {
            cx.problem(
                path.key("attributes").key(attr),
                format!("attribute `{attr}` has no values to draw from"),
                "list at least one value",
            );
        }
        // Drawn values become session tag values, so they obey the same rules as a listed
        // user's attributes (checked in `check_tag_map`).
        for (i, v) in pool.iter().enumerate() {
            if let Err(e) = tags::check_value(v) {
                cx.problem(
                    path.key("attributes").key(attr).index(i),
                    format!("attribute `{attr}` value: {e}"),
                    "attribute values become session tag values: 0-256 characters of letters, digits, spaces and _.:/=+-@",
                );
            }
        }
    }
    if spec.attributes.values().any(|p| p.is_empty()) {
        return out;
    }
    let mut rng = seed::named(cx.seed, salt);
    for i in 0..count {
        let first: String = fake::faker::name::en::FirstName().fake_with_rng(&mut rng);
        let last: String = fake::faker::name::en::LastName().fake_with_rng(&mut rng);
        let base: String = format!("{}.{}", first, last)
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let mut name = base.clone();
        let mut n = 1;
        while !names.insert(name.clone()) {
            n += 1;
            name = format!("{base}{n}");
        }
        let attributes = spec
            .attributes
            .iter()
            .map(|(k, pool)| (k.clone(), pool[rng.random_range(0..pool.len())].clone()))
            .collect();
        let _ = i;
        out.push(EndUser {
            email: format!("{name}@{}", spec.domain),
            name,
            attributes,
        });
    }
    out
}
