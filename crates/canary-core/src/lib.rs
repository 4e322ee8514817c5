//! Canary analysis for model rollouts: pure data in, verdicts out.
//!
//! (crate docs are written below once every module is in place)

pub mod config;
pub mod error;
pub mod judge;
pub mod normal;
pub mod paired;
pub mod proportion;
pub mod shift;

pub use error::CanaryError;
pub mod analysis;
pub mod rollout;
pub mod time;
