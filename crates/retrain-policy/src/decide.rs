//! Applying a policy: signals and state in, a decision that explains itself and the next state out.
//!
//! [`decide`] is pure: the evaluation time comes in as an argument and the state that must
//! survive between evaluations (hysteresis streaks, retrain history, the canary failure
//! streak) is an explicit [`PolicyState`] passed in and returned. Running it twice on the
//! same inputs gives the same decision.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::policy::{
    Combination, CombineMode, Comparison, Metric, Policy, Rule, RuleKind, Threshold, freeze,
};
use crate::signals::{CanaryOutcome, HistoryEntry, Signals};

/// Version of the decision's JSON layout.
pub const DECISION_SCHEMA_VERSION: u32 = 1;

/// What the policy decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The trigger fired and no guardrail holds it back: start a retraining.
    Retrain,
    /// The trigger did not fire (possibly a rule is still building up its hysteresis).
    Hold,
    /// The trigger fired but at least one guardrail holds the retraining back.
    Blocked,
}

/// A guardrail, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guardrail {
    /// Too few labelled samples since the last training.
    MinNewSamples,
    /// Too few predictions have labels.
    MinLabelCompleteness,
    /// Too soon after the last training or retrain decision.
    Cooldown,
    /// Too many retrains in the rolling window.
    RateLimit,
    /// Inside a freeze window.
    Freeze,
    /// The month's budget cannot pay for another run.
    Budget,
    /// Retrained candidates kept failing their canary.
    CircuitBreaker,
}

/// A guardrail that holds a retraining back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GuardrailBlock {
    /// Which guardrail.
    pub guardrail: Guardrail,
    /// Why, with the numbers.
    pub reason: String,
    /// When it lifts by itself, if it does (a freeze's end, the cooldown's end); `None`
    /// when it needs new data or a person (samples, labels, the circuit breaker).
    pub until: Option<Timestamp>,
}

/// How one rule came out in this evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleOutcome {
    /// The rule's name.
    pub name: String,
    /// Its signal (`accuracy`, `dataset_drift`, ...) or `all` / `any`.
    pub signal: String,
    /// Whether its condition holds now.
    pub met: bool,
    /// Whether it counts: met for at least `hold_for` evaluations in a row (for
    /// combinations: its rules combined).
    pub fired: bool,
    /// Consecutive evaluations the condition has held, this one included (leaves only).
    pub streak: u32,
    /// Consecutive evaluations needed (leaves only; 1 for combinations).
    pub hold_for: u32,
    /// The value looked at, if any (a metric, the drift share, a count).
    pub value: Option<f64>,
    /// The threshold it was compared with, if any.
    pub threshold: Option<f64>,
    /// The evidence in words: `accuracy 0.74 below 0.78`.
    pub evidence: String,
}

/// An alert the policy raises alongside its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyAlert {
    /// What kind: `circuit_breaker_open`.
    pub kind: String,
    /// The message.
    pub message: String,
}

/// A decision with its explanation (the JSON of `monitor retrain decide`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrainDecision {
    /// Always [`DECISION_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Retrain, hold or blocked.
    pub decision: Outcome,
    /// The evaluation time.
    pub at: Timestamp,
    /// The policy's name.
    pub policy: Option<String>,
    /// From the signals.
    pub model: Option<String>,
    /// From the signals.
    pub version: Option<String>,
    /// From the signals.
    pub window: Option<String>,
    /// One sentence: what fired on what evidence, what held it back and until when.
    pub summary: String,
    /// The trigger's rules that fired.
    pub fired: Vec<String>,
    /// Every rule's outcome, by name.
    pub rules: Vec<RuleOutcome>,
    /// The guardrails that hold a retraining back now (checked on every evaluation, so a
    /// hold also shows what would block).
    pub blocked_by: Vec<GuardrailBlock>,
    /// When every current block has lifted by itself, if they all do.
    pub until: Option<Timestamp>,
    /// Alerts to raise (the circuit breaker).
    pub alerts: Vec<PolicyAlert>,
}

impl RetrainDecision {
    /// The job to enqueue for a `Retrain` decision, `None` for the others.
    ///
    /// Its idempotency parts are the model (`"unknown"` if the signals named none), the
    /// version (empty if none), the fired rules joined with `,` as the reason, and the
    /// signals' window, or the decision time (RFC 3339) when they gave none. The payload
    /// is this decision's JSON. `max_attempts` of `None` takes the queue's default.
    pub fn to_job(&self, max_attempts: Option<u32>) -> Option<crate::queue::NewJob> {
        if self.decision != Outcome::Retrain {
            return None;
        }
        Some(crate::queue::NewJob {
            model: self.model.clone().unwrap_or_else(|| "unknown".into()),
            version: self.version.clone().unwrap_or_default(),
            reason: self.fired.join(","),
            window: self.window.clone().unwrap_or_else(|| self.at.to_string()),
            payload: serde_json::to_value(self).unwrap_or_default(),
            max_attempts,
        })
    }
}

/// One retrain decision in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetrainRecord {
    /// When it was decided.
    pub at: Timestamp,
    /// What it was charged (the budget's `cost_per_run` at the time, else 0).
    pub cost: f64,
}

/// What an evaluation remembers for the next: serializable, `{}` is a fresh start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PolicyState {
    /// Evaluations so far.
    pub evaluations: u64,
    /// Consecutive evaluations each leaf rule's condition has held.
    pub streaks: BTreeMap<String, u32>,
    /// When a model was last trained (set by [`PolicyState::record_training`]).
    pub last_trained_at: Option<Timestamp>,
    /// Recent retrain decisions, oldest first (for cooldown, rate limit and budget).
    pub retrains: Vec<RetrainRecord>,
    /// Retrained candidates in a row that failed their canary.
    pub canary_failure_streak: u32,
    /// The last candidate version counted, so that a verdict is counted once.
    pub last_canary_version: Option<String>,
}

impl PolicyState {
    /// Notes that a model finished training at `at` (the cooldown counts from the later
    /// of this and the last retrain decision).
    pub fn record_training(&mut self, at: Timestamp) {
        self.last_trained_at = Some(self.last_trained_at.map_or(at, |t| t.max(at)));
    }

    /// Counts a retrained candidate's canary verdict for the circuit breaker; the same
    /// version twice in a row is counted once. Returns whether it was counted.
    pub fn record_canary(&mut self, outcome: &CanaryOutcome) -> bool {
        if self.last_canary_version.as_deref() == Some(outcome.version.as_str()) {
            return false;
        }
        self.last_canary_version = Some(outcome.version.clone());
        if outcome.passed {
            self.canary_failure_streak = 0;
        } else {
            self.canary_failure_streak = self.canary_failure_streak.saturating_add(1);
        }
        true
    }

