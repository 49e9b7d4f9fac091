//! Reading data files into Arrow record batches of the columns the selected rules need.
//!
//! Parquet is read with a projection to those columns, one row group per task, batch by batch.
//! CSV (plain or gzip) is streamed into the same Arrow types: doubles, UTC timestamps in
//! microseconds, strings; map columns are JSON objects in CSV and Parquet `MAP`s otherwise, and
//! both become key/value pairs so rules never care about the encoding.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, TimestampMicrosecondType};
use arrow_array::{
    Array, ArrayRef, DictionaryArray, Float64Array, MapArray, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields, Schema, TimeUnit};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use curlab_vocab::columns::{column, ColumnType};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::ProjectionMask;

use crate::error::Error;
use crate::input::{DataFile, Format};

/// Rows per record batch.
pub const BATCH_ROWS: usize = 8192;

/// The columns the verifier reads (a small subset of the 131).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Col {
    /// `bill_billing_entity`
    BillingEntity,
    /// `bill_billing_period_start_date`
    PeriodStart,
    /// `identity_line_item_id`
    LineItemId,
    /// `identity_time_interval` (the line item's hour, day or month; CT004 keys on it)
    TimeInterval,
    /// `line_item_iam_principal`
    Principal,
    /// `line_item_line_item_type`
    LineItemType,
    /// `line_item_operation`
    Operation,
    /// `line_item_product_code`
    ProductCode,
    /// `line_item_unblended_cost`
    UnblendedCost,
    /// `line_item_unblended_rate`
    UnblendedRate,
    /// `line_item_usage_account_id`
    UsageAccount,
    /// `line_item_usage_amount`
    UsageAmount,
    /// `line_item_usage_end_date`
    UsageEnd,
    /// `line_item_usage_start_date`
    UsageStart,
    /// `line_item_usage_type`
    UsageType,
    /// `pricing_unit`
    PricingUnit,
    /// `product` (only `product['product_name']` is kept)
    Product,
    /// `product_product_family`
    ProductFamily,
    /// `tags`
    Tags,
}

impl Col {
    /// Every column the verifier can read.
    pub const ALL: [Col; 19] = [
        Col::BillingEntity,
        Col::PeriodStart,
        Col::LineItemId,
        Col::TimeInterval,
        Col::Principal,
        Col::LineItemType,
        Col::Operation,
        Col::ProductCode,
        Col::UnblendedCost,
        Col::UnblendedRate,
        Col::UsageAccount,
        Col::UsageAmount,
        Col::UsageEnd,
        Col::UsageStart,
        Col::UsageType,
        Col::PricingUnit,
        Col::Product,
        Col::ProductFamily,
        Col::Tags,
    ];

    /// The CUR 2.0 column name.
    pub fn name(self) -> &'static str {
        match self {
            Col::BillingEntity => "bill_billing_entity",
            Col::PeriodStart => "bill_billing_period_start_date",
            Col::LineItemId => "identity_line_item_id",
            Col::TimeInterval => "identity_time_interval",
            Col::Principal => "line_item_iam_principal",
            Col::LineItemType => "line_item_line_item_type",
            Col::Operation => "line_item_operation",
            Col::ProductCode => "line_item_product_code",
            Col::UnblendedCost => "line_item_unblended_cost",
            Col::UnblendedRate => "line_item_unblended_rate",
            Col::UsageAccount => "line_item_usage_account_id",
            Col::UsageAmount => "line_item_usage_amount",
            Col::UsageEnd => "line_item_usage_end_date",
            Col::UsageStart => "line_item_usage_start_date",
            Col::UsageType => "line_item_usage_type",
            Col::PricingUnit => "pricing_unit",
            Col::Product => "product",
            Col::ProductFamily => "product_product_family",
            Col::Tags => "tags",
        }
    }

    /// The column for a CUR 2.0 name.
    pub fn from_name(name: &str) -> Option<Col> {
        Col::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Whether the column is read in dictionary form (one key per row into its distinct
    /// values), so the rules can work out facts once per distinct value. Every text column the
    /// verifier reads repeats heavily except the line item id.
    pub fn dictionary(self) -> bool {
        self != Col::LineItemId && self.ty() == ColumnType::Str
    }

    /// The documented type.
    pub fn ty(self) -> ColumnType {
        column(self.name()).map(|c| c.ty).unwrap_or(ColumnType::Str)
    }
}

/// The physical type a file gives a column, as far as the rules care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// Text (Parquet string types).
    Str,
    /// Floating point.
    Double,
    /// A timestamp of any unit.
    Timestamp,
    /// A map.
    Map,
    /// CSV text: any documented type is acceptable at schema level.
    Text,
    /// An all-null column without a type: compatible with anything.
    Null,
    /// Anything else, with its Arrow type name.
    Other(String),
}

