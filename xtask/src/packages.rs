//! The real programs the tests use, installed from Debian's packages when missing.
//!
//! Headless Chromium renders the HTML report (`tests/html_render.rs`); Prometheus,
//! Alertmanager and the Pushgateway are the servers the end-to-end tests start on
//! 127.0.0.1 (see `../shared/BACKENDS.md`). Installing is idempotent and cheap when
//! everything is there, so `cargo xtask test` calls it before every run.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, bail};

/// Debian package and the binary it installs, which the tests look for at that path.
const PACKAGES: [(&str, &str, &str); 4] = [
    (
        "chromium",
        "/usr/bin/chromium",
        "renders the HTML report (tests/html_render.rs)",
    ),
    (
        "prometheus",
        "/usr/bin/prometheus",
        "scrapes canary targets and checks alert rules (promtool)",
    ),
    (
        "prometheus-alertmanager",
        "/usr/bin/prometheus-alertmanager",
        "receives alerts",
    ),
    (
        "prometheus-pushgateway",
        "/usr/bin/prometheus-pushgateway",
        "receives batch metrics",
    ),
];

/// Installs the packages whose binary is missing with one `apt-get install` (as root, or
/// through `sudo -n` otherwise). Does nothing when all are there.
pub fn ensure_installed() -> anyhow::Result<()> {
    let missing: Vec<_> = PACKAGES
        .iter()
        .filter(|(_, binary, _)| !Path::new(binary).is_file())
        .collect();
    if missing.is_empty() {
        narrate("test programs: chromium, prometheus, alertmanager and pushgateway are installed");
        return Ok(());
    }
    for (package, _, why) in &missing {
        narrate(&format!("{package} not found: installing it ({why})"));
    }
    let started = Instant::now();
    let root = is_root();
    apt(root, &["update"])?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(missing.iter().map(|(package, _, _)| *package));
    apt(root, &install)?;
    for (package, binary, _) in &missing {
        if !Path::new(binary).is_file() {
            bail!("apt-get installed {package} but {binary} does not exist");
        }
    }
    narrate(&format!(
        "installed {} in {:.0} s",
        missing
            .iter()
            .map(|(package, _, _)| *package)
            .collect::<Vec<_>>()
            .join(", "),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
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
    let status = command
        .status()
        .with_context(|| format!("running {line} (installs the programs the tests use)"))?;
    if !status.success() {
        bail!(
            "{line} failed ({status}): install them yourself (Debian: `apt-get install {}`), \
             then run `cargo xtask test` again",
            PACKAGES.map(|(package, _, _)| package).join(" ")
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
