//! CSV: a streaming csv-core loop with one reused record buffer, delimiter detection, kind
//! inference, and records bounded at [`MAX_RECORD_BYTES`].

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::column::{ColumnBuilder, PushError};
use crate::error::{Position, ReadError};
use crate::input::{Counting, io_error, kind_by_name, open, peek_first_line, text_stream};
use crate::table::{ReadOptions, Table};

/// The longest record (a line, or a quoted record spanning lines) read, in bytes: 16 MiB.
///
/// A longer one is an error rather than a buffer grown without bound.
pub const MAX_RECORD_BYTES: usize = 16 << 20;

/// The most fields a record may have.
const MAX_FIELDS: usize = 1 << 20;

/// The delimiters detected, in order of preference on a tie.
const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How a CSV stream is laid out, beyond its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Layout {
    /// Named `.tsv`: tab when no delimiter is given, without detection.
    pub(crate) tsv: bool,
    /// The stream's length in bytes when known, to size the columns after a few rows.
    pub(crate) size_hint: Option<u64>,
}

/// Reads a CSV file with a header row, whatever its extension (gzip when it ends in `.gz`).
///
/// # Errors
/// [`ReadError`] naming the file, and the line and column where they apply: unreadable,
/// empty, header only, ragged rows, invalid UTF-8, a record over [`MAX_RECORD_BYTES`],
/// duplicate or missing columns, a non-number in a column forced numeric.
pub fn read_csv(path: &Path, options: &ReadOptions) -> Result<Table, ReadError> {
    options.check()?;
    let file = open(path)?;
    let size = file.metadata().ok().map(|m| m.len());
    let gzip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let stream = text_stream(file, size, gzip, options);
    let (first_line, stream) = peek_first_line(stream).map_err(|e| io_error(path, e))?;
    let layout = Layout {
        tsv: kind_by_name(path).is_some_and(|k| k.tsv),
        size_hint: if gzip { None } else { size },
    };
    read(stream, &first_line, path, options, layout)
}

/// Reads CSV from any reader; `source` names it in errors and in the table.
///
/// # Errors
/// As [`read_csv`].
pub fn read_csv_from<R: Read>(
    reader: R,
    source: &str,
    options: &ReadOptions,
) -> Result<Table, ReadError> {
    options.check()?;
    let path = PathBuf::from(source);
    let counted = Counting::new(reader, None, options.progress.clone());
    let (first_line, stream) = peek_first_line(counted).map_err(|e| io_error(&path, e))?;
    read(stream, &first_line, &path, options, Layout::default())
}

/// Picks the delimiter of a header line: the most frequent of `,` `;` tab `|` outside
/// double quotes (the first of them on a tie); `fallback` when none occurs.
pub(crate) fn detect_delimiter(first_line: &[u8], fallback: u8) -> u8 {
    let mut counts = [0usize; DELIMITERS.len()];
    let mut quoted = false;
    for &byte in first_line {
        if byte == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = DELIMITERS.iter().position(|&d| d == byte) {
            counts[i] += 1;
        }
    }
    let mut best = None;
    for (i, &count) in counts.iter().enumerate() {
        if count > 0 && best.is_none_or(|(_, c)| count > c) {
            best = Some((i, count));
        }
    }
    best.map_or(fallback, |(i, _)| DELIMITERS[i])
}

