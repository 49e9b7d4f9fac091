//! Dictionary-encoded column chunks written by curlab: the string columns the generator hands
//! over as dictionary arrays (`curlab_generator::batch::dictionary_column`) and the top-level
//! DOUBLE columns.
//!
//! parquet's own writer interns every cell again (hash, probe, compare: a third of
//! `generate`'s CPU, BENCHMARKS.md "Where `generate`'s CPU goes now"); here a string batch
//! entry is looked up by its text once, and each cell's key is then a table lookup; a double
//! is looked up by its bits, after a check against the cell before it (most money columns
//! are 0.0 on every row). The chunk is what
//! the parquet writer makes for a dictionary column: a PLAIN dictionary page, then version 1
//! data pages of at most [`PAGE_ROWS`] rows (RLE definition levels, RLE_DICTIONARY keys), each
//! compressed with the file's codec; page headers, statistics, the column and offset indexes
//! come from the parquet crate's public types. Only the RLE/bit-packed hybrid is ours (the
//! crate keeps its encoder private).

use std::hash::Hasher;
use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type};
use arrow_array::Array;
use arrow_buffer::NullBuffer;
use bytes::Bytes;
use hashbrown::HashTable;
use parquet::basic::{Compression, Encoding, Type};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::data_type::ByteArray;
use parquet::file::metadata::{ColumnChunkMetaData, ColumnIndexBuilder, OffsetIndexBuilder};
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;
use rustc_hash::FxHasher;

/// Rows per data page (as the parquet writer's row count limit).
pub(super) const PAGE_ROWS: usize = 8_192;

/// A data page's rows, null levels and (smallest, largest) entry, for the page index.
type PageStats = (usize, usize, Option<(u32, u32)>);

/// One dictionary column of a row group being encoded.
pub(in crate::export) struct DictColumn {
    descr: ColumnDescPtr,
    codec: Compression,
    /// A DOUBLE column (else BYTE_ARRAY).
    double: bool,
    /// A BYTE_ARRAY column's dictionary page body: PLAIN byte arrays (u32 length, bytes).
    dict: Vec<u8>,
    /// Each entry's text (or 8 bytes) in `dict` (start, length).
    entries: Vec<(usize, usize)>,
    /// Entry by text.
    by_text: HashTable<u32>,
    /// Entry by a double's bits, and the last double's bits and entry.
    by_bits: HashTable<u32>,
    last_bits: Option<(u64, u32)>,
    /// A DOUBLE column's entries.
    doubles: Vec<f64>,
    /// Levels not yet in a page: definition and repetition levels (the latter only under a
    /// map) and the set cells' keys, and the rows they make.
    defs: Vec<u8>,
    reps: Vec<u8>,
    keys: Vec<u32>,
    page_rows: usize,
    max_def: u8,
    max_rep: u8,
    /// Levels written (the chunk's value count).
    levels: usize,
    /// Encoded data pages, waiting for the dictionary page that goes first.
    pages: Vec<CompressedPage>,
    /// Per page: rows, nulls, smallest and largest entry.
    page_stats: Vec<PageStats>,
    /// Entry → last page (+1) that used it, to find each page's distinct entries once.
    seen: Vec<u32>,
    rows: usize,
    nulls: usize,
    /// NaN cells of a DOUBLE column: in the chunk, in the open page.
    nans: u64,
    page_nans: u64,
    /// NaN cells per page.
    page_nan_counts: Vec<u64>,
}

impl DictColumn {
    /// A chunk of column `descr` (a nullable top-level BYTE_ARRAY or DOUBLE leaf), compressed
    /// with `codec`.
    pub(super) fn new(descr: ColumnDescPtr, codec: Compression) -> Self {
        DictColumn {
            max_def: u8::try_from(descr.max_def_level()).unwrap_or(u8::MAX),
            max_rep: u8::try_from(descr.max_rep_level()).unwrap_or(u8::MAX),
            double: descr.physical_type() == Type::DOUBLE,
            descr,
            codec,
            dict: Vec::new(),
            entries: Vec::new(),
            by_text: HashTable::new(),
            by_bits: HashTable::new(),
            last_bits: None,
            doubles: Vec::new(),
            defs: Vec::new(),
            reps: Vec::new(),
            keys: Vec::new(),
            page_rows: 0,
            levels: 0,
            pages: Vec::new(),
            page_stats: Vec::new(),
            seen: Vec::new(),
            rows: 0,
            nulls: 0,
            nans: 0,
            page_nans: 0,
            page_nan_counts: Vec::new(),
        }
    }

