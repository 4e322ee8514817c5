//! Opening a file: its format (by extension, else by its first bytes), gzip, progress.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::error::ReadError;
use crate::table::{ProgressFn, ReadOptions, Table};

/// The formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Csv,
    JsonLines,
    Parquet,
}

/// A format and whether the bytes are gzip-compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kind {
    pub(crate) format: Format,
    pub(crate) gzip: bool,
    /// Named `.tsv`: tab is the delimiter when none is given and the header has none.
    pub(crate) tsv: bool,
}

/// The format a file's name gives: `.csv` `.tsv` `.txt` `.jsonl` `.ndjson` `.parquet`, each
/// but Parquet optionally followed by `.gz`. `None` for any other name.
pub(crate) fn kind_by_name(path: &Path) -> Option<Kind> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let (stem, gzip) = match name.strip_suffix(".gz") {
        Some(stem) => (stem, true),
        None => (name.as_str(), false),
    };
    let extension = stem.rsplit_once('.')?.1;
    let format = match extension {
        "csv" | "tsv" | "txt" => Format::Csv,
        "jsonl" | "ndjson" => Format::JsonLines,
        "parquet" => Format::Parquet,
        _ => return None,
    };
    Some(Kind {
        format,
        gzip,
        tsv: extension == "tsv",
    })
}

/// Reads a table in any format read here; see the crate docs.
///
/// The format comes from the file's extension (`.csv`, `.tsv`, `.txt`, `.jsonl`, `.ndjson`,
/// each optionally `.gz`, and `.parquet`); for any other name from its first bytes: `PAR1`
/// is Parquet, `1f 8b` gzip (whose content is sniffed in turn), a first line starting with
/// `{` JSON Lines, anything else CSV.
///
/// # Errors
/// [`ReadError`] naming the file and, where it applies, the line (or row) and the column.
pub fn read_table(path: &Path, options: &ReadOptions) -> Result<Table, ReadError> {
    options.check()?;
    let mut file = open(path)?;
    let size = file.metadata().ok().map(|m| m.len());
    let named = kind_by_name(path);
    let kind = match named {
        Some(kind) => kind,
        None => {
            let mut magic = [0u8; 4];
            let n = read_up_to(&mut file, &mut magic).map_err(|e| io_error(path, e))?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| io_error(path, e))?;
            match &magic[..n] {
                b"PAR1" => Kind {
                    format: Format::Parquet,
                    gzip: false,
                    tsv: false,
                },
                [0x1f, 0x8b, ..] => Kind {
                    format: Format::Csv, // settled after decompressing the first line
                    gzip: true,
                    tsv: false,
                },
                _ => Kind {
                    format: Format::Csv, // settled from the first line
                    gzip: false,
                    tsv: false,
                },
            }
        }
    };
    let sniff = named.is_none();
    if kind.format == Format::Parquet {
        if kind.gzip {
            return Err(ReadError::Parquet {
                path: path.to_owned(),
                message: "a gzip-compressed Parquet file cannot be read; decompress it first"
                    .into(),
            });
        }
        return read_parquet(path, file, size, options);
    }
    let stream = text_stream(file, size, kind.gzip, options);
    let (first_line, stream) = peek_first_line(stream).map_err(|e| io_error(path, e))?;
    let format = if sniff && starts_like_json(&first_line) {
        Format::JsonLines
    } else {
        kind.format
    };
    // a gzip file's rows are not sized from its compressed length
    let size_hint = if kind.gzip { None } else { size };
    match format {
        Format::JsonLines => crate::json_reader::read(stream, path, options),
        _ => crate::csv_reader::read(
            stream,
            &first_line,
            path,
            options,
            crate::csv_reader::Layout {
                tsv: kind.tsv,
                size_hint,
            },
        ),
    }
}

#[cfg(feature = "parquet")]
fn read_parquet(
    path: &Path,
    file: File,
    size: Option<u64>,
    options: &ReadOptions,
) -> Result<Table, ReadError> {
    crate::parquet_reader::read(path, file, size, options)
}

