//! The end of the pass: the workers' own figures merged by global id, then everything (with
//! the shared callers) turned into a [`Profile`] of strings, once.

use std::sync::Arc;

use curlab_vocab::tags::{IAM_PRINCIPAL_PREFIX, RESOURCE_TAGS_PREFIX};

use super::{grow, Acc};
use crate::memo::NONE;
use crate::profile::{BackgroundStats, Map, PrincipalStats, Profile, TagKeyStats};
use crate::store::{Caller, Dicts};

impl Acc {
    /// Add another worker's figures.
    pub(crate) fn merge(&mut self, o: Acc) {
        self.p.merge(o.p);
        for (a, x) in o.pretax.into_iter().enumerate() {
            *grow(&mut self.pretax, a as u32) += x;
        }
        for (a, x) in o.tax.into_iter().enumerate() {
            if let Some(x) = x {
                *grow(&mut self.tax, a as u32).get_or_insert(0.0) += x;
            }
        }
        for (k, x) in o.key_kind.into_iter().enumerate() {
            *grow(&mut self.key_kind, k as u32) = x;
        }
        for (k, x) in o.key_acc.into_iter().enumerate() {
            let Some(x) = x else { continue };
            match grow(&mut self.key_acc, k as u32) {
                Some(e) => {
                    e.first = e.first.min(x.first);
                    e.values.extend(x.values);
                    e.bedrock_cost += x.bedrock_cost;
                }
                e => *e = Some(x),
            }
        }
        for (k, v) in o.usage {
            let e = self.usage.entry(k).or_default();
            for i in 0..3 {
                e[i] += v[i];
            }
        }
        for (i, pa) in o.profile_acc.into_iter().enumerate() {
            let e = grow(&mut self.profile_acc, i as u32);
            e.rows += pa.rows;
            e.cost += pa.cost;
            for (k, n) in pa.tags {
                *e.tags.entry(k).or_default() += n;
            }
        }
        for (a, by_code) in o.background {
            let e = self.background.entry(a).or_default();
            for (code, bg) in by_code {
                let x = e.entry(code).or_default();
                x.cost += bg.cost;
                for (r, n) in bg.regions {
                    *x.regions.entry(r).or_default() += n;
                }
                for (k, n) in bg.tags {
                    *x.tags.entry(k).or_default() += n;
                }
                x.units.merge(&bg.units);
            }
        }
    }

    /// The pass's figures (this worker's, with the others merged in) and the shared callers
    /// as a [`Profile`] of strings.
    pub(crate) fn finish(self) -> Profile {
        let Acc {
            store,
            mut p,
            pretax,
            tax,
            key_acc,
            usage,
            profile_acc,
            background,
            ..
        } = self;
        let (dicts, callers, unattributed) = store.take_parts();
        drop(store);
        let Dicts {
            accounts,
            keys,
            values,
            models,
            usage_types,
            profiles,
            principals,
        } = dicts;
        let (accounts, keys, values, models) = (
            accounts.into_names(),
            keys.into_names(),
            values.into_names(),
            models.into_names(),
        );
        let name = |a: u32| -> Arc<str> {
            if a == NONE {
                Arc::from("")
            } else {
                accounts[a as usize].clone()
            }
        };
        for (a, n) in accounts.iter().enumerate() {
            p.accounts.insert(n.to_string());
            p.pretax
                .insert(n.to_string(), pretax.get(a).copied().unwrap_or(0.0));
            if let Some(t) = tax.get(a).copied().flatten() {
                p.tax.insert(n.to_string(), t);
            }
        }
        for (kid, k) in key_acc.into_iter().enumerate() {
            if let Some(k) = k {
                p.tag_keys.insert(
                    keys[kid].to_string(),
                    TagKeyStats {
                        first: k.first,
                        values: k.values.len(),
                        bedrock_cost: k.bedrock_cost,
                    },
                );
            }
        }
        // Tag keys without their prefix, once each.
        let strip = |prefix: &str| -> Vec<Arc<str>> {
            keys.iter()
                .map(|k| Arc::from(k.strip_prefix(prefix).unwrap_or_default()))
                .collect()
        };
        let (iam_keys, res_keys) = (strip(IAM_PRINCIPAL_PREFIX), strip(RESOURCE_TAGS_PREFIX));
        let tags_of = |m: Map<(u32, u32), u64>| {
            let mut out: Map<String, Map<String, u64>> = Map::default();
            for ((k, v), n) in m {
                *out.entry(res_keys[k as usize].to_string())
                    .or_default()
                    .entry(values[v as usize].to_string())
                    .or_default() += n;
            }
            out
        };
        let stats = |c: Caller| {
            let mut tags: Vec<(Arc<str>, Arc<str>, u64)> = c
                .tags
                .iter()
                .map(|(k, v, n)| (iam_keys[k as usize].clone(), values[v as usize].clone(), n))
                .collect();
            tags.sort();
            let account = name(c.account);
            let mut work = c.into_work();
            for (_, w) in &mut work {
                w.settle();
            }
            work.sort_by(|a, b| a.0.cmp(&b.0));
            PrincipalStats {
                account,
                tags,
                work,
            }
        };
        let arns = principals.into_names();
        let by_id = callers.into_by_id(arns.len(), stats);
        p.principals = arns.into_iter().zip(by_id).collect();
        p.principals.sort_by(|a, b| a.0.cmp(&b.0));
        for (a, c) in unattributed {
            p.unattributed.insert(name(a).to_string(), stats(c));
        }
        for (a, by_code) in background {
            let e = p.background.entry(name(a).to_string()).or_default();
            for (code, bg) in by_code {
                e.insert(
                    code,
                    BackgroundStats {
                        cost: bg.cost,
                        regions: bg.regions,
                        tags: tags_of(bg.tags),
                        units: bg.units,
                    },
                );
            }
        }
        for (i, pa) in profile_acc.into_iter().enumerate() {
            if pa.rows == 0 {
                continue;
            }
            let s = p
                .bill
                .profiles
                .entry(profiles.names[i].clone())
                .or_default();
            s.rows += pa.rows;
            s.cost += pa.cost;
            for (k, vs) in tags_of(pa.tags) {
                let e = s.tags.entry(k).or_default();
                for (v, n) in vs {
                    *e.entry(v).or_default() += n;
                }
            }
        }
        for ((m, ut), v) in usage {
            let i = p
                .bill
                .usage_index(&models[m as usize], &usage_types.names[ut as usize]);
            for (x, y) in p.bill.usage[i].2.iter_mut().zip(v) {
                *x += y;
            }
        }
        p
    }
}
