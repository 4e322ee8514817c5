//! `monitor retrain decide|queue|dispatch|backtest`: retrain-policy on files and a queue.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use retrain_policy::{
    CommandDispatcher, Dispatcher, Enqueued, FileDispatcher, HistoryEntry, JobQueue, JobState,
    Outcome as Decision, Policy, PolicyState, QueueOptions, Signals, SqliteQueue, SystemClock,
    WebhookDispatcher, WorkerOptions, backtest, decide, dispatch_once,
};

use crate::exit::{Failure, Outcome};
use crate::output;

/// `monitor retrain ...`.
#[derive(Debug, Subcommand)]
pub enum RetrainCommand {
    /// Decides whether to retrain from signals (a drift report, metrics) and a policy.
    Decide(DecideArgs),
    /// Inspects and repairs the job queue.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Delivers queued jobs (webhook, command or file) until stopped, or once.
    Dispatch(DispatchArgs),
    /// Replays timestamped signals through a policy and prints every decision.
    Backtest(BacktestArgs),
}

/// Arguments of `monitor retrain decide`.
#[derive(Debug, Args)]
pub struct DecideArgs {
    /// The policy (TOML, docs/retrain.md); the seed's fixed thresholds when absent.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// The signals: a JSON document (a `monitor drift` report, or model, version,
    /// window, drift, metrics, alarms, new_samples ...).
    #[arg(long)]
    signals: PathBuf,
    /// The policy's memory across runs (hysteresis, cooldown, history); read and updated.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Enqueue the job here (SQLite) when the decision is to retrain.
    #[arg(long)]
    queue: Option<PathBuf>,
    /// The evaluation time (RFC 3339) [default: now].
    #[arg(long)]
    now: Option<String>,
    /// Exit 1 when the decision is to retrain.
    #[arg(long)]
    fail_on_retrain: bool,
    /// alerts.toml: an acknowledged alert that pauses `retrain` for this model holds the
    /// job back (not enqueued; the decision says which alert and who acknowledged it).
    #[arg(long)]
    alerts: Option<PathBuf>,
}

/// `monitor retrain queue ...`.
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// Lists jobs, newest first.
    List {
        /// The queue (SQLite file).
        #[arg(long)]
        queue: PathBuf,
        /// Only jobs in this state: pending, dispatched, succeeded, failed, dead.
        #[arg(long)]
        state: Option<JobState>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Shows one job as JSON.
    Show {
        /// The queue (SQLite file).
        #[arg(long)]
        queue: PathBuf,
        /// The job's id.
        id: i64,
    },
    /// Sends a failed or dead job back to pending.
    Retry {
        /// The queue (SQLite file).
        #[arg(long)]
        queue: PathBuf,
        /// The job's id.
        id: i64,
    },
    /// Deletes finished jobs in a state (succeeded, failed or dead).
    Purge {
        /// The queue (SQLite file).
        #[arg(long)]
        queue: PathBuf,
        /// Which jobs.
        #[arg(long)]
        state: JobState,
        /// Only those last changed at least this long ago (e.g. `7d`, `12h`, `30m`).
        #[arg(long, value_parser = parse_age)]
        older_than: Option<Duration>,
    },
}

/// Arguments of `monitor retrain dispatch`.
#[derive(Debug, Args)]
pub struct DispatchArgs {
    /// The queue (SQLite file).
    #[arg(long)]
    queue: PathBuf,
    /// POST each job here as JSON, signed with HMAC-SHA256.
    #[arg(long, group = "sink")]
    webhook: Option<String>,
    /// Environment variable holding the webhook's signing secret.
    #[arg(long, default_value = "MONITOR_WEBHOOK_SECRET")]
    secret_env: String,
    /// Run this program with each job as JSON on stdin (exit 0 = delivered).
    #[arg(long, group = "sink", num_args = 1.., allow_hyphen_values = true)]
    command: Option<Vec<String>>,
    /// Append each job to this JSON Lines file.
    #[arg(long, group = "sink")]
    file: Option<PathBuf>,
    /// Per-delivery timeout in seconds.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Dispatch one due job (if any) and exit.
    #[arg(long)]
    once: bool,
    /// Exit when no job is pending, dispatched or failed, instead of waiting for more.
    #[arg(long)]
    drain: bool,
}

/// Arguments of `monitor retrain backtest`.
#[derive(Debug, Args)]
pub struct BacktestArgs {
    /// The policy (TOML); the seed's fixed thresholds when absent.
    #[arg(long)]
    policy: Option<PathBuf>,
    /// JSON Lines, one `{"at": RFC 3339, "signals": {...}}` a line, in time order.
    #[arg(long)]
    history: PathBuf,
    /// `table` (one line an evaluation) or `json` (one decision a line) [default: table
    /// on a terminal, json otherwise].
    #[arg(long, value_parser = ["table", "json"])]
    format: Option<String>,
}

