//! Analysis runs with Argo Rollouts' AnalysisRun semantics: measurements, limits, the worst metric.
//!
//! A run measures each of its metrics repeatedly and concludes, as Argo's analysis
//! controller (`analysis/analysis.go`, `utils/analysis/helpers.go`) does:
//!
//! - each measurement is Successful, Failed, Inconclusive or Error; the first three count
//!   towards `count`; an Error resets nothing but the consecutive-success streak and is
//!   retried after `error_retry_interval` (Argo: 10 s);
//! - a metric is Failed when `failed > failure_limit` (`-1` disables the limit),
//!   Inconclusive when `inconclusive > inconclusive_limit`, Error when
//!   `consecutive_errors > consecutive_error_limit` (later checks win, as in Argo);
//!   Successful after `consecutive_success_limit` successes in a row (when set), or when
//!   `count` measurements are taken (Inconclusive instead when a success streak was required
//!   and not reached, Failed when only the streak applies);
//! - the run is Running until every metric concludes, then takes the worst phase of its
//!   metrics in the order Successful < Inconclusive < Error < Failed; dry-run metrics are
//!   measured and reported but never counted; as soon as one counted metric is Failed,
//!   Error or Inconclusive the run stops measuring and concludes.
//!
//! One deliberate difference (Argo issue #4479): a run stopped early reports a metric that
//! never had a successful measurement by its last measurement's phase (Error, Failed or
//! Inconclusive), not Successful; a metric never measured is left out, and a run where no
//! counted metric was measured is Inconclusive, not Successful.

use crate::error::CanaryError;
use crate::time::{Span, Timestamp};

/// One metric of an analysis (Argo's `Metric`, without the provider).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisMetric {
    /// The metric's name; measurements are reported under it.
    pub name: String,
    /// Time between measurements; None measures once (unless `count` asks for more).
    #[serde(default)]
    pub interval: Option<Span>,
    /// Measurements to take; None with an interval measures until the run is stopped.
    #[serde(default)]
    pub count: Option<u32>,
    /// Wait this long after the run starts before the first measurement.
    #[serde(default)]
    pub initial_delay: Option<Span>,
    /// Failed measurements tolerated; `-1` turns the limit off (Argo's default: 0).
    #[serde(default)]
    pub failure_limit: i32,
    /// Inconclusive measurements tolerated (Argo's default: 0).
    #[serde(default)]
    pub inconclusive_limit: u32,
    /// Errors in a row tolerated (Argo's default: 4).
    #[serde(default = "default_consecutive_error_limit")]
    pub consecutive_error_limit: u32,
    /// Successes in a row that conclude the metric early; 0 turns it off (Argo's default).
    #[serde(default)]
    pub consecutive_success_limit: u32,
    /// Measure and report, never count (Argo's `dryRun`).
    #[serde(default)]
    pub dry_run: bool,
}

fn default_consecutive_error_limit() -> u32 {
    4
}

impl AnalysisMetric {
    /// A metric measured once, with Argo's default limits.
    pub fn new(name: impl Into<String>) -> Self {
        AnalysisMetric {
            name: name.into(),
            interval: None,
            count: None,
            initial_delay: None,
            failure_limit: 0,
            inconclusive_limit: 0,
            consecutive_error_limit: default_consecutive_error_limit(),
            consecutive_success_limit: 0,
            dry_run: false,
        }
    }

    /// Argo's `EffectiveCount`: `count` when set, 1 without an interval, else unbounded.
    pub fn effective_count(&self) -> Option<u32> {
        match (self.count, self.interval) {
            (Some(count), _) if count > 0 => Some(count),
            (_, None) => Some(1),
            _ => None,
        }
    }

    pub(crate) fn validate(&self, key: &str) -> Result<(), CanaryError> {
        let key = |field: &str| format!("{key}.{}.{field}", self.name);
        if self.failure_limit < -1 {
            return Err(CanaryError::invalid(
                key("failure_limit"),
                "-1 (off) or more",
                self.failure_limit,
            ));
        }
        if self.failure_limit == -1 && self.consecutive_success_limit == 0 {
            return Err(CanaryError::invalid(
                key("consecutive_success_limit"),
                "above 0 when failure_limit is -1 (Argo: one of them must apply)",
                0,
            ));
        }
        if self.interval == Some(Span(0)) {
            return Err(CanaryError::invalid(key("interval"), "longer than 0", "0s"));
        }
        Ok(())
    }
}

