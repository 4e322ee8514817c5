//! Flags shared by the commands that read tables (`drift`, `profile build`), and reading.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::config::{Kind, MonitorConfig};
use crate::exit::Failure;

/// How to read tables: column kinds, selection, delimiter, the config file.
#[derive(Debug, Args)]
pub struct TableArgs {
    /// A monitor.toml with `[drift]` defaults and `[[features]]` (kind, test, threshold).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Only these columns (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub columns: Option<Vec<String>>,
    /// Treat these columns as categorical even if they hold numbers (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// These columns must be numbers: a stray word is an error (comma separated).
    #[arg(long, value_delimiter = ',')]
    pub numeric: Vec<String>,
    /// CSV field delimiter (default: detected from the header among , ; tab |).
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<u8>,
}

impl TableArgs {
    /// The config file, or the defaults when none was given.
    pub fn load_config(&self) -> Result<MonitorConfig, Failure> {
        match &self.config {
            Some(path) => MonitorConfig::load(path).map_err(Failure::Input),
            None => Ok(MonitorConfig::default()),
        }
    }

    /// Reading options: kinds forced by flags and by the config's `[[features]]`.
    pub fn read_options(&self, config: &MonitorConfig) -> tabular::ReadOptions {
        let forced = |kind: Kind, flags: &[String]| -> HashSet<String> {
            flags.iter().cloned().chain(config.forced(kind)).collect()
        };
        tabular::ReadOptions {
            categorical: forced(Kind::Categorical, &self.categorical),
            numeric: forced(Kind::Numeric, &self.numeric),
            columns: self.columns.clone(),
            delimiter: self.delimiter,
            progress: None,
        }
    }
}

/// Reads one table; errors are the user's input (exit 2).
pub fn read_table(path: &Path, options: &tabular::ReadOptions) -> Result<tabular::Table, Failure> {
    let _span = tracing::info_span!("read", path = %path.display()).entered();
    tabular::read_table(path, options).map_err(|e| Failure::Input(e.into()))
}

fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "\\t" | "tab" => Ok(b'\t'),
        _ if text.len() == 1 && text.is_ascii() => Ok(text.as_bytes()[0]),
        _ => Err(format!(
            "expected one ASCII character (or \\t), got \"{text}\""
        )),
    }
}
