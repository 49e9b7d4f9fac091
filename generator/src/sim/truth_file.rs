//! The truth file written principal by principal: the three per-principal parts (`by_principal`,
//! `principals`, `bill.by_principal`) are serialised straight from the plan's callers and the
//! per-caller sums, in ARN order, instead of being built as maps of owned strings first (at
//! `enterprise --scale 100`, 220k principals, those maps held 270 MiB at the end of the run).
//! The bytes are those of serialising the whole [`Truth`] ([`TruthFile::materialize`] builds
//! it, and a test checks both give the same JSON).

use std::collections::BTreeMap;
use std::sync::Arc;

use curlab_vocab::truth::{PrincipalMoney, Truth, TruthBill, TruthPrincipal};
use curlab_vocab::Money;
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};

use super::blocks::Sums;
use super::tag_table::TagTable;
use super::truth::{truth_head, TruthParts};
use crate::plan::Plan;

/// Build the whole truth file (for tests and small exports; `curlab generate` writes
/// [`truth_file`]'s principal by principal).
pub fn build_truth(plan: &Plan, tags: &TagTable, parts: &TruthParts) -> Truth {
    truth_file(plan, tags, parts).materialize()
}

/// The truth file, its per-principal parts written from the plan when serialised.
pub fn truth_file<'a>(plan: &'a Plan, tags: &TagTable, parts: &'a TruthParts) -> TruthFile<'a> {
    let (head, extra) = truth_head(plan, tags, parts);
    TruthFile::new(head, plan, parts, extra)
}

/// The truth file: everything but the per-principal parts in [`TruthFile::head`], those
/// written from the plan when serialised.
pub struct TruthFile<'a> {
    /// The truth without `by_principal`, `principals` and `bill.by_principal` (empty here).
    pub head: Truth,
    plan: &'a Plan,
    parts: &'a TruthParts,
    /// Callers that called (or carry an attributed charge), sorted by ARN, then by index.
    order: Vec<u32>,
    /// Attributed charges (`guardrail_principal = "caller"`) per caller index.
    extra: BTreeMap<usize, Money>,
    /// Distinct ARNs of callers that called: `by_principal`'s length.
    principals: usize,
}

impl<'a> TruthFile<'a> {
    /// The per-principal parts of `head` to be written from `plan`, `parts` and the attributed
    /// charges per caller.
    pub(super) fn new(
        head: Truth,
        plan: &'a Plan,
        parts: &'a TruthParts,
        extra: BTreeMap<usize, Money>,
    ) -> Self {
        let mut order: Vec<u32> = parts.by_caller.called().map(|c| c as u32).collect();
        order.extend(
            extra
                .keys()
                .filter(|c| parts.by_caller.get(**c).is_none())
                .map(|c| *c as u32),
        );
        order.sort_unstable_by(|a, b| {
            let (x, y) = (&plan.callers[*a as usize], &plan.callers[*b as usize]);
            x.arn.cmp(&y.arn).then(a.cmp(b))
        });
        let mut file = TruthFile {
            head,
            plan,
            parts,
            order,
            extra,
            principals: 0,
        };
        file.principals = file.groups().filter(|g| file.called(g).is_some()).count();
        file
    }

    /// Principals with Bedrock cost (the length of `by_principal`).
    pub fn principal_count(&self) -> usize {
        self.principals
    }

