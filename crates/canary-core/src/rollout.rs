//! The rollout state machine: Argo Rollouts' canary steps, driven by events and the time passed in.
//!
//! A [`Rollout`] holds its [`RolloutSpec`] and a serializable [`RolloutState`]. The caller
//! feeds it events ([`RolloutEvent`]) with the current time and carries out the
//! [`RolloutAction`]s it returns: set a weight, take measurements, wait until a time,
//! wait for a human, promote, roll back. It reads no clock and does no I/O; the same
//! events at the same times give the same actions.
//!
//! Semantics (Argo's canary strategy and `rollout/analysis.go`, written out in
//! `docs/canary.md`): steps run in order; `set_weight` takes effect at once; a timed pause
//! waits; an untimed pause waits for [`RolloutEvent::Resume`]; an analysis step runs an
//! [`AnalysisRun`] and moves on when it is Successful, rolls back when it is Failed or
//! Error, and pauses for a human when it is Inconclusive. The background analysis starts at
//! `starting_step` and runs beside the steps: Failed or Error roll back at once, whatever
//! step is running (fast-track rollback: every rollback goes straight to weight 0, no step
//! down, no further analysis); Inconclusive pauses the rollout, also during a timed pause,
//! whose clock stops meanwhile. After the last step the background run is stopped and
//! judged: Successful promotes, Inconclusive pauses, Failed or Error roll back.
//!
//! Where Argo users report trouble, this machine is explicit: a resume after an
//! Inconclusive step analysis moves to the next step (Argo #3015: the step got stuck); an
//! Inconclusive background run pauses the rollout and a timed pause does not run out
//! under it (Argo #3850: it was ignored and the rollout promoted); a run whose metric never
//! had a successful measurement is never reported Successful (Argo #4479).

use crate::analysis::{AnalysisRun, AnalysisSpec, Measurement, RunKind, RunPhase};
use crate::error::CanaryError;
use crate::time::{Span, Timestamp};

/// Argo's default progress deadline (`progressDeadlineSeconds: 600`).
pub const DEFAULT_PROGRESS_DEADLINE: Span = Span::seconds(600);
/// Argo's `DefaultErrorRetryInterval`.
pub const DEFAULT_ERROR_RETRY_INTERVAL: Span = Span::seconds(10);

/// One step of the rollout (Argo's `CanaryStep`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Send this percentage of traffic to the candidate.
    SetWeight(u8),
    /// Wait `duration`, or for a human when it is absent.
    Pause {
        /// How long; None waits for [`RolloutEvent::Resume`].
        #[serde(default)]
        duration: Option<Span>,
    },
    /// Run an analysis and act on its outcome.
    Analysis(AnalysisSpec),
}

/// The background analysis (Argo's `strategy.canary.analysis`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackgroundAnalysis {
    /// The metrics.
    #[serde(flatten)]
    pub analysis: AnalysisSpec,
    /// Start when this step (0-based) begins (Argo's `startingStep`, default 0).
    #[serde(default)]
    pub starting_step: usize,
    /// Promote at once, skipping the remaining steps, when the background run concludes
    /// Successful (for instance by `consecutive_success_limit`); off by default, as in
    /// Argo, where a successful background run only stops measuring.
    #[serde(default)]
    pub promote_on_success: bool,
}

/// The rollout's specification (`rollout.toml`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolloutSpec {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The background analysis, if any.
    #[serde(default)]
    pub background: Option<BackgroundAnalysis>,
    /// The longest the rollout may go without progress (a step done, a measurement
    /// reported) while it is not paused (Argo's default: 600 s).
    #[serde(default = "default_progress_deadline")]
    pub progress_deadline: Span,
    /// Roll back when the deadline passes (Argo's `progressDeadlineAbort`, default off:
    /// the deadline is reported and awaited measurements count as errors).
    #[serde(default)]
    pub progress_deadline_abort: bool,
    /// Time before an erred measurement is retried (Argo: 10 s).
    #[serde(default = "default_error_retry_interval")]
    pub error_retry_interval: Span,
}

fn default_progress_deadline() -> Span {
    DEFAULT_PROGRESS_DEADLINE
}

fn default_error_retry_interval() -> Span {
    DEFAULT_ERROR_RETRY_INTERVAL
}

impl RolloutSpec {
    /// A spec with these steps and Argo's defaults.
    pub fn new(steps: Vec<Step>) -> Self {
        RolloutSpec {
            steps,
            background: None,
            progress_deadline: DEFAULT_PROGRESS_DEADLINE,
            progress_deadline_abort: false,
            error_retry_interval: DEFAULT_ERROR_RETRY_INTERVAL,
        }
    }