#[cfg(not(feature = "parquet"))]
fn read_parquet(
    path: &Path,
    _file: File,
    _size: Option<u64>,
    _options: &ReadOptions,
) -> Result<Table, ReadError> {
    Err(ReadError::Unsupported {
        path: path.to_owned(),
        format: "Parquet",
        feature: "parquet",
    })
}

/// The bytes of a text file, decompressed when `gzip`, counted for progress.
pub(crate) fn text_stream(
    file: File,
    size: Option<u64>,
    gzip: bool,
    options: &ReadOptions,
) -> Box<dyn Read> {
    let counted = Counting::new(file, size, options.progress.clone());
    if gzip {
        Box::new(Gunzip(flate2::read::MultiGzDecoder::new(counted)))
    } else {
        Box::new(counted)
    }
}

/// Opens a regular file; a directory or a missing file is an error naming it.
pub(crate) fn open(path: &Path) -> Result<File, ReadError> {
    let metadata = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
    if metadata.is_dir() {
        return Err(ReadError::NotAFile {
            path: path.to_owned(),
        });
    }
    File::open(path).map_err(|e| io_error(path, e))
}

/// Whether the first line (after a byte-order mark and blanks) opens a JSON object.
fn starts_like_json(first_line: &[u8]) -> bool {
    let line = first_line
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(first_line);
    line.trim_ascii_start().first() == Some(&b'{')
}

/// Reads as much of `buf` as the reader has.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The most read ahead to find the first line (for delimiter detection and sniffing).
const PEEK_LIMIT: usize = 1 << 20;

/// A stream with its first bytes (up to the first line's end) read ahead and put back.
pub(crate) type Peeked<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Reads the first line (up to its `\n`, at most [`PEEK_LIMIT`] bytes) and returns it with
/// the whole stream, the line included.
pub(crate) fn peek_first_line<R: Read>(mut reader: R) -> io::Result<(Vec<u8>, Peeked<R>)> {
    let mut prefix = Vec::with_capacity(8192);
    let mut chunk = [0u8; 8192];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        let had = prefix.len();
        prefix.extend_from_slice(&chunk[..n]);
        if memchr::memchr(b'\n', &prefix[had..]).is_some() || prefix.len() >= PEEK_LIMIT {
            break;
        }
    }
    let end = memchr::memchr(b'\n', &prefix).map_or(prefix.len(), |i| i + 1);
    let first_line = prefix[..end].to_vec();
    Ok((first_line, io::Cursor::new(prefix).chain(reader)))
}

/// An error from the gzip decoder, told apart from the disk's.
#[derive(Debug)]
struct GzipFailure(io::Error);

impl std::fmt::Display for GzipFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for GzipFailure {}

/// A gzip decoder whose format errors are marked as such (see [`io_error`]).
struct Gunzip<R: Read>(flate2::read::MultiGzDecoder<R>);

impl<R: Read> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf).map_err(|e| match e.kind() {
            io::ErrorKind::InvalidInput
            | io::ErrorKind::InvalidData
            | io::ErrorKind::UnexpectedEof => io::Error::new(e.kind(), GzipFailure(e)),
            _ => e,
        })
    }
}

/// A `ReadError` for an I/O error while reading `path`: gzip failures say so.
pub(crate) fn io_error(path: &Path, err: io::Error) -> ReadError {
    let gzip = err
        .get_ref()
        .is_some_and(|inner| inner.downcast_ref::<GzipFailure>().is_some());
    if gzip {
        let kind = err.kind();
        let inner = err
            .into_inner()
            .and_then(|inner| inner.downcast::<GzipFailure>().ok());
        return ReadError::Gzip {
            path: path.to_owned(),
            source: inner.map_or_else(|| io::Error::from(kind), |g| g.0),
        };
    }
    if err.kind() == io::ErrorKind::IsADirectory {
        return ReadError::NotAFile {
            path: path.to_owned(),
        };
    }
    ReadError::Io {
        path: path.to_owned(),
        source: err,
    }
}

