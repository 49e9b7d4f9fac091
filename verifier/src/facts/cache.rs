//! A worker's facts about the distinct values of the batches it reads: the built-in ones every
//! scan needs (how a row is classified, the interned ids the aggregates key by) and the tables
//! of the rules' own [`PerValue`](super::PerValue) facts, all kept per dictionary
//! ([`Memo`]).
//!
//! Each distinct string a worker aggregates by (principals, accounts, tag keys and values) gets
//! a small integer id from the [`Interner`] all workers share, so the aggregates hash integers,
//! not strings, allocate nothing per row, and merge by id.

use curlab_vocab::bedrock::{BEDROCK_PRODUCT_CODES, OP_INVOKE, OP_INVOKE_STREAMING};
use curlab_vocab::tags::{split_prefix, IAM_PRINCIPAL_PREFIX};
use std::sync::Arc;

use super::intern::{Buckets, Interner};
use super::memo::{FactTable, Memo, SharedFacts};
use super::needs::{address, Distinct, FactSpec};
use crate::context::Ctx;
use crate::read::{Batch, Col, DictStr};
use arrow_array::Array;

/// Row flag: an Amazon Bedrock row (vocab `is_bedrock`).
pub const R_BEDROCK: u8 = 1;
/// Row flag: a Bedrock model-inference usage row (vocab `is_bedrock_inference`).
pub const R_INFERENCE: u8 = 2;
/// Row flag: `line_item_line_item_type = Usage`.
pub const R_USAGE: u8 = 4;
/// Row flag: `line_item_line_item_type` is `Credit` or `Refund`.
pub const R_CREDIT_REFUND: u8 = 8;
/// Row flag: a principal is present.
pub const R_PRINCIPAL: u8 = 16;

/// What a row's product code, family, billing entity and operation say (`is_bedrock` and
/// `is_bedrock_inference` of the vocabulary, in bits).
pub(crate) const B_CODE: u8 = 1;
pub(crate) const B_FAMILY: u8 = 2;
pub(crate) const B_MARKETPLACE: u8 = 4;
pub(crate) const B_INVOKE: u8 = 8;

/// The built-in facts about one distinct `line_item_iam_principal` value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Principal {
    /// Non-empty after trimming (null and the empty string both mean "no principal").
    pub present: bool,
    /// Interned id of the value as the spend aggregate keys it.
    pub id: u32,
}

/// The built-in facts about one distinct `tags` key.
#[derive(Debug, Clone, Copy, Default)]
pub struct Key {
    /// An `iamPrincipal/` key.
    pub iam: bool,
    /// Interned id.
    pub id: u32,
}

/// One rule fact's table, found by the fact's address.
struct RuleFacts {
    address: usize,
    of: Distinct,
    table: Box<dyn FactTable>,
}

/// What the workers of one scan share: the interner, and the rule facts by interned id.
#[derive(Debug, Default)]
pub struct Shared {
    /// Ids of aggregated strings.
    pub interner: Interner,
    /// The rule facts' tables by interned id.
    pub facts: SharedFacts,
}

/// Per-worker facts about the distinct values of the batches it reads, and what it shares
/// with the other workers.
#[derive(Default)]
pub struct FactCache {
    /// The interner and the rule facts by id (shared by the workers).
    pub shared: Arc<Shared>,
    pub(crate) principals: Memo<Principal>,
    /// Interned id per distinct principal of the current dictionary.
    principal_ids: Vec<u32>,
    /// Scratch of the interner's lookups by shard.
    buckets: Buckets,
    /// `R_PRINCIPAL` per distinct principal.
    pub(crate) principal_flags: Vec<u8>,
    pub(crate) accounts: Memo<u32>,
    pub(crate) product_codes: Memo<u8>,
    pub(crate) families: Memo<u8>,
    pub(crate) entities: Memo<u8>,
    pub(crate) operations: Memo<u8>,
    pub(crate) item_types: Memo<u8>,
    pub(crate) tag_keys: Memo<Key>,
    /// Whether any key of the current `tags` dictionary is an `iamPrincipal/` key.
    pub(crate) iam_keys: bool,
    /// Interned id per distinct `tags` value.
    pub(crate) tag_values: Memo<u32>,
    rules: Vec<RuleFacts>,
}

impl std::fmt::Debug for FactCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FactCache")
            .field("rule_facts", &self.rules.len())
            .finish_non_exhaustive()
    }
}

