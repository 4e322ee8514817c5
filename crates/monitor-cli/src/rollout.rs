//! `monitor canary run`: drives a rollout in real time. Prometheus answers the metrics,
//! canary-core's judge and rollout machine decide, a hook carries out each action.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, anyhow, bail};
use canary_core::analysis::{Measurement, MeasurementPhase};
use canary_core::config::{JudgeConfig, MetricKind};
use canary_core::judge::{CanaryVerdict, MetricData, MetricInput, judge};
use canary_core::proportion::Proportion;
use canary_core::rollout::{Rollout, RolloutAction, RolloutEvent, RolloutPhase, RolloutSpec};
use canary_core::time::{Span, Timestamp};
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::exit::{Failure, Outcome};

/// The analysis metric name that stands for the whole judge verdict.
const VERDICT_METRIC: &str = "canary";

/// Arguments of `monitor canary run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// rollout.toml: `[rollout]` steps, `[prometheus]`, `[hook]`, `[judge]` and `[queries]`
    /// (see docs/canary.md).
    #[arg(long)]
    config: PathBuf,
    /// Where the rollout's state is kept between runs [default: <config>.state.json].
    #[arg(long)]
    state: Option<PathBuf>,
    /// A human confirms: ends a pause (untimed step or Inconclusive analysis), then runs on.
    #[arg(long, conflicts_with_all = ["abort", "promote_full"])]
    resume: bool,
    /// A human aborts: roll back now.
    #[arg(long, conflicts_with = "promote_full")]
    abort: bool,
    /// A human promotes at once, skipping the remaining steps.
    #[arg(long)]
    promote_full: bool,
    /// Serve the rollout's metrics (canary score and verdict, weight, rollbacks) at
    /// `http://ADDR/metrics` while it runs, e.g. `127.0.0.1:9464`.
    #[arg(long)]
    metrics_addr: Option<std::net::SocketAddr>,
}

/// `rollout.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolloutConfig {
    /// A name for logs and hook calls.
    #[serde(default = "default_name")]
    name: String,
    rollout: RolloutSpec,
    prometheus: PrometheusConfig,
    hook: HookConfig,
    #[serde(default)]
    judge: JudgeConfig,
    /// PromQL per judge metric.
    queries: BTreeMap<String, MetricQuery>,
    /// Acknowledged alerts that hold the rollout (optional).
    #[serde(default)]
    alerts: Option<AlertsLink>,
}

/// Where acknowledged alerts are kept, and which model this rollout is.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlertsLink {
    /// An alerts.toml (`docs/alerts.md`), relative to the working directory.
    config: PathBuf,
    /// The model rolled out: an acknowledged alert that pauses `rollout` for it holds
    /// the rollout before its next event.
    model: Option<String>,
}

fn default_name() -> String {
    "rollout".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrometheusConfig {
    /// e.g. `http://127.0.0.1:9090`.
    url: String,
    /// How far back a samples metric's range query looks.
    #[serde(default = "default_lookback")]
    lookback: Span,
    /// The range query's resolution.
    #[serde(default = "default_step")]
    step: Span,
    /// Per-request timeout.
    #[serde(default = "default_timeout")]
    timeout: Span,
}

fn default_lookback() -> Span {
    Span::minutes(5)
}

fn default_step() -> Span {
    Span::seconds(15)
}

fn default_timeout() -> Span {
    Span::seconds(10)
}

/// How actions are carried out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HookConfig {
    /// POST the action as JSON here.
    webhook: Option<String>,
    /// Or run this program with the action as JSON on stdin.
    command: Option<Vec<String>>,
}

/// A judge metric's PromQL. `{variant}` in a template becomes `baseline` or `candidate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricQuery {
    /// Samples metrics: a range query template, or explicit `baseline` and `candidate`.
    query: Option<String>,
    baseline: Option<String>,
    candidate: Option<String>,
    /// Rate metrics: instant queries for events and trials (templates).
    events: Option<String>,
    trials: Option<String>,
}

impl MetricQuery {
    fn for_variant(
        &self,
        template: Option<&String>,
        explicit: Option<&String>,
        variant: &str,
    ) -> Option<String> {
        explicit
            .cloned()
            .or_else(|| template.map(|t| t.replace("{variant}", variant)))
    }
}

