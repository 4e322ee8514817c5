//! `monitor alerts list|fire|ack|resolve|test|deliver|paused`: the alert outbox of
//! `telemetry::alert` from the command line (configuration in `alerts.toml`,
//! docs/alerts.md).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use telemetry::alert::{
    Alert, AlertError, AlertRecord, Alerting, AlertsConfig, AttemptOutcome, DeliveryReport,
    Severity, explain, test_alert,
};

use crate::canary::TextOrJson;
use crate::exit::{Failure, Outcome};

/// `monitor alerts ...`.
#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Shows the alerts with their state and acknowledgement, pending deliveries and dead
    /// letters.
    List(ListArgs),
    /// Fires an alert (from flags or a JSON file) and delivers it to every sink.
    Fire(FireArgs),
    /// Acknowledges an alert: records who and why, silences it in Alertmanager, sends
    /// PagerDuty's acknowledge, stops re-notification, pauses what the config says.
    Ack(AckArgs),
    /// Resolves an alert in every sink (and expires its silence).
    Resolve(ResolveArgs),
    /// Sends a test alert through every sink and reports each one's answer.
    Test(TestArgs),
    /// Delivers pending deliveries (retries included); with --follow, keeps delivering and
    /// sends Alertmanager heartbeats until stopped.
    Deliver(DeliverArgs),
    /// Exits 1 when an acknowledged alert pauses ACTION (rollout, retrain, ...) for the
    /// subject with the given labels.
    Paused(PausedArgs),
}

/// The configuration file, shared by every subcommand.
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// alerts.toml: `[outbox] path`, `[[sinks]]`, delivery, ack and pause settings.
    #[arg(long, default_value = "alerts.toml")]
    config: PathBuf,
}

/// Arguments of `monitor alerts list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Also resolved alerts.
    #[arg(long)]
    all: bool,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<TextOrJson>,
}

/// Arguments of `monitor alerts fire`.
#[derive(Debug, Args)]
pub struct FireArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The alert as JSON (`name`, `severity`, `summary`, `labels`, `explanation`,
    /// `details`, `annotations`, `generator_url`); `-` reads stdin. Flags below add to it.
    #[arg(long, conflicts_with_all = ["name", "severity", "summary"])]
    alert: Option<PathBuf>,
    /// The alert's name (its `alertname` label).
    #[arg(long, required_unless_present = "alert")]
    name: Option<String>,
    /// critical, error, warning or info.
    #[arg(long, required_unless_present = "alert")]
    severity: Option<String>,
    /// One line for a pager.
    #[arg(long, required_unless_present = "alert")]
    summary: Option<String>,
    /// A label, NAME=VALUE (repeatable): what the alert is about.
    #[arg(long = "label", value_name = "NAME=VALUE")]
    labels: Vec<String>,
    /// An annotation, NAME=VALUE (repeatable).
    #[arg(long = "annotation", value_name = "NAME=VALUE")]
    annotations: Vec<String>,
    /// What fired and why, in words.
    #[arg(long)]
    explanation: Option<String>,
    /// What fired, as JSON; `-` reads stdin. A `monitor drift` report, a canary verdict
    /// or a retrain decision also gives the explanation, and only what fired is kept (the
    /// drifted columns with their statistics, the metrics that did not pass).
    #[arg(long)]
    details: Option<PathBuf>,
    /// Keep the whole --details document, not only what fired.
    #[arg(long, requires = "details")]
    full_details: bool,
    /// A link back to what produced the alert.
    #[arg(long)]
    generator_url: Option<String>,
    /// Only queue the deliveries (a running `monitor alerts deliver --follow` sends them).
    #[arg(long)]
    no_deliver: bool,
}

/// Arguments of `monitor alerts ack`.
#[derive(Debug, Args)]
pub struct AckArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The alert's fingerprint, or a unique prefix of it (at least 4 hex digits).
    id: String,
    /// Who acknowledges (the silence's createdBy).
    #[arg(long)]
    by: String,
    /// Why (the silence's comment).
    #[arg(long, default_value = "")]
    comment: String,
    /// How long the silence lasts unless the alert resolves first [default: ack.silence_for].
    #[arg(long = "for", value_name = "DURATION", value_parser = duration)]
    silence_for: Option<Duration>,
}

