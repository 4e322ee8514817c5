//! `cargo xtask bench detect`: updates per second of every streaming detector, ours next to river's.
//!
//! Writes two seeded streams of 10M little-endian f64 under `target/bench-data` (once): a
//! numeric one, N(0, 1) noise whose mean alternates between 0 and 1 every million values,
//! and a 0/1 error stream whose error rate alternates between 0.1 and 0.2 on the same
//! segments. DDM, EDDM, HDDM_A and HDDM_W read the error stream, the others the numeric one.
//! Then it runs `benches/river_detectors_timing.py` (river 0.26.1, frouros 0.9.0 for CUSUM;
//! the Python from `$REFERENCE_PYTHON`, else `../.venv-ref` or `.venv-ref` beside the
//! workspace) on a prefix of the same values, and drift-core's release-built
//! `detector_throughput` example on all of them (best of five runs) and once on river's
//! prefix, whose drift count must equal river's for the deterministic detectors. Prints a
//! Markdown table for `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use drift_core::rng::SeededRng;

/// Values in each stream.
const N: usize = 10_000_000;
/// Values per segment of constant mean (and error rate).
const SEGMENT: usize = 1_000_000;
/// Values river times (all detectors but KSWIN): river takes seconds per million.
const RIVER_N: usize = 1_000_000;
/// Values river's KSWIN times (it does under 2000 updates a second).
const RIVER_KSWIN_N: usize = 20_000;
/// Values our KSWIN times.
const OUR_KSWIN_N: usize = 2_000_000;

/// Runs of our example per detector; the best counts (river's script takes its best of 3).
const RUNS: usize = 5;

/// The detectors in table order, with the stream each reads.
const DETECTORS: [(&str, Stream); 8] = [
    ("adwin", Stream::Values),
    ("page-hinkley", Stream::Values),
    ("ddm", Stream::Errors),
    ("eddm", Stream::Errors),
    ("hddm-a", Stream::Errors),
    ("hddm-w", Stream::Errors),
    ("kswin", Stream::Values),
    ("cusum", Stream::Values),
];

#[derive(Clone, Copy)]
enum Stream {
    Values,
    Errors,
}

/// Writes both streams unless they exist.
fn write_streams(values: &Path, errors: &Path) -> anyhow::Result<()> {
    if values.exists() && errors.exists() {
        return Ok(());
    }
    let mut rng = SeededRng::new(20_261_127);
    let mut out_values = BufWriter::with_capacity(1 << 20, std::fs::File::create(values)?);
    let mut out_errors = BufWriter::with_capacity(1 << 20, std::fs::File::create(errors)?);
    for i in 0..N {
        let odd = (i / SEGMENT) % 2 == 1;
        let (u, v) = (1.0 - rng.uniform(), rng.uniform());
        let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
        let x = normal + if odd { 1.0 } else { 0.0 };
        let error = f64::from(rng.uniform() < if odd { 0.2 } else { 0.1 });
        out_values.write_all(&x.to_le_bytes())?;
        out_errors.write_all(&error.to_le_bytes())?;
    }
    out_values.flush()?;
    out_errors.flush()?;
    Ok(())
}

/// The reference Python: `$REFERENCE_PYTHON`, else a `.venv-ref` beside or in the workspace.
fn reference_python(root: &Path) -> anyhow::Result<PathBuf> {
    if let Some(python) = std::env::var_os("REFERENCE_PYTHON") {
        return Ok(PathBuf::from(python));
    }
    [root.join("../.venv-ref/bin/python"), root.join(".venv-ref/bin/python")]
        .into_iter()
        .find(|p| p.exists())
        .context("no reference Python: set REFERENCE_PYTHON or create .venv-ref (reference/requirements.txt)")
}

/// The number after `"key":` in a one-line JSON object of our own scripts.
fn field(line: &str, key: &str) -> Option<f64> {
    let start = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = line[start..].trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// One measurement line for `detector`, from `output`'s JSON lines.
fn line_for<'a>(output: &'a str, detector: &str) -> anyhow::Result<&'a str> {
    output
        .lines()
        .find(|l| {
            l.contains(&format!("\"detector\":\"{detector}\""))
                || l.contains(&format!("\"detector\": \"{detector}\""))
        })
        .with_context(|| format!("no measurement for {detector}"))
}