impl Found {
    fn of(dt: &DataType) -> Found {
        match dt {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Found::Str,
            DataType::Dictionary(_, v) if matches!(**v, DataType::Utf8 | DataType::LargeUtf8) => {
                Found::Str
            }
            DataType::Float64 | DataType::Float32 => Found::Double,
            DataType::Timestamp(_, _) => Found::Timestamp,
            DataType::Map(_, _) => Found::Map,
            DataType::Null => Found::Null,
            other => Found::Other(other.to_string()),
        }
    }

    /// The type name a manifest would use for it.
    pub fn manifest_name(&self) -> &str {
        match self {
            Found::Str => "string",
            Found::Double => "double",
            Found::Timestamp => "timestamp",
            Found::Map => "map",
            Found::Text | Found::Null => "",
            Found::Other(s) => s,
        }
    }

    /// Whether this physical type is acceptable for a documented type.
    pub fn fits(&self, ty: ColumnType) -> bool {
        match self {
            Found::Text | Found::Null => true,
            Found::Str => ty == ColumnType::Str,
            Found::Double => ty == ColumnType::Double,
            Found::Timestamp => ty == ColumnType::Timestamp,
            Found::Map => ty.is_map(),
            Found::Other(_) => false,
        }
    }
}

/// The CUR 2.0 name a mis-cased or CUR-1 style name stands for (`lineItem/UsageType` →
/// `line_item_usage_type`, `savingsPlan/SavingsPlanARN` → `savings_plan_savings_plan_a_r_n`,
/// `Line_Item_Usage_Type` → `line_item_usage_type`).
pub fn canonical_name(name: &str) -> Option<&'static str> {
    let candidate = if name.contains('/') {
        name.split('/').map(snake).collect::<Vec<_>>().join("_")
    } else {
        name.to_ascii_lowercase()
    };
    column(&candidate).map(|c| c.name)
}

