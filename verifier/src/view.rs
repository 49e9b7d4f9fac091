//! A record batch as the rules see it: the batch's columns plus facts worked out once per
//! distinct value instead of once per row.
//!
//! Text columns arrive in dictionary form ([`crate::read::DictStr`]: per row a key into the
//! distinct values). A worker keeps a [`FactCache`]; for each batch it works out, per distinct
//! value of each column, everything the rules ask about it — a principal's parse result, its
//! account, its session name check, whether the policy allows it; a tag key's prefix and
//! charset problems and activation; whether a product code is Bedrock's — and keeps them while
//! the next batch brings the same dictionary (a Parquet column chunk's dictionary is shared by
//! all batches of its row group). Per row the rules then only look facts up by key.
//!
//! Each distinct string a worker aggregates by (principals, accounts, tag keys and values) gets
//! a small integer id from the worker's [`Interner`], so the aggregates hash integers, not
//! strings, and allocate nothing per row.

use arrow_array::{Array, Float64Array, StringArray, TimestampMicrosecondArray};
use curlab_vocab::arn::{check_session_name, is_account_id, parse_principal};
use curlab_vocab::bedrock::{
    form_of_usage_type, token_type_of, BillingForm, BEDROCK_PRODUCT_CODES, OP_INVOKE,
    OP_INVOKE_STREAMING,
};
use curlab_vocab::tags::{split_prefix, TagProblem, IAM_PRINCIPAL_PREFIX};
use rustc_hash::FxHashMap;

use crate::finding::Sample;
use crate::read::{Batch, Col, DictStr, MapCol};
use crate::rules::Ctx;

/// Small integer ids for the distinct strings a worker aggregates by.
#[derive(Debug)]
pub struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    strings: Vec<Box<str>>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut i = Interner {
            ids: FxHashMap::default(),
            strings: Vec::new(),
        };
        i.id("");
        i
    }
}

impl Interner {
    /// The id of the empty string.
    pub const EMPTY: u32 = 0;

    /// The id of `s`, assigned on first sight.
    pub fn id(&mut self, s: &str) -> u32 {
        if let Some(id) = self.ids.get(s) {
            return *id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }

    /// The string of an id.
    pub fn get(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }
}

/// Facts about one distinct `line_item_iam_principal` value.
#[derive(Debug, Clone, Default)]
pub struct PrincipalFacts {
    /// Non-empty after trimming (null and the empty string both mean "no principal").
    pub present: bool,
    /// Why the value is not a principal ARN (PR002), if it is not.
    pub error: Option<String>,
    /// The ARN's 12-digit account as a number, when it parses.
    pub account: Option<u64>,
    /// Why an assumed-role session name breaks the STS rules (PR006), if it does.
    pub session_error: Option<String>,
    /// Index into the truth file's principals, when it lists this ARN.
    pub truth: Option<usize>,
    /// Whether the policy's `principals.allowed` admits it (true without patterns).
    pub allowed: bool,
    /// Interned id of the value as the spend aggregate keys it ("" when absent).
    pub id: u32,
}

/// Facts about one distinct `line_item_usage_account_id` value.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountFacts {
    /// The empty string (or null).
    pub empty: bool,
    /// The value as a number when it is 12 digits.
    pub number: Option<u64>,
    /// Interned id.
    pub id: u32,
}

/// Key flag: an `iamPrincipal/` key.
pub const K_IAM: u8 = 1;
/// Key flag: no known prefix (TG002).
pub const K_UNPREFIXED: u8 = 2;
/// Key flag: `aws:` after a prefix other than `resourceTags/` (TG004).
pub const K_AWS_PREFIX: u8 = 4;
/// Key flag: checked against the activation list and not on it (TG007).
pub const K_INACTIVE: u8 = 8;
/// Key flag: has an activation time (TG008).
pub const K_ACTIVATION: u8 = 16;
/// Key flag: the key itself breaks the tag rules (TG003).
pub const K_PROBLEM: u8 = 32;

