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

/// The users of a population: the listed ones, then the generated ones, drawn one at a time
/// as the caller takes them (200k generated users held 40 MiB when drawn all at once).
pub(crate) struct Users<'s> {
    listed: std::vec::IntoIter<EndUser>,
    spec: &'s UsersSpec,
    /// Draws the generated users; `None` when there are none.
    rng: Option<rand_chacha::ChaCha8Rng>,
    /// Generated users still to draw.
    left: u64,
    /// Names taken so far.
    names: BTreeSet<String>,
    total: usize,
}

impl Users<'_> {
    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.total == 0
    }
}

impl Iterator for Users<'_> {
    type Item = EndUser;

    fn next(&mut self) -> Option<EndUser> {
        if let Some(u) = self.listed.next() {
            return Some(u);
        }
        if self.left == 0 {
            return None;
        }
        let rng = self.rng.as_mut()?;
        self.left -= 1;
        let spec = self.spec;
        let first: String = fake::faker::name::en::FirstName().fake_with_rng(rng);
        let last: String = fake::faker::name::en::LastName().fake_with_rng(rng);
        let base: String = format!("{}.{}", first, last)
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
            .collect();
        let mut name = base.clone();
        let mut n = 1;
        while !self.names.insert(name.clone()) {
            n += 1;
            name = format!("{base}{n}");
        }
        let attributes = spec
            .attributes
            .iter()
            .map(|(k, pool)| (k.clone(), pool[rng.random_range(0..pool.len())].clone()))
            .collect();
        Some(EndUser {
            email: format!("{name}@{}", spec.domain),
            name,
            attributes,
        })
    }
}

/// The users of `spec`, generated ones drawn from the population `salt` (as they are taken).
pub(crate) fn users_of<'s>(
    cx: &mut Ctx<'_>,
    spec: &'s UsersSpec,
    salt: &str,
    path: Path,
) -> Users<'s> {
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
    let listed = |out: Vec<EndUser>, names| Users {
        total: out.len(),
        listed: out.into_iter(),
        spec,
        rng: None,
        left: 0,
        names,
    };
    let count = scaled(spec.count, cx.scale);
    if count > MAX_PRINCIPALS {
        cx.problem(
            path.key("count"),
            format!("{count} users is more than curlab generates ({MAX_PRINCIPALS})"),
            "lower count or --scale",
        );
        return listed(out, names);
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
        return listed(out, names);
    }
    let mut users = listed(out, names);
    users.total += count as usize;
    users.left = count;
    users.rng = Some(seed::named(cx.seed, salt));
    users
}