/// Reads the whole stream (its first line already peeked, and still in `stream`).
pub(crate) fn read(
    stream: impl Read,
    first_line: &[u8],
    path: &Path,
    options: &ReadOptions,
    layout: Layout,
) -> Result<Table, ReadError> {
    let delimiter = match (options.delimiter, layout.tsv) {
        (Some(delimiter), _) => delimiter,
        (None, true) => b'\t',
        (None, false) => detect_delimiter(first_line, b','),
    };
    let mut records = Records::new(stream, delimiter);
    let record_error = |err: RecordError| match err {
        RecordError::Io(e) => io_error(path, e),
        RecordError::TooLong { line } => ReadError::LineTooLong {
            path: path.to_owned(),
            line,
            limit_mib: MAX_RECORD_BYTES >> 20,
        },
        RecordError::TooManyFields { line } => ReadError::Malformed {
            path: path.to_owned(),
            line,
            message: format!("the record has more than {MAX_FIELDS} fields"),
        },
    };
    if !records.next().map_err(record_error)? {
        return Err(ReadError::Empty {
            path: path.to_owned(),
            expected: "a header row",
        });
    }
    let names = header_names(&records, path)?;
    let mut seen = HashSet::new();
    for name in &names {
        if !seen.insert(name) {
            return Err(ReadError::DuplicateColumn {
                path: path.to_owned(),
                name: name.clone(),
            });
        }
    }
    let selected = options.select(path, &names)?;
    let mut builders: Vec<ColumnBuilder> = selected
        .iter()
        .map(|&i| ColumnBuilder::new(options.forced(&names[i])))
        .collect();
    let mut rows = 0usize;
    let mut sized = false;
    while records.next().map_err(record_error)? {
        if records.len() != names.len() {
            if records.len() == 1 && names.len() > 1 && records.field(0).trim_ascii().is_empty() {
                continue; // a blank line
            }
            return Err(ReadError::Ragged {
                path: path.to_owned(),
                line: records.start_line(),
                expected: names.len(),
                found: records.len(),
            });
        }
        // one UTF-8 check for the record; a field on char boundaries of it is valid too
        let record = std::str::from_utf8(records.bytes()).ok();
        for (builder, &i) in builders.iter_mut().zip(&selected) {
            let whole = record.and_then(|r| r.get(records.range(i)));
            let Some(text) = whole.or_else(|| std::str::from_utf8(records.field(i)).ok()) else {
                return Err(ReadError::Malformed {
                    path: path.to_owned(),
                    line: records.start_line(),
                    message: format!(
                        "field {} (column \"{}\") is not valid UTF-8",
                        i + 1,
                        names[i]
                    ),
                });
            };
            builder.push_text(text).map_err(|e| match e {
                PushError::NotANumber(value) => ReadError::NotANumber {
                    path: path.to_owned(),
                    position: Position::Line(records.start_line()),
                    column: names[i].clone(),
                    value,
                },
                PushError::TooManyLabels => ReadError::TooManyLabels {
                    path: path.to_owned(),
                    column: names[i].clone(),
                },
            })?;
        }
        rows += 1;
        // size the columns once from the first rows, sparing the reallocations
        if !sized && rows == 1024 {
            sized = true;
            if let Some(total) = layout.size_hint {
                let per_row = (records.consumed as f64 / (rows + 1) as f64).max(1.0);
                let estimate = (total as f64 / per_row * 1.02) as usize;
                let estimate = estimate.min(u32::MAX as usize);
                for builder in &mut builders {
                    builder.reserve(estimate.saturating_sub(builder.len()));
                }
            }
        }
    }
    if rows == 0 {
        return Err(ReadError::HeaderOnly {
            path: path.to_owned(),
        });
    }
    Ok(Table::from_builders(
        path, rows, builders, &names, &selected,
    ))
}

/// The header's names: trimmed, a byte-order mark dropped, an empty one `column_N`.
fn header_names<R: Read>(records: &Records<R>, path: &Path) -> Result<Vec<String>, ReadError> {
    (0..records.len())
        .map(|i| {
            let raw = std::str::from_utf8(records.field(i)).map_err(|_| ReadError::Malformed {
                path: path.to_owned(),
                line: records.start_line(),
                message: format!("field {} of the header is not valid UTF-8", i + 1),
            })?;
            let name = raw.trim().trim_start_matches('\u{feff}').trim();
            Ok(if name.is_empty() {
                format!("column_{}", i + 1)
            } else {
                name.to_owned()
            })
        })
        .collect()
}

/// Why the next record could not be read.
enum RecordError {
    Io(io::Error),
    /// A record over [`MAX_RECORD_BYTES`], starting at this line.
    TooLong {
        line: u64,
    },
    /// A record over [`MAX_FIELDS`] fields, starting at this line.
    TooManyFields {
        line: u64,
    },
}

impl From<io::Error> for RecordError {
    fn from(err: io::Error) -> Self {
        RecordError::Io(err)
    }
}

