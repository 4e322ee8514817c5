//! `cargo xtask bench multivariate`: MMD drift with 100 permutations on 20 columns, exact and random features.
//!
//! Builds drift-core's `mmd_bench` example (release) and runs it on seeded normal data (the
//! current side's first column shifted by 0.1 sd): the exact statistic on 1k, 2k and 10k
//! rows per side, random Fourier features (D = 500) on 100k rows per side, all threads.
//! Each case runs three times as its own process under GNU time; the run with the median
//! `mmd_drift` time is reported with its process wall time and peak RSS. Prints the machine
//! load (`/proc/loadavg`) before and after, and a Markdown table for `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

/// (method, rows per side) in table order.
const CASES: [(&str, usize); 4] = [
    ("exact", 1000),
    ("exact", 2000),
    ("exact", 10_000),
    ("rff", 100_000),
];
/// Columns of the generated data.
const COLS: usize = 20;
/// Permutations behind the p-value (alibi-detect's default).
const PERMUTATIONS: usize = 100;
/// Random features for the approximation.
const FEATURES: usize = 500;

/// One run of the example: its own JSON line and GNU time's view of the process.
struct Run {
    seconds: f64,
    wall: f64,
    peak_rss_mib: f64,
    statistic: f64,
    p_value: f64,
}

/// The number after `"key":` in the example's one-line JSON object.
fn field(line: &str, key: &str) -> Option<f64> {
    let start = line.find(&format!("\"{key}\":"))? + key.len() + 3;
    let rest = line[start..].trim_start();
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

/// Runs the example once under GNU time.
fn run_once(example: &Path, method: &str, rows: usize) -> anyhow::Result<Run> {
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(example)
        .arg(method)
        .arg(rows.to_string())
        .arg(COLS.to_string())
        .arg(PERMUTATIONS.to_string())
        .arg(FEATURES.to_string())
        .output()
        .context("running /usr/bin/time (Debian package `time`)")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("mmd_bench {method} {rows} failed: {stderr}");
    }
    let line = String::from_utf8(output.stdout)?;
    let mut time = stderr.lines().last().unwrap_or_default().split_whitespace();
    let mut next = || -> anyhow::Result<f64> {
        time.next()
            .and_then(|v| v.parse().ok())
            .context("parsing GNU time's output")
    };
    let wall = next()?;
    let rss_kib = next()?;
    Ok(Run {
        seconds: field(&line, "seconds").context("the example's seconds")?,
        wall,
        peak_rss_mib: rss_kib / 1024.0,
        statistic: field(&line, "statistic").context("the example's statistic")?,
        p_value: field(&line, "p_value").context("the example's p-value")?,
    })
}

/// The machine's load averages, as `/proc/loadavg` gives them.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

/// Builds the example, times every case, prints the table.
pub fn run(root: &Path) -> anyhow::Result<()> {
    super::cargo(&[
        "build",
        "--release",
        "-p",
        "drift-core",
        "--example",
        "mmd_bench",
    ])?;
    let example = root.join("target/release/examples/mmd_bench");
    let before = load();
    let mut table = String::from(
        "| method | rows per side x 20 | `mmd_drift` (median of 3) | process wall | peak RSS | MMD² | p-value |\n|---|---|---|---|---|---|---|\n",
    );
    for (method, rows) in CASES {
        let mut runs = (0..3)
            .map(|_| run_once(&example, method, rows))
            .collect::<anyhow::Result<Vec<_>>>()?;
        runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let median = &runs[1];
        let label = if method == "exact" {
            "exact".to_owned()
        } else {
            format!("random features, D = {FEATURES}")
        };
        writeln!(
            table,
            "| {label} | {rows} | {:.2} s | {:.2} s | {:.0} MiB | {:.4e} | {} |",
            median.seconds, median.wall, median.peak_rss_mib, median.statistic, median.p_value,
        )?;
    }
    #[allow(clippy::print_stdout)] // the table is the task's output
    {
        println!(
            "load average (1, 5, 15 min): {before} before, {} after\n",
            load()
        );
        println!("{table}");
    }
    Ok(())
}
