//! The alert outbox against local HTTP receivers: what each sink receives, retries with
//! backoff and `Retry-After`, dead letters, ordering, heartbeats, re-notification and
//! acknowledgement, and restarts. Time is a manual clock; the receivers are real sockets.

mod alert_http;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use alert_http::{HttpServer, ManualClock, dead_url};
use serde_json::json;
use telemetry::alert::{
    Action, Alert, AlertState, Alerting, AlertsConfig, AttemptOutcome, DeliveryOptions, FireChange,
    Severity, Sink, SinkKind, verify,
};

const START: &str = "2026-11-27T10:00:00Z";

fn drift_alert() -> Alert {
    Alert::new(
        "DriftDetected",
        Severity::Warning,
        "dataset drift on churn v3",
    )
    .with_label("model", "churn")
    .with_label("version", "v3")
    .with_explanation(
        "4 of 12 columns drifted: age (psi 0.31 > 0.1), income (ks p 0.002 < 0.05), ...",
    )
    .with_details(json!({"drifted_columns": [
        {"column": "age", "test": "psi", "statistic": 0.31, "threshold": 0.1},
        {"column": "income", "test": "ks", "p_value": 0.002, "threshold": 0.05}
    ]}))
}

fn config(dir: &tempfile::TempDir, sinks: Vec<Sink>) -> AlertsConfig {
    let mut config = AlertsConfig::new(dir.path().join("alerts.db"));
    config.delivery = DeliveryOptions {
        timeout: Duration::from_secs(5),
        retry_initial: Duration::from_secs(1),
        retry_max: Duration::from_secs(60),
        give_up_after: Duration::from_secs(3600),
        renotify: Duration::from_secs(4 * 3600),
        poll: Duration::from_millis(50),
        seed: Some(1),
    };
    config.sinks = sinks;
    config
}

fn open(config: AlertsConfig, clock: &Arc<ManualClock>) -> Alerting {
    Alerting::open(config)
        .expect("opening")
        .with_clock(Arc::clone(clock) as Arc<dyn telemetry::alert::Clock>)
}

#[test]
fn alert_reaches_every_sink_in_its_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let am = HttpServer::answering(200, "");
    let pd = HttpServer::answering(202, r#"{"status":"success","message":"Event processed"}"#);
    let hook = HttpServer::answering(204, "");
    let clock = ManualClock::at(START);
    let alerting = open(
        config(
            &dir,
            vec![
                Sink::alertmanager(am.url()),
                Sink::pagerduty(format!("{}/v2/enqueue", pd.url()), "routing-key"),
                Sink::webhook(format!("{}/hook", hook.url()), "hook-secret"),
            ],
        ),
        &clock,
    );
    let fired = alerting.fire(&drift_alert()).expect("fired");
    assert_eq!((fired.change, fired.queued), (FireChange::New, 3));
    let report = alerting.deliver_due().expect("delivered");
    assert_eq!(
        (
            report.delivered(),
            report.retried(),
            report.dead(),
            report.pending
        ),
        (3, 0, 0, 0)
    );

    let post = &am.requests()[0];
    assert_eq!(
        (post.method.as_str(), post.path.as_str()),
        ("POST", "/api/v2/alerts")
    );
    let posted = &post.json()[0];
    assert_eq!(
        posted["labels"],
        json!({"alertname": "DriftDetected", "model": "churn", "severity": "warning", "version": "v3"})
    );
    assert_eq!(posted["startsAt"], START);
    assert!(
        posted["annotations"]["description"]
            .as_str()
            .expect("text")
            .starts_with("4 of 12 columns")
    );

    let trigger = pd.requests()[0].json();
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["dedup_key"], fired.fingerprint.to_string());
    assert_eq!(
        trigger["payload"]["custom_details"]["details"]["drifted_columns"][1]["p_value"],
        0.002
    );

    let call = &hook.requests()[0];
    assert_eq!(call.path, "/hook");
    assert!(verify(
        b"hook-secret",
        &call.body,
        call.header("x-monitor-signature").expect("signed")
    ));
    assert_eq!(call.json()["event"], "firing");
    assert_eq!(call.json()["fingerprint"], fired.fingerprint.to_string());
    assert_eq!(alerting.outbox().delivered_count(None).expect("count"), 3);
}

