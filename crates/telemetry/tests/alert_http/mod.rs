//! The alert tests' helpers: the shared test HTTP server and a clock the
//! tests move by hand.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

pub use test_support::http::{HttpServer, dead_url};

use jiff::{SignedDuration, Timestamp};
use telemetry::alert::Clock;

/// A clock that stands still until moved.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    /// A clock at `at`.
    pub fn at(at: &str) -> Arc<ManualClock> {
        Arc::new(ManualClock(Mutex::new(at.parse().expect("a time"))))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now = now
            .checked_add(SignedDuration::try_from(by).expect("a duration"))
            .expect("in range");
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
