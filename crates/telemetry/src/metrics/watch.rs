//! The families of `monitor watch`, labelled with `model` and `version` per series.
//!
//! One watch process sees several models and versions, so these families carry `model`
//! and `version` as ordinary labels instead of the registry's constant labels (a registry
//! built with [`super::MetricsOptions::model`] would repeat them: leave it unset for a
//! watch). Every data-driven label set is bounded like the other families (see
//! [`super::OVERFLOW`]).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

use super::bounded::{Bounded, BoundedFamily, OVERFLOW};
use super::{FamilyLabel, FloatGauge, latency_histogram};

/// The watch loop's metric families (reached through [`super::Metrics::watch`]).
#[derive(Debug)]
pub struct WatchMetrics {
    events: BoundedFamily<ModelVariant, Counter>,
    rejected: BoundedFamily<ReasonLabel, Counter>,
    labels: BoundedFamily<OutcomeLabel, Counter>,
    windows: BoundedFamily<ModelLabels, Counter>,
    feature_drift_score: BoundedFamily<ModelFeatureTest, FloatGauge>,
    feature_drifted: BoundedFamily<ModelFeatureTest, Gauge>,
    dataset_drifted: BoundedFamily<ModelLabels, Gauge>,
    dataset_drift_share: BoundedFamily<ModelLabels, FloatGauge>,
    performance: BoundedFamily<ModelMetric, FloatGauge>,
    label_completeness: BoundedFamily<ModelLabels, FloatGauge>,
    detector_alarms: BoundedFamily<ModelDetector, Counter>,
    latency: BoundedFamily<ModelLabels, Histogram>,
    window_end: BoundedFamily<ModelLabels, FloatGauge>,
    pending_labels: Gauge,
    retrain_decisions: BoundedFamily<ModelDecision, Counter>,
    alert_firing: BoundedFamily<ModelAlert, Gauge>,
}

/// A model and version, the subject of most watch series.
#[derive(Debug, Clone, Copy)]
pub struct ModelVersion<'a> {
    /// The model's name.
    pub model: &'a str,
    /// Its version.
    pub version: &'a str,
}

impl ModelVersion<'_> {
    fn labels(self) -> ModelLabels {
        ModelLabels {
            model: self.model.to_owned(),
            version: self.version.to_owned(),
        }
    }
}

