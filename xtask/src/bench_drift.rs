//! `cargo xtask bench drift`: whole-command timings of `monitor drift` on generated tables.
//!
//! Generates seeded reference and current tables of 100k and 1M rows x 20 columns (13
//! numeric with integer counts, ties and missing values; 5 categorical with unseen
//! categories in the current side; 2 binary) as CSV and Parquet (converted by tabular's
//! `convert` example), then times `monitor drift --format json` (wall time and peak RSS
//! through GNU time, median of three runs) next to a parse-only pass of the same files.
//! Prints a Markdown table for `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};
use drift_core::rng::SeededRng;

/// Row counts benchmarked.
const SIZES: [usize; 2] = [100_000, 1_000_000];

/// Column names, in file order.
const HEADER: &str = "n_normal,n_normal_shift,n_normal_scale,n_lognormal,n_uniform,n_exponential,n_bimodal,\
n_count_poisson,n_count_small,n_missing_heavy,n_with_na,n_age,n_score,\
c_plan,c_country,c_device,c_channel,c_city,b_flag,b_yes_no";

struct Gen {
    rng: SeededRng,
}

impl Gen {
    fn normal(&mut self) -> f64 {
        let (u, v) = (1.0 - self.rng.uniform(), self.rng.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn poisson(&mut self, lambda: f64) -> u64 {
        // inversion by sequential search: fine for the small means used here
        let (mut k, mut p) = (0u64, (-lambda).exp());
        let mut cumulative = p;
        let u = self.rng.uniform();
        while u > cumulative && k < 1000 {
            k += 1;
            p *= lambda / k as f64;
            cumulative += p;
        }
        k
    }

    fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
        options[self.rng.below(options.len())]
    }
}

/// Writes one table; `drifted` shifts several columns and adds unseen categories.
fn write_table(path: &Path, rows: usize, seed: u64, drifted: bool) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "{HEADER}")?;
    let mut g = Gen {
        rng: SeededRng::new(seed),
    };
    let shift = if drifted { 0.5 } else { 0.0 };
    let scale = if drifted { 1.5 } else { 1.0 };
    let countries: Vec<String> = (0..30).map(|i| format!("C{i:02}")).collect();
    let countries: Vec<&str> = countries.iter().map(String::as_str).collect();
    let cities: Vec<String> = (0..200).map(|i| format!("city_{i}")).collect();
    let cities: Vec<&str> = cities.iter().map(String::as_str).collect();
    let channels: &[&str] = if drifted {
        &["web", "app", "email", "partner", "tiktok"]
    } else {
        &["web", "app", "email", "partner"]
    };
    let mut line = String::with_capacity(256);
    for _ in 0..rows {
        line.clear();
        let bimodal = if g.rng.uniform() < if drifted { 0.6 } else { 0.4 } {
            -2.0
        } else {
            2.0
        } + g.normal() * 0.5;
        let missing_heavy = if g.rng.uniform() < 0.3 {
            String::new()
        } else {
            format!("{:.3}", g.normal() * 10.0)
        };
        let with_na = if g.rng.uniform() < 0.02 {
            "NA".to_owned()
        } else {
            format!("{:.2}", 100.0 + g.normal() * 15.0)
        };
        let plan = if drifted && g.rng.uniform() < 0.2 {
            "enterprise"
        } else {
            g.pick(&["free", "basic", "pro", "team"])
        };
        write!(
            line,
            "{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{:.4},{},{},{},{},{},{:.2},{},{},{},{},{},{},{}",
            g.normal(),
            g.normal() + shift,
            g.normal() * scale,
            (g.normal() * 0.8).exp() * 1000.0,
            g.rng.uniform() * 100.0,
            -(1.0 - g.rng.uniform()).ln() * if drifted { 12.0 } else { 10.0 },
            bimodal,
            g.poisson(if drifted { 4.5 } else { 4.0 }),
            g.rng.below(5),
            missing_heavy,
            with_na,
            18 + g.rng.below(72),
            g.rng.uniform() * 850.0,
            plan,
            g.pick(&countries),
            g.pick(&["mobile", "desktop", "tablet"]),
            g.pick(channels),
            g.pick(&cities),
            u8::from(g.rng.uniform() < if drifted { 0.35 } else { 0.3 }),
            if g.rng.uniform() < 0.5 { "yes" } else { "no" },
        )?;
        writeln!(out, "{line}")?;
    }
    out.flush()?;
    Ok(())
}