/// A legacy CUR name part in CUR 2.0 spelling, the way AWS converts them: every capital
/// letter but a leading one starts a new `_`-separated word (`UsageAccountId` →
/// `usage_account_id`, `SavingsPlanARN` → `savings_plan_a_r_n`, `publicOnDemandCost` →
/// `public_on_demand_cost`).
fn snake(part: &str) -> String {
    let mut out = String::with_capacity(part.len() + 4);
    for (i, c) in part.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A data file's columns and where the verifier finds the ones it knows.
#[derive(Debug, Clone, Default)]
pub struct FileSchema {
    /// Columns in file order: name as written, physical type.
    pub columns: Vec<(String, Found)>,
    /// Known column name → index in `columns` (exact name, or a mis-cased one).
    index: HashMap<&'static str, usize>,
    /// Names written in the wrong case or CUR-1 style, with the name they stand for.
    pub miscased: Vec<(String, &'static str)>,
}

impl FileSchema {
    /// Build from column names and types.
    pub fn new(columns: Vec<(String, Found)>) -> Self {
        let mut index = HashMap::new();
        let mut miscased = Vec::new();
        for (i, (name, _)) in columns.iter().enumerate() {
            if let Some(c) = column(name) {
                index.insert(c.name, i);
            }
        }
        for (i, (name, _)) in columns.iter().enumerate() {
            if column(name).is_some() {
                continue;
            }
            if let Some(canon) = canonical_name(name) {
                miscased.push((name.clone(), canon));
                index.entry(canon).or_insert(i);
            }
        }
        FileSchema {
            columns,
            index,
            miscased,
        }
    }

    /// Whether a known column can be read (under its name or a mis-cased one).
    pub fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// Index of a known column.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    /// Physical type of a known column.
    pub fn found(&self, name: &str) -> Option<&Found> {
        self.index_of(name).map(|i| &self.columns[i].1)
    }
}

/// A file opened for reading: its schema and, for Parquet, its row groups.
#[derive(Debug, Clone)]
pub struct Opened {
    /// Its columns.
    pub schema: FileSchema,
    /// Rows per row group (Parquet); empty for CSV.
    pub row_groups: Vec<u64>,
    parquet: Option<ArrowReaderMetadata>,
}

fn parquet_error(file: &DataFile, e: impl std::fmt::Display) -> Error {
    Error::read(
        &file.path,
        format!("not a readable Parquet file: {e}"),
        "re-download the file; a truncated or partially written object cannot be read",
    )
}

/// Open a data file and read its schema (Parquet footer or CSV header).
pub fn open(file: &DataFile) -> Result<Opened, Error> {
    match file.format {
        Format::Parquet => {
            let f = File::open(&file.path).map_err(|e| {
                Error::read(
                    &file.path,
                    format!("cannot open: {e}"),
                    "check the path and its permissions",
                )
            })?;
            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
            let natural = crate::guard::catch(|| ArrowReaderMetadata::load(&f, Default::default()))
                .map_err(|panic| format!("the Parquet reader failed: {panic}"))
                .and_then(|r| r.map_err(|e| e.to_string()))
                .map_err(|e| Error::Read {
                    path: file.path.clone(),
                    problem: format!("not a readable Parquet file: {e}"),
                    place: Some(format!("footer; the file is {len} bytes")),
                    fix: "re-download the file; a truncated or partially written object cannot be read".into(),
                })?;
            let columns = natural
                .schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), Found::of(f.data_type())))
                .collect();
            let row_groups = natural
                .metadata()
                .row_groups()
                .iter()
                .map(|rg| rg.num_rows().max(0) as u64)
                .collect();
            let schema = FileSchema::new(columns);
            let meta = with_dictionaries(&natural, &schema).unwrap_or(natural);
            Ok(Opened {
                schema,
                row_groups,
                parquet: Some(meta),
            })
        }
        Format::Csv { gzip } => {
            let mut reader = csv_reader(file, gzip)?;
            let headers = reader.byte_headers().map_err(|e| csv_error(file, e))?;
            if headers.iter().all(|h| h.is_empty()) {
                return Err(Error::Read {
                    path: file.path.clone(),
                    problem: "the CSV has no header row (the file is empty or blank)".into(),
                    place: Some("line 1".into()),
                    fix: "re-download the file; Data Exports writes one header row of column names"
                        .into(),
                });
            }
            let columns = headers
                .iter()
                .map(|h| {
                    (
                        String::from_utf8_lossy(h)
                            .trim_start_matches('\u{feff}')
                            .to_string(),
                        Found::Text,
                    )
                })
                .collect();
            Ok(Opened {
                schema: FileSchema::new(columns),
                row_groups: Vec::new(),
                parquet: None,
            })
        }
    }
}