/// Arguments of `monitor alerts resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The alert's fingerprint, or a unique prefix of it.
    id: String,
}

/// Arguments of `monitor alerts test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Leave the test alert firing (resolve it later with `monitor alerts resolve`).
    #[arg(long)]
    keep: bool,
    /// How long to keep retrying before reporting a sink as failed.
    #[arg(long, default_value = "30s", value_parser = duration)]
    timeout: Duration,
}

/// Arguments of `monitor alerts deliver`.
#[derive(Debug, Args)]
pub struct DeliverArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Keep delivering (and sending heartbeats) until stopped.
    #[arg(long)]
    follow: bool,
    /// Without --follow: how long to keep retrying before giving up for now.
    #[arg(long, default_value = "60s", value_parser = duration)]
    timeout: Duration,
}

/// Arguments of `monitor alerts paused`.
#[derive(Debug, Args)]
pub struct PausedArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The action: rollout, retrain, or a name the `[[pause]]` rules use.
    action: String,
    /// A label of the subject, NAME=VALUE (repeatable), e.g. model=churn.
    #[arg(long = "label", value_name = "NAME=VALUE")]
    labels: Vec<String>,
}

fn duration(text: &str) -> Result<Duration, String> {
    telemetry::alert::config::parse_duration(text)
}

/// Runs `monitor alerts ...`.
pub fn run(command: &AlertsCommand) -> Result<Outcome, Failure> {
    match command {
        AlertsCommand::List(args) => list(args),
        AlertsCommand::Fire(args) => fire(args),
        AlertsCommand::Ack(args) => ack(args),
        AlertsCommand::Resolve(args) => resolve(args),
        AlertsCommand::Test(args) => test(args),
        AlertsCommand::Deliver(args) => deliver(args),
        AlertsCommand::Paused(args) => paused(args),
    }
}

/// Maps the library's errors to exit codes: bad input 2, everything else 3.
fn failure(error: AlertError) -> Failure {
    match error {
        AlertError::Database(_) | AlertError::Corrupt { .. } | AlertError::Http(_) => {
            Failure::Runtime(error.into())
        }
        _ => Failure::Input(error.into()),
    }
}

fn open(config: &ConfigArg) -> Result<Alerting, Failure> {
    let loaded = AlertsConfig::load(&config.config).map_err(failure)?;
    Alerting::open(loaded).map_err(failure)
}

fn stdout_lines(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .context("writing to stdout")
        .map_err(Failure::Runtime)
}

fn pairs(items: &[String], what: &str) -> Result<BTreeMap<String, String>, Failure> {
    items
        .iter()
        .map(|item| {
            item.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .ok_or_else(|| Failure::Input(anyhow!("--{what} {item}: expected NAME=VALUE")))
        })
        .collect()
}

fn read_json(path: &Path) -> Result<Value, Failure> {
    let text = if path == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("reading stdin")
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    }
    .map_err(Failure::Input)?;
    serde_json::from_str(&text)
        .with_context(|| format!("{}: not JSON", path.display()))
        .map_err(Failure::Input)
}

/// One line on a delivery pass, and a note on stderr when deliveries are left.
fn delivery_summary(report: &DeliveryReport) -> String {
    let mut line = format!(
        "deliveries: {} delivered, {} retrying, {} dead, {} pending",
        report.delivered(),
        report.retried(),
        report.dead(),
        report.pending
    );
    for attempt in &report.attempts {
        if !matches!(attempt.outcome, AttemptOutcome::Delivered) {
            line.push_str(&format!(
                "\n  {} {} of {} (attempt {}): {}",
                attempt.sink, attempt.action, attempt.fingerprint, attempt.attempt, attempt.detail
            ));
        }
    }
    line.push('\n');
    line
}