/// Facts about one distinct `tags` key.
#[derive(Debug, Clone, Default)]
pub struct KeyFacts {
    /// `K_*` flags.
    pub flags: u8,
    /// What is wrong with the key itself (TG003), if anything.
    pub problem: Option<TagProblem>,
    /// `effective_from` and `backfill_from` of the key's activation (TG008).
    pub activation: Option<(i64, Option<i64>)>,
    /// Interned id.
    pub id: u32,
}

impl KeyFacts {
    /// Whether a flag is set.
    #[inline]
    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

/// Facts about one distinct `tags` value.
#[derive(Debug, Clone, Default)]
pub struct ValueFacts {
    /// What `check_value` finds (TG003 for `iamPrincipal/` keys).
    pub problem: Option<TagProblem>,
    /// The value is longer than 256 characters (TG003 for other keys).
    pub too_long: Option<TagProblem>,
    /// Interned id.
    pub id: u32,
}

/// Facts about one distinct `line_item_usage_type` value.
#[derive(Debug, Clone, Copy, Default)]
pub struct UsageTypeFacts {
    /// A Bedrock token usage type.
    pub token: bool,
    /// The billing form its name implies.
    pub form: Option<BillingForm>,
}

/// Row flag: an Amazon Bedrock row.
pub const R_BEDROCK: u8 = 1;
/// Row flag: a Bedrock model-inference usage row.
pub const R_INFERENCE: u8 = 2;
/// Row flag: `line_item_line_item_type = Usage`.
pub const R_USAGE: u8 = 4;
/// Row flag: `line_item_line_item_type` is `Credit` or `Refund`.
pub const R_CREDIT_REFUND: u8 = 8;
/// Row flag: a principal is present.
pub const R_PRINCIPAL: u8 = 16;

/// What a row's product code, family, billing entity and operation say (`is_bedrock` and
/// `is_bedrock_inference` of the vocabulary, in bits).
const B_CODE: u8 = 1;
const B_FAMILY: u8 = 2;
const B_MARKETPLACE: u8 = 4;
const B_INVOKE: u8 = 8;

/// `out[i] |= table[key of row i]` for a dictionary column (nothing for null cells).
fn or_bits(out: &mut [u8], d: Option<&DictStr>, table: &[u8]) {
    let Some(d) = d else { return };
    let keys = d.keys();
    match d.nulls() {
        None => {
            for (o, k) in out.iter_mut().zip(keys.iter()) {
                *o |= table.get(*k as usize).copied().unwrap_or(0);
            }
        }
        Some(n) => {
            for (i, (o, k)) in out.iter_mut().zip(keys.iter()).enumerate() {
                if n.is_valid(i) {
                    *o |= table.get(*k as usize).copied().unwrap_or(0);
                }
            }
        }
    }
}

/// Facts per distinct value of one dictionary, kept while batches bring the same dictionary.
#[derive(Debug)]
struct Memo<T> {
    source: Option<StringArray>,
    facts: Vec<T>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            source: None,
            facts: Vec::new(),
        }
    }
}

fn same_values(a: &StringArray, b: &StringArray) -> bool {
    // `source` holds a clone of the dictionary, so its buffers stay alive and their addresses
    // cannot be reused by another dictionary while compared.
    a.len() == b.len()
        && a.values().as_ptr() == b.values().as_ptr()
        && a.value_offsets().as_ptr() == b.value_offsets().as_ptr()
}

impl<T> Memo<T> {
    /// Work the facts out again when `d` brings a dictionary other than the last one. Returns
    /// whether they changed.
    fn update(&mut self, d: Option<&DictStr>, mut f: impl FnMut(&str) -> T) -> bool {
        let Some(d) = d else {
            let changed = self.source.is_some();
            self.source = None;
            self.facts.clear();
            return changed;
        };
        if self
            .source
            .as_ref()
            .is_some_and(|s| same_values(s, d.values()))
        {
            return false;
        }
        let values = d.values();
        self.facts = (0..values.len())
            .map(|k| {
                f(if values.is_null(k) {
                    ""
                } else {
                    values.value(k)
                })
            })
            .collect();
        self.source = Some(values.clone());
        true
    }

