//! rotel, the OpenTelemetry collector the telemetry tests send spans to, installed from
//! PyPI into `target/rotel-venv` when missing.
//!
//! The `rotel` wheel carries a collector binary (written in Rust) that receives OTLP over
//! gRPC and HTTP and prints what it receives (see `../shared/BACKENDS.md`). The tests find
//! it in that venv (`tests/collectors.rs`), or wherever `MONITOR_TEST_ROTEL` points; they
//! fail with this command in their message, never skip, when it is absent.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// The wheel's version: the one checked to work (`../shared/BACKENDS.md`).
const ROTEL: &str = "rotel==0.0.1a15";

/// Installs rotel into `<target>/rotel-venv` unless its binary is there; returns the
/// binary's path.
pub fn ensure_installed() -> anyhow::Result<PathBuf> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let venv = target.join("rotel-venv");
    if let Some(binary) = binary_in(&venv) {
        narrate(&format!(
            "test programs: rotel is installed ({})",
            binary.display()
        ));
        return Ok(binary);
    }
    narrate(&format!(
        "rotel not found: installing {ROTEL} into {} (the OpenTelemetry collector of the telemetry tests)",
        venv.display()
    ));
    let started = Instant::now();
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run(Command::new(venv.join("bin/pip")).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        ROTEL,
    ]))?;
    let Some(binary) = binary_in(&venv) else {
        bail!(
            "pip installed {ROTEL} into {} but no rotel-agent binary is inside",
            venv.display()
        );
    };
    narrate(&format!(
        "installed rotel in {:.0} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(binary)
}

/// `lib/python3.X/site-packages/rotel/rotel-agent` in `venv`, if there.
fn binary_in(venv: &Path) -> Option<PathBuf> {
    std::fs::read_dir(venv.join("lib"))
        .ok()?
        .flatten()
        .map(|python| python.path().join("site-packages/rotel/rotel-agent"))
        .find(|binary| binary.is_file())
}

fn run(command: &mut Command) -> anyhow::Result<()> {
    let line = format!("{command:?}");
    narrate(&format!("$ {line}"));
    let status = command
        .status()
        .with_context(|| format!("running {line} (python3 with venv and pip is needed)"))?;
    if !status.success() {
        bail!("{line} failed ({status})");
    }
    Ok(())
}

fn narrate(line: &str) {
    #[allow(clippy::print_stderr)] // xtask narrates what it does
    {
        eprintln!("{line}");
    }
}
