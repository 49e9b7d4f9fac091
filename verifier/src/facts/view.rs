//! A record batch as the rules see it: the batch's columns, each row's classification (Bedrock,
//! inference, line item type, principal present) and the facts about its distinct values,
//! worked out once per distinct value by the worker's [`FactCache`] and looked up per row.

use arrow_array::{Array, Float64Array, TimestampMicrosecondArray};
use curlab_vocab::tags::IAM_PRINCIPAL_PREFIX;

use super::cache::{
    FactCache, Key, Principal, B_CODE, B_FAMILY, B_INVOKE, B_MARKETPLACE, R_BEDROCK, R_INFERENCE,
    R_USAGE,
};
use super::memo::{Fact, RuleTable};
use super::needs::{address, Distinct, PerValue};
use crate::finding::Sample;
use crate::read::{Batch, Col, DictStr, MapCol};

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

/// One `tags` entry of a row.
#[derive(Debug, Clone, Copy)]
pub struct Tag<'a> {
    /// The key as written (`iamPrincipal/team`).
    pub key: &'a str,
    /// The value ("" for null).
    pub value: &'a str,
    /// The key's dictionary key (where its facts are).
    pub key_ix: usize,
    /// The value's dictionary key (`None` for a null value).
    pub value_ix: Option<usize>,
    /// The built-in facts about the key.
    pub k: &'a Key,
    /// Interned id of the value.
    pub value_id: u32,
}

/// A rule's [`PerValue`] fact in one batch: looked up per row or per tag entry.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a, T> {
    of: Distinct,
    table: &'a [T],
    any: bool,
    column: Option<&'a DictStr>,
    empty: Option<&'a T>,
}

impl<'a, T: Fact> Facts<'a, T> {
    /// Whether any distinct value of the batch's dictionary is marked (a superset of the values
    /// its rows carry): a rule looking for marked values can skip a batch without any.
    #[inline]
    pub fn any(&self) -> bool {
        self.any
    }

