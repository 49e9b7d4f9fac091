//! The tag table over time: which `tags` and `resource_tags` each caller and background entry
//! carries in each interval between tag activations.

use std::collections::HashMap;
use std::sync::Arc;

use curlab_vocab::bedrock;
use curlab_vocab::tags::{resource_tags_column_key, IAM_PRINCIPAL_PREFIX, RESOURCE_TAGS_PREFIX};

use crate::plan::Plan;
use crate::rows::Pairs;
use crate::scenario::model::TagSource;
use crate::time::Ts;

/// Tags each caller (and background entry) carries, per activation interval.
#[derive(Debug)]
pub struct TagTable {
    /// Start of each interval (the first is `i64::MIN`).
    breaks: Vec<Ts>,
    /// Interned tag sets; index 0 is the empty set.
    sets: Vec<Pairs>,
    /// Each caller's effective tag set ([`Plan::tag_set`] index).
    callers: Vec<u32>,
    /// `[plan tag set][interval]` → set index: a caller's sets are those of its tag set, so
    /// they are kept per distinct set, not per caller.
    by_set: Vec<Vec<u32>>,
    /// `[background entry][interval]` → (tags set, resource_tags set).
    pub(super) background: Vec<Vec<(u32, u32)>>,
    /// `[profile][interval]` → (`resourceTags/` set, `resource_tags` set) of each
    /// application inference profile.
    profiles: Vec<Vec<(u32, u32)>>,
    /// (caller's `tags` set, profile's `resourceTags/` set) → the set of a row with both.
    merged: crate::keys::FxMap<(u32, u32), u32>,
}

impl TagTable {
    /// Build the table for a plan.
    pub fn new(plan: &Plan) -> Self {
        let launch = crate::time::day_of(bedrock::principal_data_start()) * 86_400;
        let mut breaks = vec![i64::MIN, launch];
        for a in &plan.activations {
            breaks.push(a.effective);
            if let Some(b) = a.backfill {
                breaks.push(b);
            }
        }
        breaks.sort_unstable();
        breaks.dedup();
        let mut sets: Vec<Pairs> = vec![Arc::new(Vec::new())];
        let mut index: HashMap<Vec<(String, String)>, u32> = HashMap::new();
        index.insert(Vec::new(), 0);
        let mut intern = |v: Vec<(String, String)>| -> u32 {
            if let Some(i) = index.get(&v) {
                return *i;
            }
            let i = sets.len() as u32;
            index.insert(v.clone(), i);
            sets.push(Arc::new(v));
            i
        };
        // A caller's activated `iamPrincipal/` tags at `t`, sorted.
        let caller_tags = |c: &crate::plan::Caller, t: Ts| -> Vec<(String, String)> {
            if t < launch {
                return Vec::new();
            }
            let mut v: Vec<(String, String)> = plan
                .tag_set(c.tags)
                .iter()
                .filter(|(k, _)| {
                    plan.activations.iter().any(|a| {
                        a.source == TagSource::IamPrincipal && a.key == *k && a.applies_at(t)
                    })
                })
                .map(|(k, v)| (format!("{IAM_PRINCIPAL_PREFIX}{k}"), v.clone()))
                .collect();
            v.sort();
            v
        };
        // Per distinct tag set, from its first caller, in caller order (so the sets are
        // interned in the order they always were).
        let mut by_set: Vec<Vec<u32>> = vec![Vec::new(); plan.tag_sets.len()];
        for c in &plan.callers {
            let per = &mut by_set[c.tags as usize];
            if per.is_empty() {
                *per = breaks.iter().map(|&t| intern(caller_tags(c, t))).collect();
            }
        }
        let callers = plan.callers.iter().map(|c| c.tags).collect();
        let background = plan
            .background
            .iter()
            .map(|b| {
                breaks
                    .iter()
                    .map(|&t| {
                        let active: Vec<&(String, String)> = b
                            .tags
                            .iter()
                            .filter(|(k, _)| {
                                plan.activations.iter().any(|a| {
                                    a.source == TagSource::Resource
                                        && a.key == *k
                                        && a.applies_at(t)
                                })
                            })
                            .collect();
                        let mut tags: Vec<(String, String)> = active
                            .iter()
                            .map(|(k, v)| (format!("{RESOURCE_TAGS_PREFIX}{k}"), v.clone()))
                            .collect();
                        // A guardrail's rows with their caller: the caller's tags beside the
                        // guardrail's own (`guardrail_principal = "caller"`).
                        if let Some(c) = b.caller {
                            tags.extend(caller_tags(&plan.callers[c], t));
                        }
                        tags.sort();
                        let mut rt: Vec<(String, String)> = active
                            .iter()
                            .map(|(k, v)| (resource_tags_column_key(k), v.clone()))
                            .collect();
                        rt.sort();
                        (intern(tags), intern(rt))
                    })
                    .collect()
            })
            .collect();
        let mut table = TagTable {
            breaks,
            sets,
            callers,
            by_set,
            background,
            profiles: Vec::new(),
            merged: Default::default(),
        };
        if !plan.profiles.is_empty() {
            table.add_profiles(plan);
        }
        table
    }