fn warn_pending(report: &DeliveryReport) {
    if report.pending > 0 {
        tracing::warn!(
            pending = report.pending,
            "deliveries are queued in the outbox: `monitor alerts deliver` (or a running `monitor alerts deliver --follow`) sends them"
        );
    }
}

fn list(args: &ListArgs) -> Result<Outcome, Failure> {
    let alerting = open(&args.config)?;
    let outbox = alerting.outbox();
    let alerts = outbox.alerts(args.all).map_err(failure)?;
    let pending = outbox.pending(None).map_err(failure)?;
    let dead = outbox.dead_letters().map_err(failure)?;
    let format = args
        .format
        .unwrap_or(if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            TextOrJson::Table
        } else {
            TextOrJson::Json
        });
    let pending_of = |record: &AlertRecord| {
        pending
            .iter()
            .filter(|d| d.fingerprint == record.fingerprint)
            .count()
    };
    let text = match format {
        TextOrJson::Json => {
            let alerts: Vec<Value> = alerts
                .iter()
                .map(|record| {
                    json!({
                        "fingerprint": record.fingerprint,
                        "state": record.state,
                        "name": record.alert.name,
                        "severity": record.alert.severity,
                        "labels": record.alert.label_set(),
                        "summary": record.alert.summary,
                        "explanation": record.alert.explanation,
                        "details": record.alert.details,
                        "annotations": record.alert.annotations,
                        "generator_url": record.alert.generator_url,
                        "starts_at": record.starts_at,
                        "ends_at": record.ends_at,
                        "updated_at": record.updated_at,
                        "acknowledgement": record.acknowledgement,
                        "pending_deliveries": pending_of(record),
                    })
                })
                .collect();
            let pending: Vec<Value> = pending
                .iter()
                .map(|d| {
                    json!({
                        "id": d.id,
                        "sink": d.sink,
                        "fingerprint": d.fingerprint,
                        "action": d.action,
                        "attempts": d.attempts,
                        "created_at": d.created_at,
                        "next_attempt_at": d.available_at,
                        "last_status": d.last_status,
                        "last_error": d.last_error,
                    })
                })
                .collect();
            let document = json!({
                "schema_version": 1,
                "alerts": alerts,
                "pending": pending,
                "dead_letters": dead,
            });
            let mut text = serde_json::to_string_pretty(&document)
                .context("serializing the list")
                .map_err(Failure::Runtime)?;
            text.push('\n');
            text
        }
        TextOrJson::Table => {
            let mut text = String::new();
            if alerts.is_empty() {
                text.push_str(if args.all {
                    "no alerts\n"
                } else {
                    "no active alerts\n"
                });
            } else {
                text.push_str(&format!(
                    "{:<16}  {:<12}  {:<8}  {:<20}  {:<7}  ALERT\n",
                    "FINGERPRINT", "STATE", "SEVERITY", "SINCE", "PENDING"
                ));
            }
            for record in &alerts {
                let labels: Vec<String> = record
                    .alert
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{v}\""))
                    .collect();
                text.push_str(&format!(
                    "{:<16}  {:<12}  {:<8}  {:<20}  {:<7}  {}{{{}}}: {}\n",
                    record.fingerprint.to_string(),
                    record.state.as_str(),
                    record.alert.severity.as_str(),
                    record.starts_at.to_string(),
                    pending_of(record),
                    record.alert.name,
                    labels.join(", "),
                    record.alert.summary,
                ));
                if let Some(ack) = &record.acknowledgement {
                    text.push_str(&format!(
                        "{:<18}acknowledged by {} at {}: {} (silenced until {})\n",
                        "", ack.by, ack.at, ack.comment, ack.silence_until
                    ));
                }
                if let Some(ends_at) = record.ends_at {
                    text.push_str(&format!("{:<18}resolved at {ends_at}\n", ""));
                }
            }
            if !pending.is_empty() {
                text.push_str(&format!("\n{} deliveries pending\n", pending.len()));
            }
            if !dead.is_empty() {
                text.push_str(&format!("\n{} dead letters:\n", dead.len()));
                for letter in &dead {
                    text.push_str(&format!(
                        "  #{} {} {} of {} after {} attempts: {}\n",
                        letter.id,
                        letter.sink,
                        letter.action,
                        letter.fingerprint,
                        letter.attempts,
                        letter.reason
                    ));
                }
            }
            text
        }
    };
    stdout_lines(&text)?;
    Ok(Outcome::Clean)
}