/// An analysis: metrics measured together.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSpec {
    /// The metrics.
    pub metrics: Vec<AnalysisMetric>,
}

/// One measurement's outcome (Argo's measurement phases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeasurementPhase {
    /// The metric is fine.
    Successful,
    /// The metric is bad.
    Failed,
    /// Neither (too little data, or a marginal score).
    Inconclusive,
    /// The measurement could not be taken (query failed, timed out).
    Error,
}

/// A measurement reported by the caller.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Measurement {
    /// The metric measured.
    pub metric: String,
    /// Its outcome.
    pub phase: MeasurementPhase,
    /// Why, in words (kept as the metric's last message).
    #[serde(default)]
    pub message: String,
}

impl Measurement {
    /// A measurement of `metric` with phase `phase` and message `message`.
    pub fn new(
        metric: impl Into<String>,
        phase: MeasurementPhase,
        message: impl Into<String>,
    ) -> Self {
        Measurement {
            metric: metric.into(),
            phase,
            message: message.into(),
        }
    }
}

/// A metric's or a run's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunPhase {
    /// Still measuring.
    Running,
    /// Concluded well.
    Successful,
    /// Concluded neither well nor badly: a human decides.
    Inconclusive,
    /// Too many measurements erred in a row.
    Error,
    /// Too many measurements failed.
    Failed,
    /// Stopped before its first measurement (left out of the run's phase).
    NotMeasured,
}

impl RunPhase {
    /// Argo's `analysisStatusOrder`, best to worst, for concluded phases.
    fn badness(self) -> u8 {
        match self {
            RunPhase::NotMeasured => 0,
            RunPhase::Successful => 1,
            RunPhase::Running => 2,
            RunPhase::Inconclusive => 3,
            RunPhase::Error => 4,
            RunPhase::Failed => 5,
        }
    }

    /// Concluded (anything but Running).
    pub fn completed(self) -> bool {
        self != RunPhase::Running
    }

    fn from_measurement(phase: MeasurementPhase) -> RunPhase {
        match phase {
            MeasurementPhase::Successful => RunPhase::Successful,
            MeasurementPhase::Failed => RunPhase::Failed,
            MeasurementPhase::Inconclusive => RunPhase::Inconclusive,
            MeasurementPhase::Error => RunPhase::Error,
        }
    }
}

/// A metric's counters within a run (Argo's `MetricResult`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MetricRun {
    /// The metric's specification.
    pub spec: AnalysisMetric,
    /// Its phase.
    pub phase: RunPhase,
    /// Successful + Failed + Inconclusive measurements.
    pub count: u32,
    /// Successful measurements.
    pub successful: u32,
    /// Failed measurements.
    pub failed: u32,
    /// Inconclusive measurements.
    pub inconclusive: u32,
    /// Errors.
    pub error: u32,
    /// Errors in a row.
    pub consecutive_error: u32,
    /// Successes in a row.
    pub consecutive_success: u32,
    /// When the last measurement was reported.
    pub last_finished: Option<Timestamp>,
    /// The last measurement's phase.
    pub last_phase: Option<MeasurementPhase>,
    /// The last measurement's message, or why the metric concluded.
    pub message: String,
    /// When the measurement now awaited was requested.
    pub in_flight: Option<Timestamp>,
}

impl MetricRun {
    fn new(spec: AnalysisMetric) -> Self {
        MetricRun {
            spec,
            phase: RunPhase::Running,
            count: 0,
            successful: 0,
            failed: 0,
            inconclusive: 0,
            error: 0,
            consecutive_error: 0,
            consecutive_success: 0,
            last_finished: None,
            last_phase: None,
            message: String::new(),
            in_flight: None,
        }
    }