    /// Callers grouped by ARN, in ARN order.
    fn groups(&self) -> impl Iterator<Item = &[u32]> + '_ {
        let callers = &self.plan.callers;
        self.order
            .chunk_by(move |a, b| callers[*a as usize].arn == callers[*b as usize].arn)
    }

    /// The ARN of a group.
    fn arn(&self, group: &[u32]) -> &str {
        &self.plan.callers[group[0] as usize].arn
    }

    /// The first caller of a group that called, and the group's summed request sums.
    fn called(&self, group: &[u32]) -> Option<(usize, Sums)> {
        let mut first = None;
        let mut sum = Sums::default();
        for c in group {
            if let Some(s) = self.parts.by_caller.get(*c as usize) {
                first.get_or_insert(*c as usize);
                sum.add(s);
            }
        }
        first.map(|f| (f, sum))
    }

    /// `by_principal`: gross Bedrock cost per ARN.
    fn by_principal(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        self.groups().filter_map(|g| {
            self.called(g)
                .map(|(_, s)| (self.arn(g), super::truth::pico_to_usd(s.gross)))
        })
    }

    /// `principals`: one entry per ARN, from its first caller.
    fn principals(&self) -> impl Iterator<Item = TruthPrincipal> + '_ {
        let plan = self.plan;
        self.groups().filter_map(move |g| {
            let (c, _) = self.called(g)?;
            let c = &plan.callers[c];
            Some(TruthPrincipal {
                arn: c.arn.to_string(),
                identity: c.identity.as_str().into(),
                pattern: c.pattern.as_str().into(),
                account: plan.accounts[c.account].id.clone(),
                tags: Arc::new(plan.tag_set(c.tags).iter().cloned().collect()),
                session_tag_keys: plan.key_set(c.session_keys).to_vec(),
                gateway: c.gateway.map(|g| plan.gateways[g as usize].name.clone()),
            })
        })
    }

    /// `bill.by_principal`: gross, net, public on-demand and Marketplace per ARN, attributed
    /// charges included.
    fn bill_by_principal(&self) -> impl Iterator<Item = (&str, PrincipalMoney)> + '_ {
        self.groups().map(|g| {
            let s = self.called(g).map(|(_, s)| s).unwrap_or_default();
            let x = g
                .iter()
                .filter_map(|c| self.extra.get(&(*c as usize)))
                .fold(Money::ZERO, |a, v| a + *v);
            (self.arn(g), super::truth::principal_money(self.plan, &s, x))
        })
    }

    /// The whole [`Truth`], its per-principal parts built (for tests and small exports).
    pub fn materialize(&self) -> Truth {
        let mut t = self.head.clone();
        t.by_principal = self.by_principal().map(|(k, v)| (k.into(), v)).collect();
        t.principals = self.principals().collect();
        t.bill.by_principal = self
            .bill_by_principal()
            .map(|(k, v)| (k.into(), v))
            .collect();
        t
    }
}

/// A map serialised from an iterator, entry by entry.
struct MapOf<F>(F);

impl<K: Serialize, V: Serialize, I: Iterator<Item = (K, V)>, F: Fn() -> I> Serialize for MapOf<F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for (k, v) in (self.0)() {
            m.serialize_entry(&k, &v)?;
        }
        m.end()
    }
}

/// A sequence serialised from an iterator, element by element.
struct SeqOf<F>(F);

impl<T: Serialize, I: Iterator<Item = T>, F: Fn() -> I> Serialize for SeqOf<F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut q = s.serialize_seq(None)?;
        for x in (self.0)() {
            q.serialize_element(&x)?;
        }
        q.end()
    }
}

/// [`TruthBill`] with its `by_principal` written from the plan.
struct BillOf<'f, 'a>(&'f TruthFile<'a>);

impl Serialize for BillOf<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let b: &TruthBill = &self.0.head.bill;
        let mut st = s.serialize_struct("TruthBill", 8)?;
        st.serialize_field("discount_representation", &b.discount_representation)?;
        st.serialize_field("totals", &b.totals)?;
        st.serialize_field("totals_by_period", &b.totals_by_period)?;
        st.serialize_field("by_principal", &MapOf(|| self.0.bill_by_principal()))?;
        st.serialize_field("by_tag", &b.by_tag)?;
        st.serialize_field("profiles", &b.profiles)?;
        st.serialize_field("unattributable", &b.unattributable)?;
        if !b.restatements.is_empty() {
            st.serialize_field("restatements", &b.restatements)?;
        }
        st.end()
    }
}

/// Field for field what `#[derive(Serialize)]` on [`Truth`] writes.
impl Serialize for TruthFile<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = &self.head;
        let mut st = s.serialize_struct("Truth", 18)?;
        st.serialize_field("curlab_truth_version", &t.curlab_truth_version)?;
        st.serialize_field("scenario", &t.scenario)?;
        st.serialize_field("seed", &t.seed)?;
        st.serialize_field("export", &t.export)?;
        st.serialize_field("rows", &t.rows)?;
        st.serialize_field("rows_by_period", &t.rows_by_period)?;
        st.serialize_field("bedrock_cost_total", &t.bedrock_cost_total)?;
        st.serialize_field("background_cost_total", &t.background_cost_total)?;
        st.serialize_field("tax_cost_total", &t.tax_cost_total)?;
        st.serialize_field("unattributed_bedrock_cost", &t.unattributed_bedrock_cost)?;
        st.serialize_field("by_principal", &MapOf(|| self.by_principal()))?;
        st.serialize_field("by_tag", &t.by_tag)?;
        st.serialize_field("activation", &t.activation)?;
        st.serialize_field("principals", &SeqOf(|| self.principals()))?;
        st.serialize_field("gateways", &t.gateways)?;
        st.serialize_field("faults", &t.faults)?;
        st.serialize_field("bill", &BillOf(self))?;
        if t.as_of.is_some() {
            st.serialize_field("as_of", &t.as_of)?;
        }
        st.end()
    }
}
