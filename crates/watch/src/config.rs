//! The `[watch]` section of `monitor.toml`: the reference, windows, task, detectors, alerts
//! and retraining, every value defaulted.
//!
//! ```toml
//! [watch]
//! reference = "reference.csv"   # data file or profile (.json / .mprf)
//! output_dir = "watch-out"
//! window = { events = 10000 }   # or { duration = "5m" } on the events' own `ts`
//! task = "classification"       # or "regression"
//! threshold = 0.5
//! label_wait_windows = 1
//! max_pending_labels = 1000000
//! min_labels = 30
//!
//! [[watch.detectors]]
//! name = "adwin"
//! on = "error"                  # error | latency_ms | prediction
//! settings = { delta = 0.002 }
//!
//! [watch.alerts]
//! config = "alerts.toml"
//! performance_drop = 0.05
//!
//! [watch.retrain]
//! policy = "policy.toml"
//! queue = "queue.sqlite"
//! ```
//!
//! Relative paths are relative to the directory of the file the section was read from
//! ([`WatchConfig::resolve`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use drift_core::stream::Detector;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::WatchError;

/// `[watch]`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WatchConfig {
    /// The reference: a data file (CSV, JSON Lines, Parquet) or a profile (`.json`, `.mprf`).
    pub reference: PathBuf,
    /// Where `windows.jsonl`, `checkpoint.json` and `rejected.jsonl` go.
    pub output_dir: PathBuf,
    /// How windows are cut.
    pub window: WindowSpec,
    /// What the model predicts.
    pub task: Task,
    /// A classifier's score at or above this is class 1.
    pub threshold: f64,
    /// A window's performance is final this many windows (of its model and version) after
    /// it closes; labels arriving later are counted as late.
    pub label_wait_windows: u32,
    /// The most predictions kept waiting for their label; past it the oldest are dropped
    /// (and counted).
    pub max_pending_labels: usize,
    /// Performance is judged (alerts, retraining) only on windows with at least this many
    /// labelled predictions.
    pub min_labels: u64,
    /// Streaming detectors, each run per model and version.
    pub detectors: Vec<DetectorConfig>,
    /// Alerting.
    pub alerts: AlertsSection,
    /// Retraining.
    pub retrain: RetrainSection,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            reference: PathBuf::from("reference.csv"),
            output_dir: PathBuf::from("watch-out"),
            window: WindowSpec::Events(10_000),
            task: Task::Classification,
            threshold: 0.5,
            label_wait_windows: 1,
            max_pending_labels: 1_000_000,
            min_labels: 30,
            detectors: Vec::new(),
            alerts: AlertsSection::default(),
            retrain: RetrainSection::default(),
        }
    }
}

/// How windows are cut (tumbling, per model and version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum WindowSpec {
    /// Every this many prediction events.
    Events(u64),
    /// Every this long of event time (`ts`), aligned to the Unix epoch.
    #[serde(
        deserialize_with = "duration_text",
        serialize_with = "duration_seconds"
    )]
    Duration(Duration),
}

fn duration_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    telemetry::alert::config::parse_duration(&text).map_err(serde::de::Error::custom)
}

fn duration_seconds<S: serde::Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(value.as_secs_f64())
}

/// What the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// A score or probability of class 1; labels are 0 or 1.
    Classification,
    /// A number; labels are numbers.
    Regression,
}

/// What a detector watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectorInput {
    /// Per labelled prediction: 0/1 misclassification, or the absolute error.
    Error,
    /// Per prediction: `latency_ms`.
    LatencyMs,
    /// Per prediction: the prediction itself.
    Prediction,
}

impl DetectorInput {
    /// The config name (`error`, `latency_ms`, `prediction`).
    pub fn name(self) -> &'static str {
        match self {
            DetectorInput::Error => "error",
            DetectorInput::LatencyMs => "latency_ms",
            DetectorInput::Prediction => "prediction",
        }
    }
}

/// One `[[watch.detectors]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorConfig {
    /// A `drift_core::stream::Detector` name (`adwin`, `page-hinkley`, ...).
    pub name: String,
    /// What it watches (default `error`).
    #[serde(default = "default_on")]
    pub on: DetectorInput,
    /// Parameter overrides, as `monitor detect --set` takes them.
    #[serde(default)]
    pub settings: toml::Table,
}

fn default_on() -> DetectorInput {
    DetectorInput::Error
}

/// `[watch.alerts]`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertsSection {
    /// An `alerts.toml` (docs/alerts.md); no alerts when absent.
    pub config: Option<PathBuf>,
    /// A performance drop alert fires when accuracy falls more than this below the
    /// baseline (absolute), or MAE rises more than this share above it (default 0.05).
    pub performance_drop: Option<f64>,
}

/// `[watch.retrain]`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetrainSection {
    /// A retrain-policy TOML (docs/retrain.md); the default policy when absent.
    pub policy: Option<PathBuf>,
    /// The SQLite job queue; decisions are not enqueued when absent.
    pub queue: Option<PathBuf>,
}

/// The performance drop that raises an alert, when `[watch.alerts] performance_drop` is
/// not set.
pub const DEFAULT_PERFORMANCE_DROP: f64 = 0.05;

