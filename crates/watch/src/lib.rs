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
//! - [`event`]: prediction and label events parsed without copying their strings.
//! - [`config`]: the `[watch]` section; [`reference`](mod@reference): the reference, read once;
//!   [`window`]: an open window's typed columns; [`performance`]: scikit-learn's metrics.
//! - [`watcher`]: [`watcher::Watch`], the loop (windows per model and version, label
//!   joins, alerts, retraining decisions, [`report::WindowReport`]s, checkpoints).
//!
//! ```no_run
//! use std::sync::{Arc, atomic::AtomicBool};
//! use watch::{config::WatchConfig, source::Input, watcher::{Watch, WatchSettings}};
//!
//! let mut config = WatchConfig::default(); // reference.csv, windows of 10,000 events
//! config.resolve(std::path::Path::new("/etc/monitor"));
//! let settings = WatchSettings {
//!     config,
//!     drift: drift_core::DriftOptions::default(),
//!     read_options: tabular::ReadOptions::default(),
//!     strict: false,
//!     poll: std::time::Duration::from_millis(100),
//! };
//! let mut watch = Watch::open(settings, Arc::new(telemetry::metrics::Metrics::new()))?;
//! let input = Input::File { path: "events.jsonl".into(), follow: false };
//! let summary = watch.run(input, &AtomicBool::new(false))?;
//! println!("{} windows", summary.totals.windows);
//! # Ok::<(), watch::WatchError>(())
//! ```

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