    /// Whether this module can compress pages with `codec`.
    pub(super) fn supports(codec: Compression) -> bool {
        matches!(codec, Compression::SNAPPY | Compression::UNCOMPRESSED)
    }

    /// Entries so far.
    fn len(&self) -> usize {
        if self.double {
            self.doubles.len()
        } else {
            self.entries.len()
        }
    }

    /// Entry `k` as PLAIN bytes (a double's 8 bytes, a text's bytes).
    fn bytes_of(&self, k: u32) -> Vec<u8> {
        if self.double {
            self.double_at(k).to_le_bytes().to_vec()
        } else {
            self.entry(k).to_vec()
        }
    }

    /// A BYTE_ARRAY entry's text.
    fn entry(&self, k: u32) -> &[u8] {
        let (s, n) = self.entries[k as usize];
        &self.dict[s..s + n]
    }

    /// Whether entry `a` sorts before entry `b` (bytes unsigned; doubles in IEEE total order).
    fn less(&self, a: u32, b: u32) -> bool {
        if self.double {
            self.double_at(a).total_cmp(&self.double_at(b)).is_lt()
        } else {
            self.entry(a) < self.entry(b)
        }
    }

    fn double_at(&self, k: u32) -> f64 {
        self.doubles[k as usize]
    }

    /// Whether entry `k` takes part in min/max (a NaN does not).
    fn ordered(&self, k: u32) -> bool {
        !(self.double && self.double_at(k).is_nan())
    }

    fn intern_double(&mut self, v: f64) -> Result<u32> {
        let bits = v.to_bits();
        if let Some((b, k)) = self.last_bits {
            if b == bits {
                return Ok(k);
            }
        }
        let doubles = &self.doubles;
        let found = self
            .by_bits
            .find(hash_bits(bits), |&k| doubles[k as usize].to_bits() == bits)
            .copied();
        let k = match found {
            Some(k) => k,
            None => {
                let k = u32::try_from(self.doubles.len())?;
                self.doubles.push(v);
                self.seen.push(0);
                let doubles = &self.doubles;
                self.by_bits.insert_unique(hash_bits(bits), k, |&k| {
                    hash_bits(doubles[k as usize].to_bits())
                });
                k
            }
        };
        self.last_bits = Some((bits, k));
        Ok(k)
    }

    fn intern(&mut self, v: &[u8]) -> Result<u32> {
        let (dict, entries) = (&self.dict, &self.entries);
        let text = |k: u32| {
            let (s, n) = entries[k as usize];
            &dict[s..s + n]
        };
        let h = hash_text(v);
        if let Some(&k) = self.by_text.find(h, |&k| text(k) == v) {
            return Ok(k);
        }
        let k = u32::try_from(self.entries.len())?;
        let n = u32::try_from(v.len())?;
        self.dict.extend_from_slice(&n.to_le_bytes());
        self.entries.push((self.dict.len(), v.len()));
        self.dict.extend_from_slice(v);
        let (dict, entries) = (&self.dict, &self.entries);
        self.by_text.insert_unique(h, k, |&k| {
            let (s, n) = entries[k as usize];
            hash_text(&dict[s..s + n])
        });
        self.seen.push(0);
        Ok(k)
    }

    /// Append `len` cells, null where `nulls` says, the others' entries from `key`; pages close
    /// every [`PAGE_ROWS`] rows.
    fn write_cells(
        &mut self,
        len: usize,
        nulls: Option<&NullBuffer>,
        mut key: impl FnMut(&mut Self, usize) -> Result<u32>,
    ) -> Result<()> {
        let nulls = nulls.filter(|n| n.null_count() > 0);
        let (set, unset) = (self.max_def, self.max_def - 1);
        let mut start = 0;
        while start < len {
            let end = len.min(start + PAGE_ROWS - self.page_rows);
            match nulls {
                None => {
                    self.defs.resize(self.defs.len() + end - start, set);
                    for i in start..end {
                        let k = key(self, i)?;
                        self.keys.push(k);
                    }
                }
                Some(n) => {
                    for i in start..end {
                        if n.is_valid(i) {
                            let k = key(self, i)?;
                            self.keys.push(k);
                            self.defs.push(set);
                        } else {
                            self.defs.push(unset);
                            self.nulls += 1;
                        }
                    }
                }
            }
            self.rows += end - start;
            self.page_rows += end - start;
            self.levels += end - start;
            if self.page_rows == PAGE_ROWS {
                self.flush_page()?;
            }
            start = end;
        }
        Ok(())
    }