    /// Checks weights, limits, names and durations.
    ///
    /// # Errors
    /// [`CanaryError::InvalidParameter`] naming the key.
    pub fn validate(&self) -> Result<(), CanaryError> {
        let mut analyses: Vec<(String, &AnalysisSpec)> = Vec::new();
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::SetWeight(w) if *w > 100 => {
                    return Err(CanaryError::invalid(
                        format!("steps[{i}].set_weight"),
                        "at most 100",
                        w,
                    ));
                }
                Step::Analysis(spec) => analyses.push((format!("steps[{i}].analysis"), spec)),
                _ => {}
            }
        }
        if let Some(bg) = &self.background {
            if bg.starting_step > self.steps.len() {
                return Err(CanaryError::invalid(
                    "background.starting_step",
                    "at most the number of steps",
                    bg.starting_step,
                ));
            }
            analyses.push(("background".to_owned(), &bg.analysis));
        }
        if self.progress_deadline == Span(0) || self.error_retry_interval == Span(0) {
            return Err(CanaryError::invalid(
                "progress_deadline and error_retry_interval",
                "longer than 0",
                "0s",
            ));
        }
        for (key, spec) in analyses {
            if spec.metrics.is_empty() {
                return Err(CanaryError::invalid(
                    format!("{key}.metrics"),
                    "at least one metric",
                    "none",
                ));
            }
            for (i, metric) in spec.metrics.iter().enumerate() {
                if spec.metrics[..i].iter().any(|m| m.name == metric.name) {
                    return Err(CanaryError::DuplicateMetric {
                        metric: metric.name.clone(),
                    });
                }
                metric.validate(&key)?;
                for (field, span) in [
                    ("interval", metric.interval),
                    ("initial_delay", metric.initial_delay),
                ] {
                    if span.is_some_and(|s| s >= self.progress_deadline) {
                        return Err(CanaryError::invalid(
                            format!("{key}.{}.{field}", metric.name),
                            "shorter than progress_deadline (waiting for it would look like no progress)",
                            span.unwrap_or_default(),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// What the caller reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum RolloutEvent {
    /// Time passed (the caller woke up after a [`RolloutAction::Wait`]).
    Tick,
    /// Results of a [`RolloutAction::RunAnalysis`].
    Measured {
        /// The run they belong to.
        run: RunKind,
        /// One per requested metric; a requested metric left out counts as an error.
        measurements: Vec<Measurement>,
    },
    /// A human confirms: ends an untimed pause or an Inconclusive pause.
    Resume,
    /// A human aborts: roll back.
    Abort,
    /// A human promotes at once, skipping the remaining steps (Argo's `promote --full`).
    PromoteFull,
}

/// Why the rollout waits for a human.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum PauseReason {
    /// An untimed pause step.
    PauseStep {
        /// The step's index.
        step: usize,
    },
    /// An analysis run concluded Inconclusive.
    InconclusiveAnalysis {
        /// Which run.
        run: RunKind,
        /// Its worst metric's message.
        message: String,
    },
}

/// What the caller must do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RolloutAction {
    /// Send `weight` percent of traffic to the candidate.
    SetWeight {
        /// The new weight.
        weight: u8,
    },
    /// Measure these metrics now and report them with [`RolloutEvent::Measured`].
    RunAnalysis {
        /// The run.
        run: RunKind,
        /// The metrics to measure.
        metrics: Vec<String>,
    },
    /// An analysis run concluded (for logs; no action needed beyond the others returned).
    AnalysisCompleted {
        /// The run.
        run: RunKind,
        /// Its phase.
        phase: RunPhase,
        /// Why.
        message: String,
    },
    /// Nothing to do before `until` (or before a human acts); send a
    /// [`RolloutEvent::Tick`] then.
    Wait {
        /// When to tick.
        until: Timestamp,
    },
    /// Wait for a human ([`RolloutEvent::Resume`] or [`RolloutEvent::Abort`]).
    Pause {
        /// Why.
        reason: PauseReason,
    },
    /// The rollout made no progress within its deadline.
    ProgressDeadlineExceeded {
        /// The last progress.
        since: Timestamp,
    },
    /// Give the candidate all traffic: the rollout is done.
    Promote,
    /// Give the candidate no traffic: the rollout is over.
    Rollback {
        /// Why.
        reason: String,
    },
}

/// Where the rollout is.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum RolloutPhase {
    /// Not started.
    Pending,
    /// Going through its steps.
    Progressing,
    /// Waiting for a human.
    Paused {
        /// Why.
        reason: PauseReason,
        /// Since when.
        since: Timestamp,
    },
    /// Promoted (final).
    Promoted,
    /// Rolled back (final).
    RolledBack {
        /// Why.
        reason: String,
    },
}

/// Everything the machine remembers; serialize it to resume after a restart.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RolloutState {
    /// The phase.
    pub phase: RolloutPhase,
    /// The current step (equal to the number of steps once they are all done).
    pub step_index: usize,
    /// When the current step began.
    pub step_started: Timestamp,
    /// Time the current step spent paused for an Inconclusive run (a timed pause's clock
    /// stops meanwhile).
    pub step_held: Span,
    /// The candidate's weight.
    pub weight: u8,
    /// The current analysis step's run.
    pub step_run: Option<AnalysisRun>,
    /// The background run.
    pub background_run: Option<AnalysisRun>,
    /// The last progress (step done, measurement reported, human action).
    pub last_progress: Timestamp,
    /// The latest time seen (earlier times passed later are taken as this one).
    pub now: Timestamp,
}

/// A rollout: its spec and its state.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rollout {
    spec: RolloutSpec,
    state: RolloutState,
}

impl Rollout {
    /// A rollout that has not started.
    ///
    /// # Errors
    /// An invalid spec ([`RolloutSpec::validate`]).
    pub fn new(spec: RolloutSpec) -> Result<Self, CanaryError> {
        spec.validate()?;
        Ok(Rollout {
            spec,
            state: RolloutState {
                phase: RolloutPhase::Pending,
                step_index: 0,
                step_started: Timestamp(0),
                step_held: Span(0),
                weight: 0,
                step_run: None,
                background_run: None,
                last_progress: Timestamp(0),
                now: Timestamp(0),
            },
        })
    }

