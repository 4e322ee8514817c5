//! JSON Lines: one object a line, nested objects flattened with dots, streamed into column
//! builders by a serde visitor (no intermediate `Value`, keys built in one reused buffer).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use drift_core::NamedColumn;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::column::{ColumnBuilder, FxBuild, PushError};
use crate::csv_reader::MAX_RECORD_BYTES;
use crate::error::{Position, ReadError};
use crate::input::io_error;
use crate::table::{ReadOptions, Table, missing_column};

/// Reads a JSON Lines stream.
pub(crate) fn read(
    stream: impl Read,
    path: &Path,
    options: &ReadOptions,
) -> Result<Table, ReadError> {
    let mut lines = Lines {
        input: BufReader::with_capacity(256 << 10, stream),
        line: 0,
    };
    let mut state = State::new(options);
    let mut buf = Vec::with_capacity(4096);
    loop {
        match lines.next(&mut buf) {
            Ok(false) => break,
            Ok(true) => {}
            Err(LineError::Io(e)) => return Err(io_error(path, e)),
            Err(LineError::TooLong) => {
                return Err(ReadError::LineTooLong {
                    path: path.to_owned(),
                    line: lines.line,
                    limit_mib: MAX_RECORD_BYTES >> 20,
                });
            }
        }
        let mut text = buf.as_slice();
        if lines.line == 1 {
            text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        }
        if text.trim_ascii().is_empty() {
            continue;
        }
        state
            .row(text)
            .map_err(|failure| failure.into_error(path, lines.line, &state.key, text.len()))?;
    }
    state.finish(path)
}

/// Lines of a stream, each at most [`MAX_RECORD_BYTES`] long.
struct Lines<R> {
    input: BufReader<R>,
    /// Lines read so far (the 1-based number of the last one).
    line: u64,
}

enum LineError {
    Io(io::Error),
    TooLong,
}

impl<R: Read> Lines<R> {
    /// Reads the next line into `buf` (without its `\n`); `false` at the end.
    fn next(&mut self, buf: &mut Vec<u8>) -> Result<bool, LineError> {
        buf.clear();
        let mut any = false;
        loop {
            let available = match self.input.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(LineError::Io(e)),
            };
            if available.is_empty() {
                if any {
                    self.line += 1;
                }
                return Ok(any);
            }
            any = true;
            let (take, done) = match memchr::memchr(b'\n', available) {
                Some(i) => (i, true),
                None => (available.len(), false),
            };
            if buf.len() + take > MAX_RECORD_BYTES {
                self.line += 1;
                return Err(LineError::TooLong);
            }
            buf.extend_from_slice(&available[..take]);
            self.input.consume(take + usize::from(done));
            if done {
                self.line += 1;
                return Ok(true);
            }
        }
    }
}

/// A failure inside a line; the reader adds the file and the line.
enum Failure {
    /// Not JSON, or not an object (serde_json's error).
    Json(serde_json::Error),
    /// A key holding an array.
    Array,
    /// A key given twice in one object (after flattening).
    Duplicate,
    /// A value the column refuses.
    Push(PushError),
}

impl Failure {
    /// The error for this failure at `line`, the key being read being `key`.
    fn into_error(self, path: &Path, line: u64, key: &str, line_len: usize) -> ReadError {
        let path = path.to_owned();
        match self {
            Failure::Json(err) => {
                let message = err.to_string();
                let suffix = format!(" at line {} column {}", err.line(), err.column());
                let message = message.strip_suffix(&suffix).unwrap_or(&message).to_owned();
                ReadError::Json {
                    path,
                    line,
                    column: err.column().clamp(1, line_len.max(1)),
                    message,
                }
            }
            Failure::Array => ReadError::JsonArray {
                path,
                line,
                key: key.to_owned(),
            },
            Failure::Duplicate => ReadError::DuplicateKey {
                path,
                line,
                key: key.to_owned(),
            },
            Failure::Push(PushError::NotANumber(value)) => ReadError::NotANumber {
                path,
                position: Position::Line(line),
                column: key.to_owned(),
                value,
            },
            Failure::Push(PushError::TooManyLabels) => ReadError::TooManyLabels {
                path,
                column: key.to_owned(),
            },
        }
    }
}