    /// The profiles' tag sets per interval and the merged sets of the callers that use them.
    fn add_profiles(&mut self, plan: &Plan) {
        let mut index: HashMap<Vec<(String, String)>, u32> = self
            .sets
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_ref().clone(), i as u32))
            .collect();
        fn intern(
            sets: &mut Vec<Pairs>,
            index: &mut HashMap<Vec<(String, String)>, u32>,
            v: Vec<(String, String)>,
        ) -> u32 {
            if let Some(i) = index.get(&v) {
                return *i;
            }
            let i = sets.len() as u32;
            index.insert(v.clone(), i);
            sets.push(Arc::new(v));
            i
        }
        let sets = &mut self.sets;
        let mut profiles = Vec::new();
        for p in &plan.profiles {
            let mut per = Vec::new();
            for &t in &self.breaks {
                let (tags, rt) = resource_sets(plan, &p.tags, t);
                per.push((intern(sets, &mut index, tags), intern(sets, &mut index, rt)));
            }
            profiles.push(per);
        }
        self.profiles = profiles;
        for s in &plan.streams {
            let w = &plan.workloads[s.workload()];
            if w.profile == 0 {
                continue;
            }
            let pi = usize::from(w.profile - 1);
            for (c, _) in plan.requesters[s.requester()].callers.iter() {
                for iv in 0..self.breaks.len() {
                    let cs = self.by_set[self.callers[*c] as usize][iv];
                    let ps = self.profiles[pi][iv].0;
                    if self.merged.contains_key(&(cs, ps)) {
                        continue;
                    }
                    let mut v: Vec<(String, String)> = sets[cs as usize].as_ref().clone();
                    v.extend(sets[ps as usize].iter().cloned());
                    v.sort();
                    let m = intern(sets, &mut index, v);
                    self.merged.insert((cs, ps), m);
                }
            }
        }
    }

    /// The `tags` set of a row of `caller_set` through profile `profile` (index + 1; 0 for
    /// none) starting at `t`, and its `resource_tags` set.
    pub(crate) fn with_profile(&self, caller_set: u32, profile: u16, t: Ts) -> (u32, u32) {
        if profile == 0 {
            return (caller_set, 0);
        }
        let (ps, rt) = self.profiles[usize::from(profile - 1)][self.interval(t)];
        (
            self.merged
                .get(&(caller_set, ps))
                .copied()
                // No principal tags (set 0, the empty set): the profile's own tags.
                .unwrap_or(if caller_set == 0 { ps } else { caller_set }),
            rt,
        )
    }

    pub(super) fn interval(&self, t: Ts) -> usize {
        self.breaks.partition_point(|b| *b <= t).saturating_sub(1)
    }

    /// The `tags` set a caller's row starting at `t` carries.
    pub(crate) fn caller_set(&self, caller: usize, t: Ts) -> u32 {
        self.by_set[self.callers[caller] as usize][self.interval(t)]
    }

    /// A tag set by index.
    pub fn set(&self, i: u32) -> &Pairs {
        &self.sets[i as usize]
    }
}

/// The activated resource tags of a resource at `t`: the `tags` entries (`resourceTags/<key>`)
/// and the `resource_tags` entries (`user_<key>`), each sorted.
fn resource_sets(
    plan: &Plan,
    tags: &[(String, String)],
    t: Ts,
) -> (crate::plan::Tags, crate::plan::Tags) {
    let active: Vec<&(String, String)> = tags
        .iter()
        .filter(|(k, _)| {
            plan.activations
                .iter()
                .any(|a| a.source == TagSource::Resource && a.key == *k && a.applies_at(t))
        })
        .collect();
    let mut out: Vec<(String, String)> = active
        .iter()
        .map(|(k, v)| (format!("{RESOURCE_TAGS_PREFIX}{k}"), v.clone()))
        .collect();
    out.sort();
    let mut rt: Vec<(String, String)> = active
        .iter()
        .map(|(k, v)| (resource_tags_column_key(k), v.clone()))
        .collect();
    rt.sort();
    (out, rt)
}
