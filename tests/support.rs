//! Helpers shared by the end-to-end tests: the binary, scratch directories, files, JSON.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The `monitor` binary, built fresh from this workspace once per test run (a no-op under
/// `cargo test --workspace`, which has built it already; needed under `cargo test -p tests`).
pub fn monitor() -> Command {
    static BUILD: std::sync::Once = std::sync::Once::new();
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = std::process::Command::new(cargo)
            // the units `cargo test --workspace --all-targets` built (dev-dependencies'
            // features included), so that this is a no-op there; `-p monitor-cli` would
            // rebuild telemetry and the OTLP stack with other features
            .args(["build", "--quiet", "--workspace", "--all-targets"])
            .status()
            .expect("running cargo build");
        assert!(status.success(), "building monitor failed");
    });
    Command::cargo_bin("monitor").expect("the monitor binary is built")
}

/// The repository's `examples/` directory.
pub fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// A fresh, empty directory under the target dir for one test's files; `name` must be
/// unique across the test binary.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a scratch dir");
    dir
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("writing a test file");
    path
}

/// Parses a command's output as JSON, showing the output when it is not.
pub fn json_of(output: &[u8]) -> Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(output)))
}

/// Asserts a command exited 0, showing its stderr when it did not.
#[track_caller]
pub fn assert_succeeded(output: &std::process::Output) {
    assert_eq!(
        output.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