/// The file's Arrow schema with the text columns the verifier reads (and the keys and values
/// of its map columns) asked for as `Dictionary(Int32, Utf8)`: the Parquet reader then hands
/// over the column chunk's dictionary and one key per row instead of a string per row. `None`
/// when the file has no such column or the reader refuses the hint (the natural schema is
/// used then; every string column is still turned into dictionary form per batch).
fn with_dictionaries(
    meta: &ArrowReaderMetadata,
    schema: &FileSchema,
) -> Option<ArrowReaderMetadata> {
    let dict = || DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let mut changed = false;
    let fields: Vec<Field> = meta
        .schema()
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let col = Col::ALL
                .into_iter()
                .find(|c| schema.index_of(c.name()) == Some(i));
            let hinted = match (col, f.data_type()) {
                (Some(c), DataType::Utf8) if c.dictionary() => Some(dict()),
                (Some(c), DataType::Map(entries, sorted)) if c.ty().is_map() => {
                    match entries.data_type() {
                        DataType::Struct(kv)
                            if kv.len() == 2
                                && kv[0].data_type() == &DataType::Utf8
                                && kv[1].data_type() == &DataType::Utf8 =>
                        {
                            let kv: Fields = vec![
                                kv[0].as_ref().clone().with_data_type(dict()),
                                kv[1].as_ref().clone().with_data_type(dict()),
                            ]
                            .into();
                            Some(DataType::Map(
                                Arc::new(
                                    entries
                                        .as_ref()
                                        .clone()
                                        .with_data_type(DataType::Struct(kv)),
                                ),
                                *sorted,
                            ))
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            match hinted {
                Some(dt) => {
                    changed = true;
                    f.as_ref().clone().with_data_type(dt)
                }
                None => f.as_ref().clone(),
            }
        })
        .collect();
    if !changed {
        return None;
    }
    let hint = Arc::new(Schema::new_with_metadata(
        fields,
        meta.schema().metadata().clone(),
    ));
    ArrowReaderMetadata::try_new(
        meta.metadata().clone(),
        ArrowReaderOptions::new().with_schema(hint),
    )
    .ok()
}

fn csv_reader(file: &DataFile, gzip: bool) -> Result<csv::Reader<Box<dyn Read>>, Error> {
    let f = File::open(&file.path).map_err(|e| {
        Error::read(
            &file.path,
            format!("cannot open: {e}"),
            "check the path and its permissions",
        )
    })?;
    let inner: Box<dyn Read> = if gzip {
        Box::new(crate::guard::LineLimit::new(
            flate2::read::MultiGzDecoder::new(BufReader::new(f)),
        ))
    } else {
        Box::new(crate::guard::LineLimit::new(BufReader::new(f)))
    };
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(inner))
}

/// [`csv_error`], but for a gzip file whose text did not parse the rest of the stream is read
/// first: a corrupt deflate stream can decode to garbled rows before its checksum fails, and
/// then the corruption, not the garbled row, is the error to report.
fn csv_error_in(
    file: &DataFile,
    e: csv::Error,
    reader: csv::Reader<Box<dyn Read>>,
    gzip: bool,
) -> Error {
    if !gzip || matches!(e.kind(), csv::ErrorKind::Io(_)) {
        return csv_error(file, e);
    }
    let mut rest = reader.into_inner();
    match std::io::copy(&mut rest, &mut std::io::sink()) {
        Ok(_) => csv_error(file, e),
        Err(io) => {
            let garbled = csv_error(file, e);
            let (shown, place) = match garbled {
                Error::Read { problem, place, .. } => (problem, place),
                other => (other.to_string(), None),
            };
            Error::Read {
                path: file.path.clone(),
                problem: format!(
                    "cannot read CSV: the gzip stream is corrupt ({io}); before that its \
                     garbled text gave: {shown}"
                ),
                place,
                fix: "re-download the file; it is corrupt or truncated".into(),
            }
        }
    }
}

fn csv_error(file: &DataFile, e: csv::Error) -> Error {
    let place = e
        .position()
        .map(|p| format!("line {}, record {}", p.line(), p.record()));
    let problem = match e.kind() {
        csv::ErrorKind::Io(io) => format!("cannot read CSV: {io} (a truncated gzip stream?)"),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("CSV record has {len} fields, the header has {expected_len}")
        }
        _ => format!("invalid CSV: {e}"),
    };
    Error::Read {
        path: file.path.clone(),
        problem,
        place,
        fix: "re-download the file; Data Exports writes RFC 4180 CSV with one header row".into(),
    }
}

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

    fn from_map(m: &MapArray) -> Option<MapCol> {
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
    cols: Vec<Option<ColData>>,
    /// Cells that did not parse.
    pub cell_errors: Vec<CellError>,
}

impl Batch {
    fn empty(first_row: u64, len: usize) -> Self {
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

/// Parse a CUR timestamp: `2026-04-20T10:00:00.000Z`, `2026-04-20T10:00:00Z`, with an offset,
/// with a space instead of `T`, or a bare date. Returns UTC microseconds.
pub fn parse_ts(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.timestamp_micros());
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.fZ",
        "%Y-%m-%d %H:%M:%S UTC",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(d.and_utc().timestamp_micros());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_micros())
}

/// Parse a JSON object (a CSV map cell) into pairs; non-string values keep their JSON text.
pub fn parse_json_map(s: &str) -> Result<Vec<(String, String)>, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| e.to_string())?;
    match v {
        serde_json::Value::Object(m) => Ok(m
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect()),
        _ => Err("not a JSON object".into()),
    }
}