#[test]
fn alert_retries_honour_retry_after_then_deliver() {
    let dir = tempfile::tempdir().expect("tmp");
    let calls = Arc::new(AtomicUsize::new(0));
    let pd = {
        let calls = Arc::clone(&calls);
        HttpServer::start(move |_| {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                (
                    429,
                    vec![("Retry-After", "30".to_owned())],
                    "slow down".to_owned(),
                )
            } else {
                (202, Vec::new(), "{}".to_owned())
            }
        })
    };
    let clock = ManualClock::at(START);
    let alerting = open(config(&dir, vec![Sink::pagerduty(pd.url(), "rk")]), &clock);
    alerting.fire(&drift_alert()).expect("fired");
    let first = alerting.deliver_due().expect("pass");
    match &first.attempts[0].outcome {
        // the backoff (0.5 to 1 s) is shorter than what the server asked for
        AttemptOutcome::Retry { at } => assert_eq!(at.to_string(), "2026-11-27T10:00:30Z"),
        other => panic!("{other:?}"),
    }
    assert_eq!(first.attempts[0].status, Some(429));
    clock.advance(Duration::from_secs(29));
    assert!(
        alerting.deliver_due().expect("pass").attempts.is_empty(),
        "not before Retry-After"
    );
    clock.advance(Duration::from_secs(1));
    let second = alerting.deliver_due().expect("pass");
    assert_eq!(
        (
            second.delivered(),
            second.attempts[0].attempt,
            second.pending
        ),
        (1, 2, 0)
    );
    assert_eq!(pd.requests().len(), 2);
}