    /// Records one measurement (Argo's `runMeasurements` bookkeeping).
    fn record(&mut self, phase: MeasurementPhase, message: String, now: Timestamp) {
        match phase {
            MeasurementPhase::Successful => {
                self.successful += 1;
                self.count += 1;
                self.consecutive_error = 0;
                self.consecutive_success += 1;
            }
            MeasurementPhase::Failed => {
                self.failed += 1;
                self.count += 1;
                self.consecutive_error = 0;
                self.consecutive_success = 0;
            }
            MeasurementPhase::Inconclusive => {
                self.inconclusive += 1;
                self.count += 1;
                self.consecutive_error = 0;
                self.consecutive_success = 0;
            }
            MeasurementPhase::Error => {
                self.error += 1;
                self.consecutive_error += 1;
                self.consecutive_success = 0;
            }
        }
        self.last_finished = Some(now);
        self.last_phase = Some(phase);
        self.message = message;
        self.in_flight = None;
    }

    /// Argo's `assessMetricFailureInconclusiveOrError`: the limit broken, if any.
    fn limit_broken(&self) -> Option<(RunPhase, String)> {
        let s = &self.spec;
        let mut out = None;
        if s.failure_limit >= 0 && self.failed > s.failure_limit as u32 {
            out = Some((
                RunPhase::Failed,
                format!(
                    "failed ({}) > failure_limit ({})",
                    self.failed, s.failure_limit
                ),
            ));
        }
        if self.inconclusive > s.inconclusive_limit {
            out = Some((
                RunPhase::Inconclusive,
                format!(
                    "inconclusive ({}) > inconclusive_limit ({})",
                    self.inconclusive, s.inconclusive_limit
                ),
            ));
        }
        if self.consecutive_error > s.consecutive_error_limit {
            out = Some((
                RunPhase::Error,
                format!(
                    "consecutive errors ({}) > consecutive_error_limit ({})",
                    self.consecutive_error, s.consecutive_error_limit
                ),
            ));
        }
        out
    }

    /// Argo's `assessMetricStatus`, with the early-stop difference in the module docs.
    fn assess(&self, stopping: bool) -> (RunPhase, String) {
        if self.phase.completed() {
            return (self.phase, self.message.clone());
        }
        if self.last_phase.is_none() {
            return if stopping {
                (
                    RunPhase::NotMeasured,
                    "stopped before its first measurement".into(),
                )
            } else {
                (RunPhase::Running, String::new())
            };
        }
        if let Some(broken) = self.limit_broken() {
            return broken;
        }
        let s = &self.spec;
        if s.consecutive_success_limit > 0
            && self.consecutive_success >= s.consecutive_success_limit
        {
            return (
                RunPhase::Successful,
                format!("{} successes in a row", self.consecutive_success),
            );
        }
        if let Some(count) = s.effective_count().filter(|&c| self.count >= c) {
            let failure_applies = s.failure_limit >= 0;
            let success_applies = s.consecutive_success_limit > 0;
            return match (failure_applies, success_applies) {
                (true, true) => (
                    RunPhase::Inconclusive,
                    format!(
                        "count ({count}) reached without {} successes in a row",
                        s.consecutive_success_limit
                    ),
                ),
                (false, true) => (
                    RunPhase::Failed,
                    format!(
                        "count ({count}) reached without {} successes in a row",
                        s.consecutive_success_limit
                    ),
                ),
                _ => (RunPhase::Successful, format!("count ({count}) reached")),
            };
        }
        if stopping {
            if self.successful == 0 {
                let last = self
                    .last_phase
                    .map_or(RunPhase::NotMeasured, RunPhase::from_measurement);
                return (
                    last,
                    format!(
                        "stopped without a successful measurement ({} errors)",
                        self.error
                    ),
                );
            }
            return (
                RunPhase::Successful,
                "stopped after successful measurements".into(),
            );
        }
        (RunPhase::Running, String::new())
    }
}

/// Which run: the one of an analysis step, or the background analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunKind {
    /// The analysis of step `index` (0-based).
    Step {
        /// The step's index.
        index: usize,
    },
    /// The background analysis.
    Background,
}

