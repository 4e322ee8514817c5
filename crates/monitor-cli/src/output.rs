//! Choosing a report format (and terminal colour) and writing reports atomically; the
//! rendering itself is `report_render`'s.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use drift_core::DriftReport;
use report_render::TableStyle;

use crate::exit::Failure;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people (coloured on a terminal unless `NO_COLOR` is set).
    Table,
    /// The stable JSON contract (`schema_version: 1`).
    Json,
    /// GitHub-flavoured Markdown, for CI job summaries and pull-request comments.
    Markdown,
    /// One self-contained HTML page with a plot per column.
    Html,
}

impl Format {
    /// `table` when stdout is a terminal, `json` otherwise.
    pub fn default_for_stdout() -> Format {
        if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        }
    }
}

/// Colour for the table when stdout is a terminal and `NO_COLOR` is unset or empty
/// (<https://no-color.org>).
fn use_color(stdout_is_terminal: bool, no_color: Option<OsString>) -> bool {
    stdout_is_terminal && no_color.is_none_or(|value| value.is_empty())
}

/// Renders a report in `format`; `to_stdout` says whether it goes to stdout (colour is only
/// ever used there, and only on a terminal).
pub fn render(report: &DriftReport, format: Format, to_stdout: bool) -> anyhow::Result<String> {
    Ok(match format {
        Format::Json => report_render::render_json(report),
        Format::Table => report_render::render_table(
            report,
            TableStyle {
                color: use_color(
                    to_stdout && std::io::stdout().is_terminal(),
                    std::env::var_os("NO_COLOR"),
                ),
            },
        ),
        Format::Markdown => report_render::render_markdown(report),
        Format::Html => report_render::render_html(report),
    })
}

/// Writes `text` to `path` atomically (a temporary file beside it, then a rename), or to
/// stdout when no path is given.
pub fn emit(text: &str, path: Option<&Path>) -> Result<(), Failure> {
    emit_bytes(text.as_bytes(), path)
}

/// [`emit`] for bytes.
pub fn emit_bytes(bytes: &[u8], path: Option<&Path>) -> Result<(), Failure> {
    let Some(path) = path else {
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(bytes)
            .and_then(|()| stdout.flush())
            .or_else(|e| {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Ok(())
                } else {
                    Err(e)
                }
            })
            .context("writing to stdout")
            .map_err(Failure::Runtime);
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let temp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Failure::Runtime(anyhow::Error::new(e).context(format!("writing {}", path.display())))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_needs_a_terminal_and_no_no_color() {
        assert!(use_color(true, None));
        assert!(use_color(true, Some(OsString::new())));
        assert!(!use_color(true, Some(OsString::from("1"))));
        assert!(!use_color(false, None));
    }
}
