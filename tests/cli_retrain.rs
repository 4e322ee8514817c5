//! `monitor retrain` end to end: decide on a real drift report, enqueue once, dispatch to a
//! file, a command and a webhook, retry, purge, backtest, bad policies.

use std::sync::{Arc, Mutex, PoisonError};

use crate::backends::HttpServer;
use crate::support::{assert_succeeded, examples, json_of, monitor, scratch, write};

fn run(args: &[&str]) -> std::process::Output {
    monitor().args(args).output().expect("running monitor")
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn a_drifted_report_is_decided_enqueued_once_and_dispatched() {
    let dir = scratch("cli-retrain-flow");
    let report = dir.join("report.json");
    let output = monitor()
        // 8 of 20 columns drift in the examples: a 0.3 share makes the dataset drift
        .args(["drift", "--format", "json", "--drift-share", "0.3"])
        .args(["--output", path(&report)])
        .arg("--reference")
        .arg(examples().join("reference.csv"))
        .arg("--current")
        .arg(examples().join("current.csv"))
        .output()
        .expect("running monitor drift");
    assert_succeeded(&output);
    let signals = write(
        &dir,
        "signals.json",
        format!(
            r#"{{"model": "churn", "version": "v3", "window": "2026-11-27",
                "drift": {}, "metrics": {{"accuracy": 0.91}}}}"#,
            std::fs::read_to_string(&report).expect("report")
        ),
    );
    let (queue, state) = (dir.join("queue.db"), dir.join("state.json"));
    let decide = |now: &str| {
        run(&[
            "retrain",
            "decide",
            "--signals",
            path(&signals),
            "--queue",
            path(&queue),
            "--state",
            path(&state),
            "--now",
            now,
            "--fail-on-retrain",
        ])
    };
    let first = decide("2026-11-27T12:00:00Z");
    assert_eq!(
        first.status.code(),
        Some(1),
        "retrain: --fail-on-retrain exits 1"
    );
    let decision = json_of(&first.stdout);
    assert_eq!(decision["decision"], "retrain", "{decision}");
    assert_eq!(decision["enqueued"]["created"], true);
    assert!(state.exists(), "the policy state is kept");
    // the same decision for the same window enqueues nothing new
    let again = json_of(&decide("2026-11-27T12:05:00Z").stdout);
    assert_eq!(again["enqueued"]["created"], false, "{again}");
    let id = decision["enqueued"]["job"]["id"].as_i64().expect("job id");

    let listed = run(&[
        "retrain",
        "queue",
        "list",
        "--queue",
        path(&queue),
        "--state",
        "pending",
    ]);
    assert_succeeded(&listed);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("churn/v3"), "{listed}");

    // a failing command: the job fails and waits for its backoff
    let failed = run(&[
        "retrain",
        "dispatch",
        "--queue",
        path(&queue),
        "--once",
        "--command",
        "false",
    ]);
    assert_succeeded(&failed);
    assert_eq!(json_of(&failed.stdout)["state"], "failed");
    let retried = run(&[
        "retrain",
        "queue",
        "retry",
        "--queue",
        path(&queue),
        &id.to_string(),
    ]);
    assert_succeeded(&retried);

    let sink = dir.join("jobs.jsonl");
    let delivered = run(&[
        "retrain",
        "dispatch",
        "--queue",
        path(&queue),
        "--once",
        "--file",
        path(&sink),
    ]);
    assert_succeeded(&delivered);
    assert_eq!(json_of(&delivered.stdout)["state"], "succeeded");
    let lines = std::fs::read_to_string(&sink).expect("the file sink");
    let job: serde_json::Value =
        serde_json::from_str(lines.lines().next().expect("one job")).expect("JSON");
    assert_eq!(job["model"], "churn");
    let shown = json_of(
        &run(&[
            "retrain",
            "queue",
            "show",
            "--queue",
            path(&queue),
            &id.to_string(),
        ])
        .stdout,
    );
    assert_eq!(shown["state"], "succeeded");
    let purged = run(&[
        "retrain",
        "queue",
        "purge",
        "--queue",
        path(&queue),
        "--state",
        "succeeded",
    ]);
    assert!(String::from_utf8_lossy(&purged.stdout).contains("purged 1"));
}