/// What a hook receives.
#[derive(Debug, Serialize)]
struct HookCall<'a> {
    rollout: &'a str,
    #[serde(flatten)]
    action: &'a RolloutAction,
    at_ms: i64,
}

/// Runs `monitor canary run`.
pub fn run(args: &RunArgs) -> Result<Outcome, Failure> {
    let config = load(&args.config).map_err(Failure::Input)?;
    let state_path = args
        .state
        .clone()
        .unwrap_or_else(|| args.config.with_extension("state.json"));
    let driver = Driver::new(&config).map_err(Failure::Input)?;
    let _metrics_server = match args.metrics_addr {
        Some(addr) => Some(
            telemetry::metrics::serve(addr, Arc::clone(&driver.metrics))
                .map_err(|e| Failure::Input(e.into()))?,
        ),
        None => None,
    };
    let _span = tracing::info_span!("canary run", rollout = %config.name).entered();
    let (mut rollout, mut actions) = match std::fs::read_to_string(&state_path) {
        Ok(text) => {
            let mut rollout: Rollout = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a rollout state", state_path.display()))
                .map_err(Failure::Input)?;
            let event = if args.resume {
                RolloutEvent::Resume
            } else if args.abort {
                RolloutEvent::Abort
            } else if args.promote_full {
                RolloutEvent::PromoteFull
            } else {
                RolloutEvent::Tick
            };
            // an abort rolls back even while an alert holds the rollout
            if !args.abort && held(&config, &state_path, &rollout)? {
                return Ok(Outcome::Clean);
            }
            // a rollout held before its start has not started yet
            let actions = if rollout.state().phase == RolloutPhase::Pending {
                rollout.start(now())
            } else {
                rollout.handle(event, now())
            }
            .map_err(|e| Failure::Input(e.into()))?;
            (rollout, actions)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if args.resume || args.abort || args.promote_full {
                return Err(Failure::Input(anyhow!(
                    "{}: no rollout to resume, abort or promote (it has not started)",
                    state_path.display()
                )));
            }
            let mut rollout =
                Rollout::new(config.rollout.clone()).map_err(|e| Failure::Input(e.into()))?;
            if held(&config, &state_path, &rollout)? {
                return Ok(Outcome::Clean);
            }
            let actions = rollout.start(now()).map_err(|e| Failure::Input(e.into()))?;
            (rollout, actions)
        }
        Err(e) => {
            return Err(Failure::Input(
                anyhow::Error::new(e).context(format!("{}: cannot read", state_path.display())),
            ));
        }
    };
    loop {
        save(&state_path, &rollout)?;
        let mut next_event = None;
        let mut wake = None;
        for action in &actions {
            tracing::info!(rollout = %config.name, action = ?action, "rollout action");
            match action {
                RolloutAction::SetWeight { .. }
                | RolloutAction::Promote
                | RolloutAction::Rollback { .. }
                | RolloutAction::Pause { .. } => {
                    driver.hook(&config, action).map_err(Failure::Runtime)?;
                    driver.record(action);
                }
                RolloutAction::RunAnalysis { run, metrics } => {
                    let measurements = driver.measure(&config, metrics);
                    next_event = Some(RolloutEvent::Measured {
                        run: *run,
                        measurements,
                    });
                }
                RolloutAction::Wait { until } => {
                    wake = Some(wake.map_or(*until, |w: Timestamp| w.min(*until)));
                }
                RolloutAction::AnalysisCompleted { .. }
                | RolloutAction::ProgressDeadlineExceeded { .. } => {}
            }
        }
        match &rollout.state().phase {
            RolloutPhase::Promoted => {
                save(&state_path, &rollout)?;
                print_line(&format!("{}: promoted", config.name));
                return Ok(Outcome::Clean);
            }
            RolloutPhase::RolledBack { reason } => {
                save(&state_path, &rollout)?;
                print_line(&format!("{}: rolled back: {reason}", config.name));
                return Ok(Outcome::FailOn);
            }
            RolloutPhase::Paused { reason, .. } if next_event.is_none() => {
                save(&state_path, &rollout)?;
                print_line(&format!(
                    "{}: paused ({}); run again with --resume, --abort or --promote-full",
                    config.name,
                    serde_json::to_string(reason).unwrap_or_default()
                ));
                return Ok(Outcome::Clean);
            }
            _ => {}
        }
        let event = match next_event {
            Some(event) => event,
            None => {
                let until = wake.unwrap_or_else(|| now().plus(Span::seconds(1)));
                let wait = until.since(now());
                std::thread::sleep(Duration::from_millis(wait.0));
                RolloutEvent::Tick
            }
        };
        if held(&config, &state_path, &rollout)? {
            return Ok(Outcome::Clean);
        }
        actions = rollout
            .handle(event, now())
            .map_err(|e| Failure::Runtime(e.into()))?;
    }
}