    /// A rollout resumed from a saved state.
    ///
    /// # Errors
    /// An invalid spec.
    pub fn resume_from(spec: RolloutSpec, state: RolloutState) -> Result<Self, CanaryError> {
        spec.validate()?;
        Ok(Rollout { spec, state })
    }

    /// The spec.
    pub fn spec(&self) -> &RolloutSpec {
        &self.spec
    }

    /// The state (serializable).
    pub fn state(&self) -> &RolloutState {
        &self.state
    }

    /// Whether the rollout is promoted or rolled back.
    pub fn is_finished(&self) -> bool {
        matches!(
            self.state.phase,
            RolloutPhase::Promoted | RolloutPhase::RolledBack { .. }
        )
    }

    /// Starts the rollout at `now`.
    ///
    /// # Errors
    /// [`CanaryError::InvalidEvent`] when it has already started.
    pub fn start(&mut self, now: Timestamp) -> Result<Vec<RolloutAction>, CanaryError> {
        if self.state.phase != RolloutPhase::Pending {
            return Err(CanaryError::InvalidEvent(
                "the rollout has already started".into(),
            ));
        }
        self.state.now = now;
        self.state.phase = RolloutPhase::Progressing;
        self.state.step_started = now;
        self.state.last_progress = now;
        let mut actions = Vec::new();
        self.reconcile(&mut actions);
        Ok(actions)
    }

    /// Applies `event` at `now` and returns what to do.
    ///
    /// Events after the end are ignored (`Tick`, `Measured`) or refused (human actions).
    ///
    /// # Errors
    /// [`CanaryError::InvalidEvent`]: an event before [`Rollout::start`], a resume with
    /// nothing to resume, a human action after the end, a measurement of a metric the run
    /// does not list.
    pub fn handle(
        &mut self,
        event: RolloutEvent,
        now: Timestamp,
    ) -> Result<Vec<RolloutAction>, CanaryError> {
        if self.state.phase == RolloutPhase::Pending {
            return Err(CanaryError::InvalidEvent(
                "the rollout has not started".into(),
            ));
        }
        let now = now.max(self.state.now);
        self.state.now = now;
        let mut actions = Vec::new();
        if self.is_finished() {
            return match event {
                RolloutEvent::Tick | RolloutEvent::Measured { .. } => Ok(actions),
                _ => Err(CanaryError::InvalidEvent("the rollout is over".into())),
            };
        }
        match event {
            RolloutEvent::Tick => {}
            RolloutEvent::Measured { run, measurements } => {
                let target = match run {
                    RunKind::Background => self.state.background_run.as_mut(),
                    RunKind::Step { .. } => self.state.step_run.as_mut().filter(|r| r.kind == run),
                };
                if let Some(target) = target {
                    target.record(measurements, now)?;
                    self.state.last_progress = now;
                }
            }
            RolloutEvent::Abort => {
                self.rollback("aborted by a human".into(), &mut actions);
                return Ok(actions);
            }
            RolloutEvent::PromoteFull => {
                self.promote(&mut actions);
                return Ok(actions);
            }
            RolloutEvent::Resume => {
                if self.resume(now, &mut actions)? {
                    return Ok(actions);
                }
            }
        }
        self.reconcile(&mut actions);
        Ok(actions)
    }

    /// Ends a pause; true when that finished the rollout.
    fn resume(
        &mut self,
        now: Timestamp,
        actions: &mut Vec<RolloutAction>,
    ) -> Result<bool, CanaryError> {
        let RolloutPhase::Paused { reason, since } = self.state.phase.clone() else {
            return Err(CanaryError::InvalidEvent(
                "nothing to resume: the rollout is not paused".into(),
            ));
        };
        self.state.phase = RolloutPhase::Progressing;
        self.state.last_progress = now;
        match reason {
            PauseReason::PauseStep { .. }
            | PauseReason::InconclusiveAnalysis {
                run: RunKind::Step { .. },
                ..
            } => {
                // the human accepts the step, inconclusive or not: move on (Argo #3015)
                self.advance(now);
            }
            PauseReason::InconclusiveAnalysis {
                run: RunKind::Background,
                ..
            } => {
                if self.state.step_index >= self.spec.steps.len() {
                    // the last judgment was inconclusive and the human accepts it
                    self.promote(actions);
                    return Ok(true);
                }
                // a fresh background run; a timed pause resumes where it stopped
                self.state.step_held = Span(self.state.step_held.0 + now.since(since).0);
                if let Some(bg) = &self.spec.background {
                    self.state.background_run =
                        Some(AnalysisRun::new(RunKind::Background, &bg.analysis, now));
                }
            }
        }
        Ok(false)
    }

    fn advance(&mut self, now: Timestamp) {
        self.state.step_index += 1;
        self.state.step_started = now;
        self.state.step_held = Span(0);
        self.state.step_run = None;
        self.state.last_progress = now;
    }

    fn promote(&mut self, actions: &mut Vec<RolloutAction>) {
        self.state.phase = RolloutPhase::Promoted;
        self.state.weight = 100;
        self.clear_in_flight();
        actions.push(RolloutAction::Promote);
    }