#[test]
fn alert_backoff_grows_while_a_sink_is_down_and_gives_up_into_dead_letters() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = ManualClock::at(START);
    let mut config = config(&dir, vec![Sink::webhook(dead_url(), "s")]);
    config.delivery.give_up_after = Duration::from_secs(60);
    let alerting = open(config, &clock);
    alerting.fire(&drift_alert()).expect("fired");
    let mut waits = Vec::new();
    loop {
        let report = alerting.deliver_due().expect("pass");
        let attempt = report.attempts.first().expect("one attempt due");
        match &attempt.outcome {
            AttemptOutcome::Retry { at } => {
                assert!(
                    attempt.detail.contains("error sending request"),
                    "{}",
                    attempt.detail
                );
                let wait =
                    Duration::try_from(at.duration_since(alerting_now(&clock))).expect("ahead");
                waits.push(wait);
                clock.advance(wait);
            }
            AttemptOutcome::Dead => {
                assert!(
                    attempt.detail.starts_with("gave up after"),
                    "{}",
                    attempt.detail
                );
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    // equal jitter: attempt n waits between 2^(n-2) and 2^(n-1) seconds
    for (i, wait) in waits.iter().enumerate() {
        let step = 2f64.powi(i as i32);
        let secs = wait.as_secs_f64();
        assert!(secs >= step / 2.0 && secs <= step, "wait {i}: {secs} s");
    }
    assert!(waits.len() >= 4, "{waits:?}");
    let dead = alerting.outbox().dead_letters().expect("dead letters");
    assert_eq!(dead.len(), 1);
    assert_eq!(
        (dead[0].action, dead[0].attempts as usize),
        (Action::Notify, waits.len() + 1)
    );
    assert!(alerting.outbox().pending(None).expect("pending").is_empty());
}

fn alerting_now(clock: &Arc<ManualClock>) -> jiff::Timestamp {
    telemetry::alert::Clock::now(clock.as_ref())
}

#[test]
fn alert_client_errors_go_to_dead_letters_without_holding_back_others() {
    let dir = tempfile::tempdir().expect("tmp");
    let am = HttpServer::answering(400, "\"invalid label set\"");
    let hook = HttpServer::answering(200, "");
    let clock = ManualClock::at(START);
    let alerting = open(
        config(
            &dir,
            vec![Sink::alertmanager(am.url()), Sink::webhook(hook.url(), "s")],
        ),
        &clock,
    );
    let fired = alerting.fire(&drift_alert()).expect("fired");
    let report = alerting.deliver_due().expect("pass");
    assert_eq!((report.delivered(), report.dead()), (1, 1));
    let dead = alerting.outbox().dead_letters().expect("dead");
    assert_eq!(dead[0].sink, "alertmanager");
    assert_eq!(dead[0].fingerprint, fired.fingerprint);
    assert_eq!(dead[0].status, Some(400));
    assert_eq!(dead[0].reason, "HTTP 400: \"invalid label set\"");
    assert_eq!(am.requests().len(), 1, "a 4xx is not retried");
}

#[test]
fn alert_deliveries_of_one_alert_keep_their_order() {
    let dir = tempfile::tempdir().expect("tmp");
    let calls = Arc::new(AtomicUsize::new(0));
    let pd = {
        let calls = Arc::clone(&calls);
        HttpServer::start(move |_| {
            let status = if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                503
            } else {
                202
            };
            (status, Vec::new(), String::new())
        })
    };
    let clock = ManualClock::at(START);
    let alerting = open(config(&dir, vec![Sink::pagerduty(pd.url(), "rk")]), &clock);
    let fired = alerting.fire(&drift_alert()).expect("fired");
    assert_eq!(alerting.deliver_due().expect("pass").retried(), 1);
    let id = fired.fingerprint.to_string();
    alerting
        .acknowledge(&id[..6], "ana", "looking", None)
        .expect("acked");
    alerting.resolve(&id).expect("resolved");
    // the acknowledge and the resolve are due, but wait behind the trigger's retry
    assert!(alerting.deliver_due().expect("pass").attempts.is_empty());
    clock.advance(Duration::from_secs(1));
    let report = alerting.deliver_due().expect("pass");
    assert_eq!(report.delivered(), 3);
    let actions: Vec<String> = pd
        .requests()
        .iter()
        .map(|r| {
            r.json()["event_action"]
                .as_str()
                .expect("action")
                .to_owned()
        })
        .collect();
    assert_eq!(actions, ["trigger", "trigger", "acknowledge", "resolve"]);
}

#[test]
fn alert_heartbeats_repost_active_alerts_and_coalesce_while_down() {
    let dir = tempfile::tempdir().expect("tmp");
    let up = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let am = {
        let up = Arc::clone(&up);
        HttpServer::start(move |_| {
            let status = if up.load(Ordering::SeqCst) { 200 } else { 503 };
            (status, Vec::new(), String::new())
        })
    };
    let clock = ManualClock::at(START);
    let mut sink = Sink::alertmanager(am.url());
    sink.kind = SinkKind::Alertmanager {
        heartbeat: Duration::from_secs(60),
        resolve_timeout: Duration::from_secs(300),
    };
    let alerting = open(config(&dir, vec![sink]), &clock);
    let fired = alerting.fire(&drift_alert()).expect("fired");
    alerting.deliver_due().expect("pass");
    clock.advance(Duration::from_secs(59));
    assert_eq!(alerting.deliver_due().expect("pass").heartbeats, 0);
    clock.advance(Duration::from_secs(1));
    let beat = alerting.deliver_due().expect("pass");
    assert_eq!((beat.heartbeats, beat.delivered()), (1, 1));
    // Alertmanager down: one post waits, however many heartbeats fall due
    up.store(false, Ordering::SeqCst);
    clock.advance(Duration::from_secs(60));
    alerting.deliver_due().expect("pass");
    for _ in 0..5 {
        clock.advance(Duration::from_secs(60));
        alerting.deliver_due().expect("pass");
        alerting.fire(&drift_alert()).expect("fired again");
    }
    let pending = alerting
        .outbox()
        .pending(Some(fired.fingerprint))
        .expect("pending");
    assert_eq!(pending.len(), 1, "{pending:?}");
    up.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(120));
    let back = alerting.deliver_due().expect("pass");
    assert_eq!((back.delivered(), back.pending), (1, 0));
    // resolved alerts get no heartbeats; the last post carries endsAt
    alerting
        .resolve(&fired.fingerprint.to_string())
        .expect("resolved");
    alerting.deliver_due().expect("pass");
    let last = am.requests().last().expect("a post").json();
    assert_eq!(last[0]["endsAt"], "2026-11-27T10:09:00Z");
    let count = am.requests().len();
    clock.advance(Duration::from_secs(600));
    assert_eq!(alerting.deliver_due().expect("pass").heartbeats, 0);
    assert_eq!(am.requests().len(), count);
}

