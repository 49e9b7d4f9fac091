//! Normalised record batches: text in dictionary form ([`DictStr`]), maps as key/value
//! entries ([`MapCol`]), doubles and UTC microseconds, with the cells that did not parse
//! ([`CellError`]). Rules and reports read cells through [`Batch`] and never see the encoding.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, DictionaryArray, Float64Array, MapArray, StringArray,
    TimestampMicrosecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType;

use super::cells::cast_str;
use super::Col;

/// A text column in dictionary form: per row a key into the column's distinct values. Parquet
/// dictionary pages arrive this way as they are; other text (CSV, plain-encoded pages) is put
/// into this form per batch. Rules compute facts once per distinct value and look them up by
/// key per row.
#[derive(Debug, Clone)]
pub struct DictStr {
    keys: ScalarBuffer<i32>,
    nulls: Option<NullBuffer>,
    values: StringArray,
}

impl DictStr {
    fn from_dictionary(d: &DictionaryArray<Int32Type>) -> Option<DictStr> {
        let values = cast_str(d.values())?;
        Some(DictStr {
            keys: d.keys().values().clone(),
            nulls: d.keys().nulls().cloned(),
            values,
        })
    }

    /// Any text array (plain, dictionary with any key type, large or view strings).
    pub fn from_array(arr: &ArrayRef) -> Option<DictStr> {
        if let Some(d) = arr.as_dictionary_opt::<Int32Type>() {
            if let Some(out) = DictStr::from_dictionary(d) {
                return Some(out);
            }
        }
        let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        let cast = arrow_cast::cast(arr, &dict).ok()?;
        DictStr::from_dictionary(cast.as_dictionary_opt::<Int32Type>()?)
    }

    /// Number of rows (or map entries).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The key of row `i` (an index into [`DictStr::values`]), `None` when the cell is null.
    #[inline]
    pub fn key(&self, i: usize) -> Option<usize> {
        if self.nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            return None;
        }
        let k = self.keys[i] as usize;
        (k < self.values.len() && !self.values.is_null(k)).then_some(k)
    }

    /// The keys, one per row (arbitrary where the row is null, see [`DictStr::nulls`]).
    pub fn keys(&self) -> &ScalarBuffer<i32> {
        &self.keys
    }

    /// Which rows are null, if any are.
    pub fn nulls(&self) -> Option<&NullBuffer> {
        self.nulls.as_ref()
    }

    /// The distinct values.
    pub fn values(&self) -> &StringArray {
        &self.values
    }

    /// The text of row `i` (`None` for null).
    #[inline]
    pub fn get(&self, i: usize) -> Option<&str> {
        self.key(i).map(|k| self.values.value(k))
    }
}

/// A map column (`tags`, `product`): per row a range of entries, keys and values in
/// dictionary form (a null value reads as the empty string; entries with a null key are
/// skipped).
#[derive(Debug, Clone)]
pub struct MapCol {
    offsets: OffsetBuffer<i32>,
    nulls: Option<NullBuffer>,
    /// Keys, one per entry.
    pub keys: DictStr,
    /// Values, one per entry.
    pub values: DictStr,
}

impl MapCol {
    /// The entries of row `i` (`None` for a null map).
    #[inline]
    pub fn range(&self, i: usize) -> Option<std::ops::Range<usize>> {
        if self.nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            return None;
        }
        Some(self.offsets[i] as usize..self.offsets[i + 1] as usize)
    }

    /// The `(key, value)` pairs of row `i` (`None` for a null map).
    pub fn entries(&self, i: usize) -> Option<impl Iterator<Item = (&str, &str)> + '_> {
        let r = self.range(i)?;
        Some(r.filter_map(move |j| Some((self.keys.get(j)?, self.values.get(j).unwrap_or("")))))
    }

    /// The value of `key` in row `i`, if present.
    pub fn get(&self, i: usize, key: &str) -> Option<&str> {
        self.entries(i)?.find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub(super) fn from_map(m: &MapArray) -> Option<MapCol> {
        Some(MapCol {
            offsets: m.offsets().clone(),
            nulls: m.nulls().cloned(),
            keys: DictStr::from_array(m.keys())?,
            values: DictStr::from_array(m.values())?,
        })
    }

    /// Build from parsed pairs per row (`None` for a null map): CSV JSON cells and tests.
    pub fn from_pairs<'p>(rows: impl IntoIterator<Item = Option<&'p [(String, String)]>>) -> Self {
        let mut offsets = vec![0i32];
        let mut valid = Vec::new();
        let mut keys: Vec<&str> = Vec::new();
        let mut values: Vec<&str> = Vec::new();
        for r in rows {
            valid.push(r.is_some());
            for (k, v) in r.unwrap_or(&[]) {
                keys.push(k);
                values.push(v);
            }
            offsets.push(keys.len() as i32);
        }
        let dict = |v: Vec<&str>| {
            let arr: ArrayRef = Arc::new(StringArray::from(v));
            DictStr::from_array(&arr).expect("text casts to a dictionary")
        };
        MapCol {
            offsets: OffsetBuffer::new(ScalarBuffer::from(offsets)),
            nulls: valid
                .iter()
                .any(|v| !v)
                .then(|| NullBuffer::from(valid.clone())),
            keys: dict(keys),
            values: dict(values),
        }
    }
}