    /// The fact of row `i`'s value, for a fact about a column's values (`None` for a null cell
    /// or no column).
    #[inline]
    pub fn at(&self, i: usize) -> Option<&'a T> {
        self.table.get(self.column?.key(i)?)
    }

    /// Whether row `i`'s value is marked.
    #[inline]
    pub fn marks_at(&self, i: usize) -> bool {
        self.at(i).is_some_and(Fact::marked)
    }

    /// The fact of a tag entry's key or value, for a fact about `tags` keys or values.
    #[inline]
    pub fn of(&self, t: &Tag<'_>) -> Option<&'a T> {
        match self.of {
            Distinct::TagKey => self.table.get(t.key_ix),
            Distinct::TagValue => match t.value_ix {
                Some(k) => self.table.get(k),
                None => self.empty,
            },
            Distinct::Column(_) => None,
        }
    }

    /// Whether a tag entry's key or value is marked.
    #[inline]
    pub fn marks(&self, t: &Tag<'_>) -> bool {
        self.of(t).is_some_and(Fact::marked)
    }
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
    cache: &'a FactCache,
    flags: Vec<u8>,
    principal: Option<&'a DictStr>,
    tags: Option<&'a MapCol>,
    cost: Option<&'a Float64Array>,
    usage: Option<&'a Float64Array>,
    net_cost: Option<&'a Float64Array>,
    total_discount: Option<&'a Float64Array>,
    public_cost: Option<&'a Float64Array>,
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
    /// The view of `batch`; `cache` must have been prepared for it.
    pub fn new(
        batch: &'a Batch,
        cache: &'a FactCache,
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
            &cache.product_codes.facts,
        );
        or_bits(
            &mut what,
            batch.dict(Col::ProductFamily),
            &cache.families.facts,
        );
        or_bits(
            &mut what,
            batch.dict(Col::BillingEntity),
            &cache.entities.facts,
        );
        or_bits(
            &mut what,
            batch.dict(Col::Operation),
            &cache.operations.facts,
        );
        let mut flags = vec![0u8; n];
        or_bits(
            &mut flags,
            batch.dict(Col::LineItemType),
            &cache.item_types.facts,
        );
        let principal = batch.dict(Col::Principal);
        or_bits(&mut flags, principal, &cache.principal_flags);
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
            cache,
            flags,
            principal,
            tags: batch.map(Col::Tags),
            cost: batch.f64s(Col::UnblendedCost),
            usage: batch.f64s(Col::UsageAmount),
            net_cost: batch.f64s(Col::NetUnblendedCost),
            total_discount: batch.f64s(Col::TotalDiscount),
            public_cost: batch.f64s(Col::PublicOnDemandCost),
            start: batch.timestamps(Col::UsageStart),
            end: batch.timestamps(Col::UsageEnd),
            period_start: batch.timestamps(Col::PeriodStart),
        }
    }

    /// A rule's own fact about distinct values, in this batch. The rule lists it in its
    /// [`Needs::facts`](super::Needs::facts); one it does not list is never worked out (tests
    /// catch that: it is a debug assertion) and looks unmarked everywhere.
    pub fn facts<T: Fact>(&self, spec: &'static PerValue<T>) -> Facts<'a, T> {
        let cache: &'a FactCache = self.cache;
        let found = cache
            .rule_table(address(spec))
            .and_then(|(t, of)| t.as_any().downcast_ref::<RuleTable<T>>().map(|t| (t, of)));
        debug_assert!(
            found.is_some(),
            "a rule looks up a per-value fact ({spec:?}) that its needs do not list"
        );
        match found {
            Some((t, of)) => Facts {
                of,
                table: &t.memo.facts,
                any: t.any,
                column: match of {
                    Distinct::Column(c) => self.batch.dict(c),
                    Distinct::TagKey | Distinct::TagValue => None,
                },
                empty: Some(&t.empty),
            },
            None => Facts {
                of: spec.of,
                table: &[],
                any: false,
                column: None,
                empty: None,
            },
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

    /// The principal of row `i`; `None` for null and the empty string alike.
    #[inline]
    pub fn principal(&self, i: usize) -> Option<&'a str> {
        let d = self.principal?;
        let k = d.key(i)?;
        self.cache.principals.facts[k]
            .present
            .then(|| d.values().value(k))
    }

    /// The built-in facts of row `i`'s principal value (present or not); `None` for null or no
    /// column.
    #[inline]
    pub fn principal_facts(&self, i: usize) -> Option<&'a Principal> {
        let cache: &'a FactCache = self.cache;
        cache.principals.of(self.principal, i)
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

    /// `pricing_unit`.
    pub fn pricing_unit(&self, i: usize) -> &'a str {
        self.text(Col::PricingUnit, i)
    }

    /// `line_item_product_code`.
    pub fn product_code(&self, i: usize) -> &'a str {
        self.text(Col::ProductCode, i)
    }

    /// `line_item_usage_account_id`.
    pub fn usage_account(&self, i: usize) -> &'a str {
        self.text(Col::UsageAccount, i)
    }

    /// Interned id of row `i`'s usage account; `None` for null or no column.
    #[inline]
    pub fn account_id(&self, i: usize) -> Option<u32> {
        self.cache
            .accounts
            .of(self.batch.dict(Col::UsageAccount), i)
            .copied()
    }

    /// `line_item_unblended_rate` as written (`None` when null or blank).
    pub fn rate_text(&self, i: usize) -> Option<&'a str> {
        self.batch
            .str(Col::UnblendedRate, i)
            .filter(|v| !v.trim().is_empty())
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

    /// `line_item_net_unblended_cost` (None when null or the column was not read).
    #[inline]
    pub fn net_cost(&self, i: usize) -> Option<f64> {
        f64_at(self.net_cost, i)
    }

    /// `discount_total_discount` (None when null or the column was not read).
    #[inline]
    pub fn total_discount(&self, i: usize) -> Option<f64> {
        f64_at(self.total_discount, i)
    }

    /// `pricing_public_on_demand_cost` (None when null or the column was not read).
    #[inline]
    pub fn public_cost(&self, i: usize) -> Option<f64> {
        f64_at(self.public_cost, i)
    }

    /// The net cost of row `i` as chargeback and budgets count it: `line_item_net_unblended_cost`,
    /// or the unblended cost where the net column is null.
    #[inline]
    pub fn net_or_gross(&self, i: usize) -> Option<f64> {
        self.net_cost(i).or_else(|| self.cost(i))
    }

    /// `line_item_resource_id` (None when null, blank or the column was not read).
    pub fn resource_id(&self, i: usize) -> Option<&'a str> {
        self.batch
            .str(Col::ResourceId, i)
            .filter(|v| !v.trim().is_empty())
    }

    /// The values of row `i`'s `discount` map, parsed as numbers (a value that is empty or not
    /// a number counts as 0), and how many entries it has; `None` when the map is null or the
    /// column was not read.
    pub fn discount_sum(&self, i: usize) -> Option<(usize, f64)> {
        let m = self.batch.map(Col::Discount)?;
        let entries = m.entries(i)?;
        let (mut n, mut sum) = (0, 0.0);
        for (_, v) in entries {
            n += 1;
            sum += v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .unwrap_or(0.0);
        }
        Some((n, sum))
    }

    /// `bill_billing_entity` ("" when null).
    pub fn billing_entity(&self, i: usize) -> &'a str {
        self.text(Col::BillingEntity, i)
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

    /// Whether any key of the batch's `tags` dictionary is an `iamPrincipal/` key (a superset
    /// of the keys its rows carry).
    pub fn any_principal_tag_key(&self) -> bool {
        self.tags.is_some() && self.cache.iam_keys
    }

    /// The `tags` column, if the file has one.
    pub fn tag_map(&self) -> Option<&'a MapCol> {
        self.tags
    }

    /// Interned id of the `tags` key with dictionary key `k` (see [`View::tag_map`]).
    pub fn tag_key_id(&self, k: usize) -> u32 {
        self.cache.tag_keys.facts[k].id
    }

    /// Number of `tags` entries of row `i` (0 for a null map).
    #[inline]
    pub fn tag_count(&self, i: usize) -> usize {
        self.tags.and_then(|m| m.range(i)).map_or(0, |r| r.len())
    }

    /// The `tags` entries of row `i` (none for a null map or no column).
    #[inline]
    pub fn tags(&self, i: usize) -> impl Iterator<Item = Tag<'a>> + 'a {
        let cache: &'a FactCache = self.cache;
        let m = self.tags;
        let range = m.and_then(|m| m.range(i)).unwrap_or(0..0);
        range.filter_map(move |j| {
            let m = m?;
            let k = m.keys.key(j)?;
            let value_ix = m.values.key(j);
            let (value, value_id) = match value_ix {
                Some(vk) => (m.values.values().value(vk), cache.tag_values.facts[vk]),
                None => ("", super::intern::Interner::EMPTY),
            };
            Some(Tag {
                key: m.keys.values().value(k),
                value,
                key_ix: k,
                value_ix,
                k: &cache.tag_keys.facts[k],
                value_id,
            })
        })
    }

    /// The `iamPrincipal/` entries of row `i`, with the prefix removed from the key.
    pub fn principal_tags(&self, i: usize) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.tags(i)
            .filter(|t| t.k.iam)
            .map(|t| (&t.key[IAM_PRINCIPAL_PREFIX.len()..], t.value))
    }
}
