//! Prometheus metrics: the registry of the monitor's metric families, a `/metrics`
//! endpoint for long-running commands, and a push to a Pushgateway for batch commands.
//!
//! Every family is listed in `docs/metrics.md` with its type, labels and unit; the names
//! follow Prometheus conventions (`monitor_` prefix, `_total` on counters, base units in
//! the name). [`Metrics`] records through plain methods, so callers never build label
//! sets; families whose labels come from data (`feature`, `variant`, `detector`, ...) are
//! bounded by [`MetricsOptions::label_limit`] (see [`OVERFLOW`]).
//!
//! ```
//! use telemetry::metrics::Metrics;
//!
//! let metrics = Metrics::new();
//! metrics.record_feature_drift("age", "ks", 0.003, true);
//! metrics.record_dataset_drift(true, 0.5);
//! let text = metrics.encode_openmetrics();
//! assert!(text.contains(r#"monitor_feature_drift_score{feature="age",test="ks"} 0.003"#));
//! ```

mod bounded;
mod push;
mod serve;
mod watch;

use std::borrow::Cow;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

pub use bounded::OVERFLOW;
use bounded::{Bounded, BoundedFamily};
pub use push::push;
pub use serve::{MetricsServer, serve};
pub use watch::{ModelVersion, WatchMetrics};

use crate::config::ModelIdentity;
use crate::export::{DropReason, Signal, dropped};

/// A gauge holding a float.
type FloatGauge = Gauge<f64, AtomicU64>;

/// Upper bounds of the prediction latency buckets, in seconds: 1 ms to 10 s.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The canary verdicts `monitor_canary_verdict` has a series for.
pub const VERDICTS: [&str; 3] = ["pass", "fail", "inconclusive"];

/// How a [`Metrics`] registry is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsOptions {
    /// Adds constant labels `model` and `version` to every series.
    pub model: Option<ModelIdentity>,
    /// The most label sets one family holds before new ones go to the overflow series.
    pub label_limit: usize,
}

impl Default for MetricsOptions {
    /// No model labels; 1000 label sets a family (a few hundred features with one test
    /// each, or a few hundred variants, fit; a runaway label does not).
    fn default() -> Self {
        MetricsOptions {
            model: None,
            label_limit: 1000,
        }
    }
}