    /// Append a `Float64` array's cells.
    fn write_doubles(&mut self, array: &dyn Array) -> Result<()> {
        let a = array
            .as_primitive_opt::<Float64Type>()
            .ok_or_else(|| anyhow!("a DOUBLE column without Float64 values"))?;
        let values = a.values();
        self.write_cells(a.len(), a.nulls(), |c, i| {
            let v = values[i];
            if v.is_nan() {
                c.nans += 1;
                c.page_nans += 1;
            }
            c.intern_double(v)
        })
    }

    /// Append a `Dictionary(UInt32, Utf8)` (or, for a DOUBLE column, `Float64`) array's cells.
    pub(super) fn write(&mut self, array: &dyn Array) -> Result<()> {
        if self.double {
            return self.write_doubles(array);
        }
        let a = array
            .as_dictionary_opt::<UInt32Type>()
            .ok_or_else(|| anyhow!("a dictionary column without UInt32 keys"))?;
        let values = a
            .values()
            .as_string_opt::<i32>()
            .ok_or_else(|| anyhow!("a dictionary column without Utf8 values"))?;
        // Batch entry → chunk entry, looked up on first use.
        let mut map = vec![u32::MAX; values.len()];
        let keys = a.keys().values();
        self.write_cells(a.len(), a.nulls(), |c, i| {
            let k = keys[i] as usize;
            let slot = map
                .get_mut(k)
                .ok_or_else(|| anyhow!("dictionary key {k} out of range"))?;
            if *slot == u32::MAX {
                *slot = c.intern(values.value(k).as_bytes())?;
            }
            Ok(*slot)
        })
    }

    /// Append the keys (or values) of a map column: row `r` has entries
    /// `offsets[r]..offsets[r + 1]` of `entries`, a `Dictionary(UInt32, Utf8)` array. No map is
    /// null (the generator writes an empty map instead).
    pub(super) fn write_map_entries(&mut self, offsets: &[i32], entries: &dyn Array) -> Result<()> {
        let a = entries
            .as_dictionary_opt::<UInt32Type>()
            .ok_or_else(|| anyhow!("map entries without UInt32 dictionary keys"))?;
        let values = a
            .values()
            .as_string_opt::<i32>()
            .ok_or_else(|| anyhow!("map entries without Utf8 values"))?;
        let mut map = vec![u32::MAX; values.len()];
        let keys = a.keys().values();
        let nulls = a.nulls().filter(|n| n.null_count() > 0);
        let (set, unset) = (self.max_def, self.max_def - 1);
        // An empty map is defined down to the map: below the entry and, for an optional leaf
        // (the value), below the leaf's own level.
        let optional = u8::from(self.descr.self_type().is_optional());
        let empty = self.max_def.saturating_sub(1 + optional);
        for w in offsets.windows(2) {
            if self.page_rows == PAGE_ROWS {
                self.flush_page()?;
            }
            let (s, e) = (usize::try_from(w[0])?, usize::try_from(w[1])?);
            if s == e {
                // An empty map: defined down to the map, no entry.
                self.reps.push(0);
                self.defs.push(empty);
                self.nulls += 1;
            }
            for j in s..e {
                self.reps.push(u8::from(j > s));
                if nulls.is_some_and(|n| n.is_null(j)) {
                    self.defs.push(unset);
                    self.nulls += 1;
                    continue;
                }
                let k = *keys
                    .get(j)
                    .ok_or_else(|| anyhow!("map entry {j} out of range"))?
                    as usize;
                let slot = map
                    .get_mut(k)
                    .ok_or_else(|| anyhow!("dictionary key {k} out of range"))?;
                if *slot == u32::MAX {
                    *slot = self.intern(values.value(k).as_bytes())?;
                }
                self.keys.push(*slot);
                self.defs.push(set);
            }
            self.levels += (e - s).max(1);
            self.rows += 1;
            self.page_rows += 1;
        }
        if self.page_rows == PAGE_ROWS {
            self.flush_page()?;
        }
        Ok(())
    }

    /// `range` (smallest, largest entry) widened by entry `k`.
    fn widen(&self, range: Option<(u32, u32)>, k: u32) -> Option<(u32, u32)> {
        if !self.ordered(k) {
            return range;
        }
        Some(match range {
            None => (k, k),
            Some((lo, hi)) => (
                if self.less(k, lo) { k } else { lo },
                if self.less(hi, k) { k } else { hi },
            ),
        })
    }

    /// Key width of the pages: enough bits for every entry so far (at least 1).
    fn key_width(&self) -> u8 {
        let max = self.len().saturating_sub(1) as u32;
        (32 - max.leading_zeros()).max(1) as u8
    }

