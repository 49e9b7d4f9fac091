//! CSV, gzip-compressed: a header line per file, then rows as AWS writes them (Java-style
//! numbers and millisecond timestamps from `curlab_generator::csv_text`, maps as JSON objects).

use std::fs::File;
use std::io::{BufWriter, Write};

use anyhow::{anyhow, Result};
use arrow_array::{Array, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use curlab_generator::csv_text;
use flate2::write::GzEncoder;

use super::DataEncoder;

/// The CSV encoder: row groups are CSV text, appended to a gzip stream.
pub(in crate::export) struct Csv {
    schema: SchemaRef,
}

impl Csv {
    /// CSV files of `schema`.
    pub(in crate::export) fn new(schema: SchemaRef) -> Self {
        Csv { schema }
    }
}

/// A CSV writer with AWS's line ends (`\n`).
fn text_writer(headers: bool) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .has_headers(headers)
        .from_writer(Vec::new())
}

impl DataEncoder for Csv {
    type Group = csv::Writer<Vec<u8>>;
    type Encoded = Vec<u8>;
    type File = GzEncoder<BufWriter<File>>;

    fn start_group(&self) -> Result<Self::Group> {
        Ok(text_writer(false))
    }

    fn write_batch(&self, group: &mut Self::Group, batch: &RecordBatch) -> Result<()> {
        write_csv(group, batch)
    }

    fn finish_group(&self, group: Self::Group) -> Result<Self::Encoded> {
        group
            .into_inner()
            .map_err(|e| anyhow!("finishing CSV text: {e}"))
    }

    fn open_file(&self, file: BufWriter<File>) -> Result<Self::File> {
        let mut gz = GzEncoder::new(file, flate2::Compression::fast());
        let mut header = text_writer(true);
        header.write_record(self.schema.fields().iter().map(|f| f.name().as_str()))?;
        gz.write_all(
            &header
                .into_inner()
                .map_err(|e| anyhow!("writing the CSV header: {e}"))?,
        )?;
        Ok(gz)
    }

    fn append(&self, file: &mut Self::File, group: Self::Encoded) -> Result<()> {
        file.write_all(&group)?;
        Ok(())
    }

    fn close_file(&self, file: Self::File) -> Result<()> {
        file.finish()?.flush()?;
        Ok(())
    }
}

/// Write a record batch as CSV rows.
fn write_csv<W: Write>(w: &mut csv::Writer<W>, b: &RecordBatch) -> Result<()> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, TimestampMillisecondType};
    // Downcast once per batch; format cells into one reused buffer.
    enum Col<'a> {
        Str(&'a arrow_array::StringArray),
        F64(&'a arrow_array::Float64Array),
        Ts(&'a arrow_array::TimestampMillisecondArray),
        Map(&'a arrow_array::MapArray),
    }
    let cols: Vec<Col<'_>> = b
        .columns()
        .iter()
        .map(|c| match c.data_type() {
            DataType::Utf8 => Ok(Col::Str(c.as_string::<i32>())),
            DataType::Float64 => Ok(Col::F64(c.as_primitive::<Float64Type>())),
            DataType::Timestamp(_, _) => Ok(Col::Ts(c.as_primitive::<TimestampMillisecondType>())),
            DataType::Map(_, _) => Ok(Col::Map(c.as_map())),
            other => Err(anyhow::anyhow!("no CSV form for {other}")),
        })
        .collect::<Result<_>>()?;
    let mut buf = String::new();
    // Timestamps repeat row after row (one per bucket): keep the last text per column.
    let mut ts_cache: Vec<(i64, String)> = vec![(i64::MIN, String::new()); cols.len()];
    for row in 0..b.num_rows() {
        for (i, (col, array)) in cols.iter().zip(b.columns()).enumerate() {
            if array.is_null(row) {
                w.write_field("")?;
                continue;
            }
            match col {
                Col::Str(a) => w.write_field(a.value(row))?,
                Col::F64(a) => {
                    buf.clear();
                    csv_text::push_java_double(&mut buf, a.value(row));
                    w.write_field(&buf)?;
                }
                Col::Ts(a) => {
                    let ms = a.value(row);
                    let cached = &mut ts_cache[i];
                    if cached.0 != ms {
                        cached.1.clear();
                        csv_text::push_timestamp_ms(&mut cached.1, ms);
                        cached.0 = ms;
                    }
                    w.write_field(&cached.1)?;
                }
                Col::Map(m) => {
                    let entries = m.value(row);
                    let keys = entries.column(0).as_string::<i32>();
                    let values = entries.column(1);
                    let mut obj = serde_json::Map::new();
                    for i in 0..entries.len() {
                        let v = match values.data_type() {
                            DataType::Float64 => {
                                serde_json::json!(values.as_primitive::<Float64Type>().value(i))
                            }
                            _ => serde_json::Value::String(
                                values.as_string::<i32>().value(i).to_string(),
                            ),
                        };
                        obj.insert(keys.value(i).to_string(), v);
                    }
                    w.write_field(serde_json::Value::Object(obj).to_string())?;
                }
            }
        }
        w.write_record(None::<&[u8]>)?;
    }
    Ok(())
}
