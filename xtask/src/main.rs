//! Project chores: `cargo xtask test | lint | ci | bench [drift|detect|watch|multivariate]`.
//!
//! `test` runs the whole test suite (unit, reference, end-to-end, doc tests and tidy);
//! `lint` checks formatting and runs clippy with warnings denied; `ci` is both, what
//! `.ci/run` calls; `bench` runs the per-test benchmarks and `bench drift` the whole-command
//! ones, printing the figures `BENCHMARKS.md` quotes. Real servers that later tests need are started here, on 127.0.0.1, and stopped
//! by PID when the tests end.

mod bench_detect;
mod bench_drift;
mod bench_multivariate;
mod bench_watch;
mod packages;
mod rotel;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let task = std::env::args().nth(1).unwrap_or_default();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::set_current_dir(&root).context("entering the workspace root")?;
    match task.as_str() {
        "test" => test(),
        "lint" => lint(),
        "ci" => lint().and_then(|()| test()),
        "bench" => match std::env::args().nth(2).as_deref() {
            None => bench(),
            Some("drift") => bench_drift::run(&root),
            Some("detect") => bench_detect::run(&root),
            Some("watch") => bench_watch::run(&root),
            Some("multivariate") => bench_multivariate::run(&root),
            Some(other) => bail!(
                "unknown benchmark \"{other}\" (expected none, drift, detect, watch or multivariate)"
            ),
        },
        _ => bail!("usage: cargo xtask <test|lint|ci|bench [drift|detect|watch|multivariate]>"),
    }
}

/// Runs a cargo command, failing with its command line when it fails.
fn cargo(args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    #[allow(clippy::print_stderr)] // xtask narrates what it runs
    {
        eprintln!("$ cargo {}", args.join(" "));
    }
    let status = Command::new(&cargo)
        .args(args)
        .status()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !status.success() {
        bail!("cargo {} failed ({status})", args.join(" "));
    }
    Ok(())
}

/// The whole test suite, one profile (dev), doc tests included.
fn test() -> anyhow::Result<()> {
    packages::ensure_installed()?;
    rotel::ensure_installed()?;
    cargo(&["test", "--workspace", "--all-targets", "--no-fail-fast"])?;
    cargo(&["test", "--workspace", "--doc"])
}

/// Formatting and clippy with warnings denied.
fn lint() -> anyhow::Result<()> {
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&[
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ])
}

/// The benchmarks (divan), release profile.
fn bench() -> anyhow::Result<()> {
    cargo(&["bench", "-p", "drift-core", "--bench", "stattests"])
}
