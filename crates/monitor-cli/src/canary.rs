//! `monitor canary analyze` and `monitor shadow compare`: canary-core on files.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use canary_core::config::{JudgeConfig, MetricConfig, MetricKind};
use canary_core::judge::{CanaryVerdict, Decision, MetricData, MetricInput, judge};
use canary_core::proportion::Proportion;
use canary_core::shadow::{self, Record};
use clap::{Args, Subcommand, ValueEnum};
use drift_core::ColumnData;
use serde::Serialize;

use crate::exit::{Failure, Outcome};
use crate::input;
use crate::output;

/// `monitor canary ...`.
#[derive(Debug, Subcommand)]
pub enum CanaryCommand {
    /// Judges a candidate's metric samples against the baseline's (Kayenta's judge).
    Analyze(AnalyzeArgs),
    /// Drives a rollout in real time from Prometheus queries (see docs/canary.md).
    Run(crate::rollout::RunArgs),
}

/// `monitor shadow ...`.
#[derive(Debug, Subcommand)]
pub enum ShadowCommand {
    /// Compares a shadow model's answers with the live model's, paired by request id.
    Compare(CompareArgs),
}

/// Output of the canary and shadow commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    /// Lines for people.
    Table,
    /// The documented JSON (`schema_version: 1`).
    Json,
}

/// Arguments of `monitor canary analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The baseline's metric samples: CSV or JSON Lines with `metric`, `value`, optional
    /// `trials` (rate metrics) and `timestamp`.
    #[arg(long)]
    baseline: PathBuf,
    /// The candidate's metric samples, in the same layout.
    #[arg(long)]
    candidate: PathBuf,
    /// canary.toml: thresholds, metrics (kind, direction, critical, ...); without it every
    /// metric in the data is judged with Kayenta's defaults.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<TextOrJson>,
    /// Write the verdict here (atomically) instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Exit 1 when the verdict is Fail.
    #[arg(long)]
    fail_on_fail: bool,
}

/// Arguments of `monitor shadow compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The live model's answers: `request_id`, `prediction`, optional `latency_ms`.
    #[arg(long)]
    live: PathBuf,
    /// The shadow model's answers, in the same layout.
    #[arg(long)]
    shadow: PathBuf,
    /// Ground truth: `request_id`, `label` (classifiers; enables McNemar's test).
    #[arg(long)]
    labels: Option<PathBuf>,
    /// `classifier` or `regressor` (default: classifier when predictions are labels,
    /// regressor when they are numbers).
    #[arg(long, value_enum)]
    task: Option<Task>,
    /// Confidence level of the intervals [default: 0.95].
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Output format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    format: Option<TextOrJson>,
    /// Write the comparison here (atomically) instead of stdout.
    #[arg(long)]
    output: Option<PathBuf>,
}

/// What the models predict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Task {
    /// Class labels, compared for agreement (and accuracy with labels).
    Classifier,
    /// Numbers, compared by paired differences.
    Regressor,
}

/// Runs `monitor canary ...`.
pub fn run_canary(command: &CanaryCommand) -> Result<Outcome, Failure> {
    match command {
        CanaryCommand::Analyze(args) => analyze(args),
        CanaryCommand::Run(args) => crate::rollout::run(args),
    }
}

/// Runs `monitor shadow ...`.
pub fn run_shadow(command: &ShadowCommand) -> Result<Outcome, Failure> {
    match command {
        ShadowCommand::Compare(args) => compare(args),
    }
}

/// Reads a `canary.toml` (the judge's configuration).
pub fn load_judge_config(path: &Path) -> Result<JudgeConfig, Failure> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))
        .map_err(Failure::Input)?;
    let config: JudgeConfig =
        toml::from_str(&text).map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))?;
    config
        .validate()
        .map_err(|e| Failure::Input(anyhow!("{}: {e}", path.display())))?;
    Ok(config)
}

/// A rate with nothing counted yet.
const NO_TRIALS: Proportion = Proportion {
    events: 0,
    trials: 0,
};

/// One side's metric data: values per metric, and rate counts where `trials` was given.
#[derive(Debug, Default)]
struct MetricSamples {
    values: BTreeMap<String, Vec<f64>>,
    counts: BTreeMap<String, Proportion>,
}

