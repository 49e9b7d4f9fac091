//! Effective tags: a caller's principal tags overlaid by its session (or transitive) tags.

use crate::scenario::model::{KeySpelling, TagMap};

use super::types::Tags;

/// Principal tags overlaid by session tags: a session key replaces any key equal to it
/// ignoring case (reference §5.2). Returns the tags and the keys that came from the session.
pub(crate) fn overlay(base: &Tags, session: &Tags, spelling: KeySpelling) -> (Tags, Vec<String>) {
    let mut out: Vec<(String, String)> = base.clone();
    let mut from_session = Vec::new();
    for (k, v) in session {
        let lower = k.to_lowercase();
        let existing = out.iter().position(|(bk, _)| bk.to_lowercase() == lower);
        let key = match (existing, spelling) {
            (Some(i), KeySpelling::Principal) => out[i].0.clone(),
            _ => k.clone(),
        };
        if let Some(i) = existing {
            out.remove(i);
        }
        from_session.retain(|s: &String| s.to_lowercase() != lower);
        from_session.push(key.clone());
        out.push((key, v.clone()));
    }
    out.sort();
    from_session.sort();
    (out, from_session)
}

/// Tags as written in the scenario, as sorted pairs.
pub(crate) fn to_tags(m: &TagMap) -> Tags {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Session tags from a mapping (tag key → user attribute) and a user's attributes; a key
/// whose attribute the user lacks is left out.
pub(crate) fn session_tags_from(map: &TagMap, attrs: &TagMap) -> Tags {
    map.iter()
        .filter_map(|(k, attr)| attrs.get(attr).map(|v| (k.clone(), v.clone())))
        .collect()
}