/// The monitor's metric families in one registry. Cheap to update from many threads;
/// share it with an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    feature_drift_score: BoundedFamily<FeatureTest, FloatGauge>,
    feature_drifted: BoundedFamily<FeatureTest, Gauge>,
    dataset_drifted: Gauge,
    dataset_drift_share: FloatGauge,
    drift_last_run: FloatGauge,
    detections: BoundedFamily<DetectorFeature, Counter>,
    predictions: BoundedFamily<VariantLabel, Counter>,
    prediction_latency: BoundedFamily<VariantLabel, Histogram>,
    canary_score: BoundedFamily<VariantLabel, FloatGauge>,
    canary_verdict: BoundedFamily<VariantVerdict, Gauge>,
    rollout_weight: BoundedFamily<VariantLabel, FloatGauge>,
    rollbacks: BoundedFamily<VariantLabel, Counter>,
    retrain_decisions: BoundedFamily<DecisionLabel, Counter>,
    retrain_queue_depth: Gauge,
    retrain_queue_oldest: FloatGauge,
    alerts_sent: BoundedFamily<SinkOutcome, Counter>,
    watch: WatchMetrics,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// The registry with [`MetricsOptions::default`].
    pub fn new() -> Metrics {
        Metrics::with_options(&MetricsOptions::default())
    }

    /// The registry with every family of `docs/metrics.md` registered.
    pub fn with_options(options: &MetricsOptions) -> Metrics {
        let labels: Vec<(Cow<'static, str>, Cow<'static, str>)> = options
            .model
            .iter()
            .flat_map(|m| {
                [
                    ("model".into(), m.name.clone().into()),
                    ("version".into(), m.version.clone().into()),
                ]
            })
            .collect();
        let mut registry = Registry::with_labels(labels.into_iter());
        let overflows = Family::<FamilyLabel, Counter>::default();
        let limit = options.label_limit;
        let bounded = |name: &str| {
            overflows.get_or_create_owned(&FamilyLabel {
                family: name.to_owned(),
            })
        };
        let feature_drift_score = BoundedFamily::new(
            Family::default(),
            limit,
            bounded("monitor_feature_drift_score"),
        );
        let feature_drifted =
            BoundedFamily::new(Family::default(), limit, bounded("monitor_feature_drifted"));
        let detections = BoundedFamily::new(
            Family::default(),
            limit,
            bounded("monitor_detector_detections_total"),
        );
        let predictions = BoundedFamily::new(
            Family::default(),
            limit,
            bounded("monitor_predictions_total"),
        );
        let prediction_latency = BoundedFamily::new(
            Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            limit,
            bounded("monitor_prediction_latency_seconds"),
        );
        let canary_score =
            BoundedFamily::new(Family::default(), limit, bounded("monitor_canary_score"));
        let canary_verdict =
            BoundedFamily::new(Family::default(), limit, bounded("monitor_canary_verdict"));
        let rollout_weight = BoundedFamily::new(
            Family::default(),
            limit,
            bounded("monitor_rollout_weight_ratio"),
        );
        let rollbacks = BoundedFamily::new(
            Family::default(),
            limit,
            bounded("monitor_rollout_rollbacks_total"),
        );
        let retrain_decisions = BoundedFamily::new(
            Family::default(),
            limit,
            bounded("monitor_retrain_decisions_total"),
        );
        let alerts_sent = BoundedFamily::new(
            Family::default(),
            limit,
            bounded("monitor_alerts_sent_total"),
        );
        let watch = WatchMetrics::register(&mut registry, limit, &overflows);
        let metrics = Metrics {
            registry: Registry::default(),
            feature_drift_score,
            feature_drifted,
            dataset_drifted: Gauge::default(),
            dataset_drift_share: FloatGauge::default(),
            drift_last_run: FloatGauge::default(),
            detections,
            predictions,
            prediction_latency,
            canary_score,
            canary_verdict,
            rollout_weight,
            rollbacks,
            retrain_decisions,
            retrain_queue_depth: Gauge::default(),
            retrain_queue_oldest: FloatGauge::default(),
            alerts_sent,
            watch,
        };
        let r = &mut registry;
        r.register(
            "monitor_feature_drift_score",
            "The drift test's score for a feature: its p-value (after correction, if any) or its distance",
            metrics.feature_drift_score.family(),
        );
        r.register(
            "monitor_feature_drifted",
            "Whether the feature drifted in the last comparison (1) or not (0)",
            metrics.feature_drifted.family(),
        );
        r.register(
            "monitor_dataset_drifted",
            "Whether the dataset drifted in the last comparison (1) or not (0)",
            metrics.dataset_drifted.clone(),
        );
        r.register(
            "monitor_dataset_drift_share",
            "Share of the tested features that drifted in the last comparison, 0 to 1",
            metrics.dataset_drift_share.clone(),
        );
        r.register_with_unit(
            "monitor_drift_last_run_timestamp",
            "When the last drift comparison finished, in seconds since the Unix epoch",
            Unit::Seconds,
            metrics.drift_last_run.clone(),
        );
        r.register(
            "monitor_detector_detections",
            "Changes a streaming detector signalled",
            metrics.detections.family(),
        );
        r.register(
            "monitor_predictions",
            "Predictions served or observed, by variant",
            metrics.predictions.family(),
        );
        r.register_with_unit(
            "monitor_prediction_latency",
            "Time to answer one prediction, by variant",
            Unit::Seconds,
            metrics.prediction_latency.family(),
        );
        r.register(
            "monitor_canary_score",
            "The canary analysis score of a variant, 0 (fail) to 100 (pass)",
            metrics.canary_score.family(),
        );
        r.register(
            "monitor_canary_verdict",
            "The canary verdict of a variant: 1 on the current verdict, 0 on the others",
            metrics.canary_verdict.family(),
        );
        r.register(
            "monitor_rollout_weight_ratio",
            "Share of traffic a variant receives, 0 to 1",
            metrics.rollout_weight.family(),
        );
        r.register(
            "monitor_rollout_rollbacks",
            "Rollouts rolled back, by variant",
            metrics.rollbacks.family(),
        );
        r.register(
            "monitor_retrain_decisions",
            "Retraining decisions, by decision",
            metrics.retrain_decisions.family(),
        );
        r.register(
            "monitor_retrain_queue_depth",
            "Retraining jobs waiting in the queue",
            metrics.retrain_queue_depth.clone(),
        );
        r.register_with_unit(
            "monitor_retrain_queue_oldest_age",
            "Age of the oldest waiting retraining job (0 when the queue is empty)",
            Unit::Seconds,
            metrics.retrain_queue_oldest.clone(),
        );
        r.register(
            "monitor_alerts_sent",
            "Alert deliveries, by sink and outcome",
            metrics.alerts_sent.family(),
        );
        r.register(
            "monitor_telemetry_label_overflows",
            "Metric updates sent to a family's overflow series because its label limit was reached",
            overflows,
        );
        r.register_collector(Box::new(DroppedTelemetry));
        Metrics {
            registry,
            ..metrics
        }
    }

    /// Records one feature's drift test: its score and whether it drifted.
    pub fn record_feature_drift(&self, feature: &str, test: &str, score: f64, drifted: bool) {
        let labels = FeatureTest {
            feature: feature.to_owned(),
            test: test.to_owned(),
        };
        self.feature_drift_score.get(&labels).set(score);
        self.feature_drifted.get(&labels).set(i64::from(drifted));
    }

    /// Records the dataset verdict and the share of drifted features (0 to 1).
    pub fn record_dataset_drift(&self, drifted: bool, share: f64) {
        self.dataset_drifted.set(i64::from(drifted));
        self.dataset_drift_share.set(share);
    }

    /// Records when a drift comparison finished, in seconds since the Unix epoch.
    pub fn record_drift_run(&self, unix_seconds: f64) {
        self.drift_last_run.set(unix_seconds);
    }

    /// Counts one change signalled by a streaming detector watching `feature`.
    pub fn record_detection(&self, detector: &str, feature: &str) {
        self.detections
            .get(&DetectorFeature {
                detector: detector.to_owned(),
                feature: feature.to_owned(),
            })
            .inc();
    }

    /// Counts one prediction of `variant` and observes its latency.
    pub fn record_prediction(&self, variant: &str, latency: Duration) {
        let labels = VariantLabel::of(variant);
        self.predictions.get(&labels).inc();
        self.prediction_latency
            .get(&labels)
            .observe(latency.as_secs_f64());
    }

    /// Sets a variant's canary score (0 to 100) and verdict (one of [`VERDICTS`]; another
    /// value gets its own series).
    pub fn record_canary(&self, variant: &str, score: f64, verdict: &str) {
        self.canary_score.get(&VariantLabel::of(variant)).set(score);
        for known in VERDICTS.into_iter().chain([verdict]) {
            self.canary_verdict
                .get(&VariantVerdict {
                    variant: variant.to_owned(),
                    verdict: known.to_owned(),
                })
                .set(i64::from(known == verdict));
        }
    }

    /// Sets the share of traffic (0 to 1) `variant` receives.
    pub fn record_rollout_weight(&self, variant: &str, ratio: f64) {
        self.rollout_weight
            .get(&VariantLabel::of(variant))
            .set(ratio);
    }

    /// Counts one rollout of `variant` rolled back.
    pub fn record_rollback(&self, variant: &str) {
        self.rollbacks.get(&VariantLabel::of(variant)).inc();
    }

    /// Counts one retraining decision (e.g. `retrain`, `skip`, `blocked`).
    pub fn record_retrain_decision(&self, decision: &str) {
        self.retrain_decisions
            .get(&DecisionLabel {
                decision: decision.to_owned(),
            })
            .inc();
    }

    /// Sets the retraining queue's depth and the age of its oldest job.
    pub fn record_retrain_queue(&self, depth: u64, oldest_age: Duration) {
        self.retrain_queue_depth
            .set(i64::try_from(depth).unwrap_or(i64::MAX));
        self.retrain_queue_oldest.set(oldest_age.as_secs_f64());
    }

    /// Counts one alert delivery to `sink` (e.g. `alertmanager`) with its `outcome`
    /// (e.g. `sent`, `retried`, `failed`).
    pub fn record_alert_sent(&self, sink: &str, outcome: &str) {
        self.alerts_sent
            .get(&SinkOutcome {
                sink: sink.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The families of `monitor watch` (labelled by model and version per series).
    pub fn watch(&self) -> &WatchMetrics {
        &self.watch
    }

    /// The registry, for encoders this module does not offer.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Every family in the OpenMetrics text format (what `/metrics` serves to Prometheus).
    pub fn encode_openmetrics(&self) -> String {
        let mut text = String::new();
        // writing to a String cannot fail
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// Every family in the Prometheus text format 0.0.4 (what a Pushgateway accepts).
    pub fn encode_prometheus_text(&self) -> String {
        let mut text = String::new();
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

/// Reads the process-wide dropped-telemetry counts at every scrape.
#[derive(Debug)]
struct DroppedTelemetry;

impl Collector for DroppedTelemetry {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(
            "monitor_telemetry_dropped",
            "Spans and log records dropped instead of exported, by signal and reason",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for signal in Signal::ALL {
            for reason in DropReason::ALL {
                let labels = DropLabels {
                    signal: signal.name(),
                    reason: reason.name(),
                };
                ConstCounter::new(dropped(signal, reason))
                    .encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeatureTest {
    feature: String,
    test: String,
}

impl Bounded for FeatureTest {
    fn overflow(&self) -> Self {
        FeatureTest {
            feature: OVERFLOW.to_owned(),
            test: self.test.clone(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DetectorFeature {
    detector: String,
    feature: String,
}

impl Bounded for DetectorFeature {
    fn overflow(&self) -> Self {
        DetectorFeature {
            detector: self.detector.clone(),
            feature: OVERFLOW.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VariantLabel {
    variant: String,
}

impl VariantLabel {
    fn of(variant: &str) -> Self {
        VariantLabel {
            variant: variant.to_owned(),
        }
    }
}

impl Bounded for VariantLabel {
    fn overflow(&self) -> Self {
        VariantLabel::of(OVERFLOW)
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VariantVerdict {
    variant: String,
    verdict: String,
}

impl Bounded for VariantVerdict {
    fn overflow(&self) -> Self {
        VariantVerdict {
            variant: OVERFLOW.to_owned(),
            verdict: self.verdict.clone(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabel {
    decision: String,
}

impl Bounded for DecisionLabel {
    fn overflow(&self) -> Self {
        DecisionLabel {
            decision: OVERFLOW.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SinkOutcome {
    sink: String,
    outcome: String,
}

impl Bounded for SinkOutcome {
    fn overflow(&self) -> Self {
        SinkOutcome {
            sink: OVERFLOW.to_owned(),
            outcome: self.outcome.clone(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct FamilyLabel {
    family: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DropLabels {
    signal: &'static str,
    reason: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(name, type)` of every family, counters with their `_total` suffix as users query
    /// them (the OpenMetrics text lists families without samples too, and names counters
    /// without the suffix).
    fn families(metrics: &Metrics) -> Vec<(String, String)> {
        metrics
            .encode_openmetrics()
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| {
                let (name, kind) = l.split_once(' ').expect("name and type");
                let suffix = if kind == "counter" { "_total" } else { "" };
                (format!("{name}{suffix}"), kind.to_owned())
            })
            .collect()
    }

    /// The value of the series of `name` whose labels include every one of `labels`
    /// (written `key="value"`), in either text format.
    fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
        text.lines()
            .filter_map(|l| l.strip_prefix(name))
            .filter_map(|l| {
                let (set, value) = match l.strip_prefix('{') {
                    Some(rest) => rest.split_once("} ")?,
                    None => ("", l.strip_prefix(' ')?),
                };
                let set: Vec<&str> = set.split(',').filter(|p| !p.is_empty()).collect();
                labels.iter().all(|l| set.contains(l)).then_some(value)
            })
            .find_map(|v| v.split_whitespace().next()?.parse().ok())
    }

    /// A registry with a sample in every family.
    fn every_family_recorded(options: &MetricsOptions) -> Metrics {
        let metrics = Metrics::with_options(options);
        metrics.record_feature_drift("age", "wasserstein", 0.25, true);
        metrics.record_dataset_drift(true, 0.625);
        metrics.record_drift_run(1.8e9);
        metrics.record_detection("adwin", "latency");
        metrics.record_prediction("canary", Duration::from_millis(30));
        metrics.record_prediction("canary", Duration::from_millis(3));
        metrics.record_canary("canary", 87.5, "pass");
        metrics.record_canary("canary", 20.0, "fail");
        metrics.record_rollout_weight("canary", 0.25);
        metrics.record_rollback("canary");
        metrics.record_retrain_decision("skip");
        metrics.record_retrain_queue(3, Duration::from_secs(90));
        metrics.record_alert_sent("alertmanager", "sent");
        let churn = ModelVersion {
            model: "churn",
            version: "v3",
        };
        let watch = metrics.watch();
        watch.record_events(churn, "baseline", 10);
        watch.record_rejected("json");
        watch.record_labels("joined", 4);
        watch.record_window(churn, 1.8e9);
        watch.record_feature_drift(churn, "age", "ks", 0.001, true);
        watch.record_dataset_drift(churn, true, 0.5);
        watch.record_performance(churn, "accuracy", 0.8);
        watch.record_label_completeness(churn, 0.4);
        watch.record_detector_alarm(churn, "adwin", "error");
        watch.record_latencies_ms(churn, &[3.0, 30.0]);
        watch.record_pending_labels(6);
        watch.record_retrain_decision(churn, "retrain");
        watch.record_alert(churn, "WatchDatasetDrift", true);
        metrics
    }

    #[test]
    fn every_family_is_documented_with_its_type() {
        let docs = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/metrics.md"),
        )
        .expect("docs/metrics.md");
        let found = families(&every_family_recorded(&MetricsOptions::default()));
        assert_eq!(found.len(), 34, "{found:?}");
        for (name, kind) in &found {
            let row = docs
                .lines()
                .find(|l| l.starts_with(&format!("| `{name}` |")))
                .unwrap_or_else(|| panic!("docs/metrics.md has no row for {name}"));
            assert!(
                row.contains(&format!("| {kind} |")),
                "{name} is a {kind}: {row}"
            );
        }
        let documented = docs
            .lines()
            .filter(|l| l.starts_with("| `monitor_"))
            .count();
        assert_eq!(
            documented,
            found.len(),
            "docs/metrics.md lists families we do not have"
        );
    }

    #[test]
    fn names_follow_prometheus_conventions() {
        let metrics = every_family_recorded(&MetricsOptions::default());
        let text = metrics.encode_openmetrics();
        for (name, kind) in families(&metrics) {
            assert!(name.starts_with("monitor_"), "{name}");
            if text.contains(&format!("# UNIT {} ", name.trim_end_matches("_total"))) {
                assert!(name.ends_with("_seconds"), "{name}: base unit in the name");
            }
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}"
            );
            assert_eq!(
                kind == "counter",
                name.ends_with("_total"),
                "{name} is a {kind}"
            );
        }
    }

    #[test]
    fn records_show_in_both_text_formats() {
        let metrics = every_family_recorded(&MetricsOptions {
            model: Some(ModelIdentity {
                name: "churn".into(),
                version: "3".into(),
            }),
            ..MetricsOptions::default()
        });
        for text in [
            metrics.encode_openmetrics(),
            metrics.encode_prometheus_text(),
        ] {
            let at = |name: &str, labels: &[&str]| {
                let mut all = vec![r#"model="churn""#, r#"version="3""#];
                all.extend(labels);
                sample(&text, name, &all)
            };
            let feature = [r#"feature="age""#, r#"test="wasserstein""#];
            assert_eq!(
                at("monitor_feature_drift_score", &feature),
                Some(0.25),
                "{text}"
            );
            assert_eq!(at("monitor_feature_drifted", &feature), Some(1.0));
            assert_eq!(at("monitor_dataset_drift_share", &[]), Some(0.625));
            let canary = r#"variant="canary""#;
            assert_eq!(at("monitor_predictions_total", &[canary]), Some(2.0));
            let bucket = |le: &str| at("monitor_prediction_latency_seconds_bucket", &[canary, le]);
            assert_eq!(bucket(r#"le="0.0025""#), Some(0.0));
            assert_eq!(bucket(r#"le="0.005""#), Some(1.0));
            assert_eq!(bucket(r#"le="0.05""#), Some(2.0));
            let verdict = |v: &str| at("monitor_canary_verdict", &[canary, v]);
            assert_eq!(verdict(r#"verdict="fail""#), Some(1.0));
            assert_eq!(verdict(r#"verdict="pass""#), Some(0.0));
            assert_eq!(verdict(r#"verdict="inconclusive""#), Some(0.0));
            assert_eq!(at("monitor_canary_score", &[canary]), Some(20.0));
            assert_eq!(
                at("monitor_retrain_queue_oldest_age_seconds", &[]),
                Some(90.0)
            );
            assert_eq!(
                at(
                    "monitor_alerts_sent_total",
                    &[r#"sink="alertmanager""#, r#"outcome="sent""#]
                ),
                Some(1.0)
            );
            // process-wide counts, whatever other tests dropped
            assert!(
                at(
                    "monitor_telemetry_dropped_total",
                    &[r#"signal="spans""#, r#"reason="shutdown""#]
                )
                .is_some(),
                "{text}"
            );
        }
    }

    #[test]
    fn a_runaway_label_is_bounded_and_counted() {
        let metrics = Metrics::with_options(&MetricsOptions {
            label_limit: 3,
            ..MetricsOptions::default()
        });
        for i in 0..10 {
            metrics.record_feature_drift(&format!("f{i}"), "psi", f64::from(i), false);
        }
        let text = metrics.encode_prometheus_text();
        let series = text
            .lines()
            .filter(|l| l.starts_with("monitor_feature_drift_score{"))
            .count();
        assert_eq!(series, 4, "3 features and the overflow series: {text}");
        assert_eq!(
            sample(
                &text,
                "monitor_feature_drift_score",
                &[r#"feature="__overflow__""#, r#"test="psi""#]
            ),
            Some(9.0)
        );
        assert_eq!(
            sample(
                &text,
                "monitor_telemetry_label_overflows_total",
                &[r#"family="monitor_feature_drift_score""#]
            ),
            Some(7.0)
        );
    }
}
