//! Dictionary-encoded string columns (`Dictionary(UInt32, Utf8)`) for the Parquet writer.
//!
//! Most string cells borrow one of a few shared strings (a SKU's fields, an account's id, a
//! constant), so a cell's key is found by the string's address and length, not its bytes: no
//! hashing or comparing of text per row. Two entries may hold equal text (two SKUs with the
//! same region); the Parquet writer merges them by content, once per entry, not per row.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::types::UInt32Type;
use arrow_array::{ArrayRef, DictionaryArray, MapArray, StructArray, UInt32Array};
use arrow_buffer::{NullBufferBuilder, OffsetBuffer};
use arrow_schema::{ArrowError, DataType, Field, Fields};
use rustc_hash::FxHashMap;

use super::{
    dictionary_type, interval, map_cell, net_rate_e10, string_cell, subscription_id, BatchContext,
    M, S,
};
use crate::rows::{format_rate, Row, Sku};
use crate::time::Ts;

/// Keys and entries of one dictionary column being built.
struct Builder {
    keys: Vec<u32>,
    nulls: NullBufferBuilder,
    values: StringBuilder,
    /// Entries appended to `values`.
    entries: u32,
    /// Entry of a borrowed string by (address, length).
    by_address: FxHashMap<(usize, usize), u32>,
    /// The last borrowed string's (address, length) and key: consecutive rows mostly agree.
    last: Option<((usize, usize), u32)>,
    /// Entry of a text made from a number (a rate, an invoice's period), and the last one.
    by_number: FxHashMap<i64, u32>,
    last_number: Option<(i64, u32)>,
}

impl Builder {
    fn new(rows: usize) -> Self {
        Builder {
            keys: Vec::with_capacity(rows),
            nulls: NullBufferBuilder::new(rows),
            values: StringBuilder::new(),
            entries: 0,
            by_address: FxHashMap::default(),
            last: None,
            by_number: FxHashMap::default(),
            last_number: None,
        }
    }

    fn key(&mut self, k: u32) {
        self.keys.push(k);
        self.nulls.append_non_null();
    }

    /// A cell borrowing `v` (alive for the whole batch, so its address names its text).
    fn borrowed(&mut self, v: &str) {
        let id = (v.as_ptr() as usize, v.len());
        if let Some((last, k)) = self.last {
            if last == id {
                return self.key(k);
            }
        }
        let next = self.keys_len();
        let k = *self.by_address.entry(id).or_insert(next);
        if k == next {
            self.values.append_value(v);
            self.entries += 1;
        }
        self.last = Some((id, k));
        self.key(k);
    }

    /// A cell whose text follows from `n` alone, made by `text` the first time `n` is seen.
    fn numbered(&mut self, n: i64, text: impl FnOnce() -> String) {
        if let Some((last, k)) = self.last_number {
            if last == n {
                return self.key(k);
            }
        }
        let next = self.keys_len();
        let k = *self.by_number.entry(n).or_insert(next);
        if k == next {
            self.values.append_value(text());
            self.entries += 1;
        }
        self.last_number = Some((n, k));
        self.key(k);
    }

    /// A cell with text of its own: a new entry.
    fn owned(&mut self, v: &str) {
        let k = self.keys_len();
        self.values.append_value(v);
        self.entries += 1;
        self.key(k);
    }

    fn keys_len(&self) -> u32 {
        self.entries
    }

    fn null(&mut self) {
        self.keys.push(0);
        self.nulls.append_null();
    }

    fn finish(mut self) -> ArrayRef {
        let keys = UInt32Array::new(self.keys.into(), self.nulls.finish());
        let values = Arc::new(self.values.finish());
        // Every key indexes an entry appended before it.
        Arc::new(DictionaryArray::<UInt32Type>::new(keys, values))
    }
}

/// Map column `kind` of `rows` with its keys and values as dictionary arrays (the strings
/// are borrowed from shared pairs: a SKU's product map, a tag table's tags).
pub(super) fn map_column(kind: M, rows: &[Row]) -> Result<ArrayRef, ArrowError> {
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    offsets.push(0i32);
    let (mut keys, mut values) = (Builder::new(rows.len()), Builder::new(rows.len()));
    let mut n = 0usize;
    for r in rows {
        for (k, v) in map_cell(kind, r) {
            keys.borrowed(k);
            values.borrowed(v);
        }
        n += map_cell(kind, r).len();
        offsets
            .push(i32::try_from(n).map_err(|_| ArrowError::ComputeError("map too large".into()))?);
    }
    let key_type = dictionary_type();
    let fields: Fields = vec![
        Field::new("key", key_type.clone(), false),
        Field::new("value", key_type, true),
    ]
    .into();
    let entries = StructArray::try_new(fields.clone(), vec![keys.finish(), values.finish()], None)?;
    let field = Arc::new(Field::new("key_value", DataType::Struct(fields), false));
    Ok(Arc::new(MapArray::try_new(
        field,
        OffsetBuffer::new(offsets.into()),
        entries,
        None,
        false,
    )?))
}

/// Column `kind` of `rows` as a dictionary array.
pub(super) fn string_column(ctx: &BatchContext, kind: Option<S>, rows: &[Row]) -> ArrayRef {
    let mut b = Builder::new(rows.len());
    match kind {
        None => rows.iter().for_each(|_| b.null()),
        Some(S::TimeInterval) => {
            // Rows of one bucket share their interval: one entry per run.
            let mut last: Option<(Ts, Ts, u32)> = None;
            for r in rows {
                match last {
                    Some((s, e, k)) if s == r.start && e == r.end => b.key(k),
                    _ => {
                        let k = b.keys_len();
                        b.owned(&interval(r.start, r.end));
                        last = Some((r.start, r.end, k));
                    }
                }
            }
        }
        Some(S::SubscriptionId) => {
            // Consecutive rows mostly share their account and SKU: one entry per run.
            let mut last: Option<(usize, *const Sku, u32)> = None;
            for r in rows {
                if !r.kind.usage_like() {
                    b.null();
                    continue;
                }
                let sku = Arc::as_ptr(&r.sku);
                match last {
                    Some((a, p, k)) if a == r.account && p == sku => b.key(k),
                    _ => {
                        let k = b.keys_len();
                        b.owned(&subscription_id(ctx, r));
                        last = Some((r.account, sku, k));
                    }
                }
            }
        }
        Some(S::Rate | S::PublicRate | S::NetRate) => {
            let kind = kind.unwrap_or(S::Rate);
            for r in rows {
                let rate = match kind {
                    _ if !r.kind.is_usage() => None,
                    S::Rate => Some(r.sku.rate_e10),
                    S::PublicRate => r.sku.public_rate_e10,
                    _ => net_rate_e10(r),
                };
                match rate {
                    Some(v) => b.numbered(v, || format_rate(v)),
                    None => b.null(),
                }
            }
        }
        Some(S::InvoiceId) => {
            for r in rows {
                if ctx.invoice_finalized && !ctx.periods[r.period].open {
                    let n = 2 * r.period as i64 + i64::from(r.late);
                    b.numbered(n, || {
                        string_cell(ctx, S::InvoiceId, r).map_or_else(String::new, Cow::into_owned)
                    });
                } else {
                    b.null();
                }
            }
        }
        Some(k) => {
            for r in rows {
                match string_cell(ctx, k, r) {
                    Some(Cow::Borrowed(v)) => b.borrowed(v),
                    Some(Cow::Owned(v)) => b.owned(&v),
                    None => b.null(),
                }
            }
        }
    }
    b.finish()
}