    #[inline]
    fn of(&self, d: Option<&DictStr>, i: usize) -> Option<&T> {
        d.and_then(|d| d.key(i)).map(|k| &self.facts[k])
    }
}

/// Per-worker facts about the distinct values of the batches it reads, and its interner.
#[derive(Debug, Default)]
pub struct FactCache {
    /// Ids of aggregated strings.
    pub interner: Interner,
    principals: Memo<PrincipalFacts>,
    accounts: Memo<AccountFacts>,
    usage_types: Memo<UsageTypeFacts>,
    pricing_units: Memo<Option<BillingForm>>,
    rates: Memo<Option<f64>>,
    product_codes: Memo<u8>,
    families: Memo<u8>,
    entities: Memo<u8>,
    operations: Memo<u8>,
    item_types: Memo<u8>,
    /// `R_PRINCIPAL` per distinct principal.
    principal_flags: Vec<u8>,
    /// Facts per interned principal, kept across dictionaries: every row group brings its own
    /// dictionary, and a large export repeats tens of thousands of principals in each.
    principal_by_id: FxHashMap<u32, PrincipalFacts>,
    tag_keys: Memo<KeyFacts>,
    tag_values: Memo<ValueFacts>,
    empty_value: ValueFacts,
    /// OR of the flags of every key in the current `tags` dictionary.
    key_flags: u8,
    /// Whether any value of the current `tags` dictionary has a `check_value` problem, or is
    /// too long.
    value_problems: bool,
    /// Whether any principal of the current dictionary fails to parse (PR002).
    principal_errors: bool,
    /// Whether any principal of the current dictionary has a bad session name (PR006).
    session_errors: bool,
}

fn principal_facts(p: &str, ctx: &Ctx, interner: &mut Interner) -> PrincipalFacts {
    if p.trim().is_empty() {
        return PrincipalFacts {
            allowed: true,
            id: interner.id(""),
            ..Default::default()
        };
    }
    let (error, account, session_error) = match parse_principal(p) {
        Ok(arn) => (
            None,
            arn.account.parse().ok(),
            arn.session
                .map(check_session_name)
                .and_then(|r| r.err())
                .map(|e| e.to_string()),
        ),
        Err(e) => (Some(e.to_string()), None, None),
    };
    PrincipalFacts {
        present: true,
        error,
        account,
        session_error,
        truth: ctx.truth_principals.get(p).copied(),
        allowed: ctx.allowed_principals.is_empty()
            || ctx.allowed_principals.iter().any(|pt| pt.matches(p)),
        id: interner.id(p),
    }
}

/// Facts about a `tags` key; each rule's part comes from the rule's module.
fn key_facts(k: &str, ctx: &Ctx, interner: &mut Interner) -> KeyFacts {
    use crate::rules::tg008_tag_before_activation as tg008;
    use crate::rules::{tg003_tag_charset, tg004_aws_prefix, tg007_inactive_key};
    let split = split_prefix(k);
    let mut flags = 0;
    if split.is_none() {
        flags |= K_UNPREFIXED;
    }
    if split.is_some_and(|(p, _)| p == IAM_PRINCIPAL_PREFIX) {
        flags |= K_IAM;
    }
    let problem = tg003_tag_charset::key_problem(k);
    if problem.is_some() {
        flags |= K_PROBLEM;
    }
    if tg004_aws_prefix::aws_prefixed(k) {
        flags |= K_AWS_PREFIX;
    }
    let mut activation = None;
    if let Some(active) = &ctx.activation {
        if tg007_inactive_key::inactive(k, active) {
            flags |= K_INACTIVE;
        }
        activation = tg008::activation(k, active);
        if activation.is_some() {
            flags |= K_ACTIVATION;
        }
    }
    KeyFacts {
        flags,
        problem,
        activation,
        id: interner.id(k),
    }
}