/// Whether an acknowledged alert holds the rollout: then the state is saved untouched
/// and the command stops, to be run again once the alert is resolved.
fn held(config: &RolloutConfig, state_path: &Path, rollout: &Rollout) -> Result<bool, Failure> {
    let Some(link) = &config.alerts else {
        return Ok(false);
    };
    let Some(pause) = crate::alerts_pause::paused(&link.config, "rollout", &link.model)? else {
        return Ok(false);
    };
    save(state_path, rollout)?;
    tracing::warn!(alert = %pause.alert, by = %pause.by, "rollout held by an acknowledged alert");
    print_line(&format!(
        "{}: held by acknowledged alert {} ({}, acknowledged by {}: {}); run again once it is resolved",
        config.name, pause.alert, pause.fingerprint, pause.by, pause.comment
    ));
    Ok(true)
}

fn load(path: &Path) -> anyhow::Result<RolloutConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let config: RolloutConfig =
        toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    config
        .rollout
        .validate()
        .map_err(|e| anyhow!("{}: rollout: {e}", path.display()))?;
    config
        .judge
        .validate()
        .map_err(|e| anyhow!("{}: judge: {e}", path.display()))?;
    if config.hook.webhook.is_none() && config.hook.command.is_none() {
        bail!(
            "{}: hook: set `webhook` (a URL) or `command` (a program and its arguments)",
            path.display()
        );
    }
    for metric in &config.judge.metrics {
        let query = config.queries.get(&metric.name).ok_or_else(|| {
            anyhow!(
                "{}: queries.{}: missing (every judge metric needs its PromQL)",
                path.display(),
                metric.name
            )
        })?;
        let complete = match metric.kind {
            MetricKind::Samples => {
                query.query.is_some() || (query.baseline.is_some() && query.candidate.is_some())
            }
            MetricKind::Rate => query.events.is_some() && query.trials.is_some(),
        };
        if !complete {
            bail!(
                "{}: queries.{}: a {} metric needs {}",
                path.display(),
                metric.name,
                metric.kind.name(),
                match metric.kind {
                    MetricKind::Samples => "`query` (with {variant}) or `baseline` and `candidate`",
                    MetricKind::Rate => "`events` and `trials` (with {variant})",
                }
            );
        }
    }
    Ok(config)
}

fn save(path: &Path, rollout: &Rollout) -> Result<(), Failure> {
    let text = serde_json::to_string_pretty(rollout)
        .context("serializing the rollout state")
        .map_err(Failure::Runtime)?;
    crate::output::emit(&text, Some(path))
}

#[allow(clippy::print_stdout)] // the command's progress lines are its output
fn print_line(line: &str) {
    println!("{line}");
}