/// Reads `metric`, `value` and optional `trials` columns.
fn read_samples(path: &Path) -> Result<MetricSamples, Failure> {
    let options = tabular::ReadOptions {
        categorical: ["metric".to_owned()].into(),
        numeric: ["value".to_owned(), "trials".to_owned()].into(),
        ..tabular::ReadOptions::default()
    };
    let table = input::read_table(path, &options)?;
    let source = path.display();
    let column = |name: &str| table.columns.iter().find(|c| c.name == name);
    let Some(ColumnData::Categorical { labels, codes }) = column("metric").map(|c| &c.data) else {
        return Err(Failure::Input(anyhow!(
            "{source}: expected a `metric` column (the metric's name on every row)"
        )));
    };
    let Some(ColumnData::Numeric(values)) = column("value").map(|c| &c.data) else {
        return Err(Failure::Input(anyhow!(
            "{source}: expected a numeric `value` column"
        )));
    };
    let trials = match column("trials").map(|c| &c.data) {
        Some(ColumnData::Numeric(trials)) => Some(trials),
        _ => None,
    };
    let mut samples = MetricSamples::default();
    for (row, code) in codes.iter().enumerate() {
        let name = code.map(|c| labels[c as usize].clone()).ok_or_else(|| {
            Failure::Input(anyhow!("{source}: data row {}: no metric name", row + 1))
        })?;
        let value = values.get(row).unwrap_or(f64::NAN);
        match trials.and_then(|t| t.get(row)) {
            Some(n) => {
                let count = |v: f64, what: &str| -> Result<u64, Failure> {
                    if v >= 0.0 && v.fract() == 0.0 && v < 9.0e15 {
                        Ok(v as u64)
                    } else {
                        Err(Failure::Input(anyhow!(
                            "{source}: data row {}: metric \"{name}\": {what} must be a whole number >= 0, got {v}",
                            row + 1
                        )))
                    }
                };
                let entry = samples.counts.entry(name.clone()).or_insert(NO_TRIALS);
                entry.events += count(value, "value (events)")?;
                entry.trials += count(n, "trials")?;
            }
            None => samples.values.entry(name).or_default().push(value),
        }
    }
    Ok(samples)
}