    fn rollback(&mut self, reason: String, actions: &mut Vec<RolloutAction>) {
        self.state.phase = RolloutPhase::RolledBack {
            reason: reason.clone(),
        };
        self.state.weight = 0;
        self.clear_in_flight();
        actions.push(RolloutAction::Rollback { reason });
    }

    fn pause(&mut self, reason: PauseReason, actions: &mut Vec<RolloutAction>) {
        self.state.phase = RolloutPhase::Paused {
            reason: reason.clone(),
            since: self.state.now,
        };
        actions.push(RolloutAction::Pause { reason });
    }

    fn clear_in_flight(&mut self) {
        for run in [&mut self.state.step_run, &mut self.state.background_run]
            .into_iter()
            .flatten()
        {
            for metric in &mut run.metrics {
                metric.in_flight = None;
            }
        }
    }

    /// Assesses a run that just concluded; Some(finished) when it decided the rollout's
    /// next move.
    fn on_completed(
        &mut self,
        kind: RunKind,
        phase: RunPhase,
        message: String,
        actions: &mut Vec<RolloutAction>,
    ) {
        actions.push(RolloutAction::AnalysisCompleted {
            run: kind,
            phase,
            message: message.clone(),
        });
        let which = match kind {
            RunKind::Background => "background analysis".to_owned(),
            RunKind::Step { index } => format!("analysis of step {index}"),
        };
        match phase {
            RunPhase::Failed | RunPhase::Error => {
                let word = if phase == RunPhase::Failed {
                    "failed"
                } else {
                    "erred"
                };
                self.rollback(format!("{which} {word}: {message}"), actions);
            }
            RunPhase::Inconclusive => self.pause(
                PauseReason::InconclusiveAnalysis { run: kind, message },
                actions,
            ),
            RunPhase::Successful | RunPhase::NotMeasured | RunPhase::Running => {}
        }
    }