fn value_facts(v: &str, interner: &mut Interner) -> ValueFacts {
    let (problem, too_long) = crate::rules::tg003_tag_charset::value_problems(v);
    ValueFacts {
        problem,
        too_long,
        id: interner.id(v),
    }
}

impl FactCache {
    /// A cache for one worker.
    pub fn new() -> Self {
        let mut interner = Interner::default();
        let empty_value = value_facts("", &mut interner);
        FactCache {
            interner,
            empty_value,
            ..Default::default()
        }
    }

    /// Bring the facts up to date with the dictionaries of `batch`.
    pub fn prepare(&mut self, batch: &Batch, ctx: &Ctx) {
        let interner = &mut self.interner;
        let by_id = &mut self.principal_by_id;
        if self.principals.update(batch.dict(Col::Principal), |p| {
            let id = interner.id(p);
            if let Some(f) = by_id.get(&id) {
                return f.clone();
            }
            let f = principal_facts(p, ctx, interner);
            by_id.insert(id, f.clone());
            f
        }) {
            self.principal_errors = self.principals.facts.iter().any(|f| f.error.is_some());
            self.principal_flags = self
                .principals
                .facts
                .iter()
                .map(|f| if f.present { R_PRINCIPAL } else { 0 })
                .collect();
            self.session_errors = self
                .principals
                .facts
                .iter()
                .any(|f| f.session_error.is_some());
        }
        self.accounts
            .update(batch.dict(Col::UsageAccount), |a| AccountFacts {
                empty: a.is_empty(),
                number: is_account_id(a).then(|| a.parse().ok()).flatten(),
                id: interner.id(a),
            });
        self.usage_types
            .update(batch.dict(Col::UsageType), |u| UsageTypeFacts {
                token: token_type_of(u).is_some(),
                form: Some(form_of_usage_type(u)),
            });
        self.pricing_units
            .update(batch.dict(Col::PricingUnit), BillingForm::from_pricing_unit);
        self.rates.update(batch.dict(Col::UnblendedRate), |r| {
            r.trim().parse::<f64>().ok()
        });
        self.product_codes
            .update(batch.dict(Col::ProductCode), |c| {
                if BEDROCK_PRODUCT_CODES.contains(&c) {
                    B_CODE
                } else {
                    0
                }
            });
        self.families.update(batch.dict(Col::ProductFamily), |f| {
            if f == "Amazon Bedrock" {
                B_FAMILY
            } else {
                0
            }
        });
        self.entities.update(batch.dict(Col::BillingEntity), |e| {
            if e == "AWS Marketplace" {
                B_MARKETPLACE
            } else {
                0
            }
        });
        self.operations.update(batch.dict(Col::Operation), |o| {
            if matches!(o, OP_INVOKE | OP_INVOKE_STREAMING) {
                B_INVOKE
            } else {
                0
            }
        });
        self.item_types
            .update(batch.dict(Col::LineItemType), |t| match t {
                "Usage" => R_USAGE,
                "Credit" | "Refund" => R_CREDIT_REFUND,
                _ => 0,
            });
        let tags = batch.map(Col::Tags);
        if self
            .tag_keys
            .update(tags.map(|m| &m.keys), |k| key_facts(k, ctx, interner))
        {
            self.key_flags = self.tag_keys.facts.iter().fold(0, |a, f| a | f.flags);
        }
        if self
            .tag_values
            .update(tags.map(|m| &m.values), |v| value_facts(v, interner))
        {
            self.value_problems = self
                .tag_values
                .facts
                .iter()
                .any(|f| f.problem.is_some() || f.too_long.is_some());
        }
    }
}

