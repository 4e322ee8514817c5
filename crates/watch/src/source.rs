//! Lines from a file, a followed file or stdin, with positions a checkpoint can resume from.
//!
//! A followed file behaves as `tail -F`: at its end the source waits (polling), picks up
//! what is appended, and when the path is renamed away and recreated (rotation) it reads
//! the old file to its end and goes on with the new one from its start; a file truncated
//! in place is read again from its start. A line is returned only once it is complete (a
//! newline seen), except the last line of a plain file, which may lack one.
//!
//! [`Position`] is the byte offset just after the last line returned, the line number and
//! the file's identity (device and inode), so a restart can tell the same file, grown, from
//! a new one. Stdin is resumed by skipping the bytes already consumed (the producer is
//! expected to replay the same stream).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::WatchError;

/// The read buffer: large enough that a line is rarely split across reads.
const BUFFER_BYTES: usize = 256 * 1024;

/// Where events come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// The process's standard input.
    Stdin,
    /// A file, read to its end or followed.
    File {
        /// The file's path.
        path: PathBuf,
        /// Wait for more lines at the end, across rotation and truncation.
        follow: bool,
    },
}

/// A file's identity: the same path can name a new file after a rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileId {
    /// The device number.
    pub dev: u64,
    /// The inode number.
    pub ino: u64,
}

/// Just after the last line returned: where a restart resumes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Bytes consumed from the current file (or from stdin).
    pub offset: u64,
    /// Lines returned from the current file (or from stdin); the next line's number is
    /// `line + 1`.
    pub line: u64,
    /// The file the offset belongs to; `None` for stdin or where identities are unknown.
    pub file: Option<FileId>,
}

enum Reader {
    Stdin(BufReader<std::io::Stdin>),
    File {
        path: PathBuf,
        follow: bool,
        reader: BufReader<File>,
        id: Option<FileId>,
    },
}

/// Lines, one at a time, with their position.
pub struct LineSource {
    name: String,
    reader: Reader,
    position: Position,
    poll: Duration,
    /// The bytes of a line not yet complete (following a file being written).
    pending: Vec<u8>,
    /// The file that replaced a followed one, opened once the rotation was seen.
    next_file: Option<File>,
}

impl std::fmt::Debug for LineSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineSource")
            .field("name", &self.name)
            .field("position", &self.position)
            .finish_non_exhaustive()
    }
}

impl LineSource {
    /// Opens `input`, resuming at `resume` when given; a followed file is polled every
    /// `poll` at its end.
    ///
    /// A plain file resumes only if it is the same file (device and inode) and at least
    /// as long as the offset; otherwise the error says to remove the checkpoint. A followed
    /// file that was rotated or truncated since is read from its start (the remainder of a
    /// rotated-away file cannot be found by its old path). Stdin skips `resume.offset`
    /// bytes.
    pub fn open(
        input: Input,
        resume: Option<&Position>,
        poll: Duration,
    ) -> Result<LineSource, WatchError> {
        match input {
            Input::Stdin => {
                let mut reader = BufReader::with_capacity(BUFFER_BYTES, std::io::stdin());
                let mut position = Position::default();
                if let Some(resume) = resume {
                    let skipped =
                        std::io::copy(&mut (&mut reader).take(resume.offset), &mut std::io::sink())
                            .map_err(|source| input_error("stdin", source))?;
                    if skipped < resume.offset {
                        return Err(WatchError::Resume {
                            path: PathBuf::from("stdin"),
                            reason: format!(
                                "the checkpoint is at byte {} but stdin ended after {skipped}",
                                resume.offset
                            ),
                        });
                    }
                    position = Position {
                        file: None,
                        ..*resume
                    };
                }
                Ok(LineSource {
                    name: "stdin".to_owned(),
                    reader: Reader::Stdin(reader),
                    position,
                    poll,
                    pending: Vec::new(),
                    next_file: None,
                })
            }
            Input::File { path, follow } => {
                let name = path.display().to_string();
                let file = File::open(&path).map_err(|source| input_error(&name, source))?;
                let meta = file
                    .metadata()
                    .map_err(|source| input_error(&name, source))?;
                let id = file_id(&meta);
                let mut reader = BufReader::with_capacity(BUFFER_BYTES, file);
                let mut position = Position {
                    offset: 0,
                    line: 0,
                    file: id,
                };
                if let Some(resume) = resume {
                    let same_file = resume.file.is_none() || resume.file == id;
                    let long_enough = meta.len() >= resume.offset;
                    if same_file && long_enough {
                        reader
                            .seek(SeekFrom::Start(resume.offset))
                            .map_err(|source| input_error(&name, source))?;
                        position = Position {
                            file: id,
                            ..*resume
                        };
                    } else if follow {
                        tracing::warn!(
                            input = %name,
                            offset = resume.offset,
                            "the followed file was rotated or truncated since the checkpoint; reading it from its start"
                        );
                    } else {
                        let reason = if same_file {
                            format!(
                                "the checkpoint is at byte {} but the file has {} bytes",
                                resume.offset,
                                meta.len()
                            )
                        } else {
                            "it is not the file the checkpoint was taken on".to_owned()
                        };
                        return Err(WatchError::Resume {
                            path,
                            reason: format!("{reason} (remove the checkpoint to start over)"),
                        });
                    }
                }
                Ok(LineSource {
                    name,
                    reader: Reader::File {
                        path,
                        follow,
                        reader,
                        id,
                    },
                    position,
                    poll,
                    pending: Vec::new(),
                    next_file: None,
                })
            }
        }
    }

