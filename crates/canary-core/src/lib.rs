//! Canary analysis for model rollouts: pure data in, verdicts and actions out.
//!
//! Three parts, for whoever decides whether a candidate model may take more traffic
//! (the `monitor canary` and `monitor shadow` commands build on them; a service can too):
//!
//! - **The judge** ([`judge::judge`]): Kayenta's NetflixACAJudge metric by metric
//!   (Mann-Whitney with the Hodges-Lehmann shift and its 98% interval against a 25%
//!   tolerance, effect sizes, directions, critical / must-have-data / muted metrics, group
//!   weights, Kayenta's score and overrides), plus what Kayenta lacks: rate metrics
//!   tested as rates, and `Inconclusive { needed }` instead of a failure when a side has
//!   too few values. Every metric in the [`judge::CanaryVerdict`] carries its counts,
//!   estimate, interval, p-value, effect, classification and the rule that decided.
//!   [`gate::gate`] is the simple alternative: fixed thresholds with reasons.
//! - **The rollout machine** ([`rollout::Rollout`]): Argo Rollouts' canary steps and
//!   AnalysisRun semantics as a pure state machine. Events and the current time go in,
//!   actions come out (set a weight, measure, wait, pause for a human, promote, roll
//!   back); its state serializes.
//! - **Shadow comparison** ([`shadow`]): answers paired by request id; agreement with
//!   Wilson's interval and McNemar's test for classifiers, differences with the paired t
//!   and Wilcoxon signed-rank tests for regressors and latencies.
//!
//! Like `drift-core` it is a leaf: no I/O, no clock (time is an argument), no global
//! state, no randomness (where Kayenta adds random noise we take its limit). Statistics
//! are checked against scipy and statsmodels through `reference/scripts/scipy_canary.py`;
//! `docs/canary.md` documents the rules and the JSON.
//!
//! ```
//! use canary_core::config::{Direction, JudgeConfig, MetricConfig, MetricKind};
//! use canary_core::judge::{Decision, MetricData, MetricInput, judge};
//! use canary_core::proportion::Proportion;
//! use canary_core::rollout::{Rollout, RolloutAction, RolloutEvent, RolloutSpec, Step};
//! use canary_core::analysis::{AnalysisMetric, AnalysisSpec, RunKind};
//! use canary_core::time::Timestamp;
//!
//! // judge: latency samples and an error rate
//! let mut latency = MetricConfig::new("latency_ms");
//! latency.direction = Direction::Increase;
//! let mut errors = MetricConfig::new("errors");
//! errors.kind = MetricKind::Rate;
//! let config = JudgeConfig { metrics: vec![latency, errors], ..JudgeConfig::default() };
//! let baseline: Vec<f64> = (0..200).map(|i| 100.0 + f64::from(i % 20)).collect();
//! let candidate: Vec<f64> = (0..200).map(|i| 130.0 + f64::from(i % 20)).collect();
//! let inputs = [
//!     MetricInput {
//!         name: "latency_ms",
//!         data: MetricData::Samples { baseline: &baseline, candidate: &candidate },
//!     },
//!     MetricInput {
//!         name: "errors",
//!         data: MetricData::Rate {
//!             baseline: Proportion { events: 3, trials: 2000 },
//!             candidate: Proportion { events: 4, trials: 2000 },
//!         },
//!     },
//! ];
//! let verdict = judge(&config, &inputs)?;
//! assert_eq!(verdict.decision, Decision::Fail); // latency rose: 1 of 2 metrics pass, score 50
//! assert_eq!(verdict.metrics[0].estimate, Some(30.0)); // the Hodges-Lehmann shift
//!
//! // roll out: 20%, then an analysis step that measures the verdict
//! let spec = RolloutSpec::new(vec![
//!     Step::SetWeight(20),
//!     Step::Analysis(AnalysisSpec { metrics: vec![AnalysisMetric::new("canary")] }),
//!     Step::SetWeight(100),
//! ]);
//! let mut rollout = Rollout::new(spec)?;
//! let actions = rollout.start(Timestamp(0))?;
//! assert_eq!(actions[0], RolloutAction::SetWeight { weight: 20 });
//! let run = RunKind::Step { index: 1 };
//! let measured = RolloutEvent::Measured { run, measurements: vec![verdict.measurement("canary")] };
//! let actions = rollout.handle(measured, Timestamp(60_000))?;
//! assert!(matches!(actions.last(), Some(RolloutAction::Rollback { .. })));
//! # Ok::<(), canary_core::CanaryError>(())
//! ```

pub mod analysis;
pub mod config;
pub mod error;
pub mod gate;
pub mod judge;
pub mod normal;
pub mod paired;
pub mod proportion;
pub mod rollout;
pub mod shadow;
pub mod shift;
pub mod time;

pub use error::CanaryError;
