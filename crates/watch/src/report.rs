//! What one window produced: the line appended to `windows.jsonl` (documented field by
//! field in `docs/watch.md`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use retrain_policy::Outcome;
use serde::{Deserialize, Serialize};

use crate::performance::Performance;

/// Version of the window report's JSON layout; bumped on any incompatible change.
pub const WINDOW_SCHEMA_VERSION: u32 = 1;

/// One window of one model and version.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WindowReport {
    /// Always [`WINDOW_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The model.
    pub model: String,
    /// The model's version.
    pub version: String,
    /// 0-based, per model and version.
    pub index: u64,
    /// Closed by the end of the input rather than by its size or its time.
    pub partial: bool,
    /// For time windows: the window's bounds `[start, end)` in event time.
    pub start: Option<Timestamp>,
    /// See `start`.
    pub end: Option<Timestamp>,
    /// Event time of the window's first event (in arrival order).
    pub first_ts: Timestamp,
    /// Event time of the window's last event.
    pub last_ts: Timestamp,
    /// Prediction events in the window.
    pub n: u64,
    /// Events of a time window whose `ts` fell before the window (out of order), counted
    /// into it.
    pub late_events: u64,
    /// Events by variant (`baseline`, `canary`, `shadow`, ...).
    pub variants: BTreeMap<String, u64>,
    /// The drift report against the reference: a [`drift_core::DriftReport`] as
    /// `monitor drift --format json` writes it (kept as its JSON text so that a checkpoint
    /// restores it byte for byte); `null` when none could be made (see `drift_error`).
    pub drift: Option<Box<serde_json::value::RawValue>>,
    /// Why there is no drift report.
    pub drift_error: Option<String>,
    /// Changes the detectors signalled while the window was open.
    pub alarms: Vec<Alarm>,
    /// The events' `latency_ms`, summarised; `null` when no event had one.
    pub latency_ms: Option<LatencySummary>,
    /// Performance on the predictions whose label arrived before the window was final.
    pub performance: Performance,
    /// `performance.labelled / n`.
    pub label_completeness: f64,
    /// Alerts this window raised or resolved.
    pub alerts: AlertChanges,
    /// The retraining decision made on this window.
    pub retrain: Option<RetrainOutcome>,
}

/// A change a detector signalled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alarm {
    /// The detector's name (`adwin`, ...).
    pub detector: String,
    /// What it watched: `error`, `latency_ms` or `prediction`.
    pub on: String,
    /// 0-based index of the value (of this detector, model and version) whose update
    /// signalled, as `monitor detect` reports it.
    pub index: u64,
    /// Prediction events of the model and version seen when it signalled.
    pub events: u64,
}

/// Latency quantiles (numpy's default linear interpolation), in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Events with a latency.
    pub count: u64,
    /// Their mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

impl LatencySummary {
    /// The summary of `values` (sorted in place); `None` when empty.
    pub fn of(values: &mut [f64]) -> Option<LatencySummary> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable_by(f64::total_cmp);
        let n = values.len();
        let quantile = |q: f64| {
            let h = (n - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            values[lo] + (h - lo as f64) * (values[hi] - values[lo])
        };
        Some(LatencySummary {
            count: n as u64,
            mean: values.iter().sum::<f64>() / n as f64,
            p50: quantile(0.5),
            p95: quantile(0.95),
            p99: quantile(0.99),
            max: values[n - 1],
        })
    }
}

/// The alerts a window raised and resolved (names: `WatchDatasetDrift`,
/// `WatchDetectorAlarm`, `WatchPerformanceDrop`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertChanges {
    /// Alerts that started firing with this window.
    pub raised: Vec<String>,
    /// Alerts this window found cleared.
    pub resolved: Vec<String>,
}

/// The retraining decision made on a window, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrainOutcome {
    /// `retrain`, `hold` or `blocked`.
    pub decision: Outcome,
    /// The policy's one-sentence summary.
    pub summary: String,
    /// The rules that fired.
    pub fired: Vec<String>,
    /// The queued job's id, when the decision was to retrain and a queue is configured
    /// (the same id when the job existed already under the window's idempotency key, as
    /// after a restart).
    pub job_id: Option<i64>,
    /// The acknowledged alert that held the job back, if any.
    pub paused_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_quantiles_interpolate_as_numpy() {
        let reference = test_support::load_reference("watch_performance.json");
        for case in reference["latency"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let mut values = test_support::numbers(&case["values"]);
            let summary = LatencySummary::of(&mut values).expect("values");
            assert_eq!(summary.count as usize, values.len());
            for (ours, key) in [
                (summary.mean, "mean"),
                (summary.p50, "p50"),
                (summary.p95, "p95"),
                (summary.p99, "p99"),
                (summary.max, "max"),
            ] {
                let expected = test_support::number(&case[key]);
                test_support::assert_close(ours, expected, 1e-12, 1e-12, &format!("{name} {key}"));
            }
        }
        assert_eq!(LatencySummary::of(&mut []), None);
    }
}
