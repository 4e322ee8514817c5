//! Rendering reports (table, JSON) and writing them atomically.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::Context;
use drift_core::DriftReport;

use crate::exit::Failure;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// The stable JSON contract (`schema_version: 1`).
    Json,
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

/// Renders a report in `format`.
pub fn render(report: &DriftReport, format: Format) -> anyhow::Result<String> {
    match format {
        Format::Json => {
            Ok(serde_json::to_string_pretty(report).context("serializing the report")? + "\n")
        }
        Format::Table => Ok(table(report)),
    }
}

fn number(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(v) if v.is_nan() => "nan".into(),
        Some(v) if v != 0.0 && (v.abs() < 1e-4 || v.abs() >= 1e6) => format!("{v:.3e}"),
        Some(v) => format!("{v:.4}"),
    }
}

fn table(report: &DriftReport) -> String {
    let header = [
        "column",
        "kind",
        "test",
        "statistic",
        "p-value",
        "threshold",
        "drift",
    ];
    let rows: Vec<[String; 7]> = report
        .columns
        .iter()
        .map(|c| {
            [
                c.name.clone(),
                c.kind.to_string(),
                c.test.name().to_owned(),
                number(c.statistic),
                number(c.p_value_adjusted),
                number(Some(c.threshold)),
                if c.error.is_some() {
                    "error".into()
                } else if c.drifted {
                    "DRIFT".into()
                } else {
                    "no".into()
                },
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // text left, numbers right
            if (3..=5).contains(&i) {
                out.push_str(&format!("{cell:>w$}  "));
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(&header.map(String::from));
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push('\n');
    out.push_str(&format!(
        "{} of {} columns drifted (share {:.2}, threshold {:.2}): {}\n",
        report.n_drifted,
        report.n_columns - report.n_errors,
        report.drift_share,
        report.drift_share_threshold,
        if report.dataset_drift {
            "DATASET DRIFT"
        } else {
            "no dataset drift"
        }
    ));
    for column in report.columns.iter().filter_map(|c| c.error.as_deref()) {
        out.push_str(&format!("not computed: {column}\n"));
    }
    for unmatched in &report.unmatched_columns {
        out.push_str(&format!(
            "only in {}: {}\n",
            unmatched.present_in, unmatched.name
        ));
    }
    out
}

/// Writes `text` to `path` atomically (a temporary file beside it, then a rename), or to
/// stdout when no path is given.
pub fn emit(text: &str, path: Option<&Path>) -> Result<(), Failure> {
    let Some(path) = path else {
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(text.as_bytes())
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
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Failure::Runtime(anyhow::Error::new(e).context(format!("writing {}", path.display())))
    })
}
