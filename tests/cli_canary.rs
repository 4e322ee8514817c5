//! `monitor canary analyze` and `monitor shadow compare` on files.

use std::fmt::Write as _;

use crate::support::{assert_succeeded, json_of, monitor, scratch, write};

/// Metric samples: latency per request, and errors as 0/1 rows or as events over trials.
fn samples(latency_shift: f64, error_every: u32, aggregated: bool) -> String {
    let mut text = String::from("metric,value,trials\n");
    for i in 0..200 {
        let _ = writeln!(
            text,
            "latency_ms,{},",
            100.0 + f64::from(i % 20) + latency_shift
        );
    }
    if aggregated {
        let _ = writeln!(text, "errors,{},2000", 2000 / error_every);
    } else {
        for i in 0..2000 {
            let _ = writeln!(text, "errors,{},", u32::from(i % error_every == 0));
        }
    }
    text
}

#[test]
fn analyze_passes_a_like_candidate_and_fails_a_slower_one() {
    let dir = scratch("cli-canary-analyze");
    let baseline = write(&dir, "baseline.csv", samples(0.0, 100, false));
    let like = write(&dir, "like.csv", samples(0.0, 100, true));
    let slower = write(&dir, "slower.csv", samples(30.0, 100, false));
    let config = write(
        &dir,
        "canary.toml",
        "[[metrics]]\nname = \"latency_ms\"\ndirection = \"increase\"\n\n\
         [[metrics]]\nname = \"errors\"\nkind = \"rate\"\ndirection = \"increase\"\n",
    );
    let run = |candidate: &std::path::Path| {
        monitor()
            .args(["canary", "analyze", "--format", "json", "--fail-on-fail"])
            .arg("--baseline")
            .arg(&baseline)
            .arg("--candidate")
            .arg(candidate)
            .arg("--config")
            .arg(&config)
            .output()
            .expect("running monitor canary analyze")
    };
    let output = run(&like);
    assert_succeeded(&output);
    let verdict = json_of(&output.stdout);
    assert_eq!(verdict["decision"], "pass", "{verdict}");
    assert_eq!(verdict["metrics"][0]["n_baseline"], 200);
    assert_eq!(
        verdict["metrics"][1]["n_candidate"], 2000,
        "trials from the aggregated row"
    );

    let output = run(&slower);
    assert_eq!(output.status.code(), Some(1), "--fail-on-fail");
    let verdict = json_of(&output.stdout);
    assert_eq!(verdict["decision"], "fail");
    // the Hodges-Lehmann shift of two samples 30 apart is 30
    assert_eq!(verdict["metrics"][0]["estimate"], 30.0);
    assert_eq!(verdict["metrics"][0]["classification"]["label"], "high");
}

#[test]
fn analyze_names_bad_input() {
    let dir = scratch("cli-canary-bad");
    let good = write(&dir, "good.csv", samples(0.0, 100, false));
    let cases: [(&str, &str, &str); 3] = [
        ("no_value.csv", "metric,amount\nlatency_ms,1\n", "value"),
        (
            "word.csv",
            "metric,value\nlatency_ms,1\nlatency_ms,fast\n",
            "word.csv",
        ),
        (
            "bad_rate.csv",
            "metric,value,trials\nerrors,5,2.5\n",
            "trials",
        ),
    ];
    for (name, text, expected) in cases {
        let bad = write(&dir, name, text);
        let output = monitor()
            .args(["canary", "analyze", "--baseline"])
            .arg(&good)
            .arg("--candidate")
            .arg(&bad)
            .output()
            .expect("running monitor canary analyze");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}

#[test]
fn shadow_compare_pairs_by_request_id_and_counts_the_unmatched() {
    let dir = scratch("cli-shadow");
    let (mut live, mut shadow, mut labels) = (String::new(), String::new(), String::new());
    // 100 requests both answered; the shadow disagrees on every 10th; 3 live-only, 2
    // shadow-only; labels for the first 50, where the live model is wrong on every 5th
    for i in 0..100 {
        let truth = if i % 2 == 0 { "yes" } else { "no" };
        let live_answer = if i < 50 && i % 5 == 0 {
            flip(truth)
        } else {
            truth
        };
        let shadow_answer = if i % 10 == 0 {
            flip(live_answer)
        } else {
            live_answer
        };
        let _ = writeln!(
            live,
            r#"{{"request_id": "r{i}", "prediction": "{live_answer}", "latency_ms": {}}}"#,
            20 + i % 7
        );
        let _ = writeln!(
            shadow,
            r#"{{"request_id": "r{i}", "prediction": "{shadow_answer}", "latency_ms": {}}}"#,
            25 + i % 7
        );
        if i < 50 {
            let _ = writeln!(labels, r#"{{"request_id": "r{i}", "label": "{truth}"}}"#);
        }
    }
    for i in 100..103 {
        let _ = writeln!(
            live,
            r#"{{"request_id": "r{i}", "prediction": "yes", "latency_ms": 20}}"#
        );
    }
    for i in 200..202 {
        let _ = writeln!(
            shadow,
            r#"{{"request_id": "r{i}", "prediction": "no", "latency_ms": 20}}"#
        );
    }
    let (live, shadow, labels) = (
        write(&dir, "live.jsonl", live),
        write(&dir, "shadow.jsonl", shadow),
        write(&dir, "labels.jsonl", labels),
    );
    let output = monitor()
        .args(["shadow", "compare", "--format", "json", "--live"])
        .arg(&live)
        .arg("--shadow")
        .arg(&shadow)
        .arg("--labels")
        .arg(&labels)
        .output()
        .expect("running monitor shadow compare");
    assert_succeeded(&output);
    let report = json_of(&output.stdout);
    assert_eq!(report["task"], "classifier");
    let classifier = &report["classifier"];
    assert_eq!(classifier["pairing"]["n_pairs"], 100);
    assert_eq!(classifier["pairing"]["unmatched_live"], 3);
    assert_eq!(classifier["pairing"]["unmatched_shadow"], 2);
    assert_eq!(classifier["agreement"]["count"], 90);
    let labelled = &classifier["labelled"];
    assert_eq!(labelled["n_labelled"], 50);
    // live wrong on i = 0, 5, ..., 45 (10 of 50); the shadow flips i = 0, 10, 20, 30, 40,
    // which the live model had wrong: the shadow is right there and nowhere worse
    assert_eq!(labelled["live_accuracy"]["count"], 40);
    assert_eq!(labelled["shadow_accuracy"]["count"], 45);
    assert_eq!(labelled["mcnemar"]["shadow_only_correct"], 5);
    assert_eq!(labelled["mcnemar"]["live_only_correct"], 0);
    // latencies paired too: the shadow is 5 ms slower on every request
    assert_eq!(report["latency"]["mean_difference"], 5.0);
    assert_eq!(report["latency"]["max_abs_difference"], 5.0);
}

fn flip(answer: &str) -> &'static str {
    if answer == "yes" { "no" } else { "yes" }
}
