//! `monitor watch` end to end: windows and their counts, labels joined, rejected lines and
//! `--strict`, SIGTERM and SIGKILL then a restart giving the uninterrupted run's windows,
//! `--follow` through rotation and truncation.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use test_support::http::poll;

use crate::support::{assert_succeeded, monitor, scratch, write};

/// Writes the demo scenario's stream and reference into `dir` (`monitor demo
/// --generate-only`): `events.jsonl`, `reference.csv`.
fn scenario(dir: &Path, events: u64, shift_at: u64) {
    let output = monitor()
        .args(["demo", "--generate-only", "--events"])
        .arg(events.to_string())
        .arg("--shift-at")
        .arg(shift_at.to_string())
        .arg("--dir")
        .arg(dir)
        .output()
        .expect("running monitor demo");
    assert_succeeded(&output);
    assert!(dir.join("events.jsonl").is_file() && dir.join("reference.csv").is_file());
}

/// A monitor.toml in `dir` comparing with `reference`, with `watch` appended to its
/// `[watch]` section.
fn config(dir: &Path, reference: &Path, watch: &str) -> PathBuf {
    std::fs::create_dir_all(dir).expect("config dir");
    write(
        dir,
        "monitor.toml",
        format!(
            "[drift]\ndrift_share = 0.3\n\n[watch]\nreference = \"{}\"\n{watch}\n",
            reference.display()
        ),
    )
}

/// `monitor watch` with `args`, its output.
fn watch(config: &Path, args: &[&str]) -> std::process::Output {
    monitor()
        .args(["watch", "--config"])
        .arg(config)
        .args(args)
        .output()
        .expect("running monitor watch")
}

/// The window reports of an output directory.
fn windows(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("windows.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a window report is JSON"))
        .collect()
}

/// A spawned `monitor watch`.
fn spawn(config: &Path, args: &[&str]) -> Child {
    Command::new(monitor().get_program())
        .args(["watch", "--config"])
        .arg(config)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting monitor watch")
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -{name}");
}

/// The checkpoint's totals (once there is a checkpoint).
fn checkpoint_events(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(dir.join("checkpoint.json")).ok()?;
    let checkpoint: Value = serde_json::from_str(&text).ok()?;
    checkpoint["totals"]["events"].as_u64()
}

const CLASSIFIER: &str = "window = { events = 2000 }\nlabel_wait_windows = 1\n[[watch.detectors]]\nname = \"adwin\"\non = \"error\"\n";

#[test]
fn windows_count_events_join_labels_and_raise_drift_where_it_starts() {
    let dir = scratch("cli-watch-windows");
    scenario(&dir.join("data"), 20_000, 12_000);
    let config = config(
        &dir.join("run"),
        &dir.join("data/reference.csv"),
        CLASSIFIER,
    );
    let input = dir.join("data/events.jsonl");
    let output = watch(&config, &["--input", input.to_str().expect("utf-8")]);
    assert_succeeded(&output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.starts_with("watch finished: 10 windows, 20000 events, "),
        "{stdout}"
    );
    let reports = windows(&dir.join("run/watch-out"));
    assert_eq!(reports.len(), 10);

    // What each window should have joined, from the input: the labels of its predictions
    // that come before its wait is over (the event closing the next window), or all of
    // them for the last two windows, made final by the end of the input.
    let text = std::fs::read_to_string(&input).expect("events");
    let mut window_of: HashMap<String, usize> = HashMap::new();
    let mut labelled = [0u64; 10];
    let mut predictions = 0usize;
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).expect("JSON");
        let id = event["request_id"].as_str().expect("request id").to_owned();
        if event.get("prediction").is_some() {
            window_of.insert(id, predictions / 2000);
            predictions += 1;
        } else {
            let window = window_of[&id];
            // window w is final once prediction 2000 * (w + 2) - 1 has been read, the
            // last one at the end of the input
            if window == 9 || predictions < 2000 * (window + 2) {
                labelled[window] += 1;
            }
        }
    }
    for (i, report) in reports.iter().enumerate() {
        assert_eq!(report["index"], i as u64);
        assert_eq!(report["n"], 2000);
        assert_eq!(report["model"], "churn");
        let variants: u64 = report["variants"]
            .as_object()
            .expect("variants")
            .values()
            .map(|v| v.as_u64().expect("count"))
            .sum();
        assert_eq!(variants, 2000);
        assert_eq!(report["performance"]["labelled"], labelled[i], "window {i}");
        let completeness = report["label_completeness"].as_f64().expect("completeness");
        assert!((completeness - labelled[i] as f64 / 2000.0).abs() < 1e-12);
        assert!(report["performance"]["accuracy"].is_number());
        assert_eq!(report["drift"]["current"]["rows"], 2000);
        let raised = report["alerts"]["raised"].as_array().expect("raised");
        let drift_raised = raised.iter().any(|a| a == "WatchDatasetDrift");
        // the shift starts at prediction 12,000: window 6, not before
        assert_eq!(drift_raised, i == 6, "window {i}: {raised:?}");
        assert_eq!(report["drift"]["dataset_drift"], i >= 6, "window {i}");
    }
    // a window of the degraded model is judged worse than the first ones
    let accuracy = |i: usize| {
        reports[i]["performance"]["accuracy"]
            .as_f64()
            .expect("accuracy")
    };
    assert!(
        accuracy(8) < accuracy(0) - 0.1,
        "{} vs {}",
        accuracy(8),
        accuracy(0)
    );
}

