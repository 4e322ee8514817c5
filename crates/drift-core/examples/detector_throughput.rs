//! Updates per second of one streaming detector over a file of little-endian f64 values.
//!
//! ```text
//! cargo run --release -p drift-core --example detector_throughput -- DETECTOR VALUES.f64 [LIMIT]
//! ```
//!
//! Reads the file in 512 KiB chunks (so memory does not grow with the file), feeds the
//! first `LIMIT` values (all by default) to the detector built by its command-line name
//! with default parameters, and prints one JSON line: `detector`, `n`, `seconds` (the
//! update loop only, not the reading), `updates_per_s`, `drifts`, `warnings` and
//! `peak_rss_kib` (the process's `VmHWM`, Linux). `cargo xtask bench detect` runs it.

use std::io::Read;
use std::time::{Duration, Instant};

use drift_core::stream::{Detector, Signal};

/// Values read per chunk.
const CHUNK: usize = 1 << 16;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [name, path, rest @ ..] = args.as_slice() else {
        return Err("usage: detector_throughput DETECTOR VALUES.f64 [LIMIT]".into());
    };
    let limit = match rest.first() {
        Some(limit) => limit.parse::<usize>()?,
        None => usize::MAX,
    };
    let mut detector = Detector::from_name(name, &[])?;
    let mut file = std::fs::File::open(path)?;
    let mut bytes = vec![0u8; CHUNK * 8];
    let mut values = Vec::with_capacity(CHUNK);
    let (mut n, mut drifts, mut warnings) = (0usize, 0u64, 0u64);
    let mut elapsed = Duration::ZERO;
    while n < limit {
        let got = read_full(&mut file, &mut bytes)?;
        if got < 8 {
            break;
        }
        values.clear();
        values.extend(
            bytes[..got - got % 8]
                .chunks_exact(8)
                .take(limit - n)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))),
        );
        let start = Instant::now();
        for &x in &values {
            match detector.update(x) {
                Signal::Drift => drifts += 1,
                Signal::Warning => warnings += 1,
                Signal::None => {}
            }
        }
        elapsed += start.elapsed();
        n += values.len();
    }
    let seconds = elapsed.as_secs_f64();
    let line = serde_json::json!({
        "detector": name,
        "n": n,
        "seconds": seconds,
        "updates_per_s": n as f64 / seconds,
        "drifts": drifts,
        "warnings": warnings,
        "peak_rss_kib": peak_rss_kib(),
    });
    #[allow(clippy::print_stdout)] // the measurement is the example's output
    {
        println!("{line}");
    }
    Ok(())
}

/// Fills `buffer` as far as the file allows; returns the bytes read.
fn read_full(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match file.read(&mut buffer[filled..])? {
            0 => break,
            got => filled += got,
        }
    }
    Ok(filled)
}

/// The process's peak resident set size in KiB (`VmHWM` in /proc/self/status), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
