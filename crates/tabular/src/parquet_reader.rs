//! Parquet: record batches streamed through the arrow reader, only the wanted columns
//! decoded, each Arrow type mapped to numeric or categorical.
//!
//! Integers, floats and decimals are numeric (`f64`). Dates, times, timestamps and
//! durations are numeric in seconds (a date or timestamp: seconds since 1970-01-01, its
//! time zone ignored). Strings (`Utf8`, `LargeUtf8`, `Utf8View`), booleans (`"true"`,
//! `"false"`) and dictionaries of either are categorical, taken as they are: no trimming,
//! and `NA` is a label here (Parquet has real nulls, which are the missing values).
//! Nested types (lists, structs, maps, unions) and binary are an error naming the column.

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type,
    DurationMicrosecondType, DurationMillisecondType, DurationNanosecondType, DurationSecondType,
    Float16Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    Time32MillisecondType, Time32SecondType, Time64MicrosecondType, Time64NanosecondType,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::column::{ColumnBuilder, PushError};
use crate::error::{Position, ReadError};
use crate::table::{ReadOptions, Table};

/// Rows decoded at a time.
const BATCH_ROWS: usize = 64 * 1024;

/// Reads a Parquet file.
///
/// A panic inside the Parquet decoder on a malformed file (fuzzing has found such in the
/// past) is caught and becomes the file's error, rather than ending the process.
pub(crate) fn read(
    path: &Path,
    file: File,
    size: Option<u64>,
    options: &ReadOptions,
) -> Result<Table, ReadError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_unguarded(path, file, size, options)
    }))
    .unwrap_or_else(|panic| {
        let reason = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the decoder failed".to_owned());
        Err(ReadError::Parquet {
            path: path.to_owned(),
            message: reason,
        })
    })
}

fn read_unguarded(
    path: &Path,
    file: File,
    size: Option<u64>,
    options: &ReadOptions,
) -> Result<Table, ReadError> {
    let parquet_error = |e: &dyn std::fmt::Display| ReadError::Parquet {
        path: path.to_owned(),
        message: e.to_string(),
    };
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_error(&e))?;
    let schema = builder.schema().clone();
    let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut seen = HashSet::new();
    for name in &names {
        if !seen.insert(name) {
            return Err(ReadError::DuplicateField {
                path: path.to_owned(),
                name: name.clone(),
            });
        }
    }
    let selected = options.select(path, &names)?;
    for &i in &selected {
        let data_type = schema.field(i).data_type();
        if !supported(data_type) {
            return Err(ReadError::UnsupportedType {
                path: path.to_owned(),
                column: names[i].clone(),
                data_type: data_type.to_string(),
            });
        }
    }
    let total_rows = u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    // decoded columns come in file order; builders are in the requested order
    let mut roots = selected.clone();
    roots.sort_unstable();
    roots.dedup();
    let batch_column: Vec<usize> = selected
        .iter()
        .map(|i| roots.binary_search(i).unwrap_or(0))
        .collect();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied());
    let reader = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| parquet_error(&e))?;
    let mut builders: Vec<ColumnBuilder> = selected
        .iter()
        .map(|&i| {
            let mut builder = ColumnBuilder::new(options.forced(&names[i]));
            builder.reserve(usize::try_from(total_rows).unwrap_or(0));
            builder
        })
        .collect();
    let mut rows = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| parquet_error(&e))?;
        for ((builder, &column), &i) in builders.iter_mut().zip(&batch_column).zip(&selected) {
            let Some(array) = batch.columns().get(column) else {
                continue;
            };
            append(builder, array.as_ref()).map_err(|(row, err)| match err {
                PushError::NotANumber(value) => ReadError::NotANumber {
                    path: path.to_owned(),
                    position: Position::Row((rows + row + 1) as u64),
                    column: names[i].clone(),
                    value,
                },
                PushError::TooManyLabels => ReadError::TooManyLabels {
                    path: path.to_owned(),
                    column: names[i].clone(),
                },
            })?;
        }
        rows += batch.num_rows();
        if let (Some(progress), Some(size)) = (&options.progress, size)
            && total_rows > 0
        {
            let done = (size as f64 * rows as f64 / total_rows as f64) as u64;
            progress(done.min(size), Some(size));
        }
    }
    if rows == 0 {
        return Err(ReadError::NoRows {
            path: path.to_owned(),
        });
    }
    Ok(Table::from_builders(
        path, rows, builders, &names, &selected,
    ))
}