#[test]
fn alert_acknowledgement_stops_renotification_but_not_alertmanager_updates() {
    let dir = tempfile::tempdir().expect("tmp");
    let am = HttpServer::start(|request| {
        let body = if request.path == "/api/v2/silences" {
            r#"{"silenceID":"sil-1"}"#
        } else {
            ""
        };
        (200, Vec::new(), body.to_owned())
    });
    let pd = HttpServer::answering(202, "{}");
    let hook = HttpServer::answering(200, "");
    let clock = ManualClock::at(START);
    let alerting = open(
        config(
            &dir,
            vec![
                Sink::alertmanager(am.url()),
                Sink::pagerduty(pd.url(), "rk"),
                Sink::webhook(hook.url(), "s"),
            ],
        ),
        &clock,
    );
    let alert = drift_alert();
    let id = alerting
        .fire(&alert)
        .expect("fired")
        .fingerprint
        .to_string();
    alerting.deliver_due().expect("pass");
    // fired again within renotify: Alertmanager only
    clock.advance(Duration::from_secs(3600));
    let again = alerting.fire(&alert).expect("again");
    assert_eq!((again.change, again.queued), (FireChange::Updated, 1));
    alerting.deliver_due().expect("pass");
    // after renotify: every sink, marked as a repeat
    clock.advance(Duration::from_secs(3 * 3600));
    let repeat = alerting.fire(&alert).expect("repeat");
    assert_eq!((repeat.change, repeat.queued), (FireChange::Renotified, 3));
    alerting.deliver_due().expect("pass");
    assert_eq!(hook.requests().last().expect("hook").json()["repeat"], true);
    assert_eq!(pd.requests().len(), 2);

    let record = alerting
        .acknowledge(
            &id,
            "ana",
            "retraining is on its way",
            Some(Duration::from_secs(7200)),
        )
        .expect("ack");
    assert_eq!(record.state, AlertState::Acknowledged);
    assert!(alerting.is_acknowledged(record.fingerprint).expect("query"));
    alerting.deliver_due().expect("pass");
    let silence = am
        .requests()
        .iter()
        .find(|r| r.path == "/api/v2/silences")
        .expect("a silence")
        .json();
    assert_eq!(silence["createdBy"], "ana");
    assert_eq!(silence["comment"], "retraining is on its way");
    // acknowledged at 14:00, silenced for 2 h
    assert_eq!(silence["endsAt"], "2026-11-27T16:00:00Z");
    assert_eq!(
        pd.requests().last().expect("pd").json()["event_action"],
        "acknowledge"
    );
    assert_eq!(
        hook.requests().last().expect("hook").json()["event"],
        "acknowledged"
    );
    assert!(
        alerting.acknowledge(&id, "bob", "", None).is_err(),
        "already acknowledged"
    );

    // acknowledged: firing again, even after renotify, reaches only Alertmanager
    let (pd_before, hook_before) = (pd.requests().len(), hook.requests().len());
    clock.advance(Duration::from_secs(5 * 3600));
    let muted = alerting.fire(&alert).expect("muted");
    assert_eq!(
        (muted.change, muted.state, muted.queued),
        (FireChange::Updated, AlertState::Acknowledged, 1)
    );
    let report = alerting.deliver_due().expect("pass");
    assert!(
        report.attempts.iter().all(|a| a.sink == "alertmanager"),
        "{report:?}"
    );
    assert_eq!(
        (pd.requests().len(), hook.requests().len()),
        (pd_before, hook_before)
    );

    // resolving expires the silence it created
    alerting.resolve(&id).expect("resolved");
    alerting.deliver_due().expect("pass");
    let delete = am
        .requests()
        .into_iter()
        .find(|r| r.method == "DELETE")
        .expect("an expiry");
    assert_eq!(delete.path, "/api/v2/silence/sil-1");
    assert_eq!(
        pd.requests().last().expect("pd").json()["event_action"],
        "resolve"
    );
    let resolved = hook.requests().last().expect("hook").json();
    assert_eq!(
        (
            resolved["event"].as_str(),
            resolved["acknowledgement"]["by"].as_str()
        ),
        (Some("resolved"), Some("ana"))
    );
    assert!(!alerting.is_acknowledged(record.fingerprint).expect("query"));
}