impl WatchConfig {
    /// Makes relative paths relative to `base` (the directory of the config file).
    pub fn resolve(&mut self, base: &Path) {
        let join = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        };
        join(&mut self.reference);
        join(&mut self.output_dir);
        for path in [
            &mut self.alerts.config,
            &mut self.retrain.policy,
            &mut self.retrain.queue,
        ]
        .into_iter()
        .flatten()
        {
            join(path);
        }
    }

    /// Checks the values serde cannot: ranges, and that every detector can be built.
    ///
    /// # Errors
    /// [`WatchError::Config`] naming the key and the reason.
    pub fn validate(&self) -> Result<(), WatchError> {
        let bad = |key: &str, reason: String| {
            Err(WatchError::Config {
                key: format!("watch.{key}"),
                reason,
            })
        };
        match self.window {
            WindowSpec::Events(0) => return bad("window.events", "must be at least 1".into()),
            WindowSpec::Duration(d) if d.is_zero() => {
                return bad("window.duration", "must be longer than 0".into());
            }
            _ => {}
        }
        if !self.threshold.is_finite() {
            return bad(
                "threshold",
                format!("must be a finite number, got {}", self.threshold),
            );
        }
        if self.max_pending_labels == 0 {
            return bad("max_pending_labels", "must be at least 1".into());
        }
        if let Some(drop) = self.alerts.performance_drop
            && !(drop.is_finite() && drop >= 0.0)
        {
            return bad(
                "alerts.performance_drop",
                format!("must be a number >= 0, got {drop}"),
            );
        }
        for (i, detector) in self.detectors.iter().enumerate() {
            detector.build().map_err(|e| WatchError::Config {
                key: format!("watch.detectors[{i}]"),
                reason: e.to_string(),
            })?;
        }
        Ok(())
    }

    /// The performance drop that raises an alert.
    pub fn performance_drop(&self) -> f64 {
        self.alerts
            .performance_drop
            .unwrap_or(DEFAULT_PERFORMANCE_DROP)
    }
}

impl DetectorConfig {
    /// A fresh detector with the settings applied.
    ///
    /// # Errors
    /// The detector's error for an unknown name, key or value.
    pub fn build(&self) -> Result<Detector, drift_core::stream::DetectorError> {
        let settings: Vec<(String, String)> = self
            .settings
            .iter()
            .map(|(key, value)| {
                let text = match value {
                    toml::Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                (key.clone(), text)
            })
            .collect();
        let pairs: Vec<(&str, &str)> = settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Detector::from_name(&self.name, &pairs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct File {
        watch: WatchConfig,
    }

    fn parse(text: &str) -> Result<WatchConfig, toml::de::Error> {
        toml::from_str::<File>(text).map(|f| f.watch)
    }

    #[test]
    fn every_key_of_the_documented_example_reads() {
        let config = parse(
            r#"
            [watch]
            reference = "reference.csv"
            output_dir = "out"
            window = { duration = "5m" }
            task = "regression"
            threshold = 0.7
            label_wait_windows = 2
            max_pending_labels = 100
            min_labels = 10
            [[watch.detectors]]
            name = "adwin"
            on = "latency_ms"
            settings = { delta = 0.002 }
            [watch.alerts]
            config = "alerts.toml"
            performance_drop = 0.1
            [watch.retrain]
            policy = "policy.toml"
            queue = "queue.sqlite"
            "#,
        )
        .expect("valid");
        assert_eq!(
            config.window,
            WindowSpec::Duration(Duration::from_secs(300))
        );
        assert_eq!(config.task, Task::Regression);
        assert_eq!(config.detectors[0].on, DetectorInput::LatencyMs);
        assert_eq!(config.performance_drop(), 0.1);
        config.validate().expect("valid values");
        let mut resolved = config.clone();
        resolved.resolve(Path::new("/etc/monitor"));
        assert_eq!(resolved.reference, Path::new("/etc/monitor/reference.csv"));
        assert_eq!(
            resolved.retrain.queue.as_deref(),
            Some(Path::new("/etc/monitor/queue.sqlite"))
        );
    }

    #[test]
    fn an_empty_section_is_the_defaults() {
        let config = parse("[watch]\n").expect("valid");
        assert_eq!(config, WatchConfig::default());
        assert_eq!(config.window, WindowSpec::Events(10_000));
    }

    #[test]
    fn typos_and_bad_values_are_refused_with_their_key() {
        let err = parse("[watch]\nwindw = 3\n").unwrap_err().to_string();
        assert!(err.contains("unknown field `windw`"), "{err}");
        let err = parse("[watch]\nwindow = { duration = \"5 parsecs\" }\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("5 parsecs"), "{err}");
        let config =
            parse("[watch]\n[[watch.detectors]]\nname = \"adwin\"\nsettings = { delta = 7 }\n")
                .expect("parses");
        let err = config.validate().unwrap_err().to_string();
        assert!(err.starts_with("watch.detectors[0]: "), "{err}");
        let config = parse("[watch]\nwindow = { events = 0 }\n").expect("parses");
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.starts_with("watch.window.events: must be at least 1"),
            "{err}"
        );
    }
}
