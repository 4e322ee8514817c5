//! Tidy checks that run under plain `cargo test`: every source file opens with a `//!`
//! line, and the pure cores depend on no I/O crate, even transitively.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && !name.to_string_lossy().starts_with('.') {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_opens_with_a_module_doc_line() {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["crates", "xtask", "tests"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 10,
        "found only {} files under {}",
        files.len(),
        root.display()
    );
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| {
            path.strip_prefix(&root)
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "files without a leading `//!` line: {offenders:?}"
    );
}

/// Crates that do I/O, run async tasks or parse file formats: never below the pure cores.
const FORBIDDEN_IN_CORES: &[&str] = &[
    "tokio",
    "reqwest",
    "hyper",
    "mio",
    "async-std",
    "smol",
    "axum",
    "tonic",
    "h2",
    "socket2",
    "rusqlite",
    "libsqlite3-sys",
    "opentelemetry",
    "opentelemetry-otlp",
    "prometheus-client",
    "tracing-subscriber",
    "csv",
    "arrow",
    "parquet",
    "ureq",
    "getrandom",
];

fn dependency_names(package: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace_root())
        .args([
            "tree",
            "--package",
            package,
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("running cargo tree");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn pure_cores_depend_on_no_io_crate() {
    for core in ["drift-core", "canary-core"] {
        let names = dependency_names(core);
        assert!(
            names.iter().any(|n| n == core),
            "cargo tree of {core} did not list it: {names:?}"
        );
        let found: Vec<&String> = names
            .iter()
            .filter(|n| FORBIDDEN_IN_CORES.contains(&n.as_str()))
            .collect();
        assert!(found.is_empty(), "{core} depends on I/O crates: {found:?}");
    }
}