    fn flush_page(&mut self) -> Result<()> {
        if self.defs.is_empty() {
            return Ok(());
        }
        let mut body = Vec::new();
        if self.max_rep > 0 {
            levels_section(&self.reps, self.max_rep, &mut body)?;
        }
        levels_section(&self.defs, self.max_def, &mut body)?;
        let width = self.key_width();
        body.push(width);
        rle_hybrid(&self.keys, width, &mut body);
        // The page's smallest and largest text, each distinct entry compared once.
        let stamp = u32::try_from(self.page_stats.len() + 1)?;
        let mut range: Option<(u32, u32)> = None;
        for &k in &self.keys {
            if self.seen[k as usize] == stamp {
                continue;
            }
            self.seen[k as usize] = stamp;
            range = self.widen(range, k);
        }
        let levels = self.defs.len();
        self.page_stats
            .push((self.page_rows, levels - self.keys.len(), range));
        self.page_nan_counts
            .push(std::mem::take(&mut self.page_nans));
        let page = Page::DataPage {
            buf: Bytes::new(),
            num_values: u32::try_from(levels)?,
            encoding: Encoding::RLE_DICTIONARY,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        };
        self.pages.push(self.compress(page, body)?);
        self.defs.clear();
        self.reps.clear();
        self.keys.clear();
        self.page_rows = 0;
        Ok(())
    }

    /// `page` with `body`, compressed.
    fn compress(&self, page: Page, body: Vec<u8>) -> Result<CompressedPage> {
        let raw = body.len();
        let buf = Bytes::from(match self.codec {
            Compression::UNCOMPRESSED => body,
            Compression::SNAPPY => snap::raw::Encoder::new().compress_vec(&body)?,
            c => bail!("dictionary chunks do not support {c}"),
        });
        Ok(CompressedPage::new(
            match page {
                Page::DataPage {
                    num_values,
                    encoding,
                    def_level_encoding,
                    rep_level_encoding,
                    statistics,
                    ..
                } => Page::DataPage {
                    buf,
                    num_values,
                    encoding,
                    def_level_encoding,
                    rep_level_encoding,
                    statistics,
                },
                Page::DictionaryPage {
                    num_values,
                    encoding,
                    is_sorted,
                    ..
                } => Page::DictionaryPage {
                    buf,
                    num_values,
                    encoding,
                    is_sorted,
                },
                other => other,
            },
            raw,
        ))
    }

    /// The encoded chunk (bytes from offset 0) and what the row group writer needs to splice it.
    pub(super) fn finish(mut self) -> Result<(Bytes, ColumnCloseResult)> {
        self.flush_page()?;
        let dict_page = Page::DictionaryPage {
            buf: Bytes::new(),
            num_values: u32::try_from(self.len())?,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        };
        let body = if self.double {
            self.doubles.iter().flat_map(|v| v.to_le_bytes()).collect()
        } else {
            self.dict.clone()
        };
        let dict_page = self.compress(dict_page, body)?;
        let mut sink = TrackedWrite::new(Vec::new());
        let mut offsets = OffsetIndexBuilder::new();
        let mut index = ColumnIndexBuilder::new(self.descr.physical_type());
        let (mut compressed, mut uncompressed) = (0usize, 0usize);
        let mut data_offset = 0i64;
        {
            let mut w = SerializedPageWriter::new(&mut sink);
            let spec = w.write_page(dict_page)?;
            compressed += spec.compressed_size;
            uncompressed += spec.uncompressed_size;
            let pages = std::mem::take(&mut self.pages);
            for ((page, &(rows, nulls, range)), &nans) in pages
                .into_iter()
                .zip(&self.page_stats)
                .zip(&self.page_nan_counts)
            {
                let spec = w.write_page(page)?;
                if data_offset == 0 {
                    data_offset = i64::try_from(spec.offset)?;
                }
                compressed += spec.compressed_size;
                uncompressed += spec.uncompressed_size;
                offsets.append_row_count(i64::try_from(rows)?);
                offsets.append_offset_and_size(
                    i64::try_from(spec.offset)?,
                    i32::try_from(spec.bytes_written)?,
                );
                let (lo, hi) = match range {
                    Some((lo, hi)) => (self.bytes_of(lo), self.bytes_of(hi)),
                    None => (Vec::new(), Vec::new()),
                };
                let nans = self.double.then_some(i64::try_from(nans)?);
                index.append(range.is_none(), lo, hi, i64::try_from(nulls)?, nans);
            }
            w.close()?;
        }
        let bytes = Bytes::from(sink.into_inner()?);
        // The chunk's smallest and largest text: over the entries (each one is used).
        let range = (0..self.len() as u32).fold(None, |r, k| self.widen(r, k));
        let nulls = Some(self.nulls as u64);
        let stats: Statistics = if self.double {
            ValueStatistics::new(
                range.map(|(lo, _)| self.double_at(lo)),
                range.map(|(_, hi)| self.double_at(hi)),
                None,
                nulls,
                false,
            )
            .with_nan_count(Some(self.nans))
            .with_backwards_compatible_min_max(true)
            .into()
        } else {
            let text = |k: u32| ByteArray::from(self.entry(k).to_vec());
            Statistics::new(
                range.map(|(lo, _)| text(lo)),
                range.map(|(_, hi)| text(hi)),
                None,
                nulls,
                false,
            )
        };
        let metadata = ColumnChunkMetaData::builder(Arc::clone(&self.descr))
            .set_compression(self.codec)
            .set_encodings(vec![
                Encoding::PLAIN,
                Encoding::RLE,
                Encoding::RLE_DICTIONARY,
            ])
            .set_total_compressed_size(i64::try_from(compressed)?)
            .set_total_uncompressed_size(i64::try_from(uncompressed)?)
            .set_num_values(i64::try_from(self.levels)?)
            .set_dictionary_page_offset(Some(0))
            .set_data_page_offset(data_offset)
            .set_statistics(stats)
            .build()?;
        let close = ColumnCloseResult {
            bytes_written: bytes.len() as u64,
            rows_written: self.rows as u64,
            metadata,
            bloom_filter: None,
            column_index: Some(index.build()?),
            offset_index: Some(offsets.build()),
        };
        Ok((bytes, close))
    }
}

