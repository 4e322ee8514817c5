//! `monitor detect`: a streaming change detector over one number a line.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::{Args, ValueEnum};
use drift_core::stream::{Detector, DetectorParams, Signal, parse_setting};
use serde::Serialize;

use crate::exit::{Failure, Outcome};
use crate::output;

/// Arguments of `monitor detect`.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// The detector: adwin, page-hinkley, ddm, eddm, hddm-a, hddm-w, kswin or cusum
    /// (river's defaults; CUSUM follows frouros). See docs/detectors.md.
    #[arg(long)]
    detector: String,
    /// The stream: a file with one number a line, or `-` for stdin. Binary detectors (ddm,
    /// eddm, hddm-a, hddm-w) expect 0 for a correct prediction and 1 for an error.
    #[arg(long)]
    input: PathBuf,
    /// Overrides a parameter, e.g. `--set delta=0.01` (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<String>,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<DetectFormat>,
    /// Write the output here (atomically) instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Exit 1 when the detector signalled drift at least once.
    #[arg(long)]
    fail_on_drift: bool,
}

/// Output formats of `monitor detect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DetectFormat {
    /// A short summary for people.
    Table,
    /// The JSON contract (`schema_version: 1`).
    Json,
}

/// The JSON document `monitor detect --format json` prints.
#[derive(Debug, Serialize)]
struct Detections {
    schema_version: u32,
    detector: &'static str,
    /// Values read (non-finite ones included: detectors skip them).
    n: u64,
    /// NaN or infinite values, which no detector updates on.
    n_non_finite: u64,
    params: DetectorParams,
    /// 0-based index of every value whose update signalled drift.
    detections: Vec<u64>,
    /// Runs of consecutive warning updates, as `[first, last]` indices (inclusive).
    warnings: Vec<[u64; 2]>,
}

/// Runs `monitor detect`.
pub fn run(args: &DetectArgs) -> Result<Outcome, Failure> {
    let settings = args
        .settings
        .iter()
        .map(|s| parse_setting(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::Input(e.into()))?;
    let mut detector =
        Detector::from_name(&args.detector, &settings).map_err(|e| Failure::Input(e.into()))?;
    let _span = tracing::info_span!("detect", detector = detector.kind().name()).entered();
    let source = args.input.display().to_string();
    let reader: Box<dyn Read> = if args.input == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&args.input)
                .with_context(|| format!("{source}: cannot open"))
                .map_err(Failure::Input)?,
        )
    };
    let mut result = Detections {
        schema_version: 1,
        detector: detector.kind().name(),
        n: 0,
        n_non_finite: 0,
        params: detector.params(),
        detections: Vec::new(),
        warnings: Vec::new(),
    };
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("{source}: reading line {}", result.n + 1))
            .map_err(Failure::Input)?;
        if read == 0 {
            break;
        }
        let value = parse_line(&line).map_err(|what| {
            Failure::Input(anyhow!(
                "{source}:{}: expected one number a line, found {what}",
                result.n + 1
            ))
        })?;
        let index = result.n;
        result.n += 1;
        if !value.is_finite() {
            result.n_non_finite += 1;
        }
        match detector.update(value) {
            Signal::Drift => result.detections.push(index),
            Signal::Warning => match result.warnings.last_mut() {
                Some(run) if run[1] + 1 == index => run[1] = index,
                _ => result.warnings.push([index, index]),
            },
            Signal::None => {}
        }
    }
    tracing::info!(
        n = result.n,
        detections = result.detections.len(),
        "stream read"
    );
    let format = args.format.unwrap_or_else(|| {
        if args.output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            DetectFormat::Table
        } else {
            DetectFormat::Json
        }
    });
    let text = match format {
        DetectFormat::Json => {
            let mut json = serde_json::to_string_pretty(&result)
                .context("serializing the detections")
                .map_err(Failure::Runtime)?;
            json.push('\n');
            json
        }
        DetectFormat::Table => render_table(&result),
    };
    output::emit(&text, args.output.as_deref())?;
    Ok(if args.fail_on_drift && !result.detections.is_empty() {
        Outcome::FailOn
    } else {
        Outcome::Clean
    })
}

/// Parses one line: a number, surrounding whitespace (and `\r`) allowed.
fn parse_line(line: &[u8]) -> Result<f64, String> {
    let text = std::str::from_utf8(line).map_err(|_| "bytes that are not UTF-8".to_owned())?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("an empty line".into());
    }
    trimmed.parse::<f64>().map_err(|_| {
        let shown: String = trimmed.chars().take(40).collect();
        format!("\"{shown}\"")
    })
}

/// A short summary for people: parameters, counts, the first detections.
fn render_table(result: &Detections) -> String {
    const SHOWN: usize = 20;
    let mut out = String::new();
    let params: Vec<String> = result
        .params
        .entries
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    let _ = writeln!(out, "detector    {}", result.detector);
    let _ = writeln!(out, "params      {}", params.join(" "));
    let _ = writeln!(
        out,
        "values      {} ({} non-finite, skipped)",
        result.n, result.n_non_finite
    );
    let _ = writeln!(out, "drifts      {}", result.detections.len());
    if !result.detections.is_empty() {
        let shown: Vec<String> = result
            .detections
            .iter()
            .take(SHOWN)
            .map(u64::to_string)
            .collect();
        let more = result.detections.len().saturating_sub(SHOWN);
        let _ = writeln!(
            out,
            "at          {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" (and {more} more; --format json lists all)")
            } else {
                String::new()
            }
        );
    }
    if !result.warnings.is_empty() {
        let _ = writeln!(out, "warning runs {}", result.warnings.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_as_numbers_or_say_what_they_hold() {
        assert_eq!(parse_line(b" 1.5\r\n"), Ok(1.5));
        assert_eq!(parse_line(b"-3e2\n"), Ok(-300.0));
        assert!(parse_line(b"NaN\n").is_ok_and(f64::is_nan));
        assert_eq!(parse_line(b"\n"), Err("an empty line".into()));
        assert_eq!(parse_line(b"abc\n"), Err("\"abc\"".into()));
        assert_eq!(
            parse_line(b"\xff\n"),
            Err("bytes that are not UTF-8".into())
        );
    }
}
