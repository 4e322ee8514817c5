//! An acknowledged alert pauses what it should: `monitor retrain decide` holds the job and
//! `monitor canary run` holds the rollout, for that model only, until the alert resolves.

use std::sync::{Arc, Mutex, PoisonError};

use crate::backends::HttpServer;
use crate::support::{assert_succeeded, json_of, monitor, scratch, write};

fn run(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    monitor()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("running monitor")
}

#[test]
fn an_acknowledged_alert_holds_retraining_and_rollouts_of_its_model() {
    let dir = scratch("alert-pauses");
    write(&dir, "alerts.toml", "[outbox]\npath = \"outbox.db\"\n");
    let fired = run(
        &dir,
        &[
            "alerts",
            "fire",
            "--config",
            "alerts.toml",
            "--name",
            "AccuracyLow",
            "--severity",
            "warning",
            "--summary",
            "accuracy fell",
            "--label",
            "model=churn",
        ],
    );
    assert_succeeded(&fired);
    let fingerprint = String::from_utf8_lossy(&fired.stdout)
        .split_whitespace()
        .next()
        .expect("the fingerprint first")
        .to_owned();
    let ack = run(
        &dir,
        &[
            "alerts",
            "ack",
            &fingerprint,
            "--by",
            "ana",
            "--comment",
            "on it",
            "--config",
            "alerts.toml",
        ],
    );
    assert_succeeded(&ack);

    let decide = |model: &str| {
        write(
            &dir,
            &format!("{model}.json"),
            format!(r#"{{"model": "{model}", "window": "w1", "metrics": {{"accuracy": 0.5}}}}"#),
        );
        let output = run(
            &dir,
            &[
                "retrain",
                "decide",
                "--signals",
                &format!("{model}.json"),
                "--queue",
                "queue.db",
                "--alerts",
                "alerts.toml",
            ],
        );
        assert_succeeded(&output);
        json_of(&output.stdout)
    };
    let churn = decide("churn");
    assert_eq!(churn["decision"], "retrain");
    assert_eq!(churn["held_by_alert"]["by"], "ana", "{churn}");
    assert!(churn.get("enqueued").is_none(), "held back: {churn}");
    let fraud = decide("fraud");
    assert_eq!(
        fraud["enqueued"]["created"], true,
        "another model is not held: {fraud}"
    );

    let calls = Arc::new(Mutex::new(0));
    let hook = {
        let calls = Arc::clone(&calls);
        HttpServer::start(move |_| {
            *calls.lock().unwrap_or_else(PoisonError::into_inner) += 1;
            (200, "ok".into())
        })
    };
    write(
        &dir,
        "rollout.toml",
        format!(
            "name = \"churn-v4\"\n[rollout]\nsteps = [{{ set_weight = 20 }}, {{ set_weight = 100 }}]\n\
             [prometheus]\nurl = \"http://127.0.0.1:9\"\n[hook]\nwebhook = \"{}/hook\"\n\
             [queries]\n[alerts]\nconfig = \"alerts.toml\"\nmodel = \"churn\"\n",
            hook.url()
        ),
    );
    let held = run(&dir, &["canary", "run", "--config", "rollout.toml"]);
    assert_succeeded(&held);
    let stdout = String::from_utf8_lossy(&held.stdout);
    assert!(
        stdout.contains("held by acknowledged alert AccuracyLow"),
        "{stdout}"
    );
    assert_eq!(
        *calls.lock().unwrap_or_else(PoisonError::into_inner),
        0,
        "no action taken"
    );

    let resolved = run(
        &dir,
        &["alerts", "resolve", &fingerprint, "--config", "alerts.toml"],
    );
    assert_succeeded(&resolved);
    let churn = decide("churn");
    assert_eq!(
        churn["enqueued"]["created"], true,
        "resolved: no longer held: {churn}"
    );
    let promoted = run(&dir, &["canary", "run", "--config", "rollout.toml"]);
    assert_succeeded(&promoted);
    assert!(String::from_utf8_lossy(&promoted.stdout).contains("promoted"));
    assert_eq!(
        *calls.lock().unwrap_or_else(PoisonError::into_inner),
        3,
        "20, 100, promote"
    );
}
