//! Converts a table between the formats `tabular` reads: `convert IN OUT`.
//!
//! `IN` is anything [`tabular::read_table`] reads; `OUT` is written by its extension:
//! `.csv`, `.jsonl` (each optionally `.gz`) or `.parquet` (numeric columns as `Float64`,
//! categorical ones as `Utf8`, missing values as nulls). The end-to-end tests use it to
//! make gzip, JSON Lines and Parquet inputs from CSV text:
//!
//! ```text
//! cargo run -p tabular --example convert -- reference.csv reference.parquet
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use drift_core::ColumnData;
use parquet::arrow::ArrowWriter;
use tabular::{ReadOptions, Table};

type Error = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        return fail(
            "usage: convert IN OUT (OUT ending .csv, .jsonl, .csv.gz, .jsonl.gz or .parquet)"
                .into(),
        );
    };
    match convert(Path::new(input), Path::new(output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(err),
    }
}

#[allow(clippy::print_stderr)] // a command-line example reports its error
fn fail(err: Error) -> ExitCode {
    eprintln!("convert: {err}");
    ExitCode::from(2)
}

fn convert(input: &Path, output: &Path) -> Result<(), Error> {
    let table = tabular::read_table(input, &ReadOptions::default())?;
    let name = output.to_string_lossy().to_ascii_lowercase();
    let (stem, gzip) = match name.strip_suffix(".gz") {
        Some(stem) => (stem.to_owned(), true),
        None => (name.clone(), false),
    };
    let file = BufWriter::new(File::create(output)?);
    if stem.ends_with(".parquet") && !gzip {
        return write_parquet(&table, file);
    }
    let mut sink: Box<dyn Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::default(),
        ))
    } else {
        Box::new(file)
    };
    if stem.ends_with(".jsonl") || stem.ends_with(".ndjson") {
        write_jsonl(&table, &mut sink)?;
    } else if stem.ends_with(".csv") {
        write_csv(&table, &mut sink)?;
    } else {
        return Err(format!("{}: unknown output format", output.display()).into());
    }
    sink.flush()?;
    Ok(())
}

/// The text of row `row` of a column, `None` when missing.
fn cell(data: &ColumnData, row: usize) -> Option<String> {
    match data {
        ColumnData::Numeric(values) => values.get(row).map(|v| v.to_string()),
        ColumnData::Categorical { labels, codes } => codes[row].map(|c| labels[c as usize].clone()),
    }
}

fn write_csv(table: &Table, out: &mut dyn Write) -> Result<(), Error> {
    let quote = |text: &str| {
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    };
    let header: Vec<String> = table.columns.iter().map(|c| quote(&c.name)).collect();
    writeln!(out, "{}", header.join(","))?;
    for row in 0..table.rows {
        let fields: Vec<String> = table
            .columns
            .iter()
            .map(|c| cell(&c.data, row).map_or_else(String::new, |t| quote(&t)))
            .collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    Ok(())
}

fn write_jsonl(table: &Table, out: &mut dyn Write) -> Result<(), Error> {
    for row in 0..table.rows {
        // keys in the table's order (a serde_json map would sort them)
        let mut line = String::from("{");
        for (i, column) in table.columns.iter().enumerate() {
            let value = match &column.data {
                ColumnData::Numeric(values) => match values.get(row) {
                    Some(v) if v.is_finite() => serde_json::json!(v),
                    Some(v) => serde_json::json!(v.to_string()),
                    None => serde_json::Value::Null,
                },
                data => cell(data, row).map_or(serde_json::Value::Null, serde_json::Value::String),
            };
            if i > 0 {
                line.push_str(", ");
            }
            line.push_str(&serde_json::to_string(&column.name)?);
            line.push_str(": ");
            line.push_str(&serde_json::to_string(&value)?);
        }
        line.push_str("}\n");
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

fn write_parquet(table: &Table, out: impl Write + Send) -> Result<(), Error> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for column in &table.columns {
        match &column.data {
            ColumnData::Numeric(values) => {
                fields.push(Field::new(&column.name, DataType::Float64, true));
                arrays.push(Arc::new(Float64Array::from(
                    values.iter().collect::<Vec<_>>(),
                )));
            }
            ColumnData::Categorical { labels, codes } => {
                fields.push(Field::new(&column.name, DataType::Utf8, true));
                arrays.push(Arc::new(StringArray::from_iter(
                    codes.iter().map(|c| c.map(|c| labels[c as usize].as_str())),
                )));
            }
        }
    }
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?;
    let mut writer = ArrowWriter::try_new(out, batch.schema(), None)?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(())
}
