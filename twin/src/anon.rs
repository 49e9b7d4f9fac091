//! Deterministic keyed renaming: every identifying value of the source (account ids, user,
//! role and session names, e-mails, tag values) becomes a keyed hash of itself with the salt,
//! in the same shape (12 digits for an account, a valid IAM name, an e-mail for an e-mail), so
//! two runs with the same salt agree and distinct values stay distinct.
//!
//! The hash is XXH3-128 seeded from the salt: pseudonymisation, not encryption. With the
//! public default salt, short values (account ids) could be found again by trying them all;
//! pass a secret `--salt` before sharing a twin outside the organisation.

use std::collections::{HashMap, HashSet};

use twox_hash::{XxHash3_128, XxHash3_64};

/// The salt used when none is given.
pub const DEFAULT_SALT: &str = "curlab-twin";

/// Renames values, remembering each answer.
#[derive(Debug)]
pub struct Renamer {
    keep: bool,
    rename_keys: bool,
    seed: u64,
    memo: HashMap<(&'static str, String), String>,
    taken: HashSet<(&'static str, String)>,
}

impl Renamer {
    /// A renamer for `salt`; `keep_names` keeps every value; `rename_keys` renames tag keys too.
    pub fn new(salt: &str, keep_names: bool, rename_keys: bool) -> Self {
        Renamer {
            keep: keep_names,
            rename_keys: rename_keys && !keep_names,
            seed: XxHash3_64::oneshot(salt.as_bytes()),
            memo: HashMap::new(),
            taken: HashSet::new(),
        }
    }

    /// Whether values are kept as they are.
    pub fn keeps_names(&self) -> bool {
        self.keep
    }

    fn hash(&self, space: &str, value: &str, attempt: u32) -> u128 {
        let mut h = XxHash3_128::with_seed(self.seed ^ u64::from(attempt));
        h.write(space.as_bytes());
        h.write(&[0]);
        h.write(value.as_bytes());
        h.finish_128()
    }

    /// The renamed value of `value` in `space`: `make(hash)` until the result is new in the
    /// space and differs from the value.
    fn rename(
        &mut self,
        space: &'static str,
        value: &str,
        make: impl Fn(u128) -> String,
    ) -> String {
        if self.keep {
            return value.to_string();
        }
        if let Some(v) = self.memo.get(&(space, value.to_string())) {
            return v.clone();
        }
        let mut attempt = 0;
        let out = loop {
            let c = make(self.hash(space, value, attempt));
            if c != value && !self.taken.contains(&(space, c.clone())) {
                break c;
            }
            attempt += 1;
        };
        self.taken.insert((space, out.clone()));
        self.memo.insert((space, value.to_string()), out.clone());
        out
    }

    /// A 12-digit account id.
    pub fn account(&mut self, id: &str) -> String {
        self.rename("account", id, |h| {
            // Leading digit 1-9, as real account ids mostly have.
            format!("{}{:011}", 1 + (h % 9), (h >> 8) % 100_000_000_000)
        })
    }

    /// A name `<prefix><8 hex>` (valid as an IAM user, role or session name).
    pub fn name(&mut self, space: &'static str, prefix: &str, value: &str) -> String {
        let prefix = prefix.to_string();
        self.rename(space, value, move |h| format!("{prefix}{:08x}", h as u32))
    }

    /// A Bedrock API key id: 4 characters of `[a-z0-9]`, as the console makes them.
    pub fn api_key(&mut self, id: &str) -> String {
        self.rename("api-key", id, |h| {
            const A: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
            (0..4)
                .map(|i| A[((h >> (i * 8)) % A.len() as u128) as usize] as char)
                .collect()
        })
    }

    /// An e-mail-like session name: `u<8 hex>@d<6 hex>.example`, one renamed domain per
    /// source domain, so users of one domain stay together.
    pub fn email(&mut self, value: &str) -> String {
        if self.keep {
            return value.to_string();
        }
        let (local, domain) = value.rsplit_once('@').unwrap_or((value, ""));
        let d = self.rename("domain", domain, |h| {
            format!("d{:06x}.example", h as u32 & 0xff_ffff)
        });
        let l = self.rename("email-local", &format!("{local}@{domain}"), |h| {
            format!("u{:08x}", h as u32)
        });
        format!("{l}@{d}")
    }

    /// A tag value: `v<8 hex>`, per key, so value counts per key are kept.
    pub fn tag_value(&mut self, key: &str, value: &str) -> String {
        if self.keep {
            return value.to_string();
        }
        self.rename("tag-value", &format!("{key}\u{0}{value}"), |h| {
            format!("v{:08x}", h as u32)
        })
    }

    /// A tag key (without prefix): kept unless `--rename-keys`, then `k<8 hex>`.
    pub fn tag_key(&mut self, key: &str) -> String {
        if !self.rename_keys {
            return key.to_string();
        }
        self.rename("tag-key", key, |h| format!("k{:08x}", h as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming_keeps_shapes_and_is_deterministic() {
        let mut a = Renamer::new("s", false, false);
        let mut b = Renamer::new("s", false, false);
        let id = a.account("123456789012");
        assert_eq!(id.len(), 12);
        assert!(id.bytes().all(|c| c.is_ascii_digit()));
        assert_ne!(id, "123456789012");
        assert_eq!(id, b.account("123456789012"));
        assert_ne!(id, a.account("123456789013"));
        let e = a.email("jane@acme.org");
        assert!(e.contains('@') && !e.contains("jane") && !e.contains("acme"));
        let e2 = a.email("john@acme.org");
        assert_eq!(e.split('@').nth(1), e2.split('@').nth(1));
        assert_eq!(a.api_key("ab12").len(), 4);
        assert_eq!(a.tag_key("team"), "team");
        let mut c = Renamer::new("other", false, true);
        assert_ne!(c.account("123456789012"), id);
        assert_ne!(c.tag_key("team"), "team");
        let mut k = Renamer::new("s", true, true);
        assert_eq!(k.account("123456789012"), "123456789012");
        assert_eq!(k.tag_key("team"), "team");
    }
}
