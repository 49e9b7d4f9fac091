//! Turning a column as found (native Arrow types, or text from CSV and string-typed Parquet)
//! into its documented type: doubles, UTC microseconds, maps. A cell that does not parse
//! becomes null and a [`CellError`].

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_array::{Array, ArrayRef, Float64Array, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, TimeUnit};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use curlab_vocab::columns::ColumnType;

use super::{CellError, Col, ColData, DictStr, MapCol};

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

pub(super) fn cast_str(arr: &ArrayRef) -> Option<StringArray> {
    if let Some(s) = arr.as_any().downcast_ref::<StringArray>() {
        return Some(s.clone());
    }
    arrow_cast::cast(arr, &DataType::Utf8)
        .ok()
        .map(|a| a.as_string::<i32>().clone())
}

pub(super) fn normalise_array(
    col: Col,
    arr: &ArrayRef,
    errors: &mut Vec<CellError>,
) -> Option<ColData> {
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