fn fire(args: &FireArgs) -> Result<Outcome, Failure> {
    let mut alert = match &args.alert {
        Some(path) => serde_json::from_value::<Alert>(read_json(path)?)
            .with_context(|| format!("{}: not an alert", path.display()))
            .map_err(Failure::Input)?,
        None => {
            let severity: Severity = args
                .severity
                .as_deref()
                .unwrap_or_default()
                .parse()
                .map_err(|e: String| Failure::Input(anyhow!("--severity: {e}")))?;
            Alert::new(
                args.name.clone().unwrap_or_default(),
                severity,
                args.summary.clone().unwrap_or_default(),
            )
        }
    };
    alert.labels.extend(pairs(&args.labels, "label")?);
    alert
        .annotations
        .extend(pairs(&args.annotations, "annotation")?);
    if let Some(path) = &args.details {
        let document = read_json(path)?;
        // a drift report, canary verdict or retrain decision explains itself
        match explain(&document) {
            Some(explained) if !args.full_details => {
                alert.explanation = explained.explanation;
                alert.details = explained.details;
            }
            Some(explained) => {
                alert.explanation = explained.explanation;
                alert.details = document;
            }
            None => alert.details = document,
        }
    }
    if let Some(explanation) = &args.explanation {
        alert.explanation.clone_from(explanation);
    }
    if let Some(url) = &args.generator_url {
        alert.generator_url = Some(url.clone());
    }
    let alerting = open(&args.config)?;
    let fired = alerting.fire(&alert).map_err(failure)?;
    let change = match fired.change {
        telemetry::alert::FireChange::New => "new",
        telemetry::alert::FireChange::Renotified => "notified again",
        telemetry::alert::FireChange::Updated => "updated",
    };
    let mut text = format!(
        "{} {} ({change}): {} deliveries queued\n",
        fired.fingerprint, fired.state, fired.queued
    );
    if !args.no_deliver {
        let report = alerting.deliver_due().map_err(failure)?;
        text.push_str(&delivery_summary(&report));
        warn_pending(&report);
    }
    stdout_lines(&text)?;
    Ok(Outcome::Clean)
}

fn ack(args: &AckArgs) -> Result<Outcome, Failure> {
    let alerting = open(&args.config)?;
    let record = alerting
        .acknowledge(&args.id, &args.by, &args.comment, args.silence_for)
        .map_err(failure)?;
    let report = alerting.deliver_due().map_err(failure)?;
    let until = record
        .acknowledgement
        .as_ref()
        .map(|a| a.silence_until.to_string())
        .unwrap_or_default();
    let mut text = format!(
        "{} acknowledged by {} (silenced until {until} or until resolved)\n",
        record.fingerprint, args.by
    );
    text.push_str(&delivery_summary(&report));
    warn_pending(&report);
    stdout_lines(&text)?;
    Ok(Outcome::Clean)
}

fn resolve(args: &ResolveArgs) -> Result<Outcome, Failure> {
    let alerting = open(&args.config)?;
    let record = alerting.resolve(&args.id).map_err(failure)?;
    let report = alerting.deliver_due().map_err(failure)?;
    let mut text = format!("{} resolved\n", record.fingerprint);
    text.push_str(&delivery_summary(&report));
    warn_pending(&report);
    stdout_lines(&text)?;
    Ok(Outcome::Clean)
}