/// One unit of work: a whole CSV file, or one Parquet row group.
#[derive(Debug, Clone, Copy)]
pub struct Task {
    /// Index of the file.
    pub file: usize,
    /// Row group (Parquet), `None` for CSV.
    pub row_group: Option<usize>,
    /// 0-based index of the task's first row in the file.
    pub first_row: u64,
}

/// The tasks of one opened file.
pub fn tasks_of(file_index: usize, opened: &Opened) -> Vec<Task> {
    if opened.parquet.is_none() {
        return vec![Task {
            file: file_index,
            row_group: None,
            first_row: 0,
        }];
    }
    let mut first = 0;
    opened
        .row_groups
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let t = Task {
                file: file_index,
                row_group: Some(i),
                first_row: first,
            };
            first += n;
            t
        })
        .collect()
}

/// Read one task's batches of the `needed` columns, handing each to `sink`.
pub fn read_task(
    file: &DataFile,
    opened: &Opened,
    task: &Task,
    needed: &[Col],
    sink: &mut dyn FnMut(Batch),
) -> Result<(), Error> {
    match (&opened.parquet, task.row_group) {
        (Some(meta), Some(rg)) => {
            read_parquet(file, opened, meta, rg, task.first_row, needed, sink)
        }
        _ => read_csv(file, opened, needed, sink),
    }
}

fn read_parquet(
    file: &DataFile,
    opened: &Opened,
    meta: &ArrowReaderMetadata,
    rg: usize,
    first_row: u64,
    needed: &[Col],
    sink: &mut dyn FnMut(Batch),
) -> Result<(), Error> {
    let wanted: Vec<(Col, usize)> = needed
        .iter()
        .filter_map(|c| opened.schema.index_of(c.name()).map(|i| (*c, i)))
        .collect();
    let mut roots: Vec<usize> = wanted.iter().map(|(_, i)| *i).collect();
    roots.sort_unstable();
    roots.dedup();
    let f = File::open(&file.path).map_err(|e| {
        Error::read(
            &file.path,
            format!("cannot open: {e}"),
            "check the path and its permissions",
        )
    })?;
    let mask = ProjectionMask::roots(meta.metadata().file_metadata().schema_descr(), roots);
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(f, meta.clone())
        .with_projection(mask)
        .with_row_groups(vec![rg])
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| parquet_error(file, e))?;
    let mut next = first_row;
    for rb in reader {
        let rb = rb.map_err(|e| {
            let text = e.to_string();
            // A codec left out of this build (curlab reads SNAPPY, as AWS writes, and ZSTD).
            let codec = text.contains("Disabled feature") || text.contains("not supported");
            Error::Read {
                path: file.path.clone(),
                problem: if codec {
                    format!("uses a compression codec curlab does not read: {text}")
                } else {
                    format!("cannot decode Parquet data: {text}")
                },
                place: Some(format!("row group {rg}, near row {}", next + 1)),
                fix: if codec {
                    "rewrite the file with SNAPPY (what Data Exports writes) or ZSTD compression"
                        .into()
                } else {
                    "re-download the file; it is corrupt or truncated".into()
                },
            }
        })?;
        let batch = normalise_parquet(&rb, &wanted, &opened.schema, next);
        next += rb.num_rows() as u64;
        sink(batch);
    }
    Ok(())
}

fn normalise_parquet(
    rb: &RecordBatch,
    wanted: &[(Col, usize)],
    schema: &FileSchema,
    first_row: u64,
) -> Batch {
    let mut b = Batch::empty(first_row, rb.num_rows());
    for (col, idx) in wanted {
        let name = &schema.columns[*idx].0;
        let Some(arr) = rb.column_by_name(name) else {
            continue;
        };
        b.cols[*col as usize] = normalise_array(*col, arr, &mut b.cell_errors);
    }
    b
}

fn cast_str(arr: &ArrayRef) -> Option<StringArray> {
    if let Some(s) = arr.as_any().downcast_ref::<StringArray>() {
        return Some(s.clone());
    }
    arrow_cast::cast(arr, &DataType::Utf8)
        .ok()
        .map(|a| a.as_string::<i32>().clone())
}