/// Runs `command` under GNU time; returns (wall seconds, peak RSS in MiB).
pub(crate) fn timed(command: Command) -> anyhow::Result<(f64, f64)> {
    let program = command.get_program().to_owned();
    let args: Vec<_> = command.get_args().map(ToOwned::to_owned).collect();
    let output = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %M")
        .arg(&program)
        .args(&args)
        .stdout(std::process::Stdio::null())
        .output()
        .context("running /usr/bin/time (Debian package `time`)")?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        bail!("{} failed: {stderr}", program.to_string_lossy());
    }
    let last = stderr.lines().last().unwrap_or_default();
    let mut fields = last.split_whitespace();
    let wall: f64 = fields
        .next()
        .and_then(|v| v.parse().ok())
        .context("parsing GNU time's output")?;
    let rss_kb: f64 = fields
        .next()
        .and_then(|v| v.parse().ok())
        .context("parsing GNU time's output")?;
    Ok((wall, rss_kb / 1024.0))
}

/// Generates the tables (once), builds release binaries, times each size.
pub fn run(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("target/bench-data");
    std::fs::create_dir_all(&dir)?;
    super::cargo(&["build", "--release", "-p", "monitor-cli"])?;
    super::cargo(&[
        "build",
        "--release",
        "-p",
        "tabular",
        "--example",
        "parse",
        "--example",
        "convert",
    ])?;
    let monitor = root.join("target/release/monitor");
    let parse = root.join("target/release/examples/parse");
    let convert = root.join("target/release/examples/convert");
    let mut table = String::from(
        "| rows x 20 | format | `monitor drift` wall | peak RSS | parse-only wall | parse-only peak RSS | ratio |\n|---|---|---|---|---|---|---|\n",
    );
    for rows in SIZES {
        let reference = dir.join(format!("reference_{rows}.csv"));
        let current = dir.join(format!("current_{rows}.csv"));
        for (path, seed, drifted) in [(&reference, 1, false), (&current, 2, true)] {
            if !path.exists() {
                write_table(path, rows, seed, drifted)?;
            }
            let parquet = path.with_extension("parquet");
            if !parquet.exists() {
                let status = Command::new(&convert).arg(path).arg(&parquet).status()?;
                if !status.success() {
                    bail!("converting {} to Parquet failed", path.display());
                }
            }
        }
        for (format, extension) in [("CSV", "csv"), ("Parquet", "parquet")] {
            let reference = reference.with_extension(extension);
            let current = current.with_extension(extension);
            let mut drift = Command::new(&monitor);
            drift
                .args(["drift", "--format", "json", "--reference"])
                .arg(&reference)
                .arg("--current")
                .arg(&current);
            let mut parse_only = Command::new(&parse);
            parse_only.arg(&reference).arg(&current);
            let (wall, rss) = median_of_three(&drift)?;
            let (parse_wall, parse_rss) = median_of_three(&parse_only)?;
            writeln!(
                table,
                "| {rows} | {format} | {wall:.2} s | {rss:.0} MiB | {parse_wall:.2} s | {parse_rss:.0} MiB | {:.2} |",
                wall / parse_wall
            )?;
        }
    }
    #[allow(clippy::print_stdout)] // the table is the task's output
    {
        println!("{table}");
    }
    Ok(())
}

/// The run with the median wall time of three.
pub(crate) fn median_of_three(command: &Command) -> anyhow::Result<(f64, f64)> {
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(timed(rebuild(command))?);
    }
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(runs[1])
}

/// A copy of a prepared command (std's `Command` is not `Clone`).
fn rebuild(command: &Command) -> Command {
    let mut copy = Command::new(command.get_program());
    copy.args(command.get_args());
    copy
}