/// Records of a CSV stream, one at a time, in one reused buffer.
///
/// A line without a quote or a carriage return inside is split at its delimiters directly
/// (the usual line of a numeric table); any other record goes through csv-core, which
/// handles quoting, line breaks inside quotes and records across buffer refills. Both give
/// the same fields for such a line.
struct Records<R> {
    input: BufReader<R>,
    core: csv_core::Reader,
    delimiter: u8,
    /// Whether the direct split may be used at all.
    direct: bool,
    /// Whether the direct split is tried (not for the header, nor after a line too long
    /// for the buffer).
    fast: bool,
    /// Whether the first record (the header) was read.
    started: bool,
    /// The fields of the current record: back to back (csv-core) or with their one-byte
    /// delimiters between them (direct split); see `gap`.
    out: Vec<u8>,
    out_len: usize,
    /// Where each field of the current record ends in `out`.
    ends: Vec<usize>,
    ends_len: usize,
    /// Bytes between one field's end and the next one's start: 0 or 1.
    gap: usize,
    /// Line breaks (`\n`) consumed so far.
    lines: u64,
    /// The 1-based line where the current record starts.
    start: u64,
    /// Bytes consumed from the stream.
    consumed: u64,
}

/// A line not found within this many buffered bytes turns the direct split off.
const FAST_LINE_LIMIT: usize = 64 << 10;

impl<R: Read> Records<R> {
    fn new(reader: R, delimiter: u8) -> Self {
        Self::with_direct_split(reader, delimiter, true)
    }

    /// Records split directly where they can be (`direct`), or all through csv-core.
    fn with_direct_split(reader: R, delimiter: u8, direct: bool) -> Self {
        Records {
            direct,
            input: BufReader::with_capacity(256 << 10, reader),
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            fast: false,
            started: false,
            out: vec![0; 64 << 10],
            out_len: 0,
            ends: vec![0; 256],
            ends_len: 0,
            gap: 0,
            lines: 0,
            start: 1,
            consumed: 0,
        }
    }

    /// Reads the next record; `false` at the end of the stream.
    fn next(&mut self) -> Result<bool, RecordError> {
        self.out_len = 0;
        self.ends_len = 0;
        if self.fast && self.next_direct()? {
            return Ok(true);
        }
        let found = self.next_core()?;
        if !self.started {
            // after the header (csv-core strips a byte-order mark before it), split directly
            self.started = true;
            self.fast = self.direct && !matches!(self.delimiter, b'"' | b'\r' | b'\n');
        }
        Ok(found)
    }