fn normalise_array(col: Col, arr: &ArrayRef, errors: &mut Vec<CellError>) -> Option<ColData> {
    match col.ty() {
        ColumnType::Str if col.dictionary() => DictStr::from_array(arr).map(ColData::Dict),
        ColumnType::Str => cast_str(arr).map(ColData::Str),
        ColumnType::Double => match arr.data_type() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                cast_str(arr).map(|s| ColData::F64(parse_doubles(col, &s, errors)))
            }
            _ => arrow_cast::cast(arr, &DataType::Float64).ok().map(|a| {
                let p = a.as_primitive::<arrow_array::types::Float64Type>().clone();
                ColData::F64(finite_only(col, p, errors))
            }),
        },
        ColumnType::Timestamp => match arr.data_type() {
            DataType::Timestamp(_, tz) => {
                arrow_cast::cast(arr, &DataType::Timestamp(TimeUnit::Microsecond, tz.clone()))
                    .ok()
                    .map(|a| {
                        let p = a.as_primitive::<TimestampMicrosecondType>();
                        ColData::Ts(TimestampMicrosecondArray::new(
                            p.values().clone(),
                            p.nulls().cloned(),
                        ))
                    })
            }
            _ => cast_str(arr).map(|s| ColData::Ts(parse_timestamps(col, &s, errors))),
        },
        ColumnType::MapStr | ColumnType::MapDouble => match arr.data_type() {
            DataType::Map(_, _) => {
                MapCol::from_map(arr.as_map()).map(|m| ColData::Map(Box::new(m)))
            }
            _ => cast_str(arr).map(|s| json_map(col, &s, errors)),
        },
    }
}

/// A native double column with NaN and ±infinity (corrupt pages, hostile writers) turned into
/// nulls, each reported as a cell error (SC002), as the CSV reader does for text.
fn finite_only(col: Col, p: Float64Array, errors: &mut Vec<CellError>) -> Float64Array {
    if p.values().iter().all(|x| x.is_finite()) {
        return p;
    }
    p.iter()
        .enumerate()
        .map(|(i, v)| match v {
            Some(x) if !x.is_finite() => {
                errors.push(CellError {
                    row: i,
                    col,
                    raw: x.to_string(),
                    expected: "finite double",
                });
                None
            }
            v => v,
        })
        .collect()
}

fn parse_doubles(col: Col, s: &StringArray, errors: &mut Vec<CellError>) -> Float64Array {
    s.iter()
        .enumerate()
        .map(|(i, v)| {
            let v = v?.trim();
            if v.is_empty() {
                return None;
            }
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    errors.push(CellError {
                        row: i,
                        col,
                        raw: v.to_string(),
                        expected: "double",
                    });
                    None
                }
            }
        })
        .collect()
}

fn parse_timestamps(
    col: Col,
    s: &StringArray,
    errors: &mut Vec<CellError>,
) -> TimestampMicrosecondArray {
    s.iter()
        .enumerate()
        .map(|(i, v)| {
            let v = v?;
            if v.trim().is_empty() {
                return None;
            }
            let t = parse_ts(v);
            if t.is_none() {
                errors.push(CellError {
                    row: i,
                    col,
                    raw: v.to_string(),
                    expected: "timestamp",
                });
            }
            t
        })
        .collect()
}

/// Entries of a map column worth keeping: for `product` only `product_name` is read.
fn keep_entry(col: Col, key: &str) -> bool {
    col != Col::Product || key == "product_name"
}

/// A map column written as JSON text (CSV, or a Parquet file with maps as strings).
fn json_map(col: Col, s: &StringArray, errors: &mut Vec<CellError>) -> ColData {
    let pairs: Vec<Option<Vec<(String, String)>>> = s
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let v = v?;
            if v.trim().is_empty() {
                return None;
            }
            match parse_json_map(v) {
                Ok(mut p) => {
                    p.retain(|(k, _)| keep_entry(col, k));
                    Some(p)
                }
                Err(_) => {
                    errors.push(CellError {
                        row: i,
                        col,
                        raw: v.chars().take(200).collect(),
                        expected: "JSON object (map)",
                    });
                    None
                }
            }
        })
        .collect();
    ColData::Map(Box::new(MapCol::from_pairs(
        pairs.iter().map(|p| p.as_deref()),
    )))
}