/// The columns built so far, and the key being read.
struct State<'o> {
    options: &'o ReadOptions,
    /// The requested columns, when some are.
    wanted: Option<HashSet<&'o str>>,
    /// Column name to its builder.
    index: HashMap<Box<str>, usize, FxBuild>,
    names: Vec<String>,
    builders: Vec<ColumnBuilder>,
    /// The row (1-based) in which each column was last given a value.
    given_in: Vec<u64>,
    /// Rows read so far.
    rows: u64,
    /// Every key seen, in first-seen order (only kept when columns are requested).
    seen: Vec<String>,
    seen_set: HashSet<String>,
    /// The flattened key being read (`a.b.c`).
    key: String,
    /// Why the visitor stopped, when it was not serde_json's own error.
    failure: Option<Failure>,
}

/// A value as it arrives, by JSON type.
enum JsonValue<'a> {
    Missing,
    Number(f64),
    Text(&'a str),
    Bool(bool),
}

impl<'o> State<'o> {
    fn new(options: &'o ReadOptions) -> Self {
        State {
            options,
            wanted: options
                .columns
                .as_ref()
                .map(|c| c.iter().map(String::as_str).collect()),
            index: HashMap::default(),
            names: Vec::new(),
            builders: Vec::new(),
            given_in: Vec::new(),
            rows: 0,
            seen: Vec::new(),
            seen_set: HashSet::new(),
            key: String::new(),
            failure: None,
        }
    }

    /// Reads one line's object into the columns.
    fn row(&mut self, text: &[u8]) -> Result<(), Failure> {
        self.key.clear();
        let row = self.rows + 1;
        let mut de = serde_json::Deserializer::from_slice(text);
        let parsed = ValueSeed {
            state: self,
            top: true,
        }
        .deserialize(&mut de)
        .and_then(|()| de.end());
        if let Err(err) = parsed {
            return Err(self.failure.take().unwrap_or(Failure::Json(err)));
        }
        self.rows = row;
        for (builder, &given) in self.builders.iter_mut().zip(&self.given_in) {
            if given != row {
                builder.push_missing();
            }
        }
        Ok(())
    }

    /// Gives the current key a value in the current row.
    fn set(&mut self, value: JsonValue<'_>) -> Result<(), Failure> {
        let row = self.rows + 1;
        let i = match self.index.get(self.key.as_str()) {
            Some(&i) => i,
            None => {
                if let Some(wanted) = &self.wanted {
                    if !self.seen_set.contains(self.key.as_str()) {
                        self.seen_set.insert(self.key.clone());
                        self.seen.push(self.key.clone());
                    }
                    if !wanted.contains(self.key.as_str()) {
                        return Ok(());
                    }
                }
                let mut builder = ColumnBuilder::new(self.options.forced(&self.key));
                builder.push_missing_n(self.rows as usize);
                self.builders.push(builder);
                self.names.push(self.key.clone());
                self.given_in.push(0);
                self.index
                    .insert(self.key.as_str().into(), self.builders.len() - 1);
                self.builders.len() - 1
            }
        };
        if self.given_in[i] == row {
            return Err(Failure::Duplicate);
        }
        self.given_in[i] = row;
        let builder = &mut self.builders[i];
        match value {
            JsonValue::Missing => {
                builder.push_missing();
                Ok(())
            }
            JsonValue::Number(number) => builder.push_number(number),
            JsonValue::Text(text) => builder.push_text(text),
            JsonValue::Bool(flag) => builder.push_label(if flag { "true" } else { "false" }),
        }
        .map_err(Failure::Push)
    }

    /// The table, columns in first-seen (or requested) order.
    fn finish(self, path: &Path) -> Result<Table, ReadError> {
        if self.rows == 0 {
            return Err(ReadError::Empty {
                path: path.to_owned(),
                expected: "one JSON object a line",
            });
        }
        let rows = self.rows as usize;
        let mut columns: Vec<Option<NamedColumn>> = self
            .names
            .into_iter()
            .zip(self.builders)
            .map(|(name, builder)| {
                Some(NamedColumn {
                    name,
                    data: builder.finish(),
                })
            })
            .collect();
        let columns: Vec<NamedColumn> = match &self.options.columns {
            None => columns.into_iter().flatten().collect(),
            Some(wanted) => wanted
                .iter()
                .map(|w| {
                    self.index
                        .get(w.as_str())
                        .and_then(|&i| columns.get_mut(i))
                        .and_then(Option::take)
                        .ok_or_else(|| missing_column(path, w, &self.seen))
                })
                .collect::<Result<_, _>>()?,
        };
        if columns.is_empty() {
            return Err(ReadError::NoColumns {
                path: path.to_owned(),
            });
        }
        Ok(Table {
            source: path.display().to_string(),
            rows,
            columns,
        })
    }