/// The interned ids of `d`'s distinct values (a null value is ""), by dictionary key, into
/// `out` (emptied when there is no dictionary).
fn intern_dict(
    interner: &Interner,
    d: Option<&DictStr>,
    out: &mut Vec<u32>,
    buckets: &mut Buckets,
) {
    let Some(d) = d else {
        out.clear();
        return;
    };
    let values = d.values();
    let text = |k: usize| {
        if values.is_null(k) {
            ""
        } else {
            values.value(k)
        }
    };
    interner.ids_into(values.len(), text, out, buckets);
}

fn flag_if(yes: bool, flag: u8) -> u8 {
    if yes {
        flag
    } else {
        0
    }
}

impl FactCache {
    /// A cache for one worker, with tables for the rule facts `facts`, interning into and
    /// sharing the facts by id of `shared` (shared by the workers).
    pub fn new(ctx: &Ctx, facts: &[&'static dyn FactSpec], shared: Arc<Shared>) -> Self {
        FactCache {
            rules: facts
                .iter()
                .map(|f| RuleFacts {
                    address: address(*f),
                    of: f.of(),
                    table: f.table(ctx, &shared.facts),
                })
                .collect(),
            shared,
            ..Default::default()
        }
    }

    /// The table of the rule fact at `address`, and what it is about.
    pub(crate) fn rule_table(&self, address: usize) -> Option<(&dyn FactTable, Distinct)> {
        self.rules
            .iter()
            .find(|r| r.address == address)
            .map(|r| (r.table.as_ref(), r.of))
    }

    /// Bring the facts up to date with the dictionaries of `batch`.
    pub fn prepare(&mut self, batch: &Batch, ctx: &Ctx) {
        let interner: &Interner = &self.shared.interner;
        let principals = batch.dict(Col::Principal);
        if self.principals.update(principals, |_, p| Principal {
            present: !p.trim().is_empty(),
            id: Interner::EMPTY,
        }) {
            // The whole dictionary interned at once: a lock per shard, not per principal.
            intern_dict(
                interner,
                principals,
                &mut self.principal_ids,
                &mut self.buckets,
            );
            let facts = &mut self.principals.facts;
            for (f, id) in facts.iter_mut().zip(&self.principal_ids) {
                f.id = *id;
            }
            self.principal_flags.clear();
            self.principal_flags
                .extend(facts.iter().map(|f| flag_if(f.present, R_PRINCIPAL)));
        }
        self.accounts
            .update(batch.dict(Col::UsageAccount), |_, a| interner.id(a));
        self.product_codes
            .update(batch.dict(Col::ProductCode), |_, c| {
                flag_if(BEDROCK_PRODUCT_CODES.contains(&c), B_CODE)
            });
        self.families
            .update(batch.dict(Col::ProductFamily), |_, f| {
                flag_if(f == "Amazon Bedrock", B_FAMILY)
            });
        self.entities
            .update(batch.dict(Col::BillingEntity), |_, e| {
                flag_if(e == "AWS Marketplace", B_MARKETPLACE)
            });
        self.operations.update(batch.dict(Col::Operation), |_, o| {
            flag_if(matches!(o, OP_INVOKE | OP_INVOKE_STREAMING), B_INVOKE)
        });
        self.item_types
            .update(batch.dict(Col::LineItemType), |_, t| match t {
                "Usage" => R_USAGE,
                "Credit" | "Refund" => R_CREDIT_REFUND,
                _ => 0,
            });
        let tags = batch.map(Col::Tags);
        if self.tag_keys.update(tags.map(|m| &m.keys), |_, k| Key {
            iam: split_prefix(k).is_some_and(|(p, _)| p == IAM_PRINCIPAL_PREFIX),
            id: interner.id(k),
        }) {
            self.iam_keys = self.tag_keys.facts.iter().any(|k| k.iam);
        }
        let values = tags.map(|m| &m.values);
        if self.tag_values.update(values, |_, _| Interner::EMPTY) {
            intern_dict(
                interner,
                values,
                &mut self.tag_values.facts,
                &mut self.buckets,
            );
        }
        for r in &mut self.rules {
            let (d, ids) = match r.of {
                Distinct::Column(Col::Principal) => {
                    (batch.dict(Col::Principal), Some(&self.principal_ids[..]))
                }
                Distinct::Column(c) => (batch.dict(c), None),
                Distinct::TagKey => (tags.map(|m| &m.keys), None),
                Distinct::TagValue => (tags.map(|m| &m.values), None),
            };
            r.table.update(d, ids, ctx);
        }
    }
}