/// Runs `monitor retrain ...`.
pub fn run(command: &RetrainCommand) -> Result<Outcome, Failure> {
    match command {
        RetrainCommand::Decide(args) => decide_command(args),
        RetrainCommand::Queue(command) => queue_command(command),
        RetrainCommand::Dispatch(args) => dispatch_command(args),
        RetrainCommand::Backtest(args) => backtest_command(args),
    }
}

fn input(error: impl Into<anyhow::Error>) -> Failure {
    Failure::Input(error.into())
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))
        .map_err(Failure::Input)
}

fn load_policy(path: Option<&Path>) -> Result<Policy, Failure> {
    match path {
        Some(path) => {
            Policy::from_toml(&read(path)?).map_err(|e| input(anyhow!("{}: {e}", path.display())))
        }
        None => Ok(Policy::default()),
    }
}

fn open_queue(path: &Path) -> Result<SqliteQueue, Failure> {
    SqliteQueue::open(path, QueueOptions::default())
        .map_err(|e| input(anyhow!("{}: {e}", path.display())))
}

fn json_line(value: &impl serde::Serialize) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .context("serializing")
        .map_err(Failure::Runtime)?;
    text.push('\n');
    Ok(text)
}

fn decide_command(args: &DecideArgs) -> Result<Outcome, Failure> {
    let policy = load_policy(args.policy.as_deref())?;
    let signals = Signals::from_json(&read(&args.signals)?)
        .map_err(|e| input(anyhow!("{}: {e}", args.signals.display())))?;
    let state = match &args.state {
        Some(path) if path.exists() => serde_json::from_str(&read(path)?)
            .map_err(|e| input(anyhow!("{}: not a policy state: {e}", path.display())))?,
        _ => PolicyState::default(),
    };
    let now = match &args.now {
        Some(text) => text
            .parse::<jiff::Timestamp>()
            .map_err(|e| input(anyhow!("--now: expected an RFC 3339 time: {e}")))?,
        None => jiff::Timestamp::now(),
    };
    let (decision, state) = decide(&policy, &signals, state, now);
    tracing::info!(decision = ?decision.decision, summary = %decision.summary, "retrain decided");
    let held = match (&args.alerts, decision.decision == Decision::Retrain) {
        (Some(path), true) => crate::alerts_pause::paused(path, "retrain", &decision.model)?,
        _ => None,
    };
    let mut enqueued = None;
    if let (Some(queue), Some(job), None) = (&args.queue, decision.to_job(None), &held) {
        let queue = open_queue(queue)?;
        enqueued = Some(
            match queue
                .enqueue(&job)
                .map_err(|e| Failure::Runtime(e.into()))?
            {
                Enqueued::Created(job) => serde_json::json!({"created": true, "job": job}),
                Enqueued::Duplicate(job) => serde_json::json!({"created": false, "job": job}),
            },
        );
    }
    if let Some(path) = &args.state {
        let text = serde_json::to_string_pretty(&state)
            .context("serializing the policy state")
            .map_err(Failure::Runtime)?;
        output::emit(&text, Some(path))?;
    }
    let mut document = serde_json::to_value(&decision)
        .context("serializing the decision")
        .map_err(Failure::Runtime)?;
    if let Some(enqueued) = enqueued {
        document["enqueued"] = enqueued;
    }
    if let Some(pause) = held {
        tracing::warn!(alert = %pause.alert, by = %pause.by, "retraining held by an acknowledged alert");
        document["held_by_alert"] = serde_json::to_value(&pause)
            .context("serializing the pause")
            .map_err(Failure::Runtime)?;
    }
    output::emit(&json_line(&document)?, None)?;
    Ok(
        if args.fail_on_retrain && decision.decision == Decision::Retrain {
            Outcome::FailOn
        } else {
            Outcome::Clean
        },
    )
}

fn queue_command(command: &QueueCommand) -> Result<Outcome, Failure> {
    let runtime = |e: retrain_policy::QueueError| Failure::Runtime(e.into());
    let text = match command {
        QueueCommand::List {
            queue,
            state,
            limit,
        } => {
            let jobs = open_queue(queue)?.list(*state, *limit).map_err(runtime)?;
            let mut text = String::new();
            for job in jobs {
                text.push_str(&format!(
                    "{:>6}  {:<10}  {}/{}  attempts {}/{}  {}  {}\n",
                    job.id,
                    job.state.as_str(),
                    job.model,
                    job.version,
                    job.attempts,
                    job.max_attempts,
                    job.reason,
                    job.last_error.as_deref().unwrap_or("")
                ));
            }
            text
        }
        QueueCommand::Show { queue, id } => {
            let job = open_queue(queue)?
                .show(*id)
                .map_err(|e| input(anyhow!("job {id}: {e}")))?;
            json_line(&job)?
        }
        QueueCommand::Retry { queue, id } => {
            let job = open_queue(queue)?
                .retry(*id)
                .map_err(|e| input(anyhow!("job {id}: {e}")))?;
            format!("job {} is {} again\n", job.id, job.state.as_str())
        }
        QueueCommand::Purge {
            queue,
            state,
            older_than,
        } => {
            let purged = open_queue(queue)?
                .purge(*state, *older_than)
                .map_err(|e| input(anyhow!("{e}")))?;
            format!("purged {purged} {} jobs\n", state.as_str())
        }
    };
    output::emit(&text, None)?;
    Ok(Outcome::Clean)
}

