//! Times one `mmd_drift` call on seeded normal data and prints one JSON line.
//!
//! ```text
//! cargo run --release -p drift-core --example mmd_bench -- exact|rff ROWS_PER_SIDE [COLS] [PERMUTATIONS] [FEATURES] [THREADS] [SHIFT]
//! ```
//!
//! Defaults: 20 columns, 100 permutations, 500 random features (for `rff`), threads 0 (all
//! cores), shift 0.1. The reference rows are N(0, 1); the current rows are N(0, 1) with the
//! first column shifted by `SHIFT` sd (0.1: a small drift). The line holds `method`, `rows`, `cols`,
//! `permutations`, `features`, `threads`, `seconds` (the `mmd_drift` call only, not the data
//! generation), `statistic`, `p_value`, `bandwidth` and `peak_rss_kib` (the process's
//! `VmHWM`, Linux). `cargo xtask bench multivariate` runs it.

use std::time::Instant;

use drift_core::multivariate::{Matrix, MmdMethod, MmdOptions, mmd_drift};
use drift_core::rng::SeededRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [method, rows, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: mmd_bench exact|rff ROWS_PER_SIDE [COLS] [PERMUTATIONS] [FEATURES] [THREADS] [SHIFT]"
                .into(),
        );
    };
    let rows: usize = rows.parse()?;
    let number = |i: usize, default: usize| -> Result<usize, std::num::ParseIntError> {
        rest.get(i).map_or(Ok(default), |v| v.parse())
    };
    let cols = number(0, 20)?;
    let permutations = number(1, 100)?;
    let features = number(2, 500)?;
    let threads = number(3, 0)?;
    let shift: f64 = rest.get(4).map_or(Ok(0.1), |v| v.parse())?;
    let method = match method.as_str() {
        "exact" => MmdMethod::Exact,
        "rff" => MmdMethod::RandomFeatures { features },
        other => return Err(format!("unknown method \"{other}\" (exact or rff)").into()),
    };
    let mut rng = SeededRng::new(20_261_127);
    let reference = normal_matrix(&mut rng, rows, cols, 0.0)?;
    let current = normal_matrix(&mut rng, rows, cols, shift)?;
    let options = MmdOptions {
        n_permutations: permutations,
        method,
        threads,
        ..MmdOptions::default()
    };
    let start = Instant::now();
    let result = mmd_drift(&reference, &current, &options)?;
    let seconds = start.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "method": if matches!(method, MmdMethod::Exact) { "exact" } else { "rff" },
        "rows": rows,
        "cols": cols,
        "permutations": permutations,
        "features": features,
        "threads": threads,
        "shift": shift,
        "seconds": seconds,
        "statistic": result.statistic,
        "p_value": result.p_value,
        "bandwidth": result.bandwidth,
        "peak_rss_kib": peak_rss_kib(),
    });
    #[allow(clippy::print_stdout)] // the measurement is the example's output
    {
        println!("{line}");
    }
    Ok(())
}

/// `rows × cols` standard normal values (Box–Muller), the first column shifted by `shift`.
fn normal_matrix(
    rng: &mut SeededRng,
    rows: usize,
    cols: usize,
    shift: f64,
) -> Result<Matrix, Box<dyn std::error::Error>> {
    let values = (0..rows * cols)
        .map(|i| {
            let (u, v) = (1.0 - rng.uniform(), rng.uniform());
            let normal = (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos();
            normal + if i % cols == 0 { shift } else { 0.0 }
        })
        .collect();
    Ok(Matrix::new(values, rows, cols)?)
}

/// The process's peak resident set size in KiB (`VmHWM` in /proc/self/status), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