    /// Stops the visitor with `failure`.
    fn fail<E: de::Error>(&mut self, failure: Failure) -> E {
        self.failure = Some(failure);
        E::custom("stopped")
    }
}

/// A value at the current key (or, `top`, a whole line's object).
struct ValueSeed<'s, 'o> {
    state: &'s mut State<'o>,
    top: bool,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl ValueSeed<'_, '_> {
    fn set<E: de::Error>(self, value: JsonValue<'_>) -> Result<(), E> {
        if self.top {
            return Err(E::custom("expected a JSON object"));
        }
        self.state.set(value).map_err(|f| self.state.fail(f))
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.top {
            "a JSON object"
        } else {
            "a JSON value"
        })
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.set(JsonValue::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.set(JsonValue::Number(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.set(JsonValue::Number(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.set(JsonValue::Number(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.set(JsonValue::Text(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.set(JsonValue::Missing)
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.set(JsonValue::Missing)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<(), A::Error> {
        if self.top {
            return Err(de::Error::custom("expected a JSON object, found an array"));
        }
        Err(self.state.fail(Failure::Array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let prefix = self.state.key.len();
        while map
            .next_key_seed(KeySeed {
                state: &mut *self.state,
                prefix,
            })?
            .is_some()
        {
            map.next_value_seed(ValueSeed {
                state: &mut *self.state,
                top: false,
            })?;
            self.state.key.truncate(prefix);
        }
        Ok(())
    }
}

/// A key, appended to the key buffer after the enclosing object's prefix and a dot.
struct KeySeed<'s, 'o> {
    state: &'s mut State<'o>,
    prefix: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let key = &mut self.state.key;
        key.truncate(self.prefix);
        if self.prefix > 0 {
            key.push('.');
        }
        key.push_str(v);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drift_core::ColumnData;
    use std::io::Write;

    fn read_with(text: &str, options: &ReadOptions) -> Result<Table, ReadError> {
        read(text.as_bytes(), Path::new("t.jsonl"), options)
    }

    fn read_text(text: &str) -> Result<Table, ReadError> {
        read_with(text, &ReadOptions::default())
    }

    fn err(text: &str) -> String {
        read_text(text).unwrap_err().to_string()
    }

    #[test]
    fn flattens_infers_and_fills_missing_values() {
        let text = concat!(
            "{\"id\": 1, \"features\": {\"age\": 31, \"plan\": \"pro\"}, \"ok\": true}\n",
            "\n",
            "{\"id\": 2, \"features\": {\"age\": null}, \"ok\": false, \"late\": \"3\"}\r\n",
            "{\"ok\": true, \"id\": \"NA\", \"features\": {\"plan\": \"free\"}, \"late\": 4.5}",
        );
        let table = read_text(text).expect("table");
        assert_eq!(table.rows, 3);
        let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["id", "features.age", "features.plan", "ok", "late"]);
        assert_eq!(
            table.columns[0].data,
            ColumnData::Numeric(vec![Some(1.0), Some(2.0), None].into())
        );
        assert_eq!(
            table.columns[1].data,
            ColumnData::Numeric(vec![Some(31.0), None, None].into())
        );
        assert_eq!(
            table.columns[2].data,
            ColumnData::categorical_from([Some("pro"), None, Some("free")])
        );
        assert_eq!(
            table.columns[3].data,
            ColumnData::categorical_from([Some("true"), Some("false"), Some("true")])
        );
        assert_eq!(
            table.columns[4].data,
            ColumnData::Numeric(vec![None, Some(3.0), Some(4.5)].into())
        );
    }

    #[test]
    fn a_key_first_seen_late_is_missing_before() {
        let mut text = String::new();
        for i in 0..499 {
            text.push_str(&format!("{{\"a\": {i}}}\n"));
        }
        text.push_str("{\"a\": 499, \"b\": \"x\"}\n");
        let table = read_text(&text).expect("table");
        let ColumnData::Categorical { codes, .. } = &table.columns[1].data else {
            panic!("categorical expected")
        };
        assert_eq!(codes.len(), 500);
        assert!(codes[..499].iter().all(Option::is_none));
        assert_eq!(codes[499], Some(0));
    }

    #[test]
    fn forced_kinds_and_selection() {
        let options = ReadOptions {
            categorical: ["code".to_owned()].into(),
            numeric: ["n".to_owned()].into(),
            columns: Some(vec!["n".into(), "code".into()]),
            ..ReadOptions::default()
        };
        let text = "{\"code\": 7, \"n\": \"2\", \"x\": 1}\n{\"code\": \"07\", \"n\": 3}\n";
        let table = read_with(text, &options).expect("table");
        assert_eq!(table.columns[0].name, "n");
        assert_eq!(
            table.columns[0].data,
            ColumnData::Numeric(vec![Some(2.0), Some(3.0)].into())
        );
        assert_eq!(
            table.columns[1].data,
            ColumnData::categorical_from([Some("7"), Some("07")])
        );
        let err = read_with("{\"n\": 1}\n{\"n\": \"many\"}\n", &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.jsonl:2: column \"n\" is numeric, but \"many\" is not a number"
        );
        let err = read_with("{\"n\": true}\n", &options).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.jsonl:1: column \"n\" is numeric, but \"true\" is not a number"
        );
        let missing = ReadOptions {
            columns: Some(vec!["z".into()]),
            ..ReadOptions::default()
        };
        let err = read_with("{\"a\": 1, \"b\": {\"c\": 2}}\n", &missing).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.jsonl: no column named \"z\" (columns: a, b.c)"
        );
    }

    #[test]
    fn bad_lines_name_file_line_and_column() {
        assert_eq!(
            err("{\"a\": 1}\n{\"a\": 2,}\n"),
            "t.jsonl:2:9: trailing comma"
        );
        assert_eq!(
            err("{\"a\": 1}\n[1, 2]\n"),
            "t.jsonl:2:1: expected a JSON object, found an array"
        );
        assert_eq!(
            err("{\"a\": 1}\n42\n"),
            "t.jsonl:2:2: expected a JSON object"
        );
        assert_eq!(
            err("{\"a\": 1} {\"a\": 2}\n"),
            "t.jsonl:1:10: trailing characters"
        );
        assert_eq!(
            err("{\"a\": 1}\n{\"a\": [1, 2]}\n"),
            "t.jsonl:2: key \"a\" holds an array; only numbers, strings, booleans, null and \
             objects (flattened with dots) are read"
        );
        assert_eq!(
            err("{\"a\": {\"b\": 1}, \"a.b\": 2}\n"),
            "t.jsonl:1: key \"a.b\" appears twice in the object"
        );
        assert_eq!(
            err("{\"a\": 1, \"a\": 2}\n"),
            "t.jsonl:1: key \"a\" appears twice in the object"
        );
        assert_eq!(
            err(""),
            "t.jsonl: the file is empty (expected one JSON object a line)"
        );
        assert_eq!(
            err("\n  \n"),
            "t.jsonl: the file is empty (expected one JSON object a line)"
        );
        assert_eq!(
            err("{}\n{}\n"),
            "t.jsonl: the file has no columns (every object is empty)"
        );
        let bytes = b"{\"a\": \"ok\"}\n{\"a\": \"\xff\"}\n";
        let err = read(&bytes[..], Path::new("t.jsonl"), &ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "t.jsonl:2:8: invalid unicode code point");
    }

    #[test]
    fn a_100_mb_line_is_refused() {
        let stream = b"{\"a\": 1}\n{\"a\": \""
            .chain(io::repeat(b'x').take(100 << 20))
            .chain(&b"\"}\n"[..]);
        let err = read(stream, Path::new("t.jsonl"), &ReadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "t.jsonl: line 2 is longer than 16 MiB");
    }

    #[test]
    fn files_by_name_and_by_content() {
        let dir = std::env::temp_dir().join(format!("tabular-json-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let text = "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2, \"b\": \"y\"}\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).expect("gzip");
        let gz = gz.finish().expect("gzip");
        for (name, bytes) in [
            ("a.jsonl", text.as_bytes()),
            ("a.ndjson.gz", &gz[..]),
            ("a.log", text.as_bytes()), // sniffed: the first line opens an object
            ("a.data", &gz[..]),        // sniffed: gzip, then an object
        ] {
            let path = dir.join(name);
            std::fs::write(&path, bytes).expect("write");
            let table = crate::read_table(&path, &ReadOptions::default()).expect(name);
            assert_eq!(table.rows, 2, "{name}");
            assert_eq!(table.columns.len(), 2, "{name}");
        }
    }
}