/// The hash of a double's bits in [`DictColumn`]'s table.
fn hash_bits(bits: u64) -> u64 {
    let mut h = FxHasher::default();
    h.write_u64(bits);
    h.finish()
}

/// The hash of a text in [`DictColumn`]'s table.
fn hash_text(v: &[u8]) -> u64 {
    let mut h = FxHasher::default();
    h.write(v);
    h.finish()
}

/// A data page v1 levels section: the u32 length, then the levels RLE/bit-packed at the width
/// of `max`.
fn levels_section(levels: &[u8], max: u8, out: &mut Vec<u8>) -> Result<()> {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    rle_hybrid(levels, (8 - max.leading_zeros()) as u8, out);
    let len = u32::try_from(out.len() - at - 4)?;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    Ok(())
}

/// Parquet's RLE / bit-packed hybrid encoding of `values`, each `width` bits (1..=32), appended
/// to `out` without a length prefix: runs of 8 or more equal values as RLE runs, the rest
/// bit-packed in groups of 8 (the last group padded with zeros, which readers ignore as they
/// know the value count).
pub(super) fn rle_hybrid<T: Copy + PartialEq + Into<u32>>(
    values: &[T],
    width: u8,
    out: &mut Vec<u8>,
) {
    let mut literal = 0; // first value not yet written
    let mut i = 0;
    while i < values.len() {
        let v = values[i];
        let mut j = i + 1;
        while j < values.len() && values[j] == v {
            j += 1;
        }
        // A run can start only where the pending literal values fill whole groups of 8.
        let align = (8 - (i - literal) % 8) % 8;
        if j - i >= align + 8 {
            bit_packed(&values[literal..i + align], width, out);
            rle_run(v, j - i - align, width, out);
            literal = j;
        }
        i = j;
    }
    bit_packed(&values[literal..], width, out);
}

fn uleb128(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn rle_run<T: Into<u32>>(v: T, count: usize, width: u8, out: &mut Vec<u8>) {
    uleb128((count as u64) << 1, out);
    out.extend_from_slice(&v.into().to_le_bytes()[..usize::from(width).div_ceil(8)]);
}

/// Bit-packed runs of at most 63 groups of 8 values (as other writers keep them).
fn bit_packed<T: Copy + Into<u32>>(values: &[T], width: u8, out: &mut Vec<u8>) {
    for run in values.chunks(63 * 8) {
        let groups = run.len().div_ceil(8);
        uleb128(((groups as u64) << 1) | 1, out);
        let (mut acc, mut bits) = (0u64, 0u32);
        for g in 0..groups * 8 {
            acc |= u64::from(run.get(g).map_or(0, |&v| v.into())) << bits;
            bits += u32::from(width);
            while bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
    }
}

#[cfg(test)]
#[path = "dict_chunk_tests.rs"]
mod tests;