fn read_csv(
    file: &DataFile,
    opened: &Opened,
    needed: &[Col],
    sink: &mut dyn FnMut(Batch),
) -> Result<(), Error> {
    let gzip = matches!(file.format, Format::Csv { gzip: true });
    let mut reader = csv_reader(file, gzip)?;
    if let Err(e) = reader.byte_headers() {
        return Err(csv_error_in(file, e, reader, gzip));
    }
    let wanted: Vec<(Col, usize)> = needed
        .iter()
        .filter_map(|c| opened.schema.index_of(c.name()).map(|i| (*c, i)))
        .collect();
    let mut record = csv::ByteRecord::new();
    let mut cells: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(BATCH_ROWS); wanted.len()];
    let mut first_row = 0u64;
    let mut rows = 0usize;
    loop {
        let more = match reader.read_byte_record(&mut record) {
            Ok(more) => more,
            Err(e) => return Err(csv_error_in(file, e, reader, gzip)),
        };
        if more {
            for (slot, (_, idx)) in cells.iter_mut().zip(&wanted) {
                let cell = record.get(*idx).unwrap_or_default();
                slot.push((!cell.is_empty()).then(|| String::from_utf8_lossy(cell).into_owned()));
            }
            rows += 1;
        }
        if rows == BATCH_ROWS || (!more && rows > 0) {
            let mut b = Batch::empty(first_row, rows);
            for (slot, (col, _)) in cells.iter_mut().zip(&wanted) {
                let strings: StringArray = std::mem::take(slot).into_iter().collect();
                let arr: ArrayRef = Arc::new(strings);
                b.cols[*col as usize] = normalise_array(*col, &arr, &mut b.cell_errors);
            }
            first_row += rows as u64;
            rows = 0;
            sink(b);
        }
        if !more {
            return Ok(());
        }
    }
}

impl Opened {
    /// An opened CSV-like file with this schema and no file behind it, for tests of code that
    /// looks at schemas (the verifier's file rules).
    pub fn for_tests(schema: FileSchema) -> Self {
        Opened {
            schema,
            row_groups: Vec::new(),
            parquet: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cur_timestamps() {
        let h = parse_ts("2026-04-20T10:00:00Z").unwrap();
        assert_eq!(parse_ts("2026-04-20T10:00:00.000Z"), Some(h));
        assert_eq!(parse_ts("2026-04-20 10:00:00"), Some(h));
        assert_eq!(parse_ts("2026-04-20T12:00:00+02:00"), Some(h));
        assert!(parse_ts("yesterday").is_none());
    }

    #[test]
    fn maps_cur1_and_miscased_names() {
        assert_eq!(
            canonical_name("lineItem/UsageType"),
            Some("line_item_usage_type")
        );
        assert_eq!(
            canonical_name("Line_Item_Usage_Type"),
            Some("line_item_usage_type")
        );
        assert_eq!(
            canonical_name("product/ProductFamily"),
            Some("product_product_family")
        );
        assert_eq!(
            canonical_name("savingsPlan/SavingsPlanARN"),
            Some("savings_plan_savings_plan_a_r_n")
        );
        assert_eq!(
            canonical_name("pricing/publicOnDemandCost"),
            Some("pricing_public_on_demand_cost")
        );
        assert_eq!(canonical_name("nonsense"), None);
    }

    #[test]
    fn json_maps() {
        assert_eq!(
            parse_json_map(r#"{"a":"b","n":1}"#).unwrap(),
            vec![("a".into(), "b".into()), ("n".into(), "1".into())]
        );
        assert!(parse_json_map("[1]").is_err());
    }

    #[test]
    fn non_finite_native_doubles_become_cell_errors() {
        let mut errors = Vec::new();
        let clean = Float64Array::from(vec![Some(1.5), None]);
        assert_eq!(
            finite_only(Col::UnblendedCost, clean.clone(), &mut errors),
            clean
        );
        assert!(errors.is_empty());
        let dirty = Float64Array::from(vec![Some(f64::NAN), Some(2.0), Some(f64::NEG_INFINITY)]);
        let got = finite_only(Col::UnblendedCost, dirty, &mut errors);
        assert_eq!(got, Float64Array::from(vec![None, Some(2.0), None]));
        let rows: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.raw.as_str())).collect();
        assert_eq!(rows, vec![(0, "NaN"), (2, "-inf")]);
        assert!(errors.iter().all(|e| e.expected == "finite double"));
    }
}