/// Runs a command, returns its stdout; fails with its stderr.
fn stdout_of(command: &mut Command) -> anyhow::Result<String> {
    let output = command
        .output()
        .with_context(|| format!("running {:?}", command.get_program()))?;
    if !output.status.success() {
        bail!(
            "{:?} failed: {}",
            command.get_program(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8(output.stdout)?)
}

/// Generates the streams, times river and ours, prints the table.
pub fn run(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("target/bench-data");
    std::fs::create_dir_all(&dir)?;
    let values = dir.join("detect_values_10m.f64");
    let errors = dir.join("detect_errors_10m.f64");
    write_streams(&values, &errors)?;
    super::cargo(&[
        "build",
        "--release",
        "-p",
        "drift-core",
        "--example",
        "detector_throughput",
    ])?;
    let ours = root.join("target/release/examples/detector_throughput");
    let python = reference_python(root)?;

    #[allow(clippy::print_stderr)] // xtask narrates what it runs
    {
        eprintln!("timing river on {RIVER_N} values ({RIVER_KSWIN_N} for KSWIN), best of 3");
    }
    let river = stdout_of(
        Command::new(&python)
            .arg(root.join("benches/river_detectors_timing.py"))
            .arg(&values)
            .arg(&errors)
            .arg(RIVER_N.to_string())
            .arg(RIVER_KSWIN_N.to_string()),
    )?;

    let mut table = String::from(
        "| detector | river updates/s (values timed) | ours updates/s (values timed) | ratio | our peak RSS, river's values / ours | drifts on river's values: river / ours |\n|---|---|---|---|---|---|\n",
    );
    for (name, stream) in DETECTORS {
        let path = match stream {
            Stream::Values => &values,
            Stream::Errors => &errors,
        };
        let theirs = line_for(&river, name)?;
        let river_n = field(theirs, "n").context("river n")?;
        let river_rate = field(theirs, "updates_per_s").context("river rate")?;
        let river_drifts = field(theirs, "drifts").context("river drifts")?;
        let implementation = theirs
            .split("\"implementation\": \"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("river");

        let our_n = if name == "kswin" { OUR_KSWIN_N } else { N };
        let mut best_rate = 0.0f64;
        let mut rss_all = 0.0f64;
        for _ in 0..RUNS {
            let line = stdout_of(
                Command::new(&ours)
                    .arg(name)
                    .arg(path)
                    .arg(our_n.to_string()),
            )?;
            best_rate = best_rate.max(field(&line, "updates_per_s").context("our rate")?);
            rss_all = rss_all.max(field(&line, "peak_rss_kib").context("our RSS")?);
        }
        let prefix = stdout_of(
            Command::new(&ours)
                .arg(name)
                .arg(path)
                .arg((river_n as u64).to_string()),
        )?;
        let our_drifts = field(&prefix, "drifts").context("our drifts")?;
        let rss_prefix = field(&prefix, "peak_rss_kib").context("our RSS")?;
        if name != "kswin" && our_drifts != river_drifts {
            bail!(
                "{name}: {our_drifts} drifts on river's {river_n} values, river found {river_drifts}"
            );
        }
        writeln!(
            table,
            "| `{name}` ({implementation}) | {} ({}) | {} ({}) | {:.0}x | {:.1} / {:.1} MiB | {river_drifts} / {our_drifts} |",
            rate(river_rate),
            count(river_n as usize),
            rate(best_rate),
            count(our_n),
            best_rate / river_rate,
            rss_prefix / 1024.0,
            rss_all / 1024.0,
        )?;
    }
    #[allow(clippy::print_stdout)] // the table is the task's output
    {
        println!("{table}");
    }
    Ok(())
}

/// Updates per second for the table: `44.7 M`, `1.29 M`, `2.9 k`.
fn rate(per_second: f64) -> String {
    if per_second >= 10e6 {
        format!("{:.1} M", per_second / 1e6)
    } else if per_second >= 1e5 {
        format!("{:.2} M", per_second / 1e6)
    } else {
        format!("{:.1} k", per_second / 1e3)
    }
}

/// `1M`, `20k`, ... for the table.
fn count(n: usize) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 && n.is_multiple_of(1000) {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}
