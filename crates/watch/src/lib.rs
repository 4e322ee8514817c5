//! The monitoring loop of `monitor watch`: prediction and label events in, windows per
//! model and version, a drift report, detectors and performance per window, and the actions
//! they call for (metrics, alerts, retraining jobs, window reports, checkpoints).
//!
//! The loop lives here rather than in the binary so that a long-lived service reuses it.
//! Layout:
//! - [`source`]: lines from a file, a followed file (surviving rotation) or stdin, with
//!   byte positions a checkpoint can resume from.
//! - [`scenario`]: a seeded synthetic stream (drift injected at a known event, a degrading
//!   model, a canary candidate) for `monitor demo`, the benchmarks and the tests.

pub mod config;
pub mod error;
pub mod event;
pub mod performance;
pub mod reference;
pub mod report;
pub mod scenario;
pub mod source;
pub mod watcher;
pub mod window;

pub use error::WatchError;
