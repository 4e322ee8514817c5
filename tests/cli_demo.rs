//! `monitor demo` through the real binary: the scenario's shift is found in the window that
//! holds it and not before, retraining is queued once, and the slower canary fails.

use crate::support::{assert_succeeded, monitor, scratch};

#[test]
fn the_demo_finds_the_shift_it_injected_and_fails_the_slower_canary() {
    let dir = scratch("demo");
    // 30,000 predictions in windows of 10,000; the shift at 25,000 is inside window 2.
    let output = monitor()
        .args(["demo", "--events", "30000", "--shift-at", "25000", "--dir"])
        .arg(&dir)
        .output()
        .expect("running monitor demo");
    assert_succeeded(&output);
    let story = String::from_utf8_lossy(&output.stdout).into_owned();
    let fired: Vec<&str> = story
        .lines()
        .filter(|line| line.starts_with("- window"))
        .collect();
    assert!(
        fired.iter().any(|line| line.starts_with(
            "- window 2 (predictions 20000-29999), which holds the shift: WatchDatasetDrift"
        )),
        "{story}"
    );
    assert!(
        !fired
            .iter()
            .any(|line| line.starts_with("- window 0") || line.starts_with("- window 1")),
        "nothing fires before the shift: {story}"
    );
    assert!(
        fired.iter().any(|line| line
            .starts_with("- window 2 (predictions 20000-29999): retraining queued as job 1")),
        "{story}"
    );
    assert!(story.contains("- canary: Fail"), "{story}");
    assert!(story.contains("1 retraining jobs"), "{story}");
    let windows =
        std::fs::read_to_string(dir.join("watch-out/windows.jsonl")).expect("the window reports");
    assert_eq!(windows.lines().count(), 3);

    // A second run starts over (no checkpoint resumed, no job left from the first run).
    let again = monitor()
        .args(["demo", "--events", "30000", "--shift-at", "25000", "--dir"])
        .arg(&dir)
        .output()
        .expect("running monitor demo again");
    assert_succeeded(&again);
    assert_eq!(String::from_utf8_lossy(&again.stdout), story);
}

#[test]
fn generate_only_writes_the_scenario_and_its_configuration() {
    let dir = scratch("demo-generate");
    let output = monitor()
        .args(["demo", "--generate-only", "--events", "2000", "--dir"])
        .arg(&dir)
        .output()
        .expect("running monitor demo --generate-only");
    assert_succeeded(&output);
    for name in [
        "events.jsonl",
        "reference.csv",
        "monitor.toml",
        "policy.toml",
        "alerts.toml",
    ] {
        assert!(dir.join(name).is_file(), "{name}");
    }
    assert!(!dir.join("watch-out").exists(), "nothing was watched");
    let events = std::fs::read_to_string(dir.join("events.jsonl")).expect("the stream");
    let predictions = events
        .lines()
        .filter(|l| l.contains("\"features\""))
        .count();
    assert_eq!(predictions, 2000);

    let zero = monitor()
        .args(["demo", "--events", "0", "--dir"])
        .arg(&dir)
        .output()
        .expect("running monitor demo --events 0");
    assert_eq!(zero.status.code(), Some(2));
}