/// A run of an analysis (Argo's `AnalysisRun` status).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalysisRun {
    /// Which run.
    pub kind: RunKind,
    /// When it started.
    pub started: Timestamp,
    /// Its metrics.
    pub metrics: Vec<MetricRun>,
    /// Its phase.
    pub phase: RunPhase,
    /// Why it concluded (the worst metric's message).
    pub message: String,
}

impl AnalysisRun {
    /// A run of `spec` starting at `now`.
    pub fn new(kind: RunKind, spec: &AnalysisSpec, now: Timestamp) -> Self {
        AnalysisRun {
            kind,
            started: now,
            metrics: spec.metrics.iter().cloned().map(MetricRun::new).collect(),
            phase: RunPhase::Running,
            message: String::new(),
        }
    }

    /// Records measurements; requested metrics missing from them are recorded as errors.
    ///
    /// # Errors
    /// [`CanaryError::InvalidEvent`] for a metric the run does not have.
    pub fn record(
        &mut self,
        measurements: Vec<Measurement>,
        now: Timestamp,
    ) -> Result<(), CanaryError> {
        for m in &measurements {
            if !self.metrics.iter().any(|r| r.spec.name == m.metric) {
                return Err(CanaryError::InvalidEvent(format!(
                    "measurement of \"{}\", which the analysis does not list",
                    m.metric
                )));
            }
        }
        if self.phase.completed() {
            return Ok(()); // late results of a concluded run are dropped
        }
        let mut measurements = measurements;
        for metric in &mut self.metrics {
            if metric.phase.completed() {
                continue;
            }
            if let Some(pos) = measurements
                .iter()
                .position(|m| m.metric == metric.spec.name)
            {
                let m = measurements.swap_remove(pos);
                metric.record(m.phase, m.message, now);
            } else if metric.in_flight.is_some() {
                metric.record(
                    MeasurementPhase::Error,
                    "no measurement returned".into(),
                    now,
                );
            }
        }
        Ok(())
    }

    /// Counts every awaited measurement as an error (it was not reported in time).
    pub(crate) fn expire_in_flight(&mut self, now: Timestamp) {
        for metric in &mut self.metrics {
            if metric.in_flight.is_some() && !metric.phase.completed() {
                metric.record(
                    MeasurementPhase::Error,
                    "no measurement within the progress deadline".into(),
                    now,
                );
            }
        }
    }

    /// Argo's `assessRunStatus`: updates every metric's phase and the run's; `stop` ends
    /// the run now (the rollout finished or moved on).
    pub fn assess(&mut self, stop: bool) -> RunPhase {
        if self.phase.completed() {
            return self.phase;
        }
        // Argo's IsTerminating: a counted metric already concluded badly
        let terminating = stop
            || self.metrics.iter().any(|m| {
                !m.spec.dry_run
                    && matches!(
                        m.phase,
                        RunPhase::Failed | RunPhase::Error | RunPhase::Inconclusive
                    )
            });
        let mut everything_completed = true;
        let mut worst: Option<(RunPhase, String)> = None;
        let mut any_counted_measured = false;
        let mut any_counted = false;
        for metric in &mut self.metrics {
            let (phase, message) = metric.assess(terminating);
            if phase.completed() && !metric.phase.completed() {
                metric.phase = phase;
                metric.message = message.clone();
            }
            if !phase.completed() {
                everything_completed = false;
                continue;
            }
            if metric.spec.dry_run {
                continue;
            }
            any_counted = true;
            if phase != RunPhase::NotMeasured {
                any_counted_measured = true;
            }
            if worst
                .as_ref()
                .is_none_or(|(w, _)| phase.badness() > w.badness())
            {
                worst = Some((phase, format!("metric \"{}\": {message}", metric.spec.name)));
            }
        }
        // a counted metric that broke a limit ends the run now
        let newly_terminating = self.metrics.iter().any(|m| {
            !m.spec.dry_run
                && matches!(
                    m.phase,
                    RunPhase::Failed | RunPhase::Error | RunPhase::Inconclusive
                )
        });
        if !(everything_completed || terminating || newly_terminating) {
            return RunPhase::Running;
        }
        if newly_terminating && !terminating {
            return self.assess(true);
        }
        let (phase, message) = match worst {
            Some((RunPhase::NotMeasured, _)) | None if any_counted && !any_counted_measured => (
                RunPhase::Inconclusive,
                "no counted metric was measured before the run stopped".to_owned(),
            ),
            Some((phase, message)) => (phase, message),
            None => (RunPhase::Successful, "only dry-run metrics".to_owned()),
        };
        let phase = if phase == RunPhase::NotMeasured {
            RunPhase::Successful
        } else {
            phase
        };
        for metric in &mut self.metrics {
            metric.in_flight = None;
        }
        self.phase = phase;
        self.message = message;
        phase
    }