    /// Closes the circuit breaker by hand (after someone looked at the failing candidates).
    pub fn reset_circuit_breaker(&mut self) {
        self.canary_failure_streak = 0;
    }

    fn last_activity(&self) -> Option<Timestamp> {
        let last_retrain = self.retrains.iter().map(|r| r.at).max();
        match (self.last_trained_at, last_retrain) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }
}

fn fmt_duration(d: SignedDuration) -> String {
    let secs = d.as_secs();
    if secs % 86_400 == 0 && secs >= 2 * 86_400 {
        format!("{}d", secs / 86_400)
    } else if secs % 3600 == 0 && secs != 0 {
        format!("{}h", secs / 3600)
    } else if secs % 60 == 0 && secs != 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

struct Leaf {
    met: bool,
    value: Option<f64>,
    threshold: Option<f64>,
    evidence: String,
}

fn threshold_words(t: Threshold) -> (&'static str, f64) {
    match t {
        Threshold::Above(v) => ("above", v),
        Threshold::Below(v) => ("below", v),
    }
}

fn evaluate_leaf(kind: &RuleKind, signals: &Signals) -> Leaf {
    let none = |evidence: String| Leaf {
        met: false,
        value: None,
        threshold: None,
        evidence,
    };
    match kind {
        RuleKind::DatasetDrift => match &signals.drift {
            Some(drift) => Leaf {
                met: drift.dataset_drift,
                value: Some(drift.drift_share),
                threshold: None,
                evidence: if drift.dataset_drift {
                    format!("dataset drift (drift share {})", drift.drift_share)
                } else {
                    format!("no dataset drift (drift share {})", drift.drift_share)
                },
            },
            None => none("no drift report in the signals".into()),
        },
        RuleKind::DriftShare(threshold) => match &signals.drift {
            Some(drift) => {
                let (word, limit) = threshold_words(*threshold);
                let met = threshold.crossed(drift.drift_share);
                Leaf {
                    met,
                    value: Some(drift.drift_share),
                    threshold: Some(limit),
                    evidence: format!(
                        "drift share {} {}{word} {limit}",
                        drift.drift_share,
                        if met { "" } else { "not " }
                    ),
                }
            }
            None => none("no drift report in the signals".into()),
        },
        RuleKind::FeatureDrift {
            features,
            min_score,
            min_features,
        } => {
            let Some(drift) = &signals.drift else {
                return none("no drift report in the signals".into());
            };
            let watched: Vec<_> = drift
                .columns
                .iter()
                .filter(|c| features.is_empty() || features.contains(&c.name))
                .collect();
            let counted: Vec<String> = watched
                .iter()
                .filter(|c| {
                    c.drifted && min_score.is_none_or(|m| c.statistic.is_some_and(|s| s >= m))
                })
                .map(|c| match c.statistic {
                    Some(s) => format!("{} ({} {s})", c.name, c.test),
                    None => c.name.clone(),
                })
                .collect();
            let missing: Vec<&String> = features
                .iter()
                .filter(|f| !drift.columns.iter().any(|c| &c.name == *f))
                .collect();
            let met = counted.len() >= *min_features;
            let mut evidence = format!(
                "{} of {} watched features drifted{} ({} needed)",
                counted.len(),
                if features.is_empty() {
                    watched.len()
                } else {
                    features.len()
                },
                min_score.map_or(String::new(), |m| format!(" with a score of at least {m}")),
                min_features
            );
            if !counted.is_empty() {
                evidence.push_str(&format!(": {}", counted.join(", ")));
            }
            if !missing.is_empty() {
                let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                evidence.push_str(&format!("; not in the report: {}", names.join(", ")));
            }
            Leaf {
                met,
                value: Some(counted.len() as f64),
                threshold: Some(*min_features as f64),
                evidence,
            }
        }
        RuleKind::DetectorAlarm {
            detectors,
            min_alarms,
        } => {
            let alarms: Vec<&str> = signals
                .alarms
                .iter()
                .filter(|a| detectors.is_empty() || detectors.contains(&a.detector))
                .map(|a| a.detector.as_str())
                .collect();
            let met = alarms.len() >= *min_alarms;
            let mut evidence = format!("{} detector alarms ({} needed)", alarms.len(), min_alarms);
            if !alarms.is_empty() {
                evidence.push_str(&format!(": {}", alarms.join(", ")));
            }
            Leaf {
                met,
                value: Some(alarms.len() as f64),
                threshold: Some(*min_alarms as f64),
                evidence,
            }
        }
        RuleKind::Metric { metric, comparison } => evaluate_metric(*metric, *comparison, signals),
        RuleKind::Combination(_) => none(String::new()),
    }
}

fn evaluate_metric(metric: Metric, comparison: Comparison, signals: &Signals) -> Leaf {
    let name = metric.name();
    let Some(value) = metric.read(&signals.metrics) else {
        return Leaf {
            met: false,
            value: None,
            threshold: None,
            evidence: format!("no {name} in the signals"),
        };
    };
    match comparison {
        Comparison::Threshold(threshold) => {
            let (word, limit) = threshold_words(threshold);
            let met = threshold.crossed(value);
            Leaf {
                met,
                value: Some(value),
                threshold: Some(limit),
                evidence: format!(
                    "{name} {value} {}{word} {limit}",
                    if met { "" } else { "not " }
                ),
            }
        }
        Comparison::WorseThanBaselineBy(_) | Comparison::WorseThanBaselineRatio(_) => {
            let Some(baseline) = metric.read(&signals.baseline) else {
                return Leaf {
                    met: false,
                    value: Some(value),
                    threshold: None,
                    evidence: format!("{name} {value}, but no baseline {name} in the signals"),
                };
            };
            let worse = if metric.higher_is_better() {
                baseline - value
            } else {
                value - baseline
            };
            let allowed = match comparison {
                Comparison::WorseThanBaselineBy(by) => by,
                Comparison::WorseThanBaselineRatio(ratio) => {
                    if baseline == 0.0 {
                        return Leaf {
                            met: false,
                            value: Some(value),
                            threshold: None,
                            evidence: format!(
                                "{name} {value}; the baseline is 0, so a ratio cannot be taken"
                            ),
                        };
                    }
                    ratio * baseline.abs()
                }
                Comparison::Threshold(_) => unreachable!("handled above"),
            };
            let limit = if metric.higher_is_better() {
                baseline - allowed
            } else {
                baseline + allowed
            };
            let met = worse > allowed;
            Leaf {
                met,
                value: Some(value),
                threshold: Some(limit),
                evidence: {
                    let (worse_word, better_word) = if metric.higher_is_better() {
                        ("below", "above")
                    } else {
                        ("above", "below")
                    };
                    let side = if worse >= 0.0 {
                        worse_word
                    } else {
                        better_word
                    };
                    format!(
                        "{name} {value} is {} {side} the baseline {baseline} (limit {}: {})",
                        short(worse.abs()),
                        short(allowed),
                        if met { "worse than allowed" } else { "within" }
                    )
                },
            }
        }
    }
}

/// A computed number for people: at most 6 decimals, trailing zeros dropped.
fn short(x: f64) -> String {
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".into()
    } else {
        text.into()
    }
}