/// Whether a column of this type is read.
fn supported(data_type: &DataType) -> bool {
    match data_type {
        DataType::Dictionary(_, values) => supported(values) && !values.is_nested(),
        DataType::Null | DataType::Boolean => true,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        t => numbers_of_type(t),
    }
}

/// Whether a type's values are read as numbers.
fn numbers_of_type(data_type: &DataType) -> bool {
    use DataType as T;
    matches!(
        data_type,
        T::Int8
            | T::Int16
            | T::Int32
            | T::Int64
            | T::UInt8
            | T::UInt16
            | T::UInt32
            | T::UInt64
            | T::Float16
            | T::Float32
            | T::Float64
            | T::Decimal32(..)
            | T::Decimal64(..)
            | T::Decimal128(..)
            | T::Decimal256(..)
            | T::Date32
            | T::Date64
            | T::Time32(_)
            | T::Time64(_)
            | T::Timestamp(..)
            | T::Duration(_)
    )
}

/// Appends one batch's array to a column; an error carries the row in the batch.
fn append(builder: &mut ColumnBuilder, array: &dyn Array) -> Result<(), (usize, PushError)> {
    if let Some(dictionary) = array.as_any_dictionary_opt() {
        let values = dictionary.values();
        if values.is_empty() {
            builder.push_missing_n(array.len());
            return Ok(());
        }
        let keys = dictionary.normalized_keys();
        let nulls = array.logical_nulls();
        let is_null = |row: usize| nulls.as_ref().is_some_and(|n| n.is_null(row));
        if let Some(numbers) = numbers(values.as_ref()) {
            for (row, &key) in keys.iter().enumerate() {
                match numbers.get(key).copied().flatten() {
                    Some(value) if !is_null(row) => {
                        builder.push_number(value).map_err(|e| (row, e))?;
                    }
                    _ => builder.push_missing(),
                }
            }
            return Ok(());
        }
        let labels = labels(values.as_ref());
        if builder.make_categorical().map_err(|e| (0, e))? {
            // intern each dictionary value once, when first used, then copy codes
            const UNSEEN: u32 = u32::MAX;
            let mut codes = vec![UNSEEN; labels.len()];
            for (row, &key) in keys.iter().enumerate() {
                let label = match labels.get(key) {
                    Some(Some(label)) if !is_null(row) => label,
                    _ => {
                        builder.push_missing();
                        continue;
                    }
                };
                let code = match codes.get(key).copied() {
                    Some(code) if code != UNSEEN => code,
                    _ => {
                        let code = builder.intern(label).map_err(|e| (row, e))?;
                        if let Some(slot) = codes.get_mut(key) {
                            *slot = code;
                        }
                        code
                    }
                };
                builder.push_code(Some(code));
            }
        } else {
            for (row, &key) in keys.iter().enumerate() {
                match labels.get(key).and_then(Option::as_deref) {
                    Some(label) if !is_null(row) => {
                        builder.push_label(label).map_err(|e| (row, e))?;
                    }
                    _ => builder.push_missing(),
                }
            }
        }
        return Ok(());
    }
    if let Some(numbers) = numbers(array) {
        for (row, value) in numbers.into_iter().enumerate() {
            match value {
                Some(value) => builder.push_number(value).map_err(|e| (row, e))?,
                None => builder.push_missing(),
            }
        }
        return Ok(());
    }
    if array.data_type() == &DataType::Null {
        builder.push_missing_n(array.len());
        return Ok(());
    }
    for (row, label) in labels(array).into_iter().enumerate() {
        match label {
            Some(label) => builder.push_label(&label).map_err(|e| (row, e))?,
            None => builder.push_missing(),
        }
    }
    Ok(())
}

/// The labels of a string or boolean array (empty for another type).
fn labels(array: &dyn Array) -> Vec<Option<std::borrow::Cow<'_, str>>> {
    use std::borrow::Cow;
    if let Some(strings) = array.as_string_opt::<i32>() {
        return strings.iter().map(|s| s.map(Cow::Borrowed)).collect();
    }
    if let Some(strings) = array.as_string_opt::<i64>() {
        return strings.iter().map(|s| s.map(Cow::Borrowed)).collect();
    }
    if let Some(strings) = array.as_string_view_opt() {
        return strings.iter().map(|s| s.map(Cow::Borrowed)).collect();
    }
    if let Some(flags) = array.as_boolean_opt() {
        return flags
            .iter()
            .map(|b| b.map(|b| Cow::Borrowed(if b { "true" } else { "false" })))
            .collect();
    }
    Vec::new()
}