    /// The input's name for messages: its path, or `stdin`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Just after the last line returned.
    pub fn position(&self) -> Position {
        self.position
    }

    /// Reads the next line into `buf` (without its line ending). Returns `false` at the end
    /// of a plain file or stdin, or, while following, once `stop` is set.
    pub fn read_line(&mut self, buf: &mut Vec<u8>, stop: &AtomicBool) -> Result<bool, WatchError> {
        buf.clear();
        loop {
            let read = match &mut self.reader {
                Reader::Stdin(reader) => reader.read_until(b'\n', &mut self.pending),
                Reader::File { reader, .. } => reader.read_until(b'\n', &mut self.pending),
            }
            .map_err(|source| input_error(&self.name, source))?;
            if self.pending.last() == Some(&b'\n') {
                self.complete(buf);
                return Ok(true);
            }
            // At the end, possibly with part of a line.
            let follow = matches!(self.reader, Reader::File { follow: true, .. });
            if !follow {
                if self.pending.is_empty() {
                    return Ok(false);
                }
                self.complete(buf);
                return Ok(true);
            }
            if read > 0 {
                // Something arrived; look again before waiting.
                continue;
            }
            if let Some(file) = self.next_file.take() {
                // The old file has been read to its end since the rotation was seen; a
                // part line at its end is the last line it will ever have.
                if !self.pending.is_empty() {
                    self.complete(buf);
                    self.next_file = Some(file);
                    return Ok(true);
                }
                self.switch_to(file)?;
                continue;
            }
            if stop.load(Ordering::Relaxed) {
                return Ok(false);
            }
            match self.changed()? {
                Change::None => std::thread::sleep(self.poll),
                Change::Truncated => {
                    if let Reader::File { reader, .. } = &mut self.reader {
                        reader
                            .seek(SeekFrom::Start(0))
                            .map_err(|source| input_error(&self.name, source))?;
                    }
                    tracing::info!(input = %self.name, "the followed file was truncated; reading it from its start");
                    self.pending.clear();
                    self.position.offset = 0;
                    self.position.line = 0;
                }
                // Read the old file once more to its end (it may have grown between the
                // last read and the look at the path), then switch.
                Change::Rotated(file) => self.next_file = Some(file),
            }
        }
    }

    fn complete(&mut self, buf: &mut Vec<u8>) {
        self.position.offset += self.pending.len() as u64;
        self.position.line += 1;
        if self.pending.last() == Some(&b'\n') {
            self.pending.pop();
            if self.pending.last() == Some(&b'\r') {
                self.pending.pop();
            }
        }
        std::mem::swap(buf, &mut self.pending);
        self.pending.clear();
    }

    /// Whether the followed path still names the open file, grown or not.
    fn changed(&mut self) -> Result<Change, WatchError> {
        let Reader::File { path, id, .. } = &self.reader else {
            return Ok(Change::None);
        };
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            // Between the rename and the new file's creation: wait.
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Change::None),
            Err(source) => return Err(input_error(&self.name, source)),
        };
        let now = file_id(&meta);
        if now.is_some() && now != *id {
            return match File::open(path) {
                Ok(file) => Ok(Change::Rotated(file)),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Change::None),
                Err(source) => Err(input_error(&self.name, source)),
            };
        }
        let consumed = self.position.offset + self.pending.len() as u64;
        if meta.len() < consumed {
            return Ok(Change::Truncated);
        }
        Ok(Change::None)
    }

    fn switch_to(&mut self, file: File) -> Result<(), WatchError> {
        let meta = file
            .metadata()
            .map_err(|source| input_error(&self.name, source))?;
        let new_id = file_id(&meta);
        if let Reader::File { reader, id, .. } = &mut self.reader {
            *reader = BufReader::with_capacity(BUFFER_BYTES, file);
            *id = new_id;
        }
        tracing::info!(input = %self.name, "the followed file was rotated; reading the new one");
        self.position = Position {
            offset: 0,
            line: 0,
            file: new_id,
        };
        Ok(())
    }
}