/// Evaluates the rules and updates the hysteresis streaks.
fn evaluate_rules(
    policy: &Policy,
    signals: &Signals,
    state: &mut PolicyState,
) -> BTreeMap<String, RuleOutcome> {
    let mut outcomes = BTreeMap::new();
    for (name, rule) in &policy.rules {
        if matches!(rule.kind, RuleKind::Combination(_)) {
            continue;
        }
        let leaf = evaluate_leaf(&rule.kind, signals);
        let streak = state.streaks.entry(name.clone()).or_insert(0);
        *streak = if leaf.met {
            streak.saturating_add(1)
        } else {
            0
        };
        let hold_for = policy.hold_for(rule);
        let fired = leaf.met && *streak >= hold_for;
        let evidence = if leaf.met && hold_for > 1 {
            format!(
                "{} ({} of {hold_for} evaluations)",
                leaf.evidence,
                (*streak).min(hold_for)
            )
        } else {
            leaf.evidence
        };
        outcomes.insert(
            name.clone(),
            RuleOutcome {
                name: name.clone(),
                signal: signal_name(rule),
                met: leaf.met,
                fired,
                streak: *streak,
                hold_for,
                value: leaf.value,
                threshold: leaf.threshold,
                evidence,
            },
        );
    }
    // Forget streaks of rules that no longer exist in the policy.
    state
        .streaks
        .retain(|name, _| policy.rules.contains_key(name));
    for name in policy.rules.keys() {
        combine_rule(policy, name, &mut outcomes);
    }
    outcomes
}

fn signal_name(rule: &Rule) -> String {
    match &rule.kind {
        RuleKind::DatasetDrift => "dataset_drift".into(),
        RuleKind::DriftShare(_) => "drift_share".into(),
        RuleKind::FeatureDrift { .. } => "feature_drift".into(),
        RuleKind::DetectorAlarm { .. } => "detector_alarm".into(),
        RuleKind::Metric { metric, .. } => metric.name().into(),
        RuleKind::Combination(c) => match c.mode {
            CombineMode::All => "all".into(),
            CombineMode::Any => "any".into(),
        },
    }
}

/// Fills in a combination's outcome from its rules' (recursively; the policy has no cycles).
fn combine_rule(
    policy: &Policy,
    name: &str,
    outcomes: &mut BTreeMap<String, RuleOutcome>,
) -> (bool, bool) {
    if let Some(done) = outcomes.get(name) {
        return (done.met, done.fired);
    }
    let Some(Rule {
        kind: RuleKind::Combination(combination),
        ..
    }) = policy.rules.get(name)
    else {
        return (false, false);
    };
    let parts: Vec<(bool, bool)> = combination
        .rules
        .iter()
        .map(|member| combine_rule(policy, member, outcomes))
        .collect();
    let join = |pick: fn(&(bool, bool)) -> bool| match combination.mode {
        CombineMode::All => parts.iter().all(pick),
        CombineMode::Any => parts.iter().any(pick),
    };
    let met = join(|p| p.0);
    let fired = join(|p| p.1);
    let fired_members: Vec<&str> = combination
        .rules
        .iter()
        .filter(|m| outcomes.get(m.as_str()).is_some_and(|o| o.fired))
        .map(String::as_str)
        .collect();
    let evidence = format!(
        "{} of [{}]: {} fired{}",
        match combination.mode {
            CombineMode::All => "all",
            CombineMode::Any => "any",
        },
        combination.rules.join(", "),
        fired_members.len(),
        if fired_members.is_empty() {
            String::new()
        } else {
            format!(" ({})", fired_members.join(", "))
        }
    );
    outcomes.insert(
        name.to_owned(),
        RuleOutcome {
            name: name.to_owned(),
            signal: signal_name(&policy.rules[name]),
            met,
            fired,
            streak: 0,
            hold_for: 1,
            value: None,
            threshold: None,
            evidence,
        },
    );
    (met, fired)
}

fn trigger_fired(
    trigger: &Combination,
    outcomes: &BTreeMap<String, RuleOutcome>,
) -> (bool, Vec<String>) {
    let fired: Vec<String> = trigger
        .rules
        .iter()
        .filter(|m| outcomes.get(m.as_str()).is_some_and(|o| o.fired))
        .cloned()
        .collect();
    let all = match trigger.mode {
        CombineMode::All => fired.len() == trigger.rules.len(),
        CombineMode::Any => !fired.is_empty(),
    };
    (all, fired)
}

/// The first instant of the calendar month after `now`'s, in `tz`.
fn next_month_start(now: Timestamp, tz: &jiff::tz::TimeZone) -> Option<Timestamp> {
    let date = now.to_zoned(tz.clone()).date();
    let next = date.first_of_month().checked_add(1.month()).ok()?;
    next.to_zoned(tz.clone()).ok().map(|z| z.timestamp())
}

fn same_month(a: Timestamp, b: Timestamp, tz: &jiff::tz::TimeZone) -> bool {
    let a = a.to_zoned(tz.clone()).date();
    let b = b.to_zoned(tz.clone()).date();
    a.year() == b.year() && a.month() == b.month()
}