#[test]
fn alert_outbox_survives_a_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let hook = HttpServer::answering(200, "");
    let clock = ManualClock::at(START);
    let fingerprint = {
        let alerting = open(config(&dir, vec![Sink::webhook(hook.url(), "s")]), &clock);
        let fired = alerting.fire(&drift_alert()).expect("fired");
        alerting
            .acknowledge(&fired.fingerprint.to_string(), "ana", "mine", None)
            .expect("ack");
        fired.fingerprint
        // dropped before anything was sent
    };
    assert!(hook.requests().is_empty());
    let alerting = open(config(&dir, vec![Sink::webhook(hook.url(), "s")]), &clock);
    assert!(alerting.is_acknowledged(fingerprint).expect("query"));
    let report = alerting.deliver_due().expect("pass");
    assert_eq!(report.delivered(), 2);
    let events: Vec<String> = hook
        .requests()
        .iter()
        .map(|r| r.json()["event"].as_str().expect("event").to_owned())
        .collect();
    assert_eq!(events, ["firing", "acknowledged"]);
    let keys: std::collections::HashSet<String> = hook
        .requests()
        .iter()
        .filter_map(|r| r.header("idempotency-key").map(str::to_owned))
        .collect();
    assert_eq!(keys.len(), 2, "each delivery has its own idempotency key");
}

#[test]
fn alert_deliveries_to_a_sink_removed_from_the_config_become_dead_letters() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = ManualClock::at(START);
    {
        let alerting = open(
            config(&dir, vec![Sink::webhook(dead_url(), "s").named("old")]),
            &clock,
        );
        alerting.fire(&drift_alert()).expect("fired");
    }
    let alerting = open(config(&dir, Vec::new()), &clock);
    let report = alerting.deliver_due().expect("pass");
    assert_eq!(report.dead(), 1);
    let dead = alerting.outbox().dead_letters().expect("dead");
    assert_eq!(
        dead[0].reason,
        "sink \"old\" is not in the configuration any more"
    );
}

#[test]
fn alert_pause_query_follows_the_rules() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = ManualClock::at(START);
    let mut config = config(&dir, Vec::new());
    config.pause = vec![telemetry::alert::PauseRule {
        action: "rollout".to_owned(),
        matchers: [("alertname".to_owned(), "CanaryFailed".to_owned())]
            .into_iter()
            .collect(),
        equal: vec!["model".to_owned()],
    }];
    let alerting = open(config, &clock);
    let churn = [("model".to_owned(), "churn".to_owned())]
        .into_iter()
        .collect();
    let drift = alerting.fire(&drift_alert()).expect("drift");
    let canary = alerting
        .fire(
            &Alert::new("CanaryFailed", Severity::Critical, "canary v4 failed")
                .with_label("model", "churn"),
        )
        .expect("canary");
    alerting
        .acknowledge(&drift.fingerprint.to_string(), "ana", "", None)
        .expect("ack");
    assert!(
        alerting.paused("rollout", &churn).expect("query").is_none(),
        "drift does not match the rule"
    );
    alerting
        .acknowledge(&canary.fingerprint.to_string(), "bob", "holding", None)
        .expect("ack");
    let pause = alerting
        .paused("rollout", &churn)
        .expect("query")
        .expect("paused");
    assert_eq!(
        (
            pause.alert.as_str(),
            pause.by.as_str(),
            pause.comment.as_str()
        ),
        ("CanaryFailed", "bob", "holding")
    );
    assert!(alerting.paused("retrain", &churn).expect("query").is_none());
}

#[test]
fn alert_with_a_clear_user_id_is_refused_before_anything_is_stored() {
    let dir = tempfile::tempdir().expect("tmp");
    let clock = ManualClock::at(START);
    let alerting = open(config(&dir, Vec::new()), &clock);
    let err = alerting
        .fire(&drift_alert().with_label("user_id", "u-123"))
        .expect_err("refused");
    assert!(err.to_string().contains("clear user id"), "{err}");
    assert!(alerting.outbox().alerts(true).expect("alerts").is_empty());
}
