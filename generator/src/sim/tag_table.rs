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
    /// `[caller][interval]` → set index.
    callers: Vec<Vec<u32>>,
    /// `[background entry][interval]` → (tags set, resource_tags set).
    pub(super) background: Vec<Vec<(u32, u32)>>,
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
        let callers = plan
            .callers
            .iter()
            .map(|c| {
                breaks
                    .iter()
                    .map(|&t| {
                        if t < launch {
                            return 0;
                        }
                        let mut v: Vec<(String, String)> = c
                            .tags
                            .iter()
                            .filter(|(k, _)| {
                                plan.activations.iter().any(|a| {
                                    a.source == TagSource::IamPrincipal
                                        && a.key == *k
                                        && a.applies_at(t)
                                })
                            })
                            .map(|(k, v)| (format!("{IAM_PRINCIPAL_PREFIX}{k}"), v.clone()))
                            .collect();
                        v.sort();
                        intern(v)
                    })
                    .collect()
            })
            .collect();
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
        TagTable {
            breaks,
            sets,
            callers,
            background,
        }
    }

    pub(super) fn interval(&self, t: Ts) -> usize {
        self.breaks.partition_point(|b| *b <= t).saturating_sub(1)
    }

    /// The `tags` set a caller's row starting at `t` carries.
    pub(crate) fn caller_set(&self, caller: usize, t: Ts) -> u32 {
        self.callers[caller][self.interval(t)]
    }

    /// A tag set by index.
    pub fn set(&self, i: u32) -> &Pairs {
        &self.sets[i as usize]
    }
}