fn check_guardrails(
    policy: &Policy,
    signals: &Signals,
    state: &PolicyState,
    now: Timestamp,
) -> Vec<GuardrailBlock> {
    let g = &policy.guardrails;
    let mut blocks = Vec::new();
    if let Some(breaker) = g.circuit_breaker
        && state.canary_failure_streak >= breaker.max_failed_canaries
    {
        blocks.push(GuardrailBlock {
            guardrail: Guardrail::CircuitBreaker,
            reason: format!(
                "circuit breaker open: the last {} retrained candidates failed their canary (limit {}); reset it after investigating",
                state.canary_failure_streak, breaker.max_failed_canaries
            ),
            until: None,
        });
    }
    if let Some((until, window)) = freeze::frozen_until(&g.freeze, now) {
        blocks.push(GuardrailBlock {
            guardrail: Guardrail::Freeze,
            reason: format!(
                "inside freeze window \"{}\" ({})",
                window.reason, window.time_zone_name
            ),
            until: Some(until),
        });
    }
    if let Some(cooldown) = g.cooldown
        && let Some(last) = state.last_activity()
        && let Ok(until) = last.checked_add(cooldown)
        && now < until
    {
        blocks.push(GuardrailBlock {
            guardrail: Guardrail::Cooldown,
            reason: format!(
                "last training or retrain at {last}, cooldown {}",
                fmt_duration(cooldown)
            ),
            until: Some(until),
        });
    }
    if let Some(limit) = g.rate_limit {
        let since = now.checked_sub(limit.window).unwrap_or(Timestamp::MIN);
        let mut recent: Vec<Timestamp> = state
            .retrains
            .iter()
            .map(|r| r.at)
            .filter(|at| *at > since && *at <= now)
            .collect();
        recent.sort();
        let max = limit.max_retrains as usize;
        if recent.len() >= max {
            let until = recent[recent.len() - max].checked_add(limit.window).ok();
            blocks.push(GuardrailBlock {
                guardrail: Guardrail::RateLimit,
                reason: format!(
                    "{} retrains in the last {} (at most {})",
                    recent.len(),
                    fmt_duration(limit.window),
                    limit.max_retrains
                ),
                until,
            });
        }
    }
    if let Some(budget) = &g.budget {
        let spent: f64 = state
            .retrains
            .iter()
            .filter(|r| r.at <= now && same_month(r.at, now, &budget.time_zone))
            .map(|r| r.cost)
            .sum();
        if spent + budget.cost_per_run > budget.monthly_cap {
            blocks.push(GuardrailBlock {
                guardrail: Guardrail::Budget,
                reason: format!(
                    "spent {spent} of {} this month ({}); a run costs {}",
                    budget.monthly_cap, budget.time_zone_name, budget.cost_per_run
                ),
                until: next_month_start(now, &budget.time_zone),
            });
        }
    }
    if let Some(min) = g.min_new_samples {
        let reason = match signals.new_samples {
            Some(n) if n >= min => None,
            Some(n) => Some(format!(
                "{n} new samples since the last training, {min} needed"
            )),
            None => Some(format!(
                "new_samples is missing from the signals, {min} needed"
            )),
        };
        if let Some(reason) = reason {
            blocks.push(GuardrailBlock {
                guardrail: Guardrail::MinNewSamples,
                reason,
                until: None,
            });
        }
    }
    if let Some(min) = g.min_label_completeness {
        let reason = match signals.metrics.label_completeness {
            Some(c) if c >= min => None,
            Some(c) => Some(format!("label completeness {c} below {min}")),
            None => Some(format!(
                "label_completeness is missing from the signals, {min} needed"
            )),
        };
        if let Some(reason) = reason {
            blocks.push(GuardrailBlock {
                guardrail: Guardrail::MinLabelCompleteness,
                reason,
                until: None,
            });
        }
    }
    blocks
}

/// Decides at `now` from `signals`, given what earlier evaluations left in `state`.
///
/// Returns the decision and the state for the next evaluation: hysteresis streaks move,
/// a `canary` verdict in the signals is counted, and a `Retrain` is recorded (for the
/// cooldown, the rate limit and the budget). Nothing else is read: no clock, no file.
pub fn decide(
    policy: &Policy,
    signals: &Signals,
    state: PolicyState,
    now: Timestamp,
) -> (RetrainDecision, PolicyState) {
    let mut state = state;
    state.evaluations = state.evaluations.saturating_add(1);
    if let Some(canary) = &signals.canary {
        state.record_canary(canary);
    }
    let outcomes = evaluate_rules(policy, signals, &mut state);
    let (fired, fired_rules) = trigger_fired(&policy.trigger, &outcomes);
    let blocked_by = check_guardrails(policy, signals, &state, now);
    let decision = if !fired {
        Outcome::Hold
    } else if blocked_by.is_empty() {
        Outcome::Retrain
    } else {
        Outcome::Blocked
    };
    let until = if blocked_by.is_empty() {
        None
    } else {
        blocked_by
            .iter()
            .map(|b| b.until)
            .collect::<Option<Vec<_>>>()
            .and_then(|u| u.into_iter().max())
    };
    let mut alerts = Vec::new();
    if let Some(block) = blocked_by
        .iter()
        .find(|b| b.guardrail == Guardrail::CircuitBreaker)
    {
        alerts.push(PolicyAlert {
            kind: "circuit_breaker_open".into(),
            message: block.reason.clone(),
        });
    }
    let summary = summarize(
        decision,
        policy,
        &outcomes,
        &fired_rules,
        &blocked_by,
        until,
    );
    if decision == Outcome::Retrain {
        let cost = policy
            .guardrails
            .budget
            .as_ref()
            .map_or(0.0, |b| b.cost_per_run);
        state.retrains.push(RetrainRecord { at: now, cost });
    }
    prune(policy, &mut state, now);
    let decision = RetrainDecision {
        schema_version: DECISION_SCHEMA_VERSION,
        decision,
        at: now,
        policy: policy.name.clone(),
        model: signals.model.clone(),
        version: signals.version.clone(),
        window: signals.window.clone(),
        summary,
        fired: fired_rules,
        rules: outcomes.into_values().collect(),
        blocked_by,
        until,
        alerts,
    };
    (decision, state)
}

/// Drops retrain records that no guardrail can look at any more.
fn prune(policy: &Policy, state: &mut PolicyState, now: Timestamp) {
    let g = &policy.guardrails;
    // The budget looks back at most one calendar month (31 days, plus a day of zone offsets).
    let mut horizon = SignedDuration::from_hours(32 * 24);
    if let Some(limit) = g.rate_limit {
        horizon = horizon.max(limit.window);
    }
    if let Some(cooldown) = g.cooldown {
        horizon = horizon.max(cooldown);
    }
    let since = now.checked_sub(horizon).unwrap_or(Timestamp::MIN);
    let latest = state.retrains.iter().map(|r| r.at).max();
    // Keep the latest record regardless: it anchors the cooldown.
    state
        .retrains
        .retain(|r| r.at >= since || Some(r.at) == latest);
}