    /// Splits the next line directly when it is a plain one; `false` to leave it to csv-core.
    fn next_direct(&mut self) -> Result<bool, RecordError> {
        loop {
            let input = match self.input.fill_buf() {
                Ok(input) => input,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            let Some(newline) = memchr::memchr(b'\n', input) else {
                if input.len() >= FAST_LINE_LIMIT {
                    self.fast = false;
                }
                return Ok(false);
            };
            let mut line = &input[..newline];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            if memchr::memchr2(b'"', b'\r', line).is_some() {
                return Ok(false);
            }
            let taken = newline + 1;
            if line.is_empty() {
                // a blank line, skipped as csv-core skips it
                self.input.consume(taken);
                self.lines += 1;
                self.consumed += taken as u64;
                continue;
            }
            if self.out.len() < line.len() {
                self.out.resize(line.len().next_power_of_two(), 0);
            }
            self.out[..line.len()].copy_from_slice(line);
            self.out_len = line.len();
            if self.ends.len() <= line.len() {
                self.ends.resize((line.len() + 1).next_power_of_two(), 0);
            }
            // branch-free: a delimiter every few bytes, at no regular interval, would make a
            // branch mispredict about once a field (`ends` has room for a field a byte)
            let mut n = 0;
            let ends = &mut self.ends[..=line.len()];
            for (i, &byte) in line.iter().enumerate() {
                ends[n] = i;
                n += usize::from(byte == self.delimiter);
            }
            self.ends[n] = line.len();
            self.ends_len = n + 1;
            self.gap = 1;
            self.start = self.lines + 1;
            self.input.consume(taken);
            self.lines += 1;
            self.consumed += taken as u64;
            return Ok(true);
        }
    }

    /// Reads the next record with csv-core.
    fn next_core(&mut self) -> Result<bool, RecordError> {
        use csv_core::ReadRecordResult as R;
        self.gap = 0;
        loop {
            let input = match self.input.fill_buf() {
                Ok(input) => input,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            };
            let (result, n_in, n_out, n_ends) = self.core.read_record(
                input,
                &mut self.out[self.out_len..],
                &mut self.ends[self.ends_len..],
            );
            let read = &input[..n_in];
            let ended_by_lf = read.last() == Some(&b'\n');
            self.lines += memchr::memchr_iter(b'\n', read).count() as u64;
            self.input.consume(n_in);
            self.consumed += n_in as u64;
            self.out_len += n_out;
            self.ends_len += n_ends;
            match result {
                R::InputEmpty => {}
                R::OutputFull => {
                    if self.out.len() >= MAX_RECORD_BYTES {
                        return Err(RecordError::TooLong {
                            line: self.line_of_partial(),
                        });
                    }
                    let grown = (self.out.len() * 2).min(MAX_RECORD_BYTES);
                    self.out.resize(grown, 0);
                }
                R::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        return Err(RecordError::TooManyFields {
                            line: self.line_of_partial(),
                        });
                    }
                    let grown = (self.ends.len() * 2).min(MAX_FIELDS);
                    self.ends.resize(grown, 0);
                }
                R::Record => {
                    // the line it ends on, less the line breaks inside its quoted fields
                    let last_line = self.lines + 1 - u64::from(ended_by_lf);
                    let inner = memchr::memchr_iter(b'\n', self.bytes()).count() as u64;
                    self.start = last_line.saturating_sub(inner).max(1);
                    return Ok(true);
                }
                R::End => return Ok(false),
            }
        }
    }

    /// Fields in the current record.
    fn len(&self) -> usize {
        self.ends_len
    }

    /// Field `i` of the current record (empty when out of range).
    fn field(&self, i: usize) -> &[u8] {
        self.out.get(self.range(i)).unwrap_or_default()
    }

    /// Where field `i` sits in [`Self::bytes`].
    #[inline]
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        let start = match i.checked_sub(1) {
            None => 0,
            Some(before) => self.ends.get(before).map_or(0, |end| end + self.gap),
        };
        let end = self.ends.get(i).copied().unwrap_or(start).max(start);
        start..end
    }

    /// The current record's bytes (its fields, with delimiters between them or not).
    fn bytes(&self) -> &[u8] {
        &self.out[..self.out_len]
    }

    /// The 1-based line where the current record starts.
    fn start_line(&self) -> u64 {
        self.start
    }

    /// The line where a record still being read started.
    fn line_of_partial(&self) -> u64 {
        let inner = memchr::memchr_iter(b'\n', self.bytes()).count() as u64;
        (self.lines + 1).saturating_sub(inner).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drift_core::ColumnData;
    use std::io::Write;

    fn read(text: &str) -> Result<Table, ReadError> {
        read_csv_from(text.as_bytes(), "t.csv", &ReadOptions::default())
    }

    fn err(text: &str) -> String {
        read(text).unwrap_err().to_string()
    }

    /// A unique file under the temp dir holding `bytes`.
    fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tabular-csv-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("temp file");
        path
    }

    /// Every record of `text` with its start line, split directly or through csv-core.
    fn records(text: &[u8], direct: bool) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut records = Records::with_direct_split(text, b',', direct);
        let mut all = Vec::new();
        while records.next().unwrap_or(false) {
            let fields = (0..records.len())
                .map(|i| records.field(i).to_vec())
                .collect();
            all.push((records.start_line(), fields));
        }
        all
    }

    #[test]
    fn the_direct_split_agrees_with_csv_core() {
        let pieces: [&[u8]; 12] = [
            b"a", b"bc", b",", b",", b"\n", b"\r\n", b"\"", b"\"q,\"", b"\r", b" ", b"\n\n", b"7.5",
        ];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for case in 0..3000 {
            let mut text = b"h1,h2\n".to_vec();
            let len = 1 + (case % 60);
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.extend_from_slice(pieces[(state % pieces.len() as u64) as usize]);
            }
            assert_eq!(
                records(&text, true),
                records(&text, false),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    #[test]
    fn infers_kinds_and_missing_values() {
        let table = read("a,b,c\n1,x,\n2.5,y,NA\nnull,x,3\n").expect("table");
        assert_eq!(table.rows, 3);
        assert_eq!(
            table.columns[0].data,
            ColumnData::Numeric(vec![Some(1.0), Some(2.5), None].into())
        );
        assert_eq!(
            table.columns[1].data,
            ColumnData::categorical_from([Some("x"), Some("y"), Some("x")])
        );
        assert_eq!(
            table.columns[2].data,
            ColumnData::Numeric(vec![None, None, Some(3.0)].into())
        );
    }

    #[test]
    fn a_late_label_turns_a_column_categorical() {
        let table = read("a\n1\n2\nthree\n").expect("table");
        assert_eq!(
            table.columns[0].data,
            ColumnData::categorical_from([Some("1"), Some("2"), Some("three")])
        );
    }

    #[test]
    fn quoting_blank_lines_crlf_and_bom() {
        let text = "\u{feff}name,\"note, quoted\"\r\n\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n  \r\nz,\"two\nlines\"\r\n";
        let table = read(text).expect("table");
        assert_eq!(table.rows, 2);
        assert_eq!(table.columns[0].name, "name");
        assert_eq!(table.columns[1].name, "note, quoted");
        assert_eq!(
            table.columns[0].data,
            ColumnData::categorical_from([Some("x, y"), Some("z")])
        );
        assert_eq!(
            table.columns[1].data,
            ColumnData::categorical_from([Some("say \"hi\""), Some("two\nlines")])
        );
    }

    #[test]
    fn a_last_line_without_newline_and_empty_header_names() {
        let table = read("a,\n1,2").expect("table");
        assert_eq!(table.rows, 1);
        assert_eq!(table.columns[1].name, "column_2");
    }

    #[test]
    fn delimiters_are_detected_or_given() {
        assert_eq!(detect_delimiter(b"a;b;c\n", b','), b';');
        assert_eq!(detect_delimiter(b"a\tb\n", b','), b'\t');
        assert_eq!(detect_delimiter(b"a|b\n", b','), b'|');
        assert_eq!(detect_delimiter(b"\"a,b\";c\n", b','), b';');
        assert_eq!(detect_delimiter(b"a,b;c\n", b','), b',');
        assert_eq!(detect_delimiter(b"single\n", b'\t'), b'\t');
        let table = read("a;b\n1,5;x\n").expect("table");
        assert_eq!(table.columns.len(), 2);
        assert_eq!(
            table.columns[0].data,
            ColumnData::categorical_from([Some("1,5")])
        );
        let options = ReadOptions {
            delimiter: Some(b'|'),
            ..ReadOptions::default()
        };
        let table = read_csv_from("a,b|c\n1|2\n".as_bytes(), "t.csv", &options).expect("table");
        assert_eq!(table.columns[0].name, "a,b");
    }

    #[test]
    fn errors_name_file_and_line() {
        assert_eq!(err(""), "t.csv: the file is empty (expected a header row)");
        assert_eq!(
            err("\n\n"),
            "t.csv: the file is empty (expected a header row)"
        );
        assert_eq!(
            err("a,b\n"),
            "t.csv: the file has a header row but no data rows"
        );
        assert_eq!(
            err("a,b\n1,2\n3\n"),
            "t.csv:3: expected 2 fields as in the header, found 1"
        );
        assert_eq!(
            err("a,b\n\n1,2\n\"x\ny\",1\n3,4,5\n"),
            "t.csv:6: expected 2 fields as in the header, found 3"
        );
        assert_eq!(
            err("a,b\r\n1,2\r\n3\r\n"),
            "t.csv:3: expected 2 fields as in the header, found 1"
        );
        assert_eq!(
            err("a,a\n1,2\n"),
            "t.csv:1: column \"a\" appears twice in the header"
        );
    }

    #[test]
    fn invalid_utf8_names_line_and_field() {
        let bytes = b"a,b\n1,x\n2,\xff\xfe\n";
        let err = read_csv_from(&bytes[..], "t.csv", &ReadOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:3: field 2 (column \"b\") is not valid UTF-8"
        );
        let bytes = b"a,\xc3\n1,2\n";
        let err = read_csv_from(&bytes[..], "t.csv", &ReadOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:1: field 2 of the header is not valid UTF-8"
        );
    }

    #[test]
    fn forced_numeric_names_line_column_and_value() {
        let options = ReadOptions {
            numeric: ["b".to_owned()].into(),
            ..ReadOptions::default()
        };
        let err =
            read_csv_from("a,b\n1,2\n2,NA\n3,oops\n".as_bytes(), "t.csv", &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:4: column \"b\" is numeric, but \"oops\" is not a number"
        );
    }

    #[test]
    fn selects_and_forces_columns() {
        let options = ReadOptions {
            categorical: ["b".to_owned()].into(),
            columns: Some(vec!["b".into()]),
            ..ReadOptions::default()
        };
        let table = read_csv_from("a,b\n1,2\n".as_bytes(), "t.csv", &options).expect("table");
        assert_eq!(table.columns.len(), 1);
        assert_eq!(
            table.columns[0].data,
            ColumnData::categorical_from([Some("2")])
        );
        let missing = ReadOptions {
            columns: Some(vec!["z".into()]),
            ..ReadOptions::default()
        };
        let err = read_csv_from("a,b\n1,2\n".as_bytes(), "t.csv", &missing).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: no column named \"z\" (columns: a, b)"
        );
    }

    #[test]
    fn an_all_missing_column_is_read() {
        let table = read("a,b\n1,\n2,NA\n").expect("table");
        assert_eq!(
            table.columns[1].data,
            ColumnData::Numeric(vec![None, None].into())
        );
    }

    #[test]
    fn a_100_mb_line_is_refused_without_buffering_it() {
        let stream = b"a,b\n1,2\n"
            .chain(io::repeat(b'x').take(100 << 20))
            .chain(&b"\n"[..]);
        let err = read_csv_from(stream, "t.csv", &ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "t.csv: line 3 is longer than 16 MiB");
        // an unclosed quote swallows the rest of the file: bounded too
        let stream = b"a,b\n1,\"2\n"
            .chain(io::repeat(b'y').take(20 << 20))
            .chain(&b"\n"[..]);
        let err = read_csv_from(stream, "t.csv", &ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "t.csv: line 2 is longer than 16 MiB");
    }

    #[test]
    fn files_gzip_and_tsv() {
        let path = temp_file("plain.csv", b"a,b\n1,x\n");
        let table = read_csv(&path, &ReadOptions::default()).expect("table");
        assert_eq!(table.source, path.display().to_string());
        assert_eq!(table.rows, 1);

        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"a\tb c\n1\t2\n3\t4\n").expect("gzip");
        let path = temp_file("data.tsv.gz", &gz.finish().expect("gzip"));
        let table = read_csv(&path, &ReadOptions::default()).expect("table");
        assert_eq!(table.rows, 2);
        assert_eq!(table.columns[1].name, "b c");
        let table = crate::read_table(&path, &ReadOptions::default()).expect("table");
        assert_eq!(table.rows, 2);

        // a one-column .tsv keeps its commas
        let path = temp_file("one.tsv", b"a,b\n1,2\n");
        let table = crate::read_table(&path, &ReadOptions::default()).expect("table");
        assert_eq!(table.columns[0].name, "a,b");

        let path = temp_file("bad.csv.gz", b"a,b\n1,2\n3,4\n5,6\n");
        let message = crate::read_table(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            format!(
                "{}: not a valid gzip file (invalid gzip header)",
                path.display()
            )
        );
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        writeln!(gz, "x,y").expect("gzip");
        for i in 0..10_000 {
            writeln!(gz, "{i},{}", i * 7).expect("gzip");
        }
        let bytes = gz.finish().expect("gzip");
        let path = temp_file("truncated.csv.gz", &bytes[..bytes.len() / 2]);
        let message = read_csv(&path, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            format!(
                "{}: not a valid gzip file (incomplete deflate stream)",
                path.display()
            )
        );
    }

    #[test]
    fn progress_reaches_the_file_size() {
        use std::sync::{Arc, Mutex};
        let mut text = String::from("x,y\n");
        for i in 0..200_000 {
            text.push_str(&format!("{i},{}\n", i % 7));
        }
        let path = temp_file("progress.csv", text.as_bytes());
        let last = Arc::new(Mutex::new(Vec::new()));
        let seen = last.clone();
        let options = ReadOptions {
            progress: Some(Arc::new(move |done, total| {
                seen.lock().expect("lock").push((done, total));
            })),
            ..ReadOptions::default()
        };
        let table = crate::read_table(&path, &options).expect("table");
        assert_eq!(table.rows, 200_000);
        let calls = last.lock().expect("lock");
        let size = text.len() as u64;
        assert!(calls.len() >= 2, "{calls:?}");
        assert_eq!(calls.last(), Some(&(size, Some(size))));
    }
}
