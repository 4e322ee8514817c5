//! Headless Chromium for the HTML report test: installed from Debian's packages when missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// Where Debian's `chromium` package puts the browser (and where `tests/html_render.rs`
/// looks for it).
const CHROMIUM: &str = "/usr/bin/chromium";

/// Makes sure a Chromium binary is installed, installing Debian's `chromium` package with
/// apt-get when it is not (as root, or through `sudo -n` otherwise). Does nothing when one
/// is already there, so it is cheap to call before every test run.
pub fn ensure_chromium() -> anyhow::Result<()> {
    if let Some(path) = find_chromium() {
        narrate(&format!("chromium: {}", path.display()));
        return Ok(());
    }
    narrate(
        "chromium not found: installing Debian's chromium package (used by tests/html_render.rs)",
    );
    let started = Instant::now();
    let root = is_root();
    apt(root, &["update"])?;
    apt(
        root,
        &["install", "-y", "--no-install-recommends", "chromium"],
    )?;
    match find_chromium() {
        Some(path) => {
            narrate(&format!(
                "chromium installed at {} in {:.0} s",
                path.display(),
                started.elapsed().as_secs_f64()
            ));
            Ok(())
        }
        None => bail!(
            "apt-get installed the chromium package but no chromium binary is at {CHROMIUM} or on PATH"
        ),
    }
}

/// `/usr/bin/chromium`, or `chromium` on `PATH`.
fn find_chromium() -> Option<PathBuf> {
    if Path::new(CHROMIUM).is_file() {
        return Some(PathBuf::from(CHROMIUM));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|candidate| candidate.is_file())
    })
}

/// Whether this process runs as root (`id -u` prints 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Runs `apt-get <args>` non-interactively, through `sudo -n` when not root.
fn apt(root: bool, args: &[&str]) -> anyhow::Result<()> {
    let mut command = if root {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", "apt-get"]);
        sudo
    };
    command.args(args).env("DEBIAN_FRONTEND", "noninteractive");
    let line = format!(
        "{}apt-get {}",
        if root { "" } else { "sudo -n " },
        args.join(" ")
    );
    narrate(&format!("$ {line}"));
    let status = command.status().with_context(|| {
        format!("running {line} (needed to install chromium for tests/html_render.rs)")
    })?;
    if !status.success() {
        bail!(
            "{line} failed ({status}): install Chromium yourself (Debian: `apt-get install chromium`) \
             so that {CHROMIUM} exists, then run `cargo xtask test` again"
        );
    }
    Ok(())
}

fn narrate(line: &str) {
    #[allow(clippy::print_stderr)] // xtask narrates what it does
    {
        eprintln!("{line}");
    }
}