fn summarize(
    decision: Outcome,
    policy: &Policy,
    outcomes: &BTreeMap<String, RuleOutcome>,
    fired: &[String],
    blocked_by: &[GuardrailBlock],
    until: Option<Timestamp>,
) -> String {
    let evidence = |names: &[String]| -> String {
        names
            .iter()
            .filter_map(|n| outcomes.get(n))
            .map(|o| format!("{} ({})", o.name, o.evidence))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let mode = match policy.trigger.mode {
        CombineMode::All => "all",
        CombineMode::Any => "any",
    };
    match decision {
        Outcome::Retrain => format!("retrain: {}", evidence(fired)),
        Outcome::Blocked => {
            let blocks: Vec<String> = blocked_by
                .iter()
                .map(|b| match b.until {
                    Some(u) => format!("{} until {u} ({})", guardrail_name(b.guardrail), b.reason),
                    None => format!("{} ({})", guardrail_name(b.guardrail), b.reason),
                })
                .collect();
            format!(
                "blocked: {} fired but held back by {}{}",
                evidence(fired),
                blocks.join("; "),
                until.map_or(String::new(), |u| format!("; earliest retrain {u}"))
            )
        }
        Outcome::Hold => {
            let pending: Vec<String> = outcomes
                .values()
                .filter(|o| o.met && !o.fired && o.hold_for > 1)
                .map(|o| format!("{} ({} of {})", o.name, o.streak, o.hold_for))
                .collect();
            let mut text = format!(
                "hold: the trigger ({mode} of {}) did not fire",
                policy.trigger.rules.join(", ")
            );
            if !fired.is_empty() {
                text.push_str(&format!("; fired: {}", fired.join(", ")));
            }
            if !pending.is_empty() {
                text.push_str(&format!("; building up: {}", pending.join(", ")));
            }
            text
        }
    }
}

/// The guardrail's name in policy files and JSON.
pub fn guardrail_name(guardrail: Guardrail) -> &'static str {
    match guardrail {
        Guardrail::MinNewSamples => "min_new_samples",
        Guardrail::MinLabelCompleteness => "min_label_completeness",
        Guardrail::Cooldown => "cooldown",
        Guardrail::RateLimit => "rate_limit",
        Guardrail::Freeze => "freeze",
        Guardrail::Budget => "budget",
        Guardrail::CircuitBreaker => "circuit_breaker",
    }
}