/// One `tags` entry of a row with the facts about its key and value.
#[derive(Debug, Clone, Copy)]
pub struct Tag<'a> {
    /// The key as written (`iamPrincipal/team`).
    pub key: &'a str,
    /// The value ("" for null).
    pub value: &'a str,
    /// Facts about the key.
    pub k: &'a KeyFacts,
    /// Facts about the value.
    pub v: &'a ValueFacts,
}

/// A batch with its facts: what every rule's `check_batch` gets.
pub struct View<'a> {
    /// Index of the file in discovery order.
    pub file: usize,
    /// The file as shown in reports.
    pub display: &'a str,
    /// `BILLING_PERIOD=` folder of the file (`YYYY-MM`), if any.
    pub folder_period: Option<&'a str>,
    /// The batch.
    pub batch: &'a Batch,
    /// Rows in the batch.
    pub len: usize,
    facts: &'a FactCache,
    flags: Vec<u8>,
    principal: Option<&'a DictStr>,
    tags: Option<&'a MapCol>,
    cost: Option<&'a Float64Array>,
    usage: Option<&'a Float64Array>,
    start: Option<&'a TimestampMicrosecondArray>,
    end: Option<&'a TimestampMicrosecondArray>,
    period_start: Option<&'a TimestampMicrosecondArray>,
}

#[inline]
fn f64_at(a: Option<&Float64Array>, i: usize) -> Option<f64> {
    a.and_then(|a| (!a.is_null(i)).then(|| a.value(i)))
}

#[inline]
fn ts_at(a: Option<&TimestampMicrosecondArray>, i: usize) -> Option<i64> {
    a.and_then(|a| (!a.is_null(i)).then(|| a.value(i)))
}

