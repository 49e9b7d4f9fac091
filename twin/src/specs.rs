//! Small builders of scenario items the twin writes: regions, days, the most common tag
//! values, roles and generated or listed users.

use std::collections::BTreeMap;
use std::sync::Arc;

use curlab_generator::scenario::model::*;
use curlab_vocab::bedrock::REGION_CODES;

use crate::anon::Renamer;
use crate::map::Map;

/// Active hour-cells of a caller at or below which its exact requests are written instead of
/// a statistical workload (a workload could draw none of them and lose the caller).
pub const SPARSE_CELLS: usize = 16;

/// The region of a billing region code (us-east-1 when unknown).
pub fn region_name(code: &str) -> String {
    REGION_CODES
        .iter()
        .find(|(_, c)| *c == code)
        .map_or("us-east-1", |(r, _)| *r)
        .to_string()
}

pub(crate) fn day(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// The most common value of each key, renamed.
pub(crate) fn top_tags(r: &mut Renamer, tags: &Map<String, Map<String, u64>>) -> TagMap {
    let mut out = TagMap::new();
    let mut keys: Vec<&String> = tags.keys().collect();
    keys.sort();
    for k in keys {
        let mut vs: Vec<(&String, &u64)> = tags[k].iter().collect();
        vs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        if let Some((v, _)) = vs.first() {
            let rk = r.tag_key(k);
            out.insert(rk, r.tag_value(k, v));
        }
    }
    out
}

/// The most common value of each key of a caller's tags (sorted by key and value), renamed.
pub(crate) fn top_tags_of(r: &mut Renamer, tags: &[(Arc<str>, Arc<str>, u64)]) -> TagMap {
    let mut out = TagMap::new();
    let mut i = 0;
    while i < tags.len() {
        let key = &tags[i].0;
        let mut best = i;
        let mut j = i + 1;
        while j < tags.len() && tags[j].0 == *key {
            if tags[j].2 > tags[best].2 {
                best = j;
            }
            j += 1;
        }
        let rk = r.tag_key(key);
        out.insert(rk, r.tag_value(key, &tags[best].1));
        i = j;
    }
    out
}

pub(crate) fn role_spec(
    account: &str,
    name: &str,
    tags: TagMap,
    sessions: Option<SessionNaming>,
) -> RoleSpec {
    RoleSpec {
        account: account.to_string(),
        name: name.to_string(),
        path: "/".into(),
        tags,
        trust_allows_tag_session: true,
        sessions,
        session_tags: TagMap::new(),
    }
}

/// Generated users with attribute pools drawn in proportion to the values' counts.
pub(crate) fn pooled(count: usize, per_session: &[TagMap]) -> UsersSpec {
    let mut counts: BTreeMap<&String, BTreeMap<&String, usize>> = BTreeMap::new();
    for t in per_session {
        for (k, v) in t {
            *counts.entry(k).or_default().entry(v).or_default() += 1;
        }
    }
    let attributes = counts
        .into_iter()
        .map(|(k, vs)| {
            let total: usize = vs.values().sum();
            let mut pool = Vec::new();
            for (v, n) in vs {
                let copies = ((n * 100) as f64 / total as f64).round().max(1.0) as usize;
                pool.extend(std::iter::repeat_n(v.clone(), copies));
            }
            (k.clone(), pool)
        })
        .collect();
    UsersSpec {
        count: count as u64,
        domain: "example.com".into(),
        attributes,
        list: vec![],
    }
}

pub(crate) fn users(list: Vec<UserSpec>) -> UsersSpec {
    UsersSpec {
        count: 0,
        domain: "example.com".into(),
        attributes: BTreeMap::new(),
        list,
    }
}

/// A map's entries sorted by key.
pub(crate) fn sorted<K: Ord, V>(m: &Map<K, V>) -> Vec<(&K, &V)> {
    let mut v: Vec<(&K, &V)> = m.iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v
}