fn test(args: &TestArgs) -> Result<Outcome, Failure> {
    let alerting = open(&args.config)?;
    if alerting.config().sinks.is_empty() {
        return Err(Failure::Input(anyhow!(
            "{}: no [[sinks]] configured: nothing to test",
            args.config.config.display()
        )));
    }
    let test_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
        .to_string();
    let fired = alerting.fire(&test_alert(&test_id)).map_err(failure)?;
    let mut report = alerting
        .deliver_until_settled(args.timeout, Some(fired.fingerprint))
        .map_err(failure)?;
    if !args.keep {
        // resolved in every sink; behind a failing delivery the resolve waits its turn
        alerting
            .resolve(&fired.fingerprint.to_string())
            .map_err(failure)?;
        if report.pending == 0 {
            let resolved = alerting
                .deliver_until_settled(args.timeout, Some(fired.fingerprint))
                .map_err(failure)?;
            report.attempts.extend(resolved.attempts);
            report.pending = resolved.pending;
        }
    }
    let mut text = format!("test alert {} (test_id {test_id})\n", fired.fingerprint);
    let mut failed = false;
    for sink in &alerting.config().sinks {
        let attempts: Vec<_> = report
            .attempts
            .iter()
            .filter(|a| a.sink == sink.name && a.fingerprint == fired.fingerprint)
            .collect();
        let delivered: Vec<String> = attempts
            .iter()
            .filter(|a| matches!(a.outcome, AttemptOutcome::Delivered))
            .map(|a| match a.status {
                Some(status) => format!("{} (HTTP {status})", a.action),
                None => a.action.to_string(),
            })
            .collect();
        let problem = attempts
            .iter()
            .rev()
            .find(|a| !matches!(a.outcome, AttemptOutcome::Delivered));
        let pending = alerting
            .outbox()
            .pending(Some(fired.fingerprint))
            .map_err(failure)?
            .iter()
            .any(|d| d.sink == sink.name);
        let dead = attempts
            .iter()
            .any(|a| matches!(a.outcome, AttemptOutcome::Dead));
        let ok = !pending && !dead && !delivered.is_empty();
        failed |= !ok;
        let status = if ok { "ok" } else { "FAILED" };
        text.push_str(&format!(
            "{:<16} {:<12} {status}: {}",
            sink.name,
            sink.kind.as_str(),
            if delivered.is_empty() {
                "nothing delivered".to_owned()
            } else {
                delivered.join(", ")
            }
        ));
        if let (false, Some(problem)) = (ok, problem) {
            text.push_str(&format!("; last error: {}", problem.detail));
        }
        text.push('\n');
    }
    stdout_lines(&text)?;
    if failed {
        return Err(Failure::Runtime(anyhow!(
            "the test alert did not reach every sink (see above; `monitor alerts list` shows what is pending)"
        )));
    }
    Ok(Outcome::Clean)
}

fn deliver(args: &DeliverArgs) -> Result<Outcome, Failure> {
    let alerting = open(&args.config)?;
    if args.follow {
        // runs until the process is stopped; the outbox keeps whatever was in flight
        alerting.follow(&AtomicBool::new(false)).map_err(failure)?;
        return Ok(Outcome::Clean);
    }
    let report = alerting
        .deliver_until_settled(args.timeout, None)
        .map_err(failure)?;
    stdout_lines(&delivery_summary(&report))?;
    if report.pending > 0 || report.dead() > 0 {
        return Err(Failure::Runtime(anyhow!(
            "{} deliveries still pending and {} dead letters after {}s",
            report.pending,
            report.dead(),
            args.timeout.as_secs()
        )));
    }
    Ok(Outcome::Clean)
}

fn paused(args: &PausedArgs) -> Result<Outcome, Failure> {
    let alerting = open(&args.config)?;
    let labels = pairs(&args.labels, "label")?;
    match alerting.paused(&args.action, &labels).map_err(failure)? {
        Some(pause) => {
            stdout_lines(&format!(
                "{} is paused: alert {} ({}) acknowledged by {} at {}: {}\n",
                args.action, pause.alert, pause.fingerprint, pause.by, pause.since, pause.comment
            ))?;
            Ok(Outcome::FailOn)
        }
        None => {
            stdout_lines(&format!("{} is not paused\n", args.action))?;
            Ok(Outcome::Clean)
        }
    }
}
