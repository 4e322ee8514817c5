//! `cargo xtask bench watch`: events a second through `monitor watch` from a file, and its
//! peak RSS, at 1M and 10M prediction events (memory must not grow with the stream).
//!
//! The streams are `monitor demo --generate-only`'s scenario (five features, a shift at 60%
//! of the stream, labels for 90% of predictions 500 events later, 10% canary traffic),
//! written once under `target/bench-data/watch-<n>` with the scenario's `monitor.toml`
//! (windows of 10,000 events, a drift report per window against a 5,000-row reference, an
//! ADWIN on the per-event error, the retrain policy and its SQLite queue). Each run starts
//! from an empty output directory, so nothing resumes. Wall time and peak RSS through GNU
//! time, median of three.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use crate::bench_drift::median_of_three;

/// Prediction events per stream.
const SIZES: [u64; 2] = [1_000_000, 10_000_000];

/// Generates the streams (once), builds the release binary, times each size.
pub fn run(root: &Path) -> anyhow::Result<()> {
    super::cargo(&["build", "--release", "-p", "monitor-cli"])?;
    let monitor = root.join("target/release/monitor");
    let mut table = String::from(
        "| prediction events | lines (with labels) | file | wall | events/s (predictions + labels) | peak RSS | windows |\n|---|---|---|---|---|---|---|\n",
    );
    for events in SIZES {
        let dir = root.join(format!("target/bench-data/watch-{events}"));
        let stream = dir.join("events.jsonl");
        if !stream.exists() {
            let status = Command::new(&monitor)
                .args(["demo", "--generate-only", "--events"])
                .arg(events.to_string())
                .arg("--shift-at")
                .arg((events / 10 * 6).to_string())
                .arg("--dir")
                .arg(&dir)
                .status()
                .context("running monitor demo --generate-only")?;
            if !status.success() {
                bail!("monitor demo --generate-only failed");
            }
        }
        let lines = count_lines(&stream)?;
        let bytes = std::fs::metadata(&stream)?.len();
        let output = dir.join("bench-out");
        let mut watch = Command::new("sh");
        // A fresh output directory each run: no checkpoint to resume from.
        watch.arg("-c").arg(format!(
            "rm -rf '{out}' && exec '{monitor}' --log-format json watch --config '{config}' --input '{input}' --output-dir '{out}'",
            out = output.display(),
            monitor = monitor.display(),
            config = dir.join("monitor.toml").display(),
            input = stream.display(),
        ));
        let (wall, rss) = median_of_three(&watch)?;
        let windows = count_lines(&output.join("windows.jsonl"))?;
        writeln!(
            table,
            "| {events} | {lines} | {:.2} GB | {wall:.2} s | {:.0}k | {rss:.0} MiB | {windows} |",
            bytes as f64 / 1e9,
            lines as f64 / wall / 1000.0,
        )?;
    }
    #[allow(clippy::print_stdout)] // the table is the task's output
    {
        println!("{table}");
    }
    Ok(())
}

fn count_lines(path: &Path) -> anyhow::Result<u64> {
    use std::io::Read;
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut lines = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
    Ok(lines)
}