/// One column of a batch, normalised.
#[derive(Debug)]
pub enum ColData {
    /// Text, one string per row (the line item id).
    Str(StringArray),
    /// Text in dictionary form.
    Dict(DictStr),
    /// Doubles.
    F64(Float64Array),
    /// UTC timestamps in microseconds.
    Ts(TimestampMicrosecondArray),
    /// A map column.
    Map(Box<MapCol>),
}

/// A CSV (or string-typed Parquet) cell whose text does not parse as its documented type.
#[derive(Debug, Clone)]
pub struct CellError {
    /// Row within the batch.
    pub row: usize,
    /// Column.
    pub col: Col,
    /// The text found.
    pub raw: String,
    /// The expected type.
    pub expected: &'static str,
}

/// A record batch of the needed columns, normalised.
#[derive(Debug)]
pub struct Batch {
    /// 0-based index of its first row within the file.
    pub first_row: u64,
    /// Rows in the batch.
    pub len: usize,
    pub(super) cols: Vec<Option<ColData>>,
    /// Cells that did not parse.
    pub cell_errors: Vec<CellError>,
}

impl Batch {
    pub(super) fn empty(first_row: u64, len: usize) -> Self {
        Batch {
            first_row,
            len,
            cols: (0..Col::ALL.len()).map(|_| None).collect(),
            cell_errors: Vec::new(),
        }
    }

    /// Build a batch from already-normalised columns (tests and tools).
    pub fn from_columns(first_row: u64, len: usize, cols: Vec<(Col, ColData)>) -> Self {
        let mut b = Batch::empty(first_row, len);
        for (c, d) in cols {
            b.cols[c as usize] = Some(d);
        }
        b
    }

    /// A text cell (`None` for null or an absent column).
    #[inline]
    pub fn str(&self, c: Col, i: usize) -> Option<&str> {
        match self.cols[c as usize].as_ref()? {
            ColData::Str(a) => (!a.is_null(i)).then(|| a.value(i)),
            ColData::Dict(d) => d.get(i),
            _ => None,
        }
    }

    /// A text column read one string per row (the line item id).
    pub fn strings(&self, c: Col) -> Option<&StringArray> {
        match self.cols[c as usize].as_ref()? {
            ColData::Str(a) => Some(a),
            _ => None,
        }
    }

    /// A text column in dictionary form.
    pub fn dict(&self, c: Col) -> Option<&DictStr> {
        match self.cols[c as usize].as_ref()? {
            ColData::Dict(d) => Some(d),
            _ => None,
        }
    }

    /// A double column.
    pub fn f64s(&self, c: Col) -> Option<&Float64Array> {
        match self.cols[c as usize].as_ref()? {
            ColData::F64(a) => Some(a),
            _ => None,
        }
    }

    /// A timestamp column (UTC microseconds).
    pub fn timestamps(&self, c: Col) -> Option<&TimestampMicrosecondArray> {
        match self.cols[c as usize].as_ref()? {
            ColData::Ts(a) => Some(a),
            _ => None,
        }
    }

    /// A double cell.
    #[inline]
    pub fn f64(&self, c: Col, i: usize) -> Option<f64> {
        self.f64s(c)
            .and_then(|a| (!a.is_null(i)).then(|| a.value(i)))
    }

    /// A timestamp cell, UTC microseconds.
    #[inline]
    pub fn ts(&self, c: Col, i: usize) -> Option<i64> {
        self.timestamps(c)
            .and_then(|a| (!a.is_null(i)).then(|| a.value(i)))
    }

    /// A map column.
    pub fn map(&self, c: Col) -> Option<&MapCol> {
        match self.cols[c as usize].as_ref()? {
            ColData::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The `(key, value)` entries of a map cell (`None` for a null map or an absent column).
    pub fn entries(&self, c: Col, i: usize) -> Option<impl Iterator<Item = (&str, &str)> + '_> {
        self.map(c)?.entries(i)
    }

    /// Whether the batch carries a column at all.
    pub fn has(&self, c: Col) -> bool {
        self.cols[c as usize].is_some()
    }
}