#[test]
fn the_webhook_dispatcher_signs_every_job_and_drains_the_queue() {
    let dir = scratch("cli-retrain-webhook");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let receiver = {
        let seen = Arc::clone(&seen);
        HttpServer::start(move |request| {
            seen.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(request.clone());
            (200, "ok".into())
        })
    };
    let queue = dir.join("queue.db");
    for window in ["w1", "w2", "w3"] {
        let signals = write(
            &dir,
            &format!("{window}.json"),
            format!(
                r#"{{"model": "m", "version": "v1", "window": "{window}", "metrics": {{"accuracy": 0.5}}}}"#
            ),
        );
        let output = run(&[
            "retrain",
            "decide",
            "--signals",
            path(&signals),
            "--queue",
            path(&queue),
        ]);
        assert_succeeded(&output);
    }
    let output = monitor()
        .args([
            "retrain",
            "dispatch",
            "--queue",
            path(&queue),
            "--drain",
            "--webhook",
        ])
        .arg(format!("{}/jobs", receiver.url()))
        .env("MONITOR_WEBHOOK_SECRET", "s3cret-for-tests")
        .output()
        .expect("running monitor retrain dispatch");
    assert_succeeded(&output);
    assert_eq!(json_of(&output.stdout)["succeeded"], 3);
    let requests = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
    assert_eq!(requests.len(), 3);
    let mut keys: Vec<String> = requests
        .iter()
        .map(|r| {
            let signature = r.header("x-monitor-signature").expect("signed");
            assert!(
                signature.starts_with("sha256=") && signature.len() == 7 + 64,
                "{signature}"
            );
            r.header("idempotency-key")
                .expect("an idempotency key")
                .to_owned()
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3, "one key per window");
    // without the secret the dispatcher refuses to start
    let output = run(&[
        "retrain",
        "dispatch",
        "--queue",
        path(&queue),
        "--once",
        "--webhook",
        "http://127.0.0.1:9/x",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("MONITOR_WEBHOOK_SECRET"));
}

#[test]
fn backtest_replays_history_and_bad_policies_name_the_key() {
    let dir = scratch("cli-retrain-backtest");
    let policy = write(
        &dir,
        "policy.toml",
        "[rules.accuracy_low]\nsignal = \"accuracy\"\nbelow = 0.8\n\n[guardrails]\ncooldown = \"2h\"\n",
    );
    let history = write(
        &dir,
        "history.jsonl",
        [
            (0, 0.9),
            (1, 0.7),
            (2, 0.7),
            (3, 0.7),
        ]
        .iter()
        .map(|(hour, accuracy)| {
            format!(
                "{{\"at\": \"2026-11-27T0{hour}:00:00Z\", \"signals\": {{\"model\": \"m\", \"metrics\": {{\"accuracy\": {accuracy}}}}}}}\n"
            )
        })
        .collect::<String>(),
    );
    let output = run(&[
        "retrain",
        "backtest",
        "--policy",
        path(&policy),
        "--history",
        path(&history),
    ]);
    assert_succeeded(&output);
    let decisions: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON line");
            value["decision"]["decision"]
                .as_str()
                .expect("decision")
                .to_owned()
        })
        .collect();
    // 0h fine; 1h accuracy low: retrain; 2h within the 2 h cooldown: blocked; 3h: cooldown over
    assert_eq!(decisions, ["hold", "retrain", "blocked", "retrain"]);
    let table = run(&[
        "retrain",
        "backtest",
        "--policy",
        path(&policy),
        "--history",
        path(&history),
        "--format",
        "table",
    ]);
    let table = String::from_utf8_lossy(&table.stdout).into_owned();
    let blocked = table.lines().nth(2).expect("the third evaluation");
    assert!(
        blocked.contains("blocked") && blocked.contains("accuracy_low"),
        "{table}"
    );
    assert!(blocked.contains("until 2026-11-27T03:00:00Z"), "{table}");
    assert!(
        table.contains("4 evaluations, 2 retrain decisions"),
        "{table}"
    );

    let bad = write(&dir, "bad.toml", "[guardrails]\ncooldown = \"-2h\"\n");
    let signals = write(&dir, "s.json", r#"{"model": "m"}"#);
    let output = run(&[
        "retrain",
        "decide",
        "--policy",
        path(&bad),
        "--signals",
        path(&signals),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.toml") && stderr.contains("cooldown") && stderr.contains("line 2"),
        "{stderr}"
    );
    let broken = write(&dir, "history_bad.jsonl", "{\"at\": \"nope\"}\n");
    let output = run(&["retrain", "backtest", "--history", path(&broken)]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("history_bad.jsonl:1"));
}
