//! The RLE/bit-packed hybrid against the format's own examples, and whole chunks written by
//! [`DictColumn`] read back by parquet's Arrow reader.

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, UInt32Type};
use arrow_array::{Array, ArrayRef, DictionaryArray, Float64Array, MapArray, RecordBatch};
use arrow_array::{StringArray, StructArray, UInt32Array};
use arrow_buffer::OffsetBuffer;
use arrow_schema::{DataType, Field, Fields, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::reader::{FileReader, SerializedFileReader};

use super::super::parquet::Parquet;
use super::super::DataEncoder;
use super::{rle_hybrid, PAGE_ROWS};

fn encode(values: &[u32], width: u8) -> Vec<u8> {
    let mut out = Vec::new();
    rle_hybrid(values, width, &mut out);
    out
}

#[test]
fn rle_hybrid_matches_the_format_examples() {
    // Encodings.md: 0..=7 bit-packed at width 3 is 10001000 11000110 11111010.
    assert_eq!(
        encode(&[0, 1, 2, 3, 4, 5, 6, 7], 3),
        [0b11, 0x88, 0xC6, 0xFA]
    );
    // A run of ten 5s at width 3: header 10 << 1, the value in one byte.
    assert_eq!(encode(&[5; 10], 3), [20, 5]);
    // Values wider than a byte take ceil(width / 8) bytes in a run.
    assert_eq!(encode(&[300; 8], 9), [16, 0x2C, 0x01]);
    // Three values, then a run: the run starts after the first group of 8 is filled; the last
    // group is padded with zeros.
    let v = [1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0];
    assert_eq!(encode(&v, 1), [0b11, 0b1111_1101, 20, 1, 0b11, 0]);
    // More than 63 groups split into several bit-packed runs.
    let alternating: Vec<u32> = (0..64 * 8).map(|i| i % 2).collect();
    let out = encode(&alternating, 1);
    assert_eq!(out[0], 63 << 1 | 1);
    assert_eq!(out[1 + 63], 1 << 1 | 1);
    assert_eq!(out.len(), 1 + 63 + 1 + 1);
}

fn dict(values: &[Option<&str>]) -> ArrayRef {
    // Entries in first-seen order, one duplicate entry on purpose ("a" twice).
    let mut entries: Vec<&str> = vec!["a"];
    let keys: UInt32Array = values
        .iter()
        .map(|v| {
            v.map(|v| match entries.iter().skip(1).position(|e| *e == v) {
                Some(i) => i as u32 + 1,
                None => {
                    entries.push(v);
                    entries.len() as u32 - 1
                }
            })
        })
        .collect();
    Arc::new(DictionaryArray::<UInt32Type>::new(
        keys,
        Arc::new(StringArray::from(entries)),
    ))
}

fn dict_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8))
}

fn entries_field(ty: DataType) -> Arc<Field> {
    Arc::new(Field::new(
        "key_value",
        DataType::Struct(
            vec![
                Field::new("key", ty.clone(), false),
                Field::new("value", ty, true),
            ]
            .into(),
        ),
        false,
    ))
}

/// Rows of a map column: pairs, a value may be null.
type MapRows = Vec<Vec<(String, Option<String>)>>;

fn map_rows(n: usize) -> MapRows {
    (0..n)
        .map(|i| {
            (0..i % 4)
                .map(|j| {
                    let v = (i % 7 != 3).then(|| format!("v{}", (i / 3 + j) % 11));
                    (format!("k{j}"), v)
                })
                .collect()
        })
        .collect()
}

fn dict_map(rows: &MapRows) -> ArrayRef {
    let mut offsets = vec![0i32];
    let (mut k, mut v) = (Vec::new(), Vec::new());
    for r in rows {
        for (a, b) in r {
            k.push(Some(a.as_str()));
            v.push(b.as_deref());
        }
        offsets.push(k.len() as i32);
    }
    let fields: Fields = vec![
        Field::new("key", dict_type(), false),
        Field::new("value", dict_type(), true),
    ]
    .into();
    let entries = StructArray::new(fields, vec![dict(&k), dict(&v)], None);
    Arc::new(
        MapArray::try_new(
            entries_field(dict_type()),
            OffsetBuffer::new(offsets.into()),
            entries,
            None,
            false,
        )
        .expect("map"),
    )
}