/// The values of a numeric, decimal or temporal array as `f64` (temporal in seconds);
/// `None` for another type.
fn numbers(array: &dyn Array) -> Option<Vec<Option<f64>>> {
    use DataType as T;
    fn each<P: ArrowPrimitiveType>(
        array: &dyn Array,
        to_f64: impl Fn(P::Native) -> f64,
    ) -> Option<Vec<Option<f64>>> {
        let array: &PrimitiveArray<P> = array.as_primitive_opt::<P>()?;
        Some(array.iter().map(|v| v.map(&to_f64)).collect())
    }
    let seconds = |unit: &TimeUnit| match unit {
        TimeUnit::Second => 1.0,
        TimeUnit::Millisecond => 1e3,
        TimeUnit::Microsecond => 1e6,
        TimeUnit::Nanosecond => 1e9,
    };
    match array.data_type() {
        T::Int8 => each::<Int8Type>(array, f64::from),
        T::Int16 => each::<Int16Type>(array, f64::from),
        T::Int32 => each::<Int32Type>(array, f64::from),
        T::Int64 => each::<Int64Type>(array, |v| v as f64),
        T::UInt8 => each::<UInt8Type>(array, f64::from),
        T::UInt16 => each::<UInt16Type>(array, f64::from),
        T::UInt32 => each::<UInt32Type>(array, f64::from),
        T::UInt64 => each::<UInt64Type>(array, |v| v as f64),
        T::Float16 => each::<Float16Type>(array, f64::from),
        T::Float32 => each::<Float32Type>(array, f64::from),
        T::Float64 => each::<Float64Type>(array, |v| v),
        T::Decimal32(_, scale) => each::<Decimal32Type>(array, |v| scaled(f64::from(v), *scale)),
        T::Decimal64(_, scale) => each::<Decimal64Type>(array, |v| scaled(v as f64, *scale)),
        T::Decimal128(_, scale) => each::<Decimal128Type>(array, |v| scaled(v as f64, *scale)),
        T::Decimal256(..) => {
            let array = array.as_primitive_opt::<arrow_array::types::Decimal256Type>()?;
            Some(
                (0..array.len())
                    .map(|i| {
                        if array.is_null(i) {
                            None
                        } else {
                            array.value_as_string(i).parse::<f64>().ok()
                        }
                    })
                    .collect(),
            )
        }
        T::Date32 => each::<Date32Type>(array, |days| f64::from(days) * 86_400.0),
        T::Date64 => each::<Date64Type>(array, |ms| ms as f64 / 1e3),
        T::Time32(TimeUnit::Second) => each::<Time32SecondType>(array, f64::from),
        T::Time32(_) => each::<Time32MillisecondType>(array, |v| f64::from(v) / 1e3),
        T::Time64(TimeUnit::Nanosecond) => each::<Time64NanosecondType>(array, |v| v as f64 / 1e9),
        T::Time64(_) => each::<Time64MicrosecondType>(array, |v| v as f64 / 1e6),
        T::Timestamp(unit, _) => {
            let per = seconds(unit);
            match unit {
                TimeUnit::Second => each::<TimestampSecondType>(array, |v| v as f64),
                TimeUnit::Millisecond => {
                    each::<TimestampMillisecondType>(array, |v| v as f64 / per)
                }
                TimeUnit::Microsecond => {
                    each::<TimestampMicrosecondType>(array, |v| v as f64 / per)
                }
                TimeUnit::Nanosecond => each::<TimestampNanosecondType>(array, |v| v as f64 / per),
            }
        }
        T::Duration(unit) => {
            let per = seconds(unit);
            match unit {
                TimeUnit::Second => each::<DurationSecondType>(array, |v| v as f64),
                TimeUnit::Millisecond => each::<DurationMillisecondType>(array, |v| v as f64 / per),
                TimeUnit::Microsecond => each::<DurationMicrosecondType>(array, |v| v as f64 / per),
                TimeUnit::Nanosecond => each::<DurationNanosecondType>(array, |v| v as f64 / per),
            }
        }
        _ => None,
    }
}