/// How often progress is told, in bytes consumed.
const PROGRESS_EVERY: u64 = 1 << 20;

/// Counts the bytes read from the file and tells the progress callback about every MiB,
/// and once more at the end.
pub(crate) struct Counting<R> {
    inner: R,
    read: u64,
    told: u64,
    total: Option<u64>,
    progress: Option<ProgressFn>,
    done: bool,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R, total: Option<u64>, progress: Option<ProgressFn>) -> Self {
        Counting {
            inner,
            read: 0,
            told: 0,
            total,
            progress,
            done: false,
        }
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if let Some(progress) = &self.progress {
            if n == 0 && !self.done {
                self.done = true;
                progress(self.read, self.total);
            } else if self.read - self.told >= PROGRESS_EVERY {
                self.told = self.read;
                progress(self.read, self.total);
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn kind(name: &str) -> Option<(Format, bool)> {
        kind_by_name(Path::new(name)).map(|k| (k.format, k.gzip))
    }

    #[test]
    fn formats_by_name() {
        assert_eq!(kind("a/b.CSV"), Some((Format::Csv, false)));
        assert_eq!(kind("b.tsv.gz"), Some((Format::Csv, true)));
        assert_eq!(kind("b.txt"), Some((Format::Csv, false)));
        assert_eq!(kind("b.ndjson.gz"), Some((Format::JsonLines, true)));
        assert_eq!(kind("b.jsonl"), Some((Format::JsonLines, false)));
        assert_eq!(kind("b.parquet"), Some((Format::Parquet, false)));
        assert_eq!(kind("b.dat"), None);
        assert_eq!(kind("b.gz"), None);
        assert_eq!(kind("csv"), None);
        assert!(kind_by_name(Path::new("x.tsv")).is_some_and(|k| k.tsv));
    }

    #[test]
    fn peeking_keeps_every_byte() {
        let text = b"a,b\n1,2\n3,4\n";
        let (first, mut stream) = peek_first_line(&text[..]).expect("peek");
        assert_eq!(first, b"a,b\n");
        let mut all = Vec::new();
        stream.read_to_end(&mut all).expect("read");
        assert_eq!(all, text);
        let (first, _) = peek_first_line(&b"no newline"[..]).expect("peek");
        assert_eq!(first, b"no newline");
    }

    #[test]
    fn json_is_sniffed_from_the_first_line() {
        assert!(starts_like_json(b"\xef\xbb\xbf  {\"a\": 1}\n"));
        assert!(!starts_like_json(b"a,b\n"));
        assert!(!starts_like_json(b""));
    }

    #[test]
    fn progress_is_told_every_mib_and_at_the_end() {
        use std::sync::Mutex;
        let calls = std::sync::Arc::new(Mutex::new(Vec::new()));
        let seen = calls.clone();
        let progress: ProgressFn = std::sync::Arc::new(move |done, total| {
            seen.lock().expect("lock").push((done, total));
        });
        let data = vec![b'x'; 3 * (1 << 20) + 10];
        let mut reader = Counting::new(&data[..], Some(data.len() as u64), Some(progress));
        let mut sink = Vec::new();
        reader.read_to_end(&mut sink).expect("read");
        let calls = calls.lock().expect("lock").clone();
        assert!(calls.len() >= 4, "{calls:?}");
        assert!(calls.windows(2).all(|w| w[0].0 <= w[1].0), "{calls:?}");
        assert_eq!(
            calls.last(),
            Some(&(data.len() as u64, Some(data.len() as u64)))
        );
    }

    #[test]
    fn directories_and_missing_files() {
        let dir = std::env::temp_dir();
        assert_eq!(
            read_table(&dir, &ReadOptions::default())
                .unwrap_err()
                .to_string(),
            format!("{}: is a directory, not a file", dir.display())
        );
        let missing = PathBuf::from("/nonexistent-tabular-dir/absent.csv");
        let message = read_table(&missing, &ReadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with("/nonexistent-tabular-dir/absent.csv: No such file or directory"),
            "{message}"
        );
    }
}