/// Replays a history (sorted by time first) through [`decide`], starting from `state`:
/// when retraining would have fired and what held it back. Returns every decision and
/// the final state.
pub fn backtest(
    policy: &Policy,
    history: &[HistoryEntry],
    state: PolicyState,
) -> (Vec<RetrainDecision>, PolicyState) {
    let mut ordered: Vec<&HistoryEntry> = history.iter().collect();
    ordered.sort_by_key(|entry| entry.at);
    let mut state = state;
    let mut decisions = Vec::with_capacity(ordered.len());
    for entry in ordered {
        let (decision, next) = decide(policy, &entry.signals, state, entry.at);
        decisions.push(decision);
        state = next;
    }
    (decisions, state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::{ColumnSignal, DetectorAlarm, DriftSignals, Metrics};

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn policy(text: &str) -> Policy {
        Policy::from_toml(text).unwrap()
    }

    fn metrics(accuracy: f64) -> Signals {
        Signals {
            metrics: Metrics {
                accuracy: Some(accuracy),
                ..Metrics::default()
            },
            ..Signals::default()
        }
    }

    fn once(policy: &Policy, signals: &Signals, now: &str) -> RetrainDecision {
        decide(policy, signals, PolicyState::default(), ts(now)).0
    }

    const ACCURACY: &str = "[rules.acc]\nsignal = \"accuracy\"\nbelow = 0.78\n";
    const NOON: &str = "2026-11-27T12:00:00Z";

    #[test]
    fn default_policy_follows_the_seed_thresholds() {
        let p = Policy::default();
        assert_eq!(once(&p, &metrics(0.77), NOON).decision, Outcome::Retrain);
        assert_eq!(once(&p, &metrics(0.78), NOON).decision, Outcome::Hold);
        let slow = Signals {
            metrics: Metrics {
                latency_p95_seconds: Some(0.51),
                ..Metrics::default()
            },
            ..Signals::default()
        };
        let d = once(&p, &slow, NOON);
        assert_eq!(d.decision, Outcome::Retrain);
        assert_eq!(d.fired, vec!["latency_high".to_owned()]);
        assert!(
            d.summary.contains("latency_p95 0.51 above 0.5"),
            "{}",
            d.summary
        );
        let drift = Signals {
            drift: Some(DriftSignals {
                dataset_drift: true,
                drift_share: 0.6,
                columns: vec![],
            }),
            ..Signals::default()
        };
        assert_eq!(once(&p, &drift, NOON).decision, Outcome::Retrain);
        assert_eq!(once(&p, &Signals::default(), NOON).decision, Outcome::Hold);
    }

    #[test]
    fn explanation_names_rule_and_evidence() {
        let d = once(&Policy::default(), &metrics(0.74), NOON);
        assert_eq!(d.fired, vec!["accuracy_low".to_owned()]);
        let rule = d.rules.iter().find(|r| r.name == "accuracy_low").unwrap();
        assert_eq!((rule.value, rule.threshold), (Some(0.74), Some(0.78)));
        assert_eq!(rule.evidence, "accuracy 0.74 below 0.78");
        assert_eq!(
            d.summary,
            "retrain: accuracy_low (accuracy 0.74 below 0.78)"
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["decision"], "retrain");
        assert_eq!(json["schema_version"], 1);
    }

    #[test]
    fn drift_share_and_feature_drift() {
        let p = policy(
            "[rules.share]\nsignal = \"drift_share\"\nabove = 0.3\n\
             [rules.features]\nsignal = \"feature_drift\"\nfeatures = [\"age\", \"plan\", \"gone\"]\nmin_score = 0.2\nmin_features = 2\n",
        );
        let column = |name: &str, statistic: f64, drifted: bool| ColumnSignal {
            name: name.into(),
            test: "ks".into(),
            statistic: Some(statistic),
            p_value: None,
            drifted,
        };
        let signals = |share: f64, columns: Vec<ColumnSignal>| Signals {
            drift: Some(DriftSignals {
                dataset_drift: false,
                drift_share: share,
                columns,
            }),
            ..Signals::default()
        };
        // One watched feature over the score, one drifted but below it, one unwatched.
        let d = once(
            &p,
            &signals(
                0.3,
                vec![
                    column("age", 0.25, true),
                    column("plan", 0.1, true),
                    column("x", 0.9, true),
                ],
            ),
            NOON,
        );
        assert_eq!(d.decision, Outcome::Hold);
        let features = d.rules.iter().find(|r| r.name == "features").unwrap();
        assert_eq!(features.value, Some(1.0));
        assert!(
            features.evidence.contains("not in the report: gone"),
            "{}",
            features.evidence
        );
        let d = once(
            &p,
            &signals(
                0.31,
                vec![column("age", 0.25, true), column("plan", 0.2, true)],
            ),
            NOON,
        );
        assert_eq!(d.fired, vec!["features".to_owned(), "share".to_owned()]);
        // Not drifted by its own test: not counted whatever the score.
        let d = once(
            &p,
            &signals(
                0.0,
                vec![column("age", 0.5, false), column("plan", 0.5, true)],
            ),
            NOON,
        );
        assert_eq!(d.decision, Outcome::Hold);
    }

    #[test]
    fn detector_alarms_are_counted_by_detector() {
        let p = policy(
            "[rules.alarm]\nsignal = \"detector_alarm\"\ndetectors = [\"adwin\"]\nmin_alarms = 2\n",
        );
        let alarm = |d: &str| DetectorAlarm {
            detector: d.into(),
            signal: None,
            at: None,
        };
        let mut s = Signals {
            alarms: vec![alarm("adwin"), alarm("ddm")],
            ..Signals::default()
        };
        assert_eq!(once(&p, &s, NOON).decision, Outcome::Hold);
        s.alarms.push(alarm("adwin"));
        assert_eq!(once(&p, &s, NOON).decision, Outcome::Retrain);
    }

    #[test]
    fn baseline_comparisons_respect_metric_direction() {
        let p = policy(
            "[rules.acc]\nsignal = \"accuracy\"\nworse_than_baseline_by = 0.05\n\
             [rules.lat]\nsignal = \"latency_p95\"\nworse_than_baseline_ratio = 0.5\n",
        );
        let s = |acc: f64, lat: f64| Signals {
            metrics: Metrics {
                accuracy: Some(acc),
                latency_p95_seconds: Some(lat),
                ..Metrics::default()
            },
            baseline: Metrics {
                accuracy: Some(0.90),
                latency_p95_seconds: Some(0.2),
                ..Metrics::default()
            },
            ..Signals::default()
        };
        // A drop of 0.04 and a 25% rise: neither fires.
        assert_eq!(once(&p, &s(0.86, 0.25), NOON).decision, Outcome::Hold);
        // A drop of 0.06 fires; higher accuracy never does.
        let d = once(&p, &s(0.84, 0.2), NOON);
        assert_eq!(d.fired, vec!["acc".to_owned()]);
        assert_eq!(
            d.rules[0].evidence,
            "accuracy 0.84 is 0.06 below the baseline 0.9 (limit 0.05: worse than allowed)"
        );
        assert_eq!(d.rules[0].threshold, Some(0.9 - 0.05));
        assert_eq!(once(&p, &s(0.99, 0.2), NOON).decision, Outcome::Hold);
        // A 60% rise in latency fires; a fall never does.
        let d = once(&p, &s(0.9, 0.32), NOON);
        assert_eq!(d.fired, vec!["lat".to_owned()]);
        assert_eq!(
            d.rules[1].evidence,
            "latency_p95 0.32 is 0.12 above the baseline 0.2 (limit 0.1: worse than allowed)"
        );
        assert_eq!(once(&p, &s(0.9, 0.01), NOON).decision, Outcome::Hold);
        // No baseline: does not fire, and says so.
        let no_baseline = metrics(0.5);
        let d = once(&p, &no_baseline, NOON);
        assert_eq!(d.decision, Outcome::Hold);
        assert!(
            d.rules[0].evidence.contains("no baseline"),
            "{}",
            d.rules[0].evidence
        );
    }

    #[test]
    fn f1_auc_mae_and_label_completeness_rules() {
        let p = policy(
            "[rules.f1]\nsignal = \"f1\"\nbelow = 0.6\n[rules.auc]\nsignal = \"auc\"\nbelow = 0.7\n\
             [rules.mae]\nsignal = \"mae\"\nabove = 3.0\n[rules.labels]\nsignal = \"label_completeness\"\nabove = 0.9\n\
             [trigger]\nall = [\"f1\", \"labels\"]\n",
        );
        let s = |f1: f64, labels: f64| Signals {
            metrics: Metrics {
                f1: Some(f1),
                auc: Some(0.65),
                mae: Some(4.0),
                label_completeness: Some(labels),
                ..Metrics::default()
            },
            ..Signals::default()
        };
        let d = once(&p, &s(0.5, 0.95), NOON);
        assert_eq!(d.decision, Outcome::Retrain);
        assert!(d.rules.iter().find(|r| r.name == "auc").unwrap().met);
        assert!(d.rules.iter().find(|r| r.name == "mae").unwrap().met);
        // `all`: f1 alone is not enough.
        assert_eq!(once(&p, &s(0.5, 0.5), NOON).decision, Outcome::Hold);
        assert_eq!(once(&p, &s(0.7, 0.95), NOON).decision, Outcome::Hold);
    }

    #[test]
    fn nested_combinations() {
        let p = policy(
            "[rules.acc]\nsignal = \"accuracy\"\nbelow = 0.8\n[rules.lat]\nsignal = \"latency_p95\"\nabove = 0.5\n\
             [rules.drift]\nsignal = \"dataset_drift\"\n\
             [rules.perf]\nany = [\"acc\", \"lat\"]\n[rules.confirmed]\nall = [\"perf\", \"drift\"]\n",
        );
        assert_eq!(p.trigger.rules, vec!["confirmed".to_owned()]);
        let s = |acc: f64, drift: bool| Signals {
            metrics: Metrics {
                accuracy: Some(acc),
                ..Metrics::default()
            },
            drift: Some(DriftSignals {
                dataset_drift: drift,
                drift_share: 0.5,
                columns: vec![],
            }),
            ..Signals::default()
        };
        assert_eq!(once(&p, &s(0.7, true), NOON).decision, Outcome::Retrain);
        assert_eq!(once(&p, &s(0.7, false), NOON).decision, Outcome::Hold);
        assert_eq!(once(&p, &s(0.9, true), NOON).decision, Outcome::Hold);
        let d = once(&p, &s(0.7, true), NOON);
        let confirmed = d.rules.iter().find(|r| r.name == "confirmed").unwrap();
        assert_eq!(
            confirmed.evidence,
            "all of [perf, drift]: 2 fired (perf, drift)"
        );
    }

    #[test]
    fn hysteresis_needs_k_in_a_row_and_resets() {
        let p = policy(&format!("{ACCURACY}[guardrails]\nhysteresis = 3\n"));
        let mut state = PolicyState::default();
        let mut run = |acc: f64| {
            let (d, next) = decide(&p, &metrics(acc), std::mem::take(&mut state), ts(NOON));
            state = next;
            d
        };
        assert_eq!(run(0.7).decision, Outcome::Hold);
        let second = run(0.7);
        assert_eq!(second.decision, Outcome::Hold);
        assert!(
            second.summary.contains("building up: acc (2 of 3)"),
            "{}",
            second.summary
        );
        // A good evaluation resets the streak.
        assert_eq!(run(0.9).decision, Outcome::Hold);
        assert_eq!(run(0.7).decision, Outcome::Hold);
        assert_eq!(run(0.7).decision, Outcome::Hold);
        let third = run(0.7);
        assert_eq!(third.decision, Outcome::Retrain);
        assert_eq!(third.rules[0].streak, 3);
    }

    #[test]
    fn rule_hold_for_overrides_the_policy() {
        let p = policy(&format!(
            "{ACCURACY}hold_for = 2\n[guardrails]\nhysteresis = 5\n"
        ));
        let (first, state) = decide(&p, &metrics(0.7), PolicyState::default(), ts(NOON));
        assert_eq!(first.decision, Outcome::Hold);
        let (second, _) = decide(&p, &metrics(0.7), state, ts(NOON));
        assert_eq!(second.decision, Outcome::Retrain);
    }

    #[test]
    fn cooldown_counts_from_training_and_last_retrain() {
        let p = policy(&format!("{ACCURACY}[guardrails]\ncooldown = \"24h\"\n"));
        let (first, state) = decide(
            &p,
            &metrics(0.7),
            PolicyState::default(),
            ts("2026-11-27T00:00:00Z"),
        );
        assert_eq!(first.decision, Outcome::Retrain);
        let (second, state) = decide(&p, &metrics(0.7), state, ts("2026-11-27T23:59:59Z"));
        assert_eq!(second.decision, Outcome::Blocked);
        assert_eq!(second.blocked_by[0].guardrail, Guardrail::Cooldown);
        assert_eq!(second.until, Some(ts("2026-11-28T00:00:00Z")));
        assert!(
            second.summary.contains("until 2026-11-28T00:00:00Z"),
            "{}",
            second.summary
        );
        let (third, mut state) = decide(&p, &metrics(0.7), state, ts("2026-11-28T00:00:00Z"));
        assert_eq!(third.decision, Outcome::Retrain);
        state.record_training(ts("2026-11-28T06:00:00Z"));
        let (fourth, _) = decide(&p, &metrics(0.7), state, ts("2026-11-29T05:00:00Z"));
        assert_eq!(fourth.until, Some(ts("2026-11-29T06:00:00Z")));
    }

    #[test]
    fn rate_limit_is_a_rolling_window() {
        let p = policy(&format!(
            "{ACCURACY}[guardrails.rate_limit]\nmax_retrains = 2\nwindow = \"7d\"\n"
        ));
        let mut state = PolicyState::default();
        let mut outcomes = Vec::new();
        for at in [
            "2026-11-01T00:00:00Z",
            "2026-11-03T00:00:00Z",
            "2026-11-05T00:00:00Z",
            "2026-11-08T00:00:00Z",
            "2026-11-08T00:00:01Z",
        ] {
            let (d, next) = decide(&p, &metrics(0.7), state, ts(at));
            state = next;
            outcomes.push((d.decision, d.until));
        }
        assert_eq!(outcomes[0].0, Outcome::Retrain);
        assert_eq!(outcomes[1].0, Outcome::Retrain);
        // Two in the seven days before 11-05: blocked until the first leaves the window.
        assert_eq!(
            outcomes[2],
            (Outcome::Blocked, Some(ts("2026-11-08T00:00:00Z")))
        );
        // At 11-08 00:00 the 11-01 retrain is exactly seven days old: out of the window.
        assert_eq!(outcomes[3].0, Outcome::Retrain);
        // Now 11-03 and 11-08 are in the window: blocked until 11-10.
        assert_eq!(
            outcomes[4],
            (Outcome::Blocked, Some(ts("2026-11-10T00:00:00Z")))
        );
    }

    #[test]
    fn min_new_samples_and_label_completeness() {
        let p = policy(&format!(
            "{ACCURACY}[guardrails]\nmin_new_samples = 1000\nmin_label_completeness = 0.8\n"
        ));
        let mut s = metrics(0.7);
        let d = once(&p, &s, NOON);
        assert_eq!(d.decision, Outcome::Blocked);
        assert_eq!(d.blocked_by.len(), 2);
        assert_eq!(d.until, None);
        s.new_samples = Some(999);
        s.metrics.label_completeness = Some(0.85);
        let d = once(&p, &s, NOON);
        assert_eq!(d.blocked_by.len(), 1);
        assert_eq!(
            d.blocked_by[0].reason,
            "999 new samples since the last training, 1000 needed"
        );
        s.new_samples = Some(1000);
        assert_eq!(once(&p, &s, NOON).decision, Outcome::Retrain);
    }

    #[test]
    fn freeze_blocks_until_its_end_in_its_zone() {
        let p = policy(&format!(
            "{ACCURACY}[[guardrails.freeze]]\nreason = \"weekend\"\ndays = [\"sat\", \"sun\"]\ntime_zone = \"Asia/Tokyo\"\n"
        ));
        // 2026-11-27 is a Friday; 15:00Z is Saturday 00:00 in Tokyo (UTC+9).
        assert_eq!(
            once(&p, &metrics(0.7), "2026-11-27T14:59:59Z").decision,
            Outcome::Retrain
        );
        let d = once(&p, &metrics(0.7), "2026-11-27T15:00:00Z");
        assert_eq!(d.decision, Outcome::Blocked);
        // Frozen through Sunday, until Monday 00:00 Tokyo = Sunday 15:00Z.
        assert_eq!(d.until, Some(ts("2026-11-29T15:00:00Z")));
        assert!(d.blocked_by[0].reason.contains("weekend"));
    }

    #[test]
    fn budget_is_per_calendar_month_in_its_zone() {
        let p = policy(&format!(
            "{ACCURACY}[guardrails.budget]\ncost_per_run = 40\nmonthly_cap = 100\ntime_zone = \"America/Los_Angeles\"\n"
        ));
        let mut state = PolicyState::default();
        let mut run = |at: &str| {
            let (d, next) = decide(&p, &metrics(0.7), std::mem::take(&mut state), ts(at));
            state = next;
            d
        };
        assert_eq!(run("2026-11-10T00:00:00Z").decision, Outcome::Retrain);
        assert_eq!(run("2026-11-20T00:00:00Z").decision, Outcome::Retrain);
        // 80 spent; a third run would make 120 > 100.
        let third = run("2026-11-30T12:00:00Z");
        assert_eq!(third.decision, Outcome::Blocked);
        // December starts at 08:00Z in Los Angeles (UTC-8).
        assert_eq!(third.until, Some(ts("2026-12-01T08:00:00Z")));
        // 2026-12-01T07:00Z is still November in Los Angeles.
        assert_eq!(run("2026-12-01T07:00:00Z").decision, Outcome::Blocked);
        assert_eq!(run("2026-12-01T08:00:00Z").decision, Outcome::Retrain);
    }

    #[test]
    fn circuit_breaker_opens_after_n_failed_canaries_and_alerts() {
        let p = policy(&format!(
            "{ACCURACY}[guardrails.circuit_breaker]\nmax_failed_canaries = 2\n"
        ));
        let with_canary = |version: &str, passed: bool| Signals {
            canary: Some(CanaryOutcome {
                version: version.into(),
                passed,
            }),
            ..metrics(0.7)
        };
        let (d, state) = decide(
            &p,
            &with_canary("v2", false),
            PolicyState::default(),
            ts(NOON),
        );
        assert_eq!(d.decision, Outcome::Retrain);
        // The same verdict seen again is not counted twice.
        let (d, state) = decide(&p, &with_canary("v2", false), state, ts(NOON));
        assert_eq!(
            (d.decision, state.canary_failure_streak),
            (Outcome::Retrain, 1)
        );
        let (d, state) = decide(&p, &with_canary("v3", false), state, ts(NOON));
        assert_eq!(d.decision, Outcome::Blocked);
        assert_eq!(d.blocked_by[0].guardrail, Guardrail::CircuitBreaker);
        assert_eq!(d.until, None);
        assert_eq!(d.alerts[0].kind, "circuit_breaker_open");
        // Stays open until reset; a passing canary also closes it.
        let (d, mut state) = decide(&p, &metrics(0.7), state, ts(NOON));
        assert_eq!(d.decision, Outcome::Blocked);
        state.reset_circuit_breaker();
        let (d, state) = decide(&p, &metrics(0.7), state, ts(NOON));
        assert_eq!(d.decision, Outcome::Retrain);
        let (_, state) = decide(&p, &with_canary("v4", false), state, ts(NOON));
        let (_, state) = decide(&p, &with_canary("v5", true), state, ts(NOON));
        assert_eq!(state.canary_failure_streak, 0);
    }

    #[test]
    fn blocked_until_is_the_latest_lift_and_none_if_any_needs_data() {
        let p = policy(&format!(
            "{ACCURACY}[guardrails]\ncooldown = \"2h\"\n[[guardrails.freeze]]\nfrom = \"2026-11-27T12:00:00Z\"\nto = \"2026-11-27T13:00:00Z\"\n"
        ));
        let mut state = PolicyState::default();
        state.record_training(ts("2026-11-27T11:30:00Z"));
        let (d, state) = decide(&p, &metrics(0.7), state, ts("2026-11-27T12:30:00Z"));
        assert_eq!(d.blocked_by.len(), 2);
        assert_eq!(d.until, Some(ts("2026-11-27T13:30:00Z")));
        let p = policy(&format!(
            "{ACCURACY}[guardrails]\ncooldown = \"2h\"\nmin_new_samples = 10\n"
        ));
        let (d, _) = decide(&p, &metrics(0.7), state, ts("2026-11-27T12:30:00Z"));
        assert_eq!(d.until, None);
    }

    #[test]
    fn hold_does_not_record_a_retrain_and_state_round_trips() {
        let p = policy(ACCURACY);
        let (d, state) = decide(&p, &metrics(0.9), PolicyState::default(), ts(NOON));
        assert_eq!(d.decision, Outcome::Hold);
        assert!(state.retrains.is_empty());
        let (_, state) = decide(&p, &metrics(0.7), state, ts(NOON));
        assert_eq!(state.retrains.len(), 1);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<PolicyState>(&json).unwrap(), state);
        assert_eq!(
            serde_json::from_str::<PolicyState>("{}").unwrap(),
            PolicyState::default()
        );
    }

    #[test]
    fn old_records_are_pruned_but_the_latest_kept() {
        let p = policy(ACCURACY);
        let (_, state) = decide(
            &p,
            &metrics(0.7),
            PolicyState::default(),
            ts("2026-01-01T00:00:00Z"),
        );
        let (_, state) = decide(&p, &metrics(0.9), state, ts("2026-06-01T00:00:00Z"));
        assert_eq!(state.retrains.len(), 1);
        let (_, state) = decide(&p, &metrics(0.7), state, ts("2026-06-02T00:00:00Z"));
        assert_eq!(state.retrains.len(), 1);
        assert_eq!(state.retrains[0].at, ts("2026-06-02T00:00:00Z"));
    }

    #[test]
    fn backtest_replays_in_time_order() {
        let p = policy(&format!("{ACCURACY}[guardrails]\ncooldown = \"1d\"\n"));
        let entry = |at: &str, acc: f64| HistoryEntry {
            at: ts(at),
            signals: metrics(acc),
        };
        let history = vec![
            entry("2026-11-03T00:00:00Z", 0.7),
            entry("2026-11-01T00:00:00Z", 0.7),
            entry("2026-11-01T12:00:00Z", 0.7),
            entry("2026-11-02T06:00:00Z", 0.9),
        ];
        let (decisions, state) = backtest(&p, &history, PolicyState::default());
        let outcomes: Vec<Outcome> = decisions.iter().map(|d| d.decision).collect();
        assert_eq!(
            outcomes,
            vec![
                Outcome::Retrain,
                Outcome::Blocked,
                Outcome::Hold,
                Outcome::Retrain
            ]
        );
        assert_eq!(decisions[1].until, Some(ts("2026-11-02T00:00:00Z")));
        assert_eq!(state.evaluations, 4);
    }

    #[test]
    fn only_a_retrain_becomes_a_job_and_its_key_is_stable() {
        let mut signals = metrics(0.7);
        signals.model = Some("churn".into());
        signals.version = Some("v3".into());
        signals.window = Some("2026-11-27T11:00Z/1h".into());
        let p = Policy::default();
        let d = once(&p, &signals, NOON);
        let job = d.to_job(Some(5)).unwrap();
        assert_eq!((job.model.as_str(), job.version.as_str()), ("churn", "v3"));
        assert_eq!(job.reason, "accuracy_low");
        assert_eq!(job.window, "2026-11-27T11:00Z/1h");
        assert_eq!(job.payload["decision"], "retrain");
        // Decided again a minute later for the same window: the same key.
        let again = once(&p, &signals, "2026-11-27T12:01:00Z")
            .to_job(None)
            .unwrap();
        assert_eq!(again.key(), job.key());
        assert!(once(&p, &metrics(0.9), NOON).to_job(None).is_none());
    }

    #[test]
    fn same_inputs_same_decision() {
        let p = Policy::default();
        let a = decide(&p, &metrics(0.7), PolicyState::default(), ts(NOON));
        let b = decide(&p, &metrics(0.7), PolicyState::default(), ts(NOON));
        assert_eq!(a, b);
    }
}