/// Milliseconds since the epoch.
fn now() -> Timestamp {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    Timestamp(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// The HTTP client, and the metrics the rollout updates.
struct Driver {
    client: reqwest::blocking::Client,
    metrics: Arc<telemetry::metrics::Metrics>,
}

impl Driver {
    fn new(config: &RolloutConfig) -> anyhow::Result<Driver> {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_millis(config.prometheus.timeout.0))
            .build()
            .context("building the HTTP client")?;
        Ok(Driver {
            client,
            metrics: Arc::new(telemetry::metrics::Metrics::new()),
        })
    }

    /// The candidate's weight and rollbacks, as carried out.
    fn record(&self, action: &RolloutAction) {
        match action {
            RolloutAction::SetWeight { weight } => self
                .metrics
                .record_rollout_weight("candidate", f64::from(*weight) / 100.0),
            RolloutAction::Promote => self.metrics.record_rollout_weight("candidate", 1.0),
            RolloutAction::Rollback { .. } => {
                self.metrics.record_rollout_weight("candidate", 0.0);
                self.metrics.record_rollback("candidate");
            }
            _ => {}
        }
    }

    /// Carries out an action through the webhook or the command; retried three times.
    fn hook(&self, config: &RolloutConfig, action: &RolloutAction) -> anyhow::Result<()> {
        let call = HookCall {
            rollout: &config.name,
            action,
            at_ms: now().0,
        };
        let body = serde_json::to_vec(&call).context("serializing the hook call")?;
        let mut last = None;
        for attempt in 0..3u64 {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(200 * attempt));
            }
            let result = match (&config.hook.webhook, &config.hook.command) {
                (Some(url), _) => self
                    .client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .map_err(anyhow::Error::from)
                    .and_then(|r| {
                        if r.status().is_success() {
                            Ok(())
                        } else {
                            Err(anyhow!("{url} answered {}", r.status()))
                        }
                    }),
                (None, Some(command)) => run_command(command, &body),
                (None, None) => Err(anyhow!("no hook configured")),
            };
            match result {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!(error = %e, attempt, "hook failed");
                    last = Some(e);
                }
            }
        }
        Err(last
            .unwrap_or_else(|| anyhow!("hook failed"))
            .context(format!("carrying out {action:?}")))
    }

    /// Measures the requested analysis metrics: `canary` is the whole verdict, a judge
    /// metric's name is that metric's classification. A failed query is an Error.
    fn measure(&self, config: &RolloutConfig, metrics: &[String]) -> Vec<Measurement> {
        let verdict = self.verdict(config);
        metrics
            .iter()
            .map(|name| match &verdict {
                Err(e) => Measurement::new(name.clone(), MeasurementPhase::Error, format!("{e:#}")),
                Ok(verdict) if name == VERDICT_METRIC => verdict.measurement(name),
                Ok(verdict) => match verdict.metrics.iter().find(|m| &m.name == name) {
                    Some(metric) => metric.measurement(),
                    None => Measurement::new(
                        name.clone(),
                        MeasurementPhase::Error,
                        format!("\"{name}\" is neither \"{VERDICT_METRIC}\" nor a judge metric"),
                    ),
                },
            })
            .inspect(|m| tracing::info!(metric = %m.metric, phase = ?m.phase, message = %m.message, "measured"))
            .collect()
    }

    fn verdict(&self, config: &RolloutConfig) -> anyhow::Result<CanaryVerdict> {
        let end = now();
        let start = Timestamp(end.0 - i64::try_from(config.prometheus.lookback.0).unwrap_or(0));
        let mut samples: BTreeMap<&str, (Vec<f64>, Vec<f64>)> = BTreeMap::new();
        let mut rates: BTreeMap<&str, (Proportion, Proportion)> = BTreeMap::new();
        for metric in &config.judge.metrics {
            let query = &config.queries[&metric.name];
            match metric.kind {
                MetricKind::Samples => {
                    let side =
                        |variant: &str, explicit: Option<&String>| -> anyhow::Result<Vec<f64>> {
                            let expr = query
                                .for_variant(query.query.as_ref(), explicit, variant)
                                .ok_or_else(|| anyhow!("no query for {}", metric.name))?;
                            self.range(&config.prometheus, &expr, start, end)
                        };
                    samples.insert(
                        &metric.name,
                        (
                            side("baseline", query.baseline.as_ref())?,
                            side("candidate", query.candidate.as_ref())?,
                        ),
                    );
                }
                MetricKind::Rate => {
                    let side = |variant: &str| -> anyhow::Result<Proportion> {
                        let value = |template: &Option<String>| -> anyhow::Result<u64> {
                            let expr = template
                                .as_ref()
                                .map(|t| t.replace("{variant}", variant))
                                .ok_or_else(|| anyhow!("no query for {}", metric.name))?;
                            let v = self.instant(&config.prometheus, &expr, end)?.unwrap_or(0.0);
                            // increase() extrapolates: round to whole events and trials
                            Ok(if v.is_finite() && v > 0.0 {
                                v.round() as u64
                            } else {
                                0
                            })
                        };
                        let (events, trials) = (value(&query.events)?, value(&query.trials)?);
                        Ok(Proportion {
                            events: events.min(trials),
                            trials,
                        })
                    };
                    rates.insert(&metric.name, (side("baseline")?, side("candidate")?));
                }
            }
        }
        let inputs: Vec<MetricInput<'_>> = config
            .judge
            .metrics
            .iter()
            .map(|metric| {
                let name = metric.name.as_str();
                let data = match metric.kind {
                    MetricKind::Samples => {
                        let (b, c) = &samples[name];
                        MetricData::Samples {
                            baseline: b,
                            candidate: c,
                        }
                    }
                    MetricKind::Rate => {
                        let (b, c) = rates[name];
                        MetricData::Rate {
                            baseline: b,
                            candidate: c,
                        }
                    }
                };
                MetricInput { name, data }
            })
            .collect();
        let verdict = judge(&config.judge, &inputs)?;
        let decision = serde_json::to_value(verdict.decision)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        self.metrics
            .record_canary("candidate", verdict.score, &decision);
        tracing::info!(decision = ?verdict.decision, score = verdict.score, reason = %verdict.reason, "canary judged");
        Ok(verdict)
    }

    /// An instant query's one value (None when there is no series).
    fn instant(
        &self,
        prometheus: &PrometheusConfig,
        expr: &str,
        at: Timestamp,
    ) -> anyhow::Result<Option<f64>> {
        let result = self.query(
            prometheus,
            "query",
            &[("query", expr.to_owned()), ("time", seconds(at))],
        )?;
        match result.as_slice() {
            [] => Ok(None),
            [series] => Ok(Some(parse_value(&series["value"])?)),
            more => bail!(
                "`{expr}` returned {} series; aggregate it (sum by nothing)",
                more.len()
            ),
        }
    }

    /// A range query's values (empty when there is no series).
    fn range(
        &self,
        prometheus: &PrometheusConfig,
        expr: &str,
        start: Timestamp,
        end: Timestamp,
    ) -> anyhow::Result<Vec<f64>> {
        let result = self.query(
            prometheus,
            "query_range",
            &[
                ("query", expr.to_owned()),
                ("start", seconds(start)),
                ("end", seconds(end)),
                ("step", format!("{:.3}", prometheus.step.0 as f64 / 1000.0)),
            ],
        )?;
        match result.as_slice() {
            [] => Ok(Vec::new()),
            [series] => series["values"]
                .as_array()
                .map(|values| values.iter().map(parse_value).collect())
                .unwrap_or_else(|| Ok(Vec::new())),
            more => bail!("`{expr}` returned {} series; aggregate it", more.len()),
        }
    }

    fn query(
        &self,
        prometheus: &PrometheusConfig,
        endpoint: &str,
        params: &[(&str, String)],
    ) -> anyhow::Result<Vec<serde_json::Value>> {
        let url = format!("{}/api/v1/{endpoint}", prometheus.url.trim_end_matches('/'));
        let response = self
            .client
            .get(&url)
            .query(params)
            .send()
            .with_context(|| format!("querying {url}"))?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .with_context(|| format!("{url} answered {status} with something that is not JSON"))?;
        if body["status"] != "success" {
            bail!(
                "{url}: {} ({})",
                body["error"].as_str().unwrap_or("query failed"),
                params[0].1
            );
        }
        Ok(body["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }
}

fn seconds(t: Timestamp) -> String {
    format!("{:.3}", t.0 as f64 / 1000.0)
}

/// `[time, "1.5"]` → 1.5 (Prometheus sends values as strings; NaN stays NaN).
fn parse_value(pair: &serde_json::Value) -> anyhow::Result<f64> {
    pair[1]
        .as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .ok_or_else(|| anyhow!("unexpected sample {pair}"))
}

/// Runs the hook command with the call on stdin; success is exit status 0.
fn run_command(command: &[String], body: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let (program, arguments) = command
        .split_first()
        .ok_or_else(|| anyhow!("hook.command is empty"))?;
    let mut child = std::process::Command::new(program)
        .args(arguments)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {program}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(body)
            .context("writing to the hook command")?;
    }
    let status = child.wait().context("waiting for the hook command")?;
    if status.success() {
        Ok(())
    } else {
        bail!("{program} exited with {status}")
    }
}