/// `monitor canary analyze`.
fn analyze(args: &AnalyzeArgs) -> Result<Outcome, Failure> {
    let (baseline, candidate) = (
        read_samples(&args.baseline)?,
        read_samples(&args.candidate)?,
    );
    let mut config = match &args.config {
        Some(path) => load_judge_config(path)?,
        None => JudgeConfig::default(),
    };
    let names: Vec<&String> = [&baseline, &candidate]
        .iter()
        .flat_map(|s| s.values.keys().chain(s.counts.keys()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if config.metrics.is_empty() {
        // no configuration: every metric in the data, with Kayenta's defaults
        for name in &names {
            let mut metric = MetricConfig::new(name.as_str());
            if baseline.counts.contains_key(*name) || candidate.counts.contains_key(*name) {
                metric.kind = MetricKind::Rate;
            }
            config.metrics.push(metric);
        }
    }
    let configured: HashSet<&str> = config.metrics.iter().map(|m| m.name.as_str()).collect();
    if let Some(unknown) = names.iter().find(|n| !configured.contains(n.as_str())) {
        return Err(Failure::Input(anyhow!(
            "metric \"{unknown}\" is in the data but not configured (configured: {})",
            config
                .metrics
                .iter()
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let empty: Vec<f64> = Vec::new();
    let inputs: Vec<MetricInput<'_>> = config
        .metrics
        .iter()
        .map(|metric| -> Result<MetricInput<'_>, Failure> {
            let name = metric.name.as_str();
            let data = match metric.kind {
                MetricKind::Samples => {
                    if baseline.counts.contains_key(name) || candidate.counts.contains_key(name) {
                        return Err(Failure::Input(anyhow!(
                            "metric \"{name}\" is configured as samples but has `trials` in the data (set kind = \"rate\")"
                        )));
                    }
                    MetricData::Samples {
                        baseline: baseline.values.get(name).unwrap_or(&empty),
                        candidate: candidate.values.get(name).unwrap_or(&empty),
                    }
                }
                MetricKind::Rate => MetricData::Rate {
                    baseline: rate(&baseline, name)?,
                    candidate: rate(&candidate, name)?,
                },
            };
            Ok(MetricInput { name, data })
        })
        .collect::<Result<_, _>>()?;
    let verdict = judge(&config, &inputs).map_err(|e| Failure::Input(e.into()))?;
    tracing::info!(decision = ?verdict.decision, score = verdict.score, "canary judged");
    let text = match format_for(args.format, args.output.as_deref()) {
        TextOrJson::Json => json(&verdict)?,
        TextOrJson::Table => describe_verdict(&verdict),
    };
    output::emit(&text, args.output.as_deref())?;
    Ok(if args.fail_on_fail && verdict.decision == Decision::Fail {
        Outcome::FailOn
    } else {
        Outcome::Clean
    })
}

/// A rate metric's counts: rows with `trials`, or 0/1 values, one trial each.
fn rate(samples: &MetricSamples, name: &str) -> Result<Proportion, Failure> {
    let mut proportion = samples.counts.get(name).copied().unwrap_or(NO_TRIALS);
    for &value in samples.values.get(name).map(Vec::as_slice).unwrap_or(&[]) {
        if value != 0.0 && value != 1.0 {
            return Err(Failure::Input(anyhow!(
                "rate metric \"{name}\": a row without `trials` must be 0 or 1 (one trial), got {value}"
            )));
        }
        proportion.events += value as u64;
        proportion.trials += 1;
    }
    Ok(proportion)
}

fn format_for(format: Option<TextOrJson>, output: Option<&Path>) -> TextOrJson {
    format.unwrap_or_else(|| {
        if output.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            TextOrJson::Table
        } else {
            TextOrJson::Json
        }
    })
}

fn json(value: &impl Serialize) -> Result<String, Failure> {
    let mut text = serde_json::to_string_pretty(value)
        .context("serializing the result")
        .map_err(Failure::Runtime)?;
    text.push('\n');
    Ok(text)
}

/// The verdict, then one line a metric.
pub fn describe_verdict(verdict: &CanaryVerdict) -> String {
    let mut out = format!(
        "verdict  {:?}  score {:.1} (pass >= {}, marginal >= {})\n{}\n\n",
        verdict.decision,
        verdict.score,
        verdict.thresholds.pass,
        verdict.thresholds.marginal,
        verdict.reason
    );
    let number = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.4}"));
    for metric in &verdict.metrics {
        let _ = writeln!(
            out,
            "{:<24} {:<14} n {}/{}  estimate {}  interval {}  p {}  {}",
            metric.name,
            metric.classification.label(),
            metric.n_baseline,
            metric.n_candidate,
            number(metric.estimate),
            metric
                .interval
                .map_or_else(|| "-".to_owned(), |[lo, hi]| format!("[{lo:.4}, {hi:.4}]")),
            number(metric.p_value),
            metric.reason
        );
    }
    out
}

/// One model's answers as read: ids, and predictions as labels or numbers.
struct Answers {
    ids: Vec<String>,
    predictions: ColumnData,
    latencies: Option<drift_core::NumericValues>,
}

/// Reads `request_id`, `prediction` (or `label`) and optional `latency_ms`.
fn read_answers(path: &Path, value: &str, task: Option<Task>) -> Result<Answers, Failure> {
    let mut categorical: HashSet<String> = ["request_id".to_owned()].into();
    let mut numeric: HashSet<String> = ["latency_ms".to_owned()].into();
    match task {
        Some(Task::Classifier) => categorical.insert(value.to_owned()),
        Some(Task::Regressor) => numeric.insert(value.to_owned()),
        None => false,
    };
    let options = tabular::ReadOptions {
        categorical,
        numeric,
        ..tabular::ReadOptions::default()
    };
    let table = input::read_table(path, &options)?;
    let source = path.display();
    let mut columns: BTreeMap<String, ColumnData> = table
        .columns
        .into_iter()
        .map(|c| (c.name, c.data))
        .collect();
    let Some(ColumnData::Categorical { labels, codes }) = columns.remove("request_id") else {
        return Err(Failure::Input(anyhow!(
            "{source}: expected a `request_id` column"
        )));
    };
    let ids = codes
        .iter()
        .enumerate()
        .map(|(row, code)| {
            code.map(|c| labels[c as usize].clone()).ok_or_else(|| {
                Failure::Input(anyhow!("{source}: data row {}: no request_id", row + 1))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let predictions = columns
        .remove(value)
        .ok_or_else(|| Failure::Input(anyhow!("{source}: expected a `{value}` column")))?;
    let latencies = match columns.remove("latency_ms") {
        Some(ColumnData::Numeric(values)) => Some(values),
        _ => None,
    };
    Ok(Answers {
        ids,
        predictions,
        latencies,
    })
}

/// The result of `monitor shadow compare`.
#[derive(Debug, Serialize)]
struct ShadowReport {
    schema_version: u32,
    task: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    classifier: Option<shadow::ClassifierComparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    regressor: Option<shadow::PairedComparison>,
    #[serde(skip_serializing_if = "Option::is_none")]
    latency: Option<shadow::PairedComparison>,
}

/// `monitor shadow compare`.
fn compare(args: &CompareArgs) -> Result<Outcome, Failure> {
    let live = read_answers(&args.live, "prediction", args.task)?;
    let task = args.task.unwrap_or(match live.predictions {
        ColumnData::Categorical { .. } => Task::Classifier,
        ColumnData::Numeric(_) => Task::Regressor,
    });
    let shadow_answers = read_answers(&args.shadow, "prediction", Some(task))?;
    let live = if args.task.is_none() {
        read_answers(&args.live, "prediction", Some(task))?
    } else {
        live
    };
    let mut report = ShadowReport {
        schema_version: 1,
        task: match task {
            Task::Classifier => "classifier",
            Task::Regressor => "regressor",
        },
        classifier: None,
        regressor: None,
        latency: None,
    };
    match task {
        Task::Classifier => {
            let labels = args
                .labels
                .as_ref()
                .map(|path| read_answers(path, "label", Some(Task::Classifier)))
                .transpose()?;
            let live_labels = label_records(&live);
            let shadow_labels = label_records(&shadow_answers);
            let truth = labels.as_ref().map(label_records);
            report.classifier = Some(
                shadow::compare_classifiers(
                    &live_labels,
                    &shadow_labels,
                    truth.as_deref(),
                    args.confidence,
                )
                .map_err(|e| Failure::Input(e.into()))?,
            );
        }
        Task::Regressor => {
            if args.labels.is_some() {
                return Err(Failure::Input(anyhow!(
                    "--labels applies to classifiers; regressors are compared by paired differences"
                )));
            }
            report.regressor = Some(shadow::compare_regressors(
                &number_records(&live.ids, numbers(&live.predictions)),
                &number_records(&shadow_answers.ids, numbers(&shadow_answers.predictions)),
            ));
        }
    }
    if let (Some(l), Some(s)) = (&live.latencies, &shadow_answers.latencies) {
        report.latency = Some(shadow::compare_latencies(
            &number_records(&live.ids, Some(l)),
            &number_records(&shadow_answers.ids, Some(s)),
        ));
    }
    let text = match format_for(args.format, args.output.as_deref()) {
        TextOrJson::Json => json(&report)?,
        TextOrJson::Table => describe_shadow(&report),
    };
    output::emit(&text, args.output.as_deref())?;
    Ok(Outcome::Clean)
}

fn label_records(answers: &Answers) -> Vec<Record<'_, &str>> {
    match &answers.predictions {
        ColumnData::Categorical { labels, codes } => answers
            .ids
            .iter()
            .zip(codes)
            .filter_map(|(id, code)| {
                code.map(|c| Record {
                    id: id.as_str(),
                    value: labels[c as usize].as_str(),
                })
            })
            .collect(),
        ColumnData::Numeric(_) => Vec::new(),
    }
}

fn numbers(data: &ColumnData) -> Option<&drift_core::NumericValues> {
    match data {
        ColumnData::Numeric(values) => Some(values),
        ColumnData::Categorical { .. } => None,
    }
}

fn number_records<'a>(
    ids: &'a [String],
    values: Option<&drift_core::NumericValues>,
) -> Vec<Record<'a, f64>> {
    let Some(values) = values else {
        return Vec::new();
    };
    ids.iter()
        .enumerate()
        .filter_map(|(row, id)| {
            values.get(row).map(|value| Record {
                id: id.as_str(),
                value,
            })
        })
        .collect()
}

fn describe_shadow(report: &ShadowReport) -> String {
    let mut out = String::new();
    let pairing = |out: &mut String, p: &shadow::Pairing| {
        let _ = writeln!(
            out,
            "pairs {}  only live {}  only shadow {}  duplicate ids {}/{}",
            p.n_pairs, p.unmatched_live, p.unmatched_shadow, p.duplicate_live, p.duplicate_shadow
        );
    };
    if let Some(c) = &report.classifier {
        pairing(&mut out, &c.pairing);
        let _ = writeln!(
            out,
            "agreement {:.4} [{:.4}, {:.4}]",
            c.agreement.rate, c.agreement.lower, c.agreement.upper
        );
        if let Some(l) = &c.labelled {
            let _ = writeln!(
                out,
                "accuracy live {:.4}  shadow {:.4}  on {} labelled  McNemar p {:.4}",
                l.live_accuracy.rate, l.shadow_accuracy.rate, l.n_labelled, l.mcnemar.p_value
            );
        }
    }
    let paired = |out: &mut String, what: &str, p: &shadow::PairedComparison| {
        let _ = writeln!(
            out,
            "{what}: mean difference {:.4}  mean |difference| {:.4}  max |difference| {:.4}  paired t p {:.4}  Wilcoxon p {:.4}",
            p.mean_difference,
            p.mean_abs_difference,
            p.max_abs_difference,
            p.paired_t.p_value,
            p.wilcoxon.p_value
        );
    };
    if let Some(r) = &report.regressor {
        pairing(&mut out, &r.pairing);
        paired(&mut out, "prediction (shadow - live)", r);
    }
    if let Some(l) = &report.latency {
        paired(&mut out, "latency_ms (shadow - live)", l);
    }
    out
}