enum Change {
    None,
    Truncated,
    Rotated(File),
}

fn input_error(name: &str, source: std::io::Error) -> WatchError {
    WatchError::Input {
        name: name.to_owned(),
        source,
    }
}

#[cfg(unix)]
fn file_id(meta: &std::fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

#[cfg(not(unix))]
fn file_id(_meta: &std::fs::Metadata) -> Option<FileId> {
    None
}

/// The identity of the file at `path`, if it exists and identities are known here.
pub fn identify(path: &Path) -> Option<FileId> {
    std::fs::metadata(path).ok().and_then(|meta| file_id(&meta))
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::Arc;

    use super::*;

    fn lines(source: &mut LineSource, stop: &AtomicBool) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while source.read_line(&mut buf, stop).unwrap() {
            out.push(String::from_utf8(buf.clone()).unwrap());
        }
        out
    }

    fn plain(path: &Path) -> Input {
        Input::File {
            path: path.to_owned(),
            follow: false,
        }
    }

    #[test]
    fn reads_lines_with_and_without_a_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, "a\r\nbb\n\nccc").unwrap();
        let stop = AtomicBool::new(false);
        let mut source = LineSource::open(plain(&path), None, Duration::ZERO).unwrap();
        assert_eq!(lines(&mut source, &stop), ["a", "bb", "", "ccc"]);
        assert_eq!(source.position().offset, 10);
        assert_eq!(source.position().line, 4);
    }

    #[test]
    fn resumes_where_it_stopped_and_refuses_another_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
        let stop = AtomicBool::new(false);
        let mut source = LineSource::open(plain(&path), None, Duration::ZERO).unwrap();
        let mut buf = Vec::new();
        assert!(source.read_line(&mut buf, &stop).unwrap());
        let at = source.position();
        assert_eq!((at.offset, at.line), (4, 1));
        let mut resumed = LineSource::open(plain(&path), Some(&at), Duration::ZERO).unwrap();
        assert_eq!(lines(&mut resumed, &stop), ["two", "three"]);
        assert_eq!(resumed.position().line, 3);

        // The same path, now another file: a plain read refuses to resume.
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "other\n").unwrap();
        let err = LineSource::open(plain(&path), Some(&at), Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("remove the checkpoint"), "{err}");
    }

    #[test]
    fn a_shorter_file_than_the_checkpoint_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, "one\n").unwrap();
        let at = Position {
            offset: 100,
            line: 10,
            file: identify(&path),
        };
        let err = LineSource::open(plain(&path), Some(&at), Duration::ZERO).unwrap_err();
        assert!(err.to_string().contains("has 4 bytes"), "{err}");
    }

    /// Follows a file through appends, a part line, a rotation and a truncation. The
    /// writer goes on only once the reader has handed out what is there, so every step is
    /// observed in order whatever the machine's load.
    #[test]
    fn follows_appends_rotation_and_truncation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, "1\n2\n").unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut source = LineSource::open(
            Input::File {
                path: path.clone(),
                follow: true,
            },
            None,
            Duration::from_millis(2),
        )
        .unwrap();

        let (tx, rx) = std::sync::mpsc::channel();
        let reader_stop = Arc::clone(&stop);
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            while source.read_line(&mut buf, &reader_stop).unwrap() {
                tx.send(String::from_utf8(buf.clone()).unwrap()).unwrap();
            }
            source.position()
        });
        let expect = |want: &[&str]| {
            for line in want {
                let got = rx.recv_timeout(Duration::from_secs(30)).unwrap();
                assert_eq!(&got, line);
            }
        };

        expect(&["1", "2"]);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(b"3\n4").unwrap(); // "4" is a part line ...
        file.flush().unwrap();
        expect(&["3"]);
        file.write_all(b"4\n").unwrap(); // ... completed as "44"
        file.flush().unwrap();
        expect(&["44"]);
        // Rotation: the old file gets one more line after being renamed, then a new file.
        std::fs::rename(&path, dir.path().join("events.jsonl.1")).unwrap();
        file.write_all(b"5\n").unwrap();
        file.flush().unwrap();
        std::fs::write(&path, "6\n7\n").unwrap();
        expect(&["5", "6", "7"]);
        // Truncation in place, then new content shorter than what was read.
        std::fs::write(&path, "8\n").unwrap();
        expect(&["8"]);
        stop.store(true, Ordering::Relaxed);
        let end = reader.join().unwrap();
        assert_eq!((end.offset, end.line), (2, 1));
        assert_eq!(end.file, identify(&path));
    }
}