fn read_map(a: &dyn Array) -> MapRows {
    let m = a.as_map();
    (0..m.len())
        .map(|i| {
            let e = m.value(i);
            let (k, v) = (
                e.column(0).as_string::<i32>(),
                e.column(1).as_string::<i32>(),
            );
            (0..e.len())
                .map(|j| {
                    (
                        k.value(j).to_string(),
                        v.is_valid(j).then(|| v.value(j).to_string()),
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn chunks_read_back_as_written() {
    let n = 2 * PAGE_ROWS + 1234;
    let text: Vec<Option<&str>> = (0..n)
        .map(|i| match i % 13 {
            0 => None,
            1..=6 => Some("us-east-1"),
            7 => Some(""),
            _ => Some(["Amazon Bedrock", "Amazon S3", "a"][i % 3]),
        })
        .collect();
    let all_null: Vec<Option<&str>> = vec![None; n];
    let doubles: Float64Array = (0..n)
        .map(|i| match i % 11 {
            0 => None,
            1 => Some(f64::NAN),
            2..=5 => Some(0.0),
            _ => Some(i as f64 * 0.25 - 100.0),
        })
        .collect();
    let maps = map_rows(n);
    let file_schema = Arc::new(Schema::new(vec![
        Field::new("text", DataType::Utf8, true),
        Field::new("none", DataType::Utf8, true),
        Field::new("cost", DataType::Float64, true),
        Field::new(
            "product",
            DataType::Map(entries_field(DataType::Utf8), false),
            true,
        ),
    ]));
    let batch_schema = Arc::new(Schema::new(vec![
        Field::new("text", dict_type(), true),
        Field::new("none", dict_type(), true),
        Field::new("cost", DataType::Float64, true),
        Field::new(
            "product",
            DataType::Map(entries_field(dict_type()), false),
            true,
        ),
    ]));
    let batch = RecordBatch::try_new(
        batch_schema.clone(),
        vec![
            dict(&text),
            dict(&all_null),
            Arc::new(doubles.clone()),
            dict_map(&maps),
        ],
    )
    .expect("batch");
    let format =
        Parquet::new(file_schema.clone(), batch_schema, Compression::SNAPPY, n).expect("format");
    let mut group = format.start_group().expect("group");
    // Two batches, so a page spans a batch boundary.
    for (off, len) in [(0, 5000), (5000, n - 5000)] {
        format
            .write_batch(&mut group, &batch.slice(off, len))
            .expect("write");
    }
    let encoded = format.finish_group(group).expect("finish");
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("t.parquet");
    let mut file = format
        .open_file(std::io::BufWriter::new(
            std::fs::File::create(&path).expect("create"),
        ))
        .expect("open");
    format.append(&mut file, encoded).expect("append");
    format.close_file(file).expect("close");

    let f = std::fs::File::open(&path).expect("open");
    let read: Vec<RecordBatch> = ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("reader")
        .with_batch_size(n)
        .build()
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("read");
    assert_eq!(read.len(), 1);
    let read = &read[0];
    assert_eq!(read.schema().fields(), file_schema.fields());
    let got: Vec<Option<&str>> = read.column(0).as_string::<i32>().iter().collect();
    assert_eq!(got, text);
    assert_eq!(read.column(1).null_count(), n);
    let cost = read.column(2).as_primitive::<Float64Type>();
    assert_eq!(cost.len(), n);
    for (a, b) in cost.iter().zip(doubles.iter()) {
        assert_eq!(a.map(f64::to_bits), b.map(f64::to_bits));
    }
    assert_eq!(read_map(read.column(3).as_ref()), maps);

    // Chunk statistics, as readers prune with them.
    let meta = SerializedFileReader::new(std::fs::File::open(&path).expect("open"))
        .expect("meta")
        .metadata()
        .row_group(0)
        .clone();
    let s = meta.column(0).statistics().expect("text stats");
    assert_eq!(s.min_bytes_opt(), Some(&b""[..]));
    assert_eq!(s.max_bytes_opt(), Some(&b"us-east-1"[..]));
    assert_eq!(
        s.null_count_opt(),
        Some(text.iter().filter(|v| v.is_none()).count() as u64)
    );
    let s = meta.column(1).statistics().expect("null stats");
    assert_eq!(
        (s.min_bytes_opt(), s.null_count_opt()),
        (None, Some(n as u64))
    );
    let s = meta.column(2).statistics().expect("cost stats");
    let lo = doubles
        .iter()
        .flatten()
        .filter(|v| !v.is_nan())
        .fold(f64::MAX, f64::min);
    let hi = doubles
        .iter()
        .flatten()
        .filter(|v| !v.is_nan())
        .fold(f64::MIN, f64::max);
    assert_eq!(s.min_bytes_opt(), Some(&lo.to_le_bytes()[..]));
    assert_eq!(s.max_bytes_opt(), Some(&hi.to_le_bytes()[..]));
    assert_eq!(meta.num_rows(), n as i64);
}