impl<'a> View<'a> {
    /// The view of `batch`; `facts` must have been prepared for it.
    pub fn new(
        batch: &'a Batch,
        facts: &'a FactCache,
        file: usize,
        display: &'a str,
        folder_period: Option<&'a str>,
    ) -> View<'a> {
        // Column by column over the dictionary keys: a table lookup per row and column.
        let n = batch.len;
        let mut what = vec![0u8; n];
        or_bits(
            &mut what,
            batch.dict(Col::ProductCode),
            &facts.product_codes.facts,
        );
        or_bits(
            &mut what,
            batch.dict(Col::ProductFamily),
            &facts.families.facts,
        );
        or_bits(
            &mut what,
            batch.dict(Col::BillingEntity),
            &facts.entities.facts,
        );
        or_bits(
            &mut what,
            batch.dict(Col::Operation),
            &facts.operations.facts,
        );
        let mut flags = vec![0u8; n];
        or_bits(
            &mut flags,
            batch.dict(Col::LineItemType),
            &facts.item_types.facts,
        );
        let principal = batch.dict(Col::Principal);
        or_bits(&mut flags, principal, &facts.principal_flags);
        let product = batch.map(Col::Product);
        for (i, (f, w)) in flags.iter_mut().zip(&what).enumerate() {
            let bedrock = w & (B_CODE | B_FAMILY) != 0
                || (w & B_MARKETPLACE != 0
                    && product
                        .and_then(|m| m.get(i, "product_name"))
                        .is_some_and(|n| n.contains("Bedrock")));
            if bedrock {
                *f |= R_BEDROCK;
                if *f & R_USAGE != 0 && w & B_INVOKE != 0 {
                    *f |= R_INFERENCE;
                }
            }
        }
        View {
            file,
            display,
            folder_period,
            batch,
            len: batch.len,
            facts,
            flags,
            principal,
            tags: batch.map(Col::Tags),
            cost: batch.f64s(Col::UnblendedCost),
            usage: batch.f64s(Col::UsageAmount),
            start: batch.timestamps(Col::UsageStart),
            end: batch.timestamps(Col::UsageEnd),
            period_start: batch.timestamps(Col::PeriodStart),
        }
    }

    /// 1-based data row number of row `i` within the file.
    #[inline]
    pub fn row(&self, i: usize) -> u64 {
        self.batch.first_row + i as u64 + 1
    }

    /// `identity_line_item_id` of row `i` (`None` when null or blank).
    pub fn line_item_id(&self, i: usize) -> Option<&'a str> {
        self.batch
            .str(Col::LineItemId, i)
            .filter(|v| !v.trim().is_empty())
    }

    /// A sample of row `i` with the given offending values.
    pub fn sample<K: Into<String>, V: Into<String>>(
        &self,
        i: usize,
        values: impl IntoIterator<Item = (K, V)>,
    ) -> Sample {
        Sample {
            file: Some(self.display.to_string()),
            row: Some(self.row(i)),
            identity_line_item_id: self.line_item_id(i).map(str::to_string),
            values: crate::finding::values(values),
        }
    }

    /// The `R_*` flags of row `i`.
    #[inline]
    pub fn flags(&self, i: usize) -> u8 {
        self.flags[i]
    }

    /// Whether row `i` has flag `f`.
    #[inline]
    pub fn is(&self, i: usize, f: u8) -> bool {
        self.flags[i] & f != 0
    }

    /// Any Amazon Bedrock row (vocab `is_bedrock`).
    #[inline]
    pub fn bedrock(&self, i: usize) -> bool {
        self.is(i, R_BEDROCK)
    }

    /// A Bedrock model-inference usage row (vocab `is_bedrock_inference`).
    #[inline]
    pub fn inference(&self, i: usize) -> bool {
        self.is(i, R_INFERENCE)
    }

    /// Whether the file has a `line_item_iam_principal` column at all.
    pub fn has_principal_column(&self) -> bool {
        self.principal.is_some()
    }

    /// The principal of row `i` and its facts; `None` for null and the empty string alike.
    #[inline]
    pub fn principal(&self, i: usize) -> Option<(&'a str, &'a PrincipalFacts)> {
        let d = self.principal?;
        let k = d.key(i)?;
        let f = &self.facts.principals.facts[k];
        f.present.then(|| (d.values().value(k), f))
    }

    /// Facts of row `i`'s principal value (present or not); `None` for null or no column.
    #[inline]
    pub fn principal_facts(&self, i: usize) -> Option<&'a PrincipalFacts> {
        self.facts.principals.of(self.principal, i)
    }

    /// Whether any principal of the batch's dictionary fails to parse (a superset test).
    pub fn any_principal_error(&self) -> bool {
        self.principal.is_some() && self.facts.principal_errors
    }

    /// Whether any principal of the batch's dictionary has a bad session name.
    pub fn any_session_error(&self) -> bool {
        self.principal.is_some() && self.facts.session_errors
    }

    fn text(&self, c: Col, i: usize) -> &'a str {
        self.batch.str(c, i).unwrap_or("")
    }

    /// `line_item_line_item_type` ("" when null).
    pub fn line_item_type(&self, i: usize) -> &'a str {
        self.text(Col::LineItemType, i)
    }

    /// `line_item_usage_type`.
    pub fn usage_type(&self, i: usize) -> &'a str {
        self.text(Col::UsageType, i)
    }

    /// Facts of row `i`'s usage type.
    #[inline]
    pub fn usage_type_facts(&self, i: usize) -> UsageTypeFacts {
        self.facts
            .usage_types
            .of(self.batch.dict(Col::UsageType), i)
            .copied()
            .unwrap_or_else(|| UsageTypeFacts {
                token: token_type_of("").is_some(),
                form: Some(form_of_usage_type("")),
            })
    }

    /// `pricing_unit`.
    pub fn pricing_unit(&self, i: usize) -> &'a str {
        self.text(Col::PricingUnit, i)
    }

    /// The billing form row `i`'s `pricing_unit` implies.
    #[inline]
    pub fn pricing_form(&self, i: usize) -> Option<BillingForm> {
        match self
            .facts
            .pricing_units
            .of(self.batch.dict(Col::PricingUnit), i)
        {
            Some(f) => *f,
            None => BillingForm::from_pricing_unit(""),
        }
    }

    /// `line_item_product_code`.
    pub fn product_code(&self, i: usize) -> &'a str {
        self.text(Col::ProductCode, i)
    }

    /// `line_item_usage_account_id`.
    pub fn usage_account(&self, i: usize) -> &'a str {
        self.text(Col::UsageAccount, i)
    }

    /// Facts of row `i`'s usage account; `None` for null or no column (read as "").
    #[inline]
    pub fn account_facts(&self, i: usize) -> Option<&'a AccountFacts> {
        self.facts
            .accounts
            .of(self.batch.dict(Col::UsageAccount), i)
    }

    /// `line_item_unblended_rate` as written (`None` when null or blank).
    pub fn rate_text(&self, i: usize) -> Option<&'a str> {
        self.batch
            .str(Col::UnblendedRate, i)
            .filter(|v| !v.trim().is_empty())
    }

    /// `line_item_unblended_rate` as a number (`None` when absent or not a number).
    #[inline]
    pub fn rate(&self, i: usize) -> Option<f64> {
        self.facts
            .rates
            .of(self.batch.dict(Col::UnblendedRate), i)
            .copied()
            .flatten()
    }

    /// `line_item_unblended_cost`.
    #[inline]
    pub fn cost(&self, i: usize) -> Option<f64> {
        f64_at(self.cost, i)
    }

    /// `line_item_usage_amount`.
    #[inline]
    pub fn usage(&self, i: usize) -> Option<f64> {
        f64_at(self.usage, i)
    }

    /// `line_item_usage_start_date`, UTC µs.
    #[inline]
    pub fn start(&self, i: usize) -> Option<i64> {
        ts_at(self.start, i)
    }

    /// `line_item_usage_end_date`, UTC µs.
    #[inline]
    pub fn end(&self, i: usize) -> Option<i64> {
        ts_at(self.end, i)
    }

    /// `bill_billing_period_start_date`, UTC µs.
    #[inline]
    pub fn period_start(&self, i: usize) -> Option<i64> {
        ts_at(self.period_start, i)
    }

    /// Whether the file has a `tags` column.
    pub fn has_tags_column(&self) -> bool {
        self.tags.is_some()
    }

    /// OR of the `K_*` flags of every key in the batch's `tags` dictionary (a superset of the
    /// keys its rows carry): a rule looking for a flag can skip a batch without it.
    pub fn key_flags(&self) -> u8 {
        if self.tags.is_some() {
            self.facts.key_flags
        } else {
            0
        }
    }

    /// Whether any value in the batch's `tags` dictionary breaks a value rule.
    pub fn any_value_problem(&self) -> bool {
        self.tags.is_some() && self.facts.value_problems
    }

    /// The `tags` column, if the file has one.
    pub fn tag_map(&self) -> Option<&'a MapCol> {
        self.tags
    }

    /// Facts of the `tags` key with dictionary key `k` (see [`View::tag_map`]).
    pub fn key_facts(&self, k: usize) -> &'a KeyFacts {
        &self.facts.tag_keys.facts[k]
    }

    /// Number of `tags` entries of row `i` (0 for a null map).
    #[inline]
    pub fn tag_count(&self, i: usize) -> usize {
        self.tags.and_then(|m| m.range(i)).map_or(0, |r| r.len())
    }

    /// The `tags` entries of row `i` with their facts (none for a null map or no column).
    #[inline]
    pub fn tags(&self, i: usize) -> impl Iterator<Item = Tag<'a>> + 'a {
        let facts = self.facts;
        let m = self.tags;
        let range = m.and_then(|m| m.range(i)).unwrap_or(0..0);
        range.filter_map(move |j| {
            let m = m?;
            let k = m.keys.key(j)?;
            let (value, v) = match m.values.key(j) {
                Some(vk) => (m.values.values().value(vk), &facts.tag_values.facts[vk]),
                None => ("", &facts.empty_value),
            };
            Some(Tag {
                key: m.keys.values().value(k),
                value,
                k: &facts.tag_keys.facts[k],
                v,
            })
        })
    }

    /// The `iamPrincipal/` entries of row `i`, with the prefix removed from the key.
    pub fn principal_tags(&self, i: usize) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.tags(i)
            .filter(|t| t.k.has(K_IAM))
            .map(|t| (&t.key[IAM_PRINCIPAL_PREFIX.len()..], t.value))
    }
}