    /// When each still-running metric is next due: `(metric index, due time)`.
    pub(crate) fn due(&self, retry: Span) -> Vec<(usize, Timestamp)> {
        self.metrics
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.phase.completed() && m.in_flight.is_none())
            .filter(|(_, m)| m.spec.effective_count().is_none_or(|c| m.count < c))
            .filter_map(|(i, m)| {
                let due = match (m.last_finished, m.last_phase) {
                    (None, _) => self.started.plus(m.spec.initial_delay.unwrap_or_default()),
                    (Some(at), Some(MeasurementPhase::Error)) => at.plus(retry),
                    (Some(at), _) => at.plus(m.spec.interval?),
                };
                Some((i, due))
            })
            .collect()
    }

    /// Whether a measurement is awaited.
    pub fn awaiting(&self) -> bool {
        self.metrics.iter().any(|m| m.in_flight.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use MeasurementPhase::{Error, Failed, Inconclusive, Successful};

    fn run_of(metrics: Vec<AnalysisMetric>) -> AnalysisRun {
        AnalysisRun::new(RunKind::Background, &AnalysisSpec { metrics }, Timestamp(0))
    }

    fn measure(run: &mut AnalysisRun, metric: &str, phase: MeasurementPhase) -> RunPhase {
        for m in &mut run.metrics {
            if m.spec.name == metric {
                m.in_flight = Some(Timestamp(0));
            }
        }
        run.record(vec![Measurement::new(metric, phase, "")], Timestamp(1))
            .expect("known metric");
        run.assess(false)
    }

    fn every(interval_s: u64) -> AnalysisMetric {
        AnalysisMetric {
            interval: Some(Span::seconds(interval_s)),
            ..AnalysisMetric::new("m")
        }
    }

    #[test]
    fn failure_limit_and_count() {
        // failure_limit 1: a second failure fails the metric and the run
        let mut run = run_of(vec![AnalysisMetric {
            failure_limit: 1,
            count: Some(3),
            ..every(60)
        }]);
        assert_eq!(measure(&mut run, "m", Failed), RunPhase::Running);
        assert_eq!(measure(&mut run, "m", Failed), RunPhase::Failed);
        // count reached with failures within the limit: Successful
        let mut run = run_of(vec![AnalysisMetric {
            failure_limit: 1,
            count: Some(3),
            ..every(60)
        }]);
        for phase in [Successful, Failed] {
            assert_eq!(measure(&mut run, "m", phase), RunPhase::Running);
        }
        assert_eq!(measure(&mut run, "m", Successful), RunPhase::Successful);
    }

    #[test]
    fn errors_are_retried_up_to_the_limit() {
        // consecutive_error_limit 4 (Argo's default): the fifth error in a row is an Error;
        // errors do not count towards count
        let mut run = run_of(vec![AnalysisMetric {
            count: Some(1),
            ..every(60)
        }]);
        for _ in 0..4 {
            assert_eq!(measure(&mut run, "m", Error), RunPhase::Running);
        }
        assert_eq!(run.metrics[0].count, 0);
        assert_eq!(measure(&mut run, "m", Error), RunPhase::Error);
        // a success in between resets the streak
        let mut run = run_of(vec![AnalysisMetric {
            count: Some(3),
            ..every(60)
        }]);
        for phase in [Error, Error, Error, Error, Successful, Error, Error] {
            assert_eq!(measure(&mut run, "m", phase), RunPhase::Running);
        }
        assert_eq!(run.metrics[0].consecutive_error, 2);
    }

    #[test]
    fn the_worst_metric_decides_and_dry_runs_do_not_count() {
        let metrics = vec![
            AnalysisMetric::new("a"),
            AnalysisMetric::new("b"),
            AnalysisMetric {
                dry_run: true,
                ..AnalysisMetric::new("dry")
            },
        ];
        let mut run = run_of(metrics.clone());
        measure(&mut run, "dry", Failed);
        measure(&mut run, "a", Successful);
        assert_eq!(measure(&mut run, "b", Inconclusive), RunPhase::Inconclusive);
        assert_eq!(
            run.metrics[2].phase,
            RunPhase::Failed,
            "the dry run is reported"
        );
        // a failing counted metric stops the run at once, Failed beats Inconclusive
        let mut run = run_of(metrics);
        assert_eq!(measure(&mut run, "a", Failed), RunPhase::Failed);
        assert_eq!(run.metrics[1].phase, RunPhase::NotMeasured);
    }

    #[test]
    fn consecutive_successes_conclude_early() {
        let mut run = run_of(vec![AnalysisMetric {
            consecutive_success_limit: 2,
            failure_limit: -1,
            ..every(60)
        }]);
        for phase in [Failed, Successful, Failed] {
            assert_eq!(measure(&mut run, "m", phase), RunPhase::Running);
        }
        assert_eq!(measure(&mut run, "m", Successful), RunPhase::Running);
        assert_eq!(measure(&mut run, "m", Successful), RunPhase::Successful);
        // count reached without the streak, failure limit applicable: Inconclusive
        let mut run = run_of(vec![AnalysisMetric {
            consecutive_success_limit: 3,
            failure_limit: 2,
            count: Some(2),
            ..every(60)
        }]);
        measure(&mut run, "m", Successful);
        assert_eq!(measure(&mut run, "m", Failed), RunPhase::Inconclusive);
    }

    #[test]
    fn stopping_never_reports_success_without_one() {
        // Argo #4479: count 5, errors and a failure within the limits, then stopped
        let mut run = run_of(vec![AnalysisMetric {
            count: Some(5),
            failure_limit: 2,
            ..every(60)
        }]);
        for phase in [Error, Error, Failed, Error] {
            assert_eq!(measure(&mut run, "m", phase), RunPhase::Running);
        }
        assert_eq!(run.assess(true), RunPhase::Error);
        // stopped after a success: Successful (Argo's rule)
        let mut run = run_of(vec![every(60)]);
        measure(&mut run, "m", Successful);
        assert_eq!(run.assess(true), RunPhase::Successful);
        // stopped before anything was measured: Inconclusive, not Successful
        let mut run = run_of(vec![every(60)]);
        assert_eq!(run.assess(true), RunPhase::Inconclusive);
    }

    #[test]
    fn unknown_and_missing_measurements() {
        let mut run = run_of(vec![AnalysisMetric::new("a"), AnalysisMetric::new("b")]);
        assert!(
            run.record(vec![Measurement::new("zzz", Successful, "")], Timestamp(0))
                .is_err()
        );
        for m in &mut run.metrics {
            m.in_flight = Some(Timestamp(0));
        }
        run.record(vec![Measurement::new("a", Successful, "")], Timestamp(1))
            .expect("valid");
        assert_eq!(
            run.metrics[1].last_phase,
            Some(Error),
            "requested but not returned"
        );
    }

    #[test]
    fn validation() {
        assert!(
            AnalysisMetric {
                failure_limit: -1,
                ..AnalysisMetric::new("m")
            }
            .validate("a")
            .is_err()
        );
        assert!(
            AnalysisMetric {
                failure_limit: -2,
                consecutive_success_limit: 1,
                ..AnalysisMetric::new("m")
            }
            .validate("a")
            .is_err()
        );
        assert!(
            AnalysisMetric {
                failure_limit: -1,
                consecutive_success_limit: 1,
                ..AnalysisMetric::new("m")
            }
            .validate("a")
            .is_ok()
        );
    }
}