#[test]
fn a_bad_line_is_rejected_and_kept_and_strict_stops_at_it() {
    let dir = scratch("cli-watch-rejected");
    write(
        &dir,
        "reference.csv",
        (0..100).fold("age,plan\n".to_owned(), |text, i| {
            text + &format!("{},{}\n", 20 + i % 40, ["basic", "pro"][i % 2])
        }),
    );
    let event = |i: u32| {
        format!(
            "{{\"ts\":\"2026-11-27T10:00:{:02}Z\",\"request_id\":\"r-{i}\",\"model\":\"m\",\"features\":{{\"age\":{},\"plan\":\"pro\"}},\"prediction\":0.7}}\n",
            i % 60,
            20 + i % 40
        )
    };
    let mut text = String::new();
    for i in 0..10 {
        text += &event(i);
    }
    text += "{\"ts\":\"2026-11-27T10:00:00Z\",\"model\":\"m\",\"prediction\":\"high\"}\n";
    text += "{\"request_id\":\"r-1\",\"label\":7}\n";
    for i in 10..20 {
        text += &event(i);
    }
    let input = write(&dir, "events.jsonl", &text);
    let config = config(
        &dir,
        &dir.join("reference.csv"),
        "window = { events = 5 }\nlabel_wait_windows = 0\n",
    );
    let output = watch(&config, &["--input", input.to_str().expect("utf-8")]);
    assert_succeeded(&output);
    let rejected: Vec<Value> = std::fs::read_to_string(dir.join("watch-out/rejected.jsonl"))
        .expect("rejected.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert_eq!(rejected[0]["line"], 11);
    assert_eq!(
        rejected[0]["column"], 60,
        "serde's column: the end of the bad value"
    );
    assert!(
        rejected[0]["reason"]
            .as_str()
            .expect("reason")
            .contains("invalid type: string \"high\""),
        "{rejected:?}"
    );
    assert_eq!(
        rejected[0]["text"],
        "{\"ts\":\"2026-11-27T10:00:00Z\",\"model\":\"m\",\"prediction\":\"high\"}"
    );
    assert_eq!(rejected[1]["line"], 12);
    assert!(
        rejected[1]["reason"]
            .as_str()
            .expect("reason")
            .starts_with("label 7 is not 0 or 1"),
        "{rejected:?}"
    );
    let reports = windows(&dir.join("watch-out"));
    assert_eq!(reports.len(), 4, "20 good events in windows of 5");

    let output = watch(
        &config,
        &[
            "--input",
            input.to_str().expect("utf-8"),
            "--strict",
            "--output-dir",
            dir.join("strict-out").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.lines().any(|l| l
            == format!(
                "error: {}:11:60: invalid type: string \"high\", expected f64",
                input.display()
            )),
        "{stderr}"
    );
}

/// Runs the scenario uninterrupted into `baseline/`, returns its window reports.
fn uninterrupted(dir: &Path, input: &Path) -> Vec<Value> {
    let config = config(
        &dir.join("baseline"),
        &dir.join("data/reference.csv"),
        CLASSIFIER,
    );
    let output = watch(&config, &["--input", input.to_str().expect("utf-8")]);
    assert_succeeded(&output);
    let reports = windows(&dir.join("baseline/watch-out"));
    assert_eq!(reports.len(), 15);
    reports
}

#[test]
fn sigterm_mid_stream_then_a_restart_gives_the_uninterrupted_windows() {
    let dir = scratch("cli-watch-sigterm");
    scenario(&dir.join("data"), 30_000, 20_000);
    let full = std::fs::read(dir.join("data/events.jsonl")).expect("events");
    let expected = uninterrupted(&dir, &dir.join("data/events.jsonl"));

    // the first part (ending mid-window), followed; SIGTERM once it is all read
    let cut = full
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(25_000)
        .map(|(i, _)| i + 1)
        .expect("enough lines");
    let input = write(&dir, "growing.jsonl", &full[..cut]);
    let config = config(
        &dir.join("run"),
        &dir.join("data/reference.csv"),
        CLASSIFIER,
    );
    let input_arg = input.to_str().expect("utf-8");
    let mut child = spawn(&config, &["--input", input_arg, "--follow"]);
    let out = dir.join("run/watch-out");
    poll("the first part read", Duration::from_secs(60), || {
        (windows(&out).len() >= 4).then_some(())
    });
    signal(&child, "TERM");
    let status = child.wait().expect("waiting for monitor watch");
    assert_eq!(status.code(), Some(0), "SIGTERM flushes and exits 0");
    assert!(windows(&out).len() < expected.len());

    // the rest arrives; a restart reads to the end
    std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .and_then(|mut f| f.write_all(&full[cut..]))
        .expect("appending");
    let output = watch(&config, &["--input", input_arg]);
    assert_succeeded(&output);
    assert_eq!(windows(&out), expected);
}

#[test]
fn sigkill_mid_stream_then_a_restart_gives_the_uninterrupted_windows() {
    let dir = scratch("cli-watch-sigkill");
    scenario(&dir.join("data"), 30_000, 20_000);
    let input = dir.join("data/events.jsonl");
    let expected = uninterrupted(&dir, &input);
    let config = config(
        &dir.join("run"),
        &dir.join("data/reference.csv"),
        CLASSIFIER,
    );
    let input_arg = input.to_str().expect("utf-8");
    let out = dir.join("run/watch-out");
    // killed wherever it is once a few windows are out (between an append and its
    // checkpoint, mid-line, ...); if it finished first, the restart resumes at the end
    let mut child = spawn(&config, &["--input", input_arg]);
    poll("a few windows", Duration::from_secs(60), || {
        (windows(&out).len() >= 3).then_some(())
    });
    signal(&child, "KILL");
    let _ = child.wait();
    let output = watch(&config, &["--input", input_arg]);
    assert_succeeded(&output);
    assert_eq!(windows(&out), expected);
}

#[test]
fn follow_reads_every_event_through_rotation_and_truncation() {
    let dir = scratch("cli-watch-follow");
    write(
        &dir,
        "reference.csv",
        (0..200).fold("x\n".to_owned(), |text, i| text + &format!("{}\n", i % 17)),
    );
    let lines = |from: u32, to: u32| -> String {
        (from..to)
            .map(|i| {
                format!(
                    "{{\"ts\":\"2026-11-27T10:00:00Z\",\"model\":\"m\",\"version\":\"1\",\"features\":{{\"x\":{}}},\"prediction\":0.5}}\n",
                    i % 13
                )
            })
            .collect()
    };
    let config = config(
        &dir,
        &dir.join("reference.csv"),
        "window = { events = 100 }\nlabel_wait_windows = 0\n",
    );
    let live = dir.join("live.jsonl");
    write(&dir, "live.jsonl", lines(0, 1000));
    let mut child = spawn(
        &config,
        &["--input", live.to_str().expect("utf-8"), "--follow"],
    );
    let out = dir.join("watch-out");
    let read = |n: u64, what: &str| {
        poll(what, Duration::from_secs(60), || {
            (checkpoint_events(&out) == Some(n)).then_some(())
        })
    };
    read(1000, "the first file");
    // rotation: the file is renamed away (with 500 more lines written to it first) and a
    // new one takes its path
    std::fs::OpenOptions::new()
        .append(true)
        .open(&live)
        .and_then(|mut f| f.write_all(lines(1000, 1500).as_bytes()))
        .expect("appending");
    std::fs::rename(&live, dir.join("live.jsonl.1")).expect("rotating");
    write(&dir, "live.jsonl", lines(1500, 2300));
    read(2300, "the rotated and the new file");
    // truncation in place: shorter content than what was read from this file
    std::fs::write(&live, lines(2300, 2600)).expect("truncating");
    read(2600, "the truncated file");
    signal(&child, "TERM");
    assert_eq!(child.wait().expect("waiting").code(), Some(0));
    let reports = windows(&out);
    assert_eq!(reports.len(), 26);
    let total: u64 = reports.iter().map(|r| r["n"].as_u64().expect("n")).sum();
    assert_eq!(total, 2600);
}