    /// Moves the rollout as far as it can go at `now`, then schedules measurements and
    /// the next wake-up.
    fn reconcile(&mut self, actions: &mut Vec<RolloutAction>) {
        let now = self.state.now;
        'outer: loop {
            if self.is_finished() {
                return;
            }
            // the background run starts with its step, and can end the rollout at any step
            if let Some(bg) = &self.spec.background
                && self.state.background_run.is_none()
                && self.state.step_index >= bg.starting_step
                && self.state.step_index < self.spec.steps.len()
            {
                self.state.background_run =
                    Some(AnalysisRun::new(RunKind::Background, &bg.analysis, now));
            }
            if let Some(run) = self.state.background_run.as_mut()
                && !run.phase.completed()
            {
                let phase = run.assess(false);
                if phase.completed() {
                    let message = run.message.clone();
                    self.on_completed(RunKind::Background, phase, message, actions);
                    if self.is_finished() || matches!(self.state.phase, RolloutPhase::Paused { .. })
                    {
                        return;
                    }
                    if phase == RunPhase::Successful
                        && self
                            .spec
                            .background
                            .as_ref()
                            .is_some_and(|b| b.promote_on_success)
                    {
                        self.promote(actions);
                        return;
                    }
                }
            }
            let mut wake: Option<Timestamp> = None;
            if self.state.phase == RolloutPhase::Progressing {
                let i = self.state.step_index;
                if i >= self.spec.steps.len() {
                    // all steps done: the background run is stopped and judged
                    if let Some(run) = self.state.background_run.as_mut()
                        && !run.phase.completed()
                    {
                        let phase = run.assess(true);
                        let message = run.message.clone();
                        self.on_completed(RunKind::Background, phase, message, actions);
                        if self.is_finished()
                            || matches!(self.state.phase, RolloutPhase::Paused { .. })
                        {
                            return;
                        }
                    }
                    self.promote(actions);
                    return;
                }
                match self.spec.steps[i].clone() {
                    Step::SetWeight(weight) => {
                        self.state.weight = weight;
                        actions.push(RolloutAction::SetWeight { weight });
                        self.advance(now);
                        continue 'outer;
                    }
                    Step::Pause { duration: None } => {
                        self.pause(PauseReason::PauseStep { step: i }, actions);
                    }
                    Step::Pause {
                        duration: Some(duration),
                    } => {
                        let end = self
                            .state
                            .step_started
                            .plus(duration)
                            .plus(self.state.step_held);
                        if now >= end {
                            self.advance(now);
                            continue 'outer;
                        }
                        wake = Some(end);
                    }
                    Step::Analysis(spec) => {
                        let kind = RunKind::Step { index: i };
                        let run = match &mut self.state.step_run {
                            Some(run) if run.kind == kind => run,
                            slot => slot.insert(AnalysisRun::new(kind, &spec, now)),
                        };
                        let phase = run.assess(false);
                        if phase.completed() {
                            let message = run.message.clone();
                            self.on_completed(kind, phase, message, actions);
                            if self.is_finished() {
                                return;
                            }
                            if phase == RunPhase::Successful {
                                self.advance(now);
                                continue 'outer;
                            }
                        }
                    }
                }
            }
            // the progress deadline, while the rollout is neither paused nor in a timed pause
            let in_timed_pause = matches!(
                self.spec.steps.get(self.state.step_index),
                Some(Step::Pause { duration: Some(_) })
            );
            if self.state.phase == RolloutPhase::Progressing && !in_timed_pause {
                let deadline = self.state.last_progress.plus(self.spec.progress_deadline);
                if now >= deadline {
                    actions.push(RolloutAction::ProgressDeadlineExceeded {
                        since: self.state.last_progress,
                    });
                    if self.spec.progress_deadline_abort {
                        self.rollback("progress deadline exceeded".into(), actions);
                        return;
                    }
                    for run in [&mut self.state.step_run, &mut self.state.background_run]
                        .into_iter()
                        .flatten()
                    {
                        run.expire_in_flight(now);
                    }
                    self.state.last_progress = now;
                    continue 'outer;
                }
                wake = Some(wake.map_or(deadline, |w| w.min(deadline)));
            }
            // measurements due now, and the next one due
            let current_step_run = RunKind::Step {
                index: self.state.step_index,
            };
            let retry = self.spec.error_retry_interval;
            for run in [&mut self.state.step_run, &mut self.state.background_run]
                .into_iter()
                .flatten()
                .filter(|r| !r.phase.completed())
                .filter(|r| r.kind == RunKind::Background || r.kind == current_step_run)
            {
                let mut names = Vec::new();
                for (index, due) in run.due(retry) {
                    if due <= now {
                        run.metrics[index].in_flight = Some(now);
                        names.push(run.metrics[index].spec.name.clone());
                    } else {
                        wake = Some(wake.map_or(due, |w| w.min(due)));
                    }
                }
                if !names.is_empty() {
                    actions.push(RolloutAction::RunAnalysis {
                        run: run.kind,
                        metrics: names,
                    });
                }
            }
            if let Some(until) = wake {
                actions.push(RolloutAction::Wait { until });
            }
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::analysis::{AnalysisMetric, MeasurementPhase};
    use MeasurementPhase::{Error, Failed, Inconclusive, Successful};
    use RolloutAction as A;

    fn at(seconds: i64) -> Timestamp {
        Timestamp(seconds * 1000)
    }

    fn once(name: &str) -> AnalysisSpec {
        AnalysisSpec {
            metrics: vec![AnalysisMetric::new(name)],
        }
    }

    fn every(name: &str, seconds: u64) -> AnalysisMetric {
        AnalysisMetric {
            interval: Some(Span::seconds(seconds)),
            ..AnalysisMetric::new(name)
        }
    }

    fn measured(run: RunKind, metric: &str, phase: MeasurementPhase) -> RolloutEvent {
        RolloutEvent::Measured {
            run,
            measurements: vec![Measurement::new(metric, phase, format!("{phase:?}"))],
        }
    }

    fn step(index: usize) -> RunKind {
        RunKind::Step { index }
    }

    fn run(rollout: &mut Rollout, event: RolloutEvent, seconds: i64) -> Vec<RolloutAction> {
        rollout.handle(event, at(seconds)).expect("valid event")
    }

    fn without_reports(actions: Vec<RolloutAction>) -> Vec<RolloutAction> {
        actions
            .into_iter()
            .filter(|a| !matches!(a, A::AnalysisCompleted { .. }))
            .collect()
    }

    fn completed(actions: &[RolloutAction]) -> Vec<RunPhase> {
        actions
            .iter()
            .filter_map(|a| match a {
                A::AnalysisCompleted { phase, .. } => Some(*phase),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_healthy_rollout_walks_every_step() {
        let spec = RolloutSpec::new(vec![
            Step::SetWeight(10),
            Step::Pause {
                duration: Some(Span::seconds(60)),
            },
            Step::Analysis(once("canary")),
            Step::SetWeight(50),
            Step::Pause { duration: None },
        ]);
        let mut r = Rollout::new(spec).expect("valid");
        assert_eq!(
            r.start(at(0)).expect("starts"),
            vec![A::SetWeight { weight: 10 }, A::Wait { until: at(60) }]
        );
        assert_eq!(
            run(&mut r, RolloutEvent::Tick, 30),
            vec![A::Wait { until: at(60) }]
        );
        assert_eq!(
            run(&mut r, RolloutEvent::Tick, 60),
            vec![
                A::RunAnalysis {
                    run: step(2),
                    metrics: vec!["canary".into()]
                },
                A::Wait { until: at(660) }, // the progress deadline
            ]
        );
        let actions = run(&mut r, measured(step(2), "canary", Successful), 61);
        assert_eq!(completed(&actions), vec![RunPhase::Successful]);
        assert_eq!(
            without_reports(actions),
            vec![
                A::SetWeight { weight: 50 },
                A::Pause {
                    reason: PauseReason::PauseStep { step: 4 }
                }
            ]
        );
        assert_eq!(
            run(&mut r, RolloutEvent::Tick, 5000),
            vec![],
            "paused: nothing to do"
        );
        assert_eq!(run(&mut r, RolloutEvent::Resume, 5001), vec![A::Promote]);
        assert!(r.is_finished());
        assert_eq!(r.state().weight, 100);
        // after the end: time passing is ignored, humans are told
        assert_eq!(run(&mut r, RolloutEvent::Tick, 6000), vec![]);
        assert!(r.handle(RolloutEvent::Resume, at(6001)).is_err());
    }

    #[test]
    fn a_failed_step_analysis_rolls_back() {
        let mut r = Rollout::new(RolloutSpec::new(vec![
            Step::SetWeight(10),
            Step::Analysis(once("canary")),
            Step::SetWeight(100),
        ]))
        .expect("valid");
        r.start(at(0)).expect("starts");
        let actions = run(&mut r, measured(step(1), "canary", Failed), 5);
        assert_eq!(completed(&actions), vec![RunPhase::Failed]);
        assert!(
            matches!(without_reports(actions).as_slice(), [A::Rollback { reason }] if reason.contains("analysis of step 1 failed"))
        );
        assert_eq!(r.state().weight, 0);
    }

    #[test]
    fn an_inconclusive_step_pauses_and_a_resume_moves_on() {
        // Argo #3015: after a human resumes an inconclusive analysis step, the next steps run
        let mut r = Rollout::new(RolloutSpec::new(vec![
            Step::SetWeight(20),
            Step::Analysis(once("canary")),
            Step::Pause {
                duration: Some(Span::seconds(50)),
            },
            Step::SetWeight(60),
        ]))
        .expect("valid");
        r.start(at(0)).expect("starts");
        let actions = run(&mut r, measured(step(1), "canary", Inconclusive), 5);
        assert!(matches!(
            without_reports(actions).as_slice(),
            [A::Pause {
                reason: PauseReason::InconclusiveAnalysis {
                    run: RunKind::Step { index: 1 },
                    ..
                }
            }]
        ));
        assert_eq!(
            run(&mut r, RolloutEvent::Tick, 900),
            vec![],
            "stays paused, no deadline"
        );
        assert_eq!(
            run(&mut r, RolloutEvent::Resume, 1000),
            vec![A::Wait { until: at(1050) }]
        );
        assert!(
            r.handle(RolloutEvent::Resume, at(1001)).is_err(),
            "nothing to resume"
        );
        assert_eq!(
            run(&mut r, RolloutEvent::Tick, 1050),
            vec![A::SetWeight { weight: 60 }, A::Promote]
        );
    }

    #[test]
    fn errors_are_retried_up_to_the_limit_then_roll_back() {
        let metric = AnalysisMetric {
            consecutive_error_limit: 2,
            ..AnalysisMetric::new("canary")
        };
        let spec = RolloutSpec::new(vec![Step::Analysis(AnalysisSpec {
            metrics: vec![metric],
        })]);
        let mut r = Rollout::new(spec).expect("valid");
        r.start(at(0)).expect("starts");
        // an error is retried after error_retry_interval (10 s)
        assert_eq!(
            run(&mut r, measured(step(0), "canary", Error), 1),
            vec![A::Wait { until: at(11) }]
        );
        let retry = run(&mut r, RolloutEvent::Tick, 11);
        assert!(matches!(
            retry.as_slice(),
            [A::RunAnalysis { .. }, A::Wait { .. }]
        ));
        run(&mut r, measured(step(0), "canary", Error), 12);
        run(&mut r, RolloutEvent::Tick, 22);
        // the third error in a row is above the limit of 2: the run is Error, roll back
        let actions = run(&mut r, measured(step(0), "canary", Error), 23);
        assert_eq!(completed(&actions), vec![RunPhase::Error]);
        assert!(
            matches!(without_reports(actions).as_slice(), [A::Rollback { reason }] if reason.contains("erred"))
        );
        // a success after errors concludes the metric well
        let mut r =
            Rollout::new(RolloutSpec::new(vec![Step::Analysis(once("canary"))])).expect("valid");
        r.start(at(0)).expect("starts");
        run(&mut r, measured(step(0), "canary", Error), 1);
        run(&mut r, RolloutEvent::Tick, 11);
        let actions = run(&mut r, measured(step(0), "canary", Successful), 12);
        assert_eq!(without_reports(actions), vec![A::Promote]);
    }

    fn with_background(steps: Vec<Step>, metric: AnalysisMetric) -> RolloutSpec {
        RolloutSpec {
            background: Some(BackgroundAnalysis {
                analysis: AnalysisSpec {
                    metrics: vec![metric],
                },
                starting_step: 0,
                promote_on_success: false,
            }),
            ..RolloutSpec::new(steps)
        }
    }

    #[test]
    fn a_run_of_errors_and_failures_is_never_a_success() {
        // Argo #4479: count 5 never reached (errors do not count), failures within the limit;
        // when the steps end, the stopped run reports its last measurement, not Successful
        let metric = AnalysisMetric {
            count: Some(5),
            failure_limit: 2,
            ..every("canary", 60)
        };
        let steps = vec![
            Step::SetWeight(20),
            Step::Pause {
                duration: Some(Span::minutes(5)),
            },
        ];
        let mut r = Rollout::new(with_background(steps, metric)).expect("valid");
        let actions = r.start(at(0)).expect("starts");
        assert!(actions.contains(&A::RunAnalysis {
            run: RunKind::Background,
            metrics: vec!["canary".into()]
        }));
        let mut t = 1;
        for phase in [Error, Error, Failed, Error] {
            run(&mut r, measured(RunKind::Background, "canary", phase), t);
            t += 60;
            run(&mut r, RolloutEvent::Tick, t);
        }
        let actions = run(&mut r, RolloutEvent::Tick, 300);
        assert_eq!(completed(&actions), vec![RunPhase::Error]);
        assert!(matches!(
            without_reports(actions).as_slice(),
            [A::Rollback { .. }]
        ));
    }

    #[test]
    fn an_inconclusive_background_run_holds_a_timed_pause() {
        // Argo #3850: the rollout must pause, and the timed pause must not run out under it
        let steps = vec![
            Step::SetWeight(20),
            Step::Pause {
                duration: Some(Span::seconds(120)),
            },
        ];
        let mut r = Rollout::new(with_background(steps, every("canary", 30))).expect("valid");
        assert_eq!(
            r.start(at(0)).expect("starts"),
            vec![
                A::SetWeight { weight: 20 },
                A::RunAnalysis {
                    run: RunKind::Background,
                    metrics: vec!["canary".into()]
                },
                A::Wait { until: at(120) },
            ]
        );
        assert_eq!(
            run(
                &mut r,
                measured(RunKind::Background, "canary", Successful),
                1
            ),
            vec![A::Wait { until: at(31) }]
        );
        run(&mut r, RolloutEvent::Tick, 31);
        let actions = run(
            &mut r,
            measured(RunKind::Background, "canary", Inconclusive),
            32,
        );
        assert_eq!(completed(&actions), vec![RunPhase::Inconclusive]);
        assert!(matches!(
            without_reports(actions).as_slice(),
            [A::Pause {
                reason: PauseReason::InconclusiveAnalysis {
                    run: RunKind::Background,
                    ..
                }
            }]
        ));
        assert_eq!(
            run(&mut r, RolloutEvent::Tick, 200),
            vec![],
            "no promotion under the pause"
        );
        // resumed at 300: a fresh background run; 88 s of the pause are left
        let actions = run(&mut r, RolloutEvent::Resume, 300);
        assert_eq!(
            actions,
            vec![
                A::RunAnalysis {
                    run: RunKind::Background,
                    metrics: vec!["canary".into()]
                },
                A::Wait { until: at(388) },
            ]
        );
        run(
            &mut r,
            measured(RunKind::Background, "canary", Successful),
            301,
        );
        let actions = run(&mut r, RolloutEvent::Tick, 388);
        assert_eq!(completed(&actions), vec![RunPhase::Successful]);
        assert_eq!(without_reports(actions), vec![A::Promote]);
    }

    #[test]
    fn a_failing_background_run_rolls_back_at_once() {
        // fast-track rollback: even during an untimed pause, straight to weight 0
        let steps = vec![
            Step::SetWeight(20),
            Step::Pause { duration: None },
            Step::SetWeight(50),
        ];
        let mut r = Rollout::new(with_background(steps, every("canary", 30))).expect("valid");
        r.start(at(0)).expect("starts");
        assert_eq!(
            r.state().phase,
            RolloutPhase::Paused {
                reason: PauseReason::PauseStep { step: 1 },
                since: at(0)
            }
        );
        run(
            &mut r,
            measured(RunKind::Background, "canary", Successful),
            1,
        );
        let actions = run(&mut r, RolloutEvent::Tick, 31);
        assert!(
            matches!(actions.as_slice(), [A::RunAnalysis { .. }]),
            "measures while paused: {actions:?}"
        );
        let actions = run(&mut r, measured(RunKind::Background, "canary", Failed), 32);
        assert!(
            matches!(without_reports(actions).as_slice(), [A::Rollback { reason }] if reason.contains("background analysis failed"))
        );
        assert_eq!(r.state().weight, 0);
    }

    #[test]
    fn dry_run_metrics_are_reported_not_counted() {
        let spec = RolloutSpec::new(vec![Step::Analysis(AnalysisSpec {
            metrics: vec![
                AnalysisMetric::new("canary"),
                AnalysisMetric {
                    dry_run: true,
                    ..AnalysisMetric::new("experimental")
                },
            ],
        })]);
        let mut r = Rollout::new(spec).expect("valid");
        let actions = r.start(at(0)).expect("starts");
        assert!(actions.contains(&A::RunAnalysis {
            run: step(0),
            metrics: vec!["canary".into(), "experimental".into()]
        }));
        let actions = run(
            &mut r,
            RolloutEvent::Measured {
                run: step(0),
                measurements: vec![
                    Measurement::new("experimental", Failed, "p99 up"),
                    Measurement::new("canary", Successful, "score 100"),
                ],
            },
            5,
        );
        assert_eq!(completed(&actions), vec![RunPhase::Successful]);
        assert_eq!(without_reports(actions), vec![A::Promote]);
    }

    #[test]
    fn consecutive_successes_promote_early() {
        let metric = AnalysisMetric {
            consecutive_success_limit: 3,
            failure_limit: -1,
            ..every("canary", 60)
        };
        let steps = vec![
            Step::SetWeight(10),
            Step::Pause {
                duration: Some(Span::minutes(60)),
            },
            Step::SetWeight(50),
            Step::Pause {
                duration: Some(Span::minutes(60)),
            },
        ];
        let mut spec = with_background(steps, metric);
        if let Some(bg) = spec.background.as_mut() {
            bg.promote_on_success = true;
        }
        let mut r = Rollout::new(spec).expect("valid");
        r.start(at(0)).expect("starts");
        let mut last = Vec::new();
        for (i, phase) in [Failed, Successful, Successful, Successful]
            .into_iter()
            .enumerate()
        {
            let t = 60 * i as i64 + 1;
            last = run(&mut r, measured(RunKind::Background, "canary", phase), t);
            if i < 3 {
                run(&mut r, RolloutEvent::Tick, t + 59);
            }
        }
        assert_eq!(without_reports(last), vec![A::Promote]);
        assert_eq!(r.state().step_index, 1, "promoted during the first pause");
    }

    #[test]
    fn the_progress_deadline() {
        let spec = RolloutSpec {
            progress_deadline: Span::seconds(100),
            ..RolloutSpec::new(vec![Step::Analysis(once("canary"))])
        };
        let mut r = Rollout::new(spec.clone()).expect("valid");
        r.start(at(0)).expect("starts");
        // the measurement never comes back: reported, and counted as an error to retry
        let actions = run(&mut r, RolloutEvent::Tick, 100);
        assert_eq!(
            actions,
            vec![
                A::ProgressDeadlineExceeded { since: at(0) },
                A::Wait { until: at(110) }
            ]
        );
        assert_eq!(
            r.state().step_run.as_ref().map(|run| run.metrics[0].error),
            Some(1)
        );
        // with progress_deadline_abort, it rolls back
        let mut r = Rollout::new(RolloutSpec {
            progress_deadline_abort: true,
            ..spec
        })
        .expect("valid");
        r.start(at(0)).expect("starts");
        let actions = run(&mut r, RolloutEvent::Tick, 100);
        assert!(matches!(
            actions.as_slice(),
            [A::ProgressDeadlineExceeded { .. }, A::Rollback { .. }]
        ));
    }

    #[test]
    fn humans_abort_and_promote() {
        let spec = RolloutSpec::new(vec![
            Step::SetWeight(10),
            Step::Pause { duration: None },
            Step::SetWeight(50),
        ]);
        let mut r = Rollout::new(spec.clone()).expect("valid");
        assert!(r.handle(RolloutEvent::Tick, at(0)).is_err(), "not started");
        r.start(at(0)).expect("starts");
        assert!(r.start(at(1)).is_err());
        assert!(
            matches!(run(&mut r, RolloutEvent::Abort, 5).as_slice(), [A::Rollback { reason }] if reason == "aborted by a human")
        );
        let mut r = Rollout::new(spec).expect("valid");
        r.start(at(0)).expect("starts");
        assert_eq!(run(&mut r, RolloutEvent::PromoteFull, 5), vec![A::Promote]);
        // a measurement of a metric the run does not list is refused
        let mut r =
            Rollout::new(RolloutSpec::new(vec![Step::Analysis(once("canary"))])).expect("valid");
        r.start(at(0)).expect("starts");
        assert!(
            r.handle(measured(step(0), "other", Successful), at(1))
                .is_err()
        );
    }

    #[test]
    fn the_state_serializes_and_resumes() {
        let spec = with_background(
            vec![
                Step::SetWeight(20),
                Step::Analysis(once("canary")),
                Step::SetWeight(60),
            ],
            every("bg", 30),
        );
        let mut original = Rollout::new(spec.clone()).expect("valid");
        original.start(at(0)).expect("starts");
        let json = serde_json::to_string(original.state()).expect("serializes");
        let state: RolloutState = serde_json::from_str(&json).expect("deserializes");
        let mut restored = Rollout::resume_from(spec, state).expect("valid");
        assert_eq!(&restored, &original);
        let event = RolloutEvent::Measured {
            run: step(1),
            measurements: vec![Measurement::new("canary", Successful, "")],
        };
        assert_eq!(
            restored.handle(event.clone(), at(3)).expect("valid"),
            original.handle(event, at(3)).expect("valid")
        );
    }

    #[test]
    fn reads_rollout_toml() {
        let spec: RolloutSpec = toml::from_str(
            r#"
            progress_deadline = "15m"
            steps = [
                { set_weight = 10 },
                { pause = { duration = "5m" } },
                { analysis = { metrics = [{ name = "canary", interval = "1m", count = 5, failure_limit = 1 }] } },
                { pause = {} },
            ]
            [background]
            starting_step = 1
            metrics = [{ name = "errors", interval = "30s", dry_run = true }]
            "#,
        )
        .expect("valid toml");
        spec.validate().expect("valid spec");
        assert_eq!(spec.steps[0], Step::SetWeight(10));
        assert_eq!(spec.steps[3], Step::Pause { duration: None });
        assert_eq!(spec.progress_deadline, Span::minutes(15));
        assert_eq!(spec.error_retry_interval, Span::seconds(10));
        let Step::Analysis(analysis) = &spec.steps[2] else {
            panic!("an analysis step")
        };
        assert_eq!(analysis.metrics[0].count, Some(5));
        assert_eq!(analysis.metrics[0].consecutive_error_limit, 4);
        assert!(
            spec.background
                .as_ref()
                .is_some_and(|b| b.analysis.metrics[0].dry_run)
        );
        let bad = RolloutSpec::new(vec![Step::SetWeight(101)]);
        assert!(bad.validate().is_err());
        let slow = RolloutSpec::new(vec![Step::Analysis(AnalysisSpec {
            metrics: vec![every("m", 600)],
        })]);
        assert!(
            slow.validate().is_err(),
            "an interval as long as the deadline"
        );
    }
}