/// Rows for rule tests: one row's cells, turned into a one-row batch.
#[cfg(test)]
pub mod testrow {
    use super::*;
    use crate::read::ColData;
    use crate::row::Row;
    use arrow_array::ArrayRef;
    use std::sync::Arc;

    fn dict(v: Option<&str>) -> ColData {
        let arr: ArrayRef = Arc::new(StringArray::from(vec![v]));
        ColData::Dict(DictStr::from_array(&arr).expect("text casts to a dictionary"))
    }

    /// A one-row batch with the row's cells.
    pub fn batch_of(r: &Row<'_>) -> Batch {
        let product: Vec<(String, String)> = if r.product_name.is_empty() {
            Vec::new()
        } else {
            vec![("product_name".into(), r.product_name.into())]
        };
        let mut cols = vec![
            (
                Col::LineItemId,
                ColData::Str(StringArray::from(vec![r.line_item_id])),
            ),
            (Col::TimeInterval, dict(r.time_interval)),
            (Col::BillingEntity, dict(Some(r.billing_entity))),
            (Col::LineItemType, dict(Some(r.line_item_type))),
            (Col::Operation, dict(Some(r.operation))),
            (Col::ProductCode, dict(Some(r.product_code))),
            (Col::UsageAccount, dict(Some(r.usage_account))),
            (Col::UsageType, dict(Some(r.usage_type))),
            (Col::PricingUnit, dict(Some(r.pricing_unit))),
            (Col::ProductFamily, dict(Some(r.product_family))),
            (Col::UnblendedRate, dict(r.rate)),
            (
                Col::Product,
                ColData::Map(Box::new(MapCol::from_pairs([Some(product.as_slice())]))),
            ),
            (
                Col::UnblendedCost,
                ColData::F64(Float64Array::from(vec![r.cost])),
            ),
            (
                Col::UsageAmount,
                ColData::F64(Float64Array::from(vec![r.usage])),
            ),
            (
                Col::UsageStart,
                ColData::Ts(TimestampMicrosecondArray::from(vec![r.start])),
            ),
            (
                Col::UsageEnd,
                ColData::Ts(TimestampMicrosecondArray::from(vec![r.end])),
            ),
            (
                Col::PeriodStart,
                ColData::Ts(TimestampMicrosecondArray::from(vec![r.period_start])),
            ),
        ];
        if r.has_principal_column {
            cols.push((Col::Principal, dict(r.principal)));
        }
        if let Some(t) = r.tags {
            cols.push((
                Col::Tags,
                ColData::Map(Box::new(MapCol::from_pairs([Some(t)]))),
            ));
        }
        Batch::from_columns(r.row - 1, 1, cols)
    }

    /// Run `f` on the view of one row.
    pub fn with_view<T>(
        r: &Row<'_>,
        ctx: &Ctx,
        cache: &mut FactCache,
        f: impl FnOnce(&View<'_>) -> T,
    ) -> T {
        let b = batch_of(r);
        cache.prepare(&b, ctx);
        let v = View::new(&b, cache, r.file, r.display, r.folder_period);
        assert_eq!(
            (v.bedrock(0), v.inference(0)),
            (r.bedrock, r.inference),
            "the test row's bedrock/inference flags agree with its cells"
        );
        f(&v)
    }
}