impl WatchMetrics {
    /// Registers every watch family in `registry`, each bounded to `limit` label sets
    /// with overflows counted in `overflows`.
    pub(super) fn register(
        registry: &mut Registry,
        limit: usize,
        overflows: &Family<FamilyLabel, Counter>,
    ) -> WatchMetrics {
        let counter = |name: &str| {
            overflows.get_or_create_owned(&FamilyLabel {
                family: name.to_owned(),
            })
        };
        let metrics = WatchMetrics {
            events: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_events_total"),
            ),
            rejected: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_lines_rejected_total"),
            ),
            labels: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_labels_total"),
            ),
            windows: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_windows_total"),
            ),
            feature_drift_score: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_feature_drift_score"),
            ),
            feature_drifted: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_feature_drifted"),
            ),
            dataset_drifted: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_dataset_drifted"),
            ),
            dataset_drift_share: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_dataset_drift_share"),
            ),
            performance: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_performance"),
            ),
            label_completeness: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_label_completeness_ratio"),
            ),
            detector_alarms: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_detector_alarms_total"),
            ),
            latency: BoundedFamily::new(
                Family::new_with_constructor(latency_histogram as fn() -> Histogram),
                limit,
                counter("monitor_watch_prediction_latency_seconds"),
            ),
            window_end: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_window_end_timestamp_seconds"),
            ),
            pending_labels: Gauge::default(),
            retrain_decisions: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_retrain_decisions_total"),
            ),
            alert_firing: BoundedFamily::new(
                Family::default(),
                limit,
                counter("monitor_watch_alert_firing"),
            ),
        };
        let r = registry;
        r.register(
            "monitor_watch_events",
            "Prediction events a watch counted into windows, by model, version and variant",
            metrics.events.family(),
        );
        r.register(
            "monitor_watch_lines_rejected",
            "Input lines a watch could not use (written to rejected.jsonl), by reason",
            metrics.rejected.family(),
        );
        r.register("monitor_watch_labels", "Label events a watch read, by outcome (joined, unmatched) and predictions dropped before their label came (dropped)", metrics.labels.family());
        r.register(
            "monitor_watch_windows",
            "Windows a watch closed, by model and version",
            metrics.windows.family(),
        );
        r.register(
            "monitor_watch_feature_drift_score",
            "A feature's drift score in the last closed window: its p-value or its distance",
            metrics.feature_drift_score.family(),
        );
        r.register(
            "monitor_watch_feature_drifted",
            "Whether a feature drifted in the last closed window (1) or not (0)",
            metrics.feature_drifted.family(),
        );
        r.register(
            "monitor_watch_dataset_drifted",
            "Whether the last closed window drifted from the reference (1) or not (0)",
            metrics.dataset_drifted.family(),
        );
        r.register(
            "monitor_watch_dataset_drift_share",
            "Share of the tested features that drifted in the last closed window, 0 to 1",
            metrics.dataset_drift_share.family(),
        );
        r.register("monitor_watch_performance", "The last final window's performance, by metric (accuracy, precision, recall, f1, auc, mae, rmse)", metrics.performance.family());
        r.register(
            "monitor_watch_label_completeness_ratio",
            "Share of the last final window's predictions whose label arrived, 0 to 1",
            metrics.label_completeness.family(),
        );
        r.register(
            "monitor_watch_detector_alarms",
            "Changes a watch's streaming detector signalled, by detector and what it watches",
            metrics.detector_alarms.family(),
        );
        r.register_with_unit(
            "monitor_watch_prediction_latency",
            "Time to answer one prediction, from the events' latency_ms",
            Unit::Seconds,
            metrics.latency.family(),
        );
        r.register_with_unit(
            "monitor_watch_window_end_timestamp",
            "Event time of the last event of the last closed window (Unix time)",
            Unit::Seconds,
            metrics.window_end.family(),
        );
        r.register(
            "monitor_watch_pending_labels",
            "Predictions waiting for their label",
            metrics.pending_labels.clone(),
        );
        r.register(
            "monitor_watch_retrain_decisions",
            "Retraining decisions a watch made, by model, version and decision",
            metrics.retrain_decisions.family(),
        );
        r.register(
            "monitor_watch_alert_firing",
            "Whether a watch alert is firing (1) or resolved (0), by model, version and alert",
            metrics.alert_firing.family(),
        );
        metrics
    }

    /// Counts `n` prediction events of `variant`.
    pub fn record_events(&self, subject: ModelVersion<'_>, variant: &str, n: u64) {
        self.events
            .get(&ModelVariant {
                model: subject.model.to_owned(),
                version: subject.version.to_owned(),
                variant: variant.to_owned(),
            })
            .inc_by(n);
    }

    /// Counts one rejected line (`reason`: `json`, `missing_field`, `bad_value`).
    pub fn record_rejected(&self, reason: &str) {
        self.rejected
            .get(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Counts `n` labels with `outcome` (`joined`, `unmatched`, `dropped`).
    pub fn record_labels(&self, outcome: &str, n: u64) {
        self.labels
            .get(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc_by(n);
    }

    /// Counts a closed window and sets the event time of its last event.
    pub fn record_window(&self, subject: ModelVersion<'_>, last_event_unix_seconds: f64) {
        let labels = subject.labels();
        self.windows.get(&labels).inc();
        self.window_end.get(&labels).set(last_event_unix_seconds);
    }

    /// Sets a feature's drift score and whether it drifted, in the last closed window.
    pub fn record_feature_drift(
        &self,
        subject: ModelVersion<'_>,
        feature: &str,
        test: &str,
        score: f64,
        drifted: bool,
    ) {
        let labels = ModelFeatureTest {
            model: subject.model.to_owned(),
            version: subject.version.to_owned(),
            feature: feature.to_owned(),
            test: test.to_owned(),
        };
        self.feature_drift_score.get(&labels).set(score);
        self.feature_drifted.get(&labels).set(i64::from(drifted));
    }

    /// Sets the dataset verdict and drift share of the last closed window.
    pub fn record_dataset_drift(&self, subject: ModelVersion<'_>, drifted: bool, share: f64) {
        let labels = subject.labels();
        self.dataset_drifted.get(&labels).set(i64::from(drifted));
        self.dataset_drift_share.get(&labels).set(share);
    }

    /// Sets one performance metric (`accuracy`, `f1`, `mae`, ...) of the last final window.
    pub fn record_performance(&self, subject: ModelVersion<'_>, metric: &str, value: f64) {
        self.performance
            .get(&ModelMetric {
                model: subject.model.to_owned(),
                version: subject.version.to_owned(),
                metric: metric.to_owned(),
            })
            .set(value);
    }

    /// Sets the label completeness (0 to 1) of the last final window.
    pub fn record_label_completeness(&self, subject: ModelVersion<'_>, ratio: f64) {
        self.label_completeness.get(&subject.labels()).set(ratio);
    }

    /// Counts one change a detector watching `signal` signalled.
    pub fn record_detector_alarm(&self, subject: ModelVersion<'_>, detector: &str, signal: &str) {
        self.detector_alarms
            .get(&ModelDetector {
                model: subject.model.to_owned(),
                version: subject.version.to_owned(),
                detector: detector.to_owned(),
                signal: signal.to_owned(),
            })
            .inc();
    }

    /// Observes prediction latencies, in milliseconds as events give them.
    pub fn record_latencies_ms(&self, subject: ModelVersion<'_>, latencies_ms: &[f64]) {
        let histogram = self.latency.get(&subject.labels());
        for &ms in latencies_ms {
            histogram.observe(ms / 1000.0);
        }
    }

    /// Sets the number of predictions waiting for their label.
    pub fn record_pending_labels(&self, pending: u64) {
        self.pending_labels
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
    }

    /// Counts one retraining decision (`retrain`, `hold`, `blocked`).
    pub fn record_retrain_decision(&self, subject: ModelVersion<'_>, decision: &str) {
        self.retrain_decisions
            .get(&ModelDecision {
                model: subject.model.to_owned(),
                version: subject.version.to_owned(),
                decision: decision.to_owned(),
            })
            .inc();
    }

    /// Sets whether the watch alert `alert` is firing for the model and version.
    pub fn record_alert(&self, subject: ModelVersion<'_>, alert: &str, firing: bool) {
        self.alert_firing
            .get(&ModelAlert {
                model: subject.model.to_owned(),
                version: subject.version.to_owned(),
                alert: alert.to_owned(),
            })
            .set(i64::from(firing));
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
    version: String,
}

impl Bounded for ModelLabels {
    fn overflow(&self) -> Self {
        ModelLabels {
            model: OVERFLOW.to_owned(),
            version: OVERFLOW.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelVariant {
    model: String,
    version: String,
    variant: String,
}

impl Bounded for ModelVariant {
    fn overflow(&self) -> Self {
        ModelVariant {
            model: OVERFLOW.to_owned(),
            version: OVERFLOW.to_owned(),
            variant: OVERFLOW.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelFeatureTest {
    model: String,
    version: String,
    feature: String,
    test: String,
}

impl Bounded for ModelFeatureTest {
    fn overflow(&self) -> Self {
        ModelFeatureTest {
            model: OVERFLOW.to_owned(),
            version: OVERFLOW.to_owned(),
            feature: OVERFLOW.to_owned(),
            test: self.test.clone(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelMetric {
    model: String,
    version: String,
    metric: String,
}

impl Bounded for ModelMetric {
    fn overflow(&self) -> Self {
        ModelMetric {
            model: OVERFLOW.to_owned(),
            version: OVERFLOW.to_owned(),
            metric: self.metric.clone(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelDetector {
    model: String,
    version: String,
    detector: String,
    signal: String,
}

impl Bounded for ModelDetector {
    fn overflow(&self) -> Self {
        ModelDetector {
            model: OVERFLOW.to_owned(),
            version: OVERFLOW.to_owned(),
            detector: self.detector.clone(),
            signal: self.signal.clone(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelDecision {
    model: String,
    version: String,
    decision: String,
}

impl Bounded for ModelDecision {
    fn overflow(&self) -> Self {
        ModelDecision {
            model: OVERFLOW.to_owned(),
            version: OVERFLOW.to_owned(),
            decision: self.decision.clone(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelAlert {
    model: String,
    version: String,
    alert: String,
}

impl Bounded for ModelAlert {
    fn overflow(&self) -> Self {
        ModelAlert {
            model: OVERFLOW.to_owned(),
            version: OVERFLOW.to_owned(),
            alert: self.alert.clone(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

impl Bounded for ReasonLabel {
    fn overflow(&self) -> Self {
        ReasonLabel {
            reason: OVERFLOW.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

impl Bounded for OutcomeLabel {
    fn overflow(&self) -> Self {
        OutcomeLabel {
            outcome: OVERFLOW.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Metrics;
    use super::*;

    #[test]
    fn series_carry_their_model_and_version() {
        let metrics = Metrics::new();
        let churn = ModelVersion {
            model: "churn",
            version: "v3",
        };
        let fraud = ModelVersion {
            model: "fraud",
            version: "1",
        };
        metrics.watch().record_performance(churn, "accuracy", 0.75);
        metrics.watch().record_performance(fraud, "accuracy", 0.5);
        metrics.watch().record_events(churn, "canary", 3);
        metrics.watch().record_events(churn, "canary", 2);
        metrics.watch().record_latencies_ms(fraud, &[2.0, 20.0]);
        let text = metrics.encode_openmetrics();
        for line in [
            r#"monitor_watch_performance{model="churn",version="v3",metric="accuracy"} 0.75"#,
            r#"monitor_watch_performance{model="fraud",version="1",metric="accuracy"} 0.5"#,
            r#"monitor_watch_events_total{model="churn",version="v3",variant="canary"} 5"#,
            r#"monitor_watch_prediction_latency_seconds_bucket{le="0.0025",model="fraud",version="1"} 1"#,
            r#"monitor_watch_prediction_latency_seconds_bucket{le="0.025",model="fraud",version="1"} 2"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
    }
}