/// An unscaled decimal as a number: `unscaled / 10^scale`.
fn scaled(unscaled: f64, scale: i8) -> f64 {
    if scale >= 0 {
        unscaled / 10f64.powi(i32::from(scale))
    } else {
        unscaled * 10f64.powi(-i32::from(scale))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Arc;

    use arrow_array::builder::{ListBuilder, StringDictionaryBuilder};
    use arrow_array::{
        ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array, Int64Array,
        LargeStringArray, RecordBatch, StringArray, TimestampMillisecondArray,
    };
    use drift_core::ColumnData;
    use parquet::arrow::ArrowWriter;

    fn temp_path(name: &str) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tabular-parquet-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir.join(name)
    }

    /// Writes columns to a Parquet file (in two row groups when `split`).
    fn write(name: &str, columns: Vec<(&str, ArrayRef)>, split: bool) -> PathBuf {
        let path = temp_path(name);
        let batch = RecordBatch::try_from_iter(columns).expect("batch");
        let file = File::create(&path).expect("create");
        let mut writer = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
        if split && batch.num_rows() > 1 {
            let half = batch.num_rows() / 2;
            writer.write(&batch.slice(0, half)).expect("write");
            writer.flush().expect("flush");
            writer
                .write(&batch.slice(half, batch.num_rows() - half))
                .expect("write");
        } else {
            writer.write(&batch).expect("write");
        }
        writer.close().expect("close");
        path
    }

    fn read_path(path: &Path, options: &ReadOptions) -> Result<Table, ReadError> {
        crate::read_table(path, options)
    }

    fn dictionary(values: &[Option<&str>]) -> ArrayRef {
        let mut builder = StringDictionaryBuilder::<Int32Type>::new();
        for value in values {
            match value {
                Some(v) => {
                    builder.append_value(v);
                }
                None => builder.append_null(),
            }
        }
        Arc::new(builder.finish())
    }

    #[test]
    fn types_map_to_kinds() {
        let path = write(
            "types.parquet",
            vec![
                (
                    "i",
                    Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
                ),
                ("f", Arc::new(Float64Array::from(vec![0.5, f64::NAN, 2.0]))),
                (
                    "d",
                    Arc::new(
                        Decimal128Array::from(vec![Some(12345), Some(-5), None])
                            .with_precision_and_scale(10, 2)
                            .expect("decimal"),
                    ),
                ),
                (
                    "s",
                    Arc::new(StringArray::from(vec![Some("a"), None, Some(" NA ")])),
                ),
                ("ls", Arc::new(LargeStringArray::from(vec!["x", "y", "x"]))),
                ("dict", dictionary(&[Some("p"), None, Some("q")])),
                (
                    "b",
                    Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
                ),
                ("date", Arc::new(Date32Array::from(vec![0, 1, 2]))),
                (
                    "ts",
                    Arc::new(TimestampMillisecondArray::from(vec![1500, 0, -1000])),
                ),
            ],
            true,
        );
        let table = read_path(&path, &ReadOptions::default()).expect("table");
        assert_eq!(table.rows, 3);
        let data = |name: &str| {
            &table
                .columns
                .iter()
                .find(|c| c.name == name)
                .expect(name)
                .data
        };
        assert_eq!(
            data("i"),
            &ColumnData::Numeric(vec![Some(1.0), None, Some(3.0)].into())
        );
        let ColumnData::Numeric(f) = data("f") else {
            panic!("numeric")
        };
        assert!(f.get(1).is_some_and(f64::is_nan));
        assert_eq!(
            data("d"),
            &ColumnData::Numeric(vec![Some(123.45), Some(-0.05), None].into())
        );
        assert_eq!(
            data("s"),
            &ColumnData::categorical_from([Some("a"), None, Some(" NA ")])
        );
        assert_eq!(
            data("ls"),
            &ColumnData::categorical_from([Some("x"), Some("y"), Some("x")])
        );
        assert_eq!(
            data("dict"),
            &ColumnData::categorical_from([Some("p"), None, Some("q")])
        );
        assert_eq!(
            data("b"),
            &ColumnData::categorical_from([Some("true"), Some("false"), None])
        );
        assert_eq!(
            data("date"),
            &ColumnData::Numeric(vec![Some(0.0), Some(86_400.0), Some(172_800.0)].into())
        );
        assert_eq!(
            data("ts"),
            &ColumnData::Numeric(vec![Some(1.5), Some(0.0), Some(-1.0)].into())
        );
    }

    #[test]
    fn selection_forced_kinds_and_row_errors() {
        let path = write(
            "forced.parquet",
            vec![
                ("a", Arc::new(Int32Array::from(vec![7, 8, 7])) as ArrayRef),
                ("b", Arc::new(StringArray::from(vec!["1.5", "2", "x"]))),
                ("c", dictionary(&[Some("3"), Some("4"), None])),
            ],
            false,
        );
        let options = ReadOptions {
            categorical: ["a".to_owned()].into(),
            numeric: ["c".to_owned()].into(),
            columns: Some(vec!["c".into(), "a".into()]),
            ..ReadOptions::default()
        };
        let table = read_path(&path, &options).expect("table");
        assert_eq!(table.columns[0].name, "c");
        assert_eq!(
            table.columns[0].data,
            ColumnData::Numeric(vec![Some(3.0), Some(4.0), None].into())
        );
        assert_eq!(
            table.columns[1].data,
            ColumnData::categorical_from([Some("7"), Some("8"), Some("7")])
        );
        let options = ReadOptions {
            numeric: ["b".to_owned()].into(),
            ..ReadOptions::default()
        };
        let err = read_path(&path, &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: row 3: column \"b\" is numeric, but \"x\" is not a number",
                path.display()
            )
        );
        let options = ReadOptions {
            columns: Some(vec!["z".into()]),
            ..ReadOptions::default()
        };
        let err = read_path(&path, &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: no column named \"z\" (columns: a, b, c)",
                path.display()
            )
        );
    }

    #[test]
    fn nested_columns_are_refused_by_name() {
        let mut list = ListBuilder::new(arrow_array::builder::Int32Builder::new());
        list.values().append_value(1);
        list.append(true);
        let path = write(
            "nested.parquet",
            vec![
                ("ok", Arc::new(Int32Array::from(vec![1])) as ArrayRef),
                ("tags", Arc::new(list.finish())),
            ],
            false,
        );
        let err = read_path(&path, &ReadOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: column \"tags\" has type List(Int32), which is not read (only numbers, \
                 decimals, strings, booleans, dates, times and timestamps are)",
                path.display()
            )
        );
        // leaving it out reads the rest
        let options = ReadOptions {
            columns: Some(vec!["ok".into()]),
            ..ReadOptions::default()
        };
        assert_eq!(read_path(&path, &options).expect("table").rows, 1);
    }

    #[test]
    fn truncated_empty_and_fake_files() {
        let good = write(
            "good.parquet",
            vec![("a", Arc::new(Int32Array::from(vec![1, 2, 3])) as ArrayRef)],
            false,
        );
        let bytes = std::fs::read(&good).expect("read");
        let truncated = temp_path("truncated.parquet");
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
        let message = read_path(&truncated, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(&format!(
                "{}: not a readable Parquet file (",
                truncated.display()
            )),
            "{message}"
        );
        let fake = temp_path("fake.parquet");
        std::fs::write(&fake, "a,b\n1,2\n").expect("write");
        let message = read_path(&fake, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(&format!(
                "{}: not a readable Parquet file (",
                fake.display()
            )),
            "{message}"
        );
        let empty = temp_path("empty.parquet");
        std::fs::write(&empty, "").expect("write");
        let message = read_path(&empty, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(&format!(
                "{}: not a readable Parquet file (",
                empty.display()
            )),
            "{message}"
        );
        let no_rows = write(
            "no_rows.parquet",
            vec![(
                "a",
                Arc::new(Int32Array::from(Vec::<i32>::new())) as ArrayRef,
            )],
            false,
        );
        assert_eq!(
            read_path(&no_rows, &ReadOptions::default())
                .unwrap_err()
                .to_string(),
            format!("{}: the file has no rows", no_rows.display())
        );
    }

    #[test]
    fn sniffed_by_magic_and_progress_told() {
        use std::sync::Mutex;
        let values: Vec<f64> = (0..200_000).map(f64::from).collect();
        let path = write(
            "many.parquet",
            vec![("v", Arc::new(Float64Array::from(values)) as ArrayRef)],
            true,
        );
        let renamed = path.with_extension("bin");
        std::fs::rename(&path, &renamed).expect("rename");
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let options = ReadOptions {
            progress: Some(Arc::new(move |done, total| {
                seen.lock().expect("lock").push((done, total));
            })),
            ..ReadOptions::default()
        };
        let table = read_path(&renamed, &options).expect("table");
        assert_eq!(table.rows, 200_000);
        let size = std::fs::metadata(&renamed).expect("size").len();
        let calls = calls.lock().expect("lock");
        assert_eq!(calls.last(), Some(&(size, Some(size))));
    }
}
