//! A worker's bill aggregates while it scans ([`Aggregate::Bill`], [`Aggregate::Commitments`],
//! [`Aggregate::ProfileTags`]): money per billing period and per principal, commitment lines,
//! and the `resourceTags/` keys of application inference profile rows. Keyed by interned ids
//! where the scan has them, by text for the few commitment and profile rows.

use std::collections::BTreeMap;

use curlab_vocab::bedrock::is_commitment_usage_type;
use curlab_vocab::tags::RESOURCE_TAGS_PREFIX;
use rustc_hash::FxHashMap;

use super::aggregates::{
    add_profile_rows, period_text, Aggregates, CommitmentKey, CommitmentLine, PeriodBill,
    PrincipalBill, ProfileRows,
};
use super::cache::{R_BEDROCK, R_INFERENCE, R_PRINCIPAL, R_USAGE};
use super::intern::{Interner, Names};
use super::needs::{Aggregate, Track};
use super::view::View;
use curlab_vocab::Money;

/// The marker of an application inference profile ARN
/// (`arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>`).
pub const PROFILE_MARKER: &str = ":application-inference-profile/";

/// Whether a resource id is an application inference profile ARN.
pub fn is_profile_arn(resource_id: &str) -> bool {
    resource_id.starts_with("arn:") && resource_id.contains(PROFILE_MARKER)
}

/// A worker's bill aggregates.
#[derive(Debug, Default)]
pub(super) struct BillAccum {
    /// Period number → bill.
    periods: FxHashMap<u32, PeriodBill>,
    /// (principal id, period number) → the principal's usage.
    principals: FxHashMap<(u32, u32), PrincipalBill>,
    /// (account id, usage type, resource id, period number) → line.
    commitments: FxHashMap<(u32, String, String, u32), CommitmentLine>,
    /// Profile ARN → key sets with their rows.
    profiles: FxHashMap<String, Vec<(Vec<String>, ProfileRows)>>,
}

impl BillAccum {
    /// Account for row `i` of `v` in billing period `period` (a number, 0 when unknown).
    pub(super) fn observe(&mut self, track: Track, v: &View<'_>, i: usize, period: u32) {
        let gross = Money::from_usd(v.cost(i).unwrap_or(0.0));
        if track.has(Aggregate::Bill) {
            let e = self.periods.entry(period).or_default();
            e.invoice += gross;
            if v.is(i, R_USAGE) {
                let net = Money::from_usd(v.net_or_gross(i).unwrap_or(0.0));
                e.usage_net += net;
                if v.is(i, R_PRINCIPAL) {
                    if let Some(p) = v.principal_facts(i) {
                        let b = self.principals.entry((p.id, period)).or_default();
                        b.gross += gross;
                        b.net += net;
                        b.public += Money::from_usd(v.public_cost(i).unwrap_or(0.0));
                        if v.billing_entity(i) == "AWS Marketplace" {
                            b.marketplace += gross;
                        }
                    }
                }
            }
        }
        // Commitment rows are Bedrock usage rows that are not model calls; only those have
        // their usage type looked at.
        if track.has(Aggregate::Commitments)
            && v.flags(i) & (R_USAGE | R_BEDROCK | R_INFERENCE) == R_USAGE | R_BEDROCK
            && is_commitment_usage_type(v.usage_type(i))
        {
            let key = (
                v.account_id(i).unwrap_or(Interner::EMPTY),
                v.usage_type(i).to_string(),
                v.resource_id(i).unwrap_or("").to_string(),
                period,
            );
            let line = CommitmentLine::of(
                v.usage(i).unwrap_or(0.0),
                v.start(i),
                (v.file, v.row(i)),
                gross,
            );
            match self.commitments.get_mut(&key) {
                Some(l) => l.add(line),
                None => {
                    self.commitments.insert(key, line);
                }
            }
        }
        if track.has(Aggregate::ProfileTags) {
            if let Some(arn) = v.resource_id(i).filter(|r| is_profile_arn(r)) {
                let mut keys: Vec<&str> = v
                    .tags(i)
                    .map(|t| t.key)
                    .filter(|k| k.starts_with(RESOURCE_TAGS_PREFIX))
                    .collect();
                keys.sort_unstable();
                keys.dedup();
                let sets = match self.profiles.get_mut(arn) {
                    Some(s) => s,
                    None => self.profiles.entry(arn.to_string()).or_default(),
                };
                let at = match sets
                    .iter()
                    .position(|(k, _)| k.iter().map(String::as_str).eq(keys.iter().copied()))
                {
                    Some(at) => at,
                    None => {
                        sets.push((
                            keys.iter().map(|k| k.to_string()).collect(),
                            BTreeMap::new(),
                        ));
                        sets.len() - 1
                    }
                };
                let e = sets[at].1.entry(v.start(i).unwrap_or(0)).or_default();
                e.0 += 1;
                e.1 += gross;
            }
        }
    }

    /// Fold another worker's bill aggregates in (the same interner's ids).
    pub(super) fn merge(&mut self, other: BillAccum) {
        for (p, b) in other.periods {
            let e = self.periods.entry(p).or_default();
            e.invoice += b.invoice;
            e.usage_net += b.usage_net;
        }
        for (k, b) in other.principals {
            self.principals.entry(k).or_default().add(&b);
        }
        for (k, line) in other.commitments {
            match self.commitments.get_mut(&k) {
                Some(l) => l.add(line),
                None => {
                    self.commitments.insert(k, line);
                }
            }
        }
        for (arn, sets) in other.profiles {
            let mine = self.profiles.entry(arn).or_default();
            for (keys, rows) in sets {
                match mine.iter_mut().find(|(k, _)| *k == keys) {
                    Some((_, r)) => add_profile_rows(r, rows),
                    None => mine.push((keys, rows)),
                }
            }
        }
    }

    /// Fill in `agg`, keyed by the interned strings `names`.
    pub(super) fn into_aggregates(self, names: &Names, agg: &mut Aggregates) {
        for (p, b) in self.periods {
            let e = agg.periods.entry(period_text(p)).or_default();
            e.invoice += b.invoice;
            e.usage_net += b.usage_net;
        }
        for ((p, period), b) in self.principals {
            agg.principal_bill
                .entry(names.get(p).clone())
                .or_default()
                .add(period, &b);
        }
        for ((a, ut, rid, period), line) in self.commitments {
            let key: CommitmentKey = (names.get(a).to_string(), ut, rid, period_text(period));
            match agg.commitments.get_mut(&key) {
                Some(l) => l.add(line),
                None => {
                    agg.commitments.insert(key, line);
                }
            }
        }
        for (arn, sets) in self.profiles {
            let mine = agg.profiles.entry(arn).or_default();
            for (keys, rows) in sets {
                add_profile_rows(mine.entry(keys).or_default(), rows);
            }
        }
    }
}