fn dispatch_command(args: &DispatchArgs) -> Result<Outcome, Failure> {
    let timeout = Duration::from_secs(args.timeout);
    let dispatcher: Box<dyn Dispatcher> = match (&args.webhook, &args.command, &args.file) {
        (Some(url), _, _) => {
            let secret = std::env::var(&args.secret_env).map_err(|_| {
                input(anyhow!(
                    "--webhook needs a signing secret in ${} (--secret-env names another variable)",
                    args.secret_env
                ))
            })?;
            Box::new(
                WebhookDispatcher::new(url.clone(), secret.into_bytes(), timeout)
                    .map_err(|e| Failure::Runtime(e.into()))?,
            )
        }
        (None, Some(command), _) => {
            let (program, rest) = command
                .split_first()
                .ok_or_else(|| input(anyhow!("--command needs a program")))?;
            Box::new(CommandDispatcher::new(
                program.clone(),
                rest.to_vec(),
                timeout,
            ))
        }
        (None, None, Some(path)) => Box::new(FileDispatcher::new(path.clone())),
        (None, None, None) => {
            return Err(input(anyhow!(
                "say where jobs go: --webhook URL, --command PROGRAM... or --file PATH"
            )));
        }
    };
    let queue = open_queue(&args.queue)?;
    let options = WorkerOptions {
        worker_id: format!("monitor-{}", std::process::id()),
        lease: timeout + Duration::from_secs(30),
        drain: args.drain,
        ..WorkerOptions::default()
    };
    let _span = tracing::info_span!("dispatch", queue = %args.queue.display()).entered();
    if args.once {
        let report = dispatch_once(&queue, dispatcher.as_ref(), &options)
            .map_err(|e| Failure::Runtime(e.into()))?;
        let text = match report {
            Some(report) => json_line(&report)?,
            None => "nothing due\n".to_owned(),
        };
        output::emit(&text, None)?;
        return Ok(Outcome::Clean);
    }
    let stop = AtomicBool::new(false);
    let summary = retrain_policy::run(&queue, dispatcher.as_ref(), &options, &SystemClock, &stop)
        .map_err(|e| Failure::Runtime(e.into()))?;
    output::emit(&json_line(&summary)?, None)?;
    Ok(Outcome::Clean)
}

fn backtest_command(args: &BacktestArgs) -> Result<Outcome, Failure> {
    let policy = load_policy(args.policy.as_deref())?;
    let text = read(&args.history)?;
    let mut history = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry: HistoryEntry = serde_json::from_str(line).map_err(|e| {
            input(anyhow!(
                "{}:{}: expected {{\"at\": RFC 3339, \"signals\": {{...}}}}: {e}",
                args.history.display(),
                index + 1
            ))
        })?;
        history.push(entry);
    }
    let (decisions, _) = backtest(&policy, &history, PolicyState::default());
    let table = match args.format.as_deref() {
        Some(format) => format == "table",
        None => std::io::IsTerminal::is_terminal(&std::io::stdout()),
    };
    let mut out = String::new();
    for (entry, decision) in history.iter().zip(&decisions) {
        if table {
            let held: Vec<String> = decision
                .blocked_by
                .iter()
                .map(|b| match b.until {
                    Some(until) => format!("{} until {until}", b.reason),
                    None => b.reason.clone(),
                })
                .collect();
            out.push_str(&format!(
                "{}  {:<8} fired: {:<24} held back by: {}\n",
                entry.at,
                format!("{:?}", decision.decision).to_lowercase(),
                if decision.fired.is_empty() {
                    "-".to_owned()
                } else {
                    decision.fired.join(", ")
                },
                if held.is_empty() {
                    "-".to_owned()
                } else {
                    held.join("; ")
                }
            ));
        } else {
            let line = serde_json::json!({"at": entry.at.to_string(), "decision": decision});
            out.push_str(
                &serde_json::to_string(&line)
                    .context("serializing")
                    .map_err(Failure::Runtime)?,
            );
            out.push('\n');
        }
    }
    let retrains = decisions
        .iter()
        .filter(|d| d.decision == Decision::Retrain)
        .count();
    if table {
        out.push_str(&format!(
            "{} evaluations, {retrains} retrain decisions\n",
            decisions.len()
        ));
    }
    tracing::info!(evaluations = decisions.len(), retrains, "backtest done");
    output::emit(&out, None)?;
    Ok(Outcome::Clean)
}

/// `30m`, `12h`, `7d` or whole seconds.
fn parse_age(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .map_err(|_| format!("expected a number and a unit (30m, 12h, 7d), got \"{text}\""))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("unknown unit \"{unit}\" (s, m, h or d)")),
    };
    Ok(Duration::from_secs(n * seconds))
}
