//! DDM, the drift detection method of Gama et al. (2004), on a 0/1 error stream, as river.
//!
//! With `p_i` the running error rate after `i` values and `s_i = sqrt(p_i (1 - p_i) / i)`,
//! once more than `warm_start` values are in, `(p_min, s_min)` are taken at the update where
//! `p_i + s_i` was smallest (ties move them), and
//!
//! ```text
//! p_i + s_i > p_min + warning_threshold s_min   ->  warning
//! p_i + s_i > p_min + drift_threshold s_min     ->  drift (the warning is cleared)
//! ```
//!
//! Reference implementation: river 0.26.1, `river/drift/binary/ddm.py`; same operations in
//! the same order. Values other than 0 and 1 are averaged as river averages them.

use serde::{Deserialize, Serialize};

use super::{
    DetectorKind, ParamValue, Params, RiverMean, Signal, parse_count, parse_number, require,
};
use crate::error::DetectorError;

const KIND: DetectorKind = DetectorKind::Ddm;

/// DDM's parameters; `Default` is river 0.26.1's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DdmParams {
    /// No warning or drift until more than this many values are in. Default 30.
    pub warm_start: usize,
    /// Standard deviations above the minimum for a warning, `> 0`. Default 2.
    pub warning_threshold: f64,
    /// Standard deviations above the minimum for a drift, `> 0`. Default 3.
    pub drift_threshold: f64,
}

impl Default for DdmParams {
    fn default() -> Self {
        DdmParams {
            warm_start: 30,
            warning_threshold: 2.0,
            drift_threshold: 3.0,
        }
    }
}

impl DdmParams {
    /// The `--set` keys, in report order.
    pub const KEYS: &'static [&'static str] =
        &["warm_start", "warning_threshold", "drift_threshold"];

    /// Checks every range.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] naming the first parameter out of range.
    pub fn validate(&self) -> Result<(), DetectorError> {
        require(
            self.warning_threshold > 0.0,
            KIND,
            "warning_threshold",
            self.warning_threshold,
            "above 0",
        )?;
        require(
            self.drift_threshold > 0.0,
            KIND,
            "drift_threshold",
            self.drift_threshold,
            "above 0",
        )
    }
}

impl Params for DdmParams {
    fn set(&mut self, key: &str, value: &str) -> Result<(), DetectorError> {
        match key {
            "warm_start" => self.warm_start = parse_count(KIND, "warm_start", value)?,
            "warning_threshold" => {
                self.warning_threshold = parse_number(KIND, "warning_threshold", value)?;
            }
            "drift_threshold" => {
                self.drift_threshold = parse_number(KIND, "drift_threshold", value)?;
            }
            _ => return Err(super::unknown_key(KIND, key)),
        }
        Ok(())
    }

    fn entries(&self) -> Vec<(&'static str, ParamValue)> {
        vec![
            ("warm_start", ParamValue::Integer(self.warm_start as u64)),
            (
                "warning_threshold",
                ParamValue::Number(self.warning_threshold),
            ),
            ("drift_threshold", ParamValue::Number(self.drift_threshold)),
        ]
    }
}

/// The minimum of `p + s` so far and where it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Minimum {
    p: f64,
    s: f64,
    /// `p + s`, kept as river keeps it.
    ps: f64,
}

/// The DDM detector (river's `drift.binary.DDM`): warnings and drifts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ddm {
    params: DdmParams,
    error_rate: RiverMean,
    /// `None` until the warm start is over (river's `None` / +inf).
    minimum: Option<Minimum>,
    warning: bool,
}

impl Default for Ddm {
    fn default() -> Self {
        Ddm::fresh(DdmParams::default())
    }
}

impl Ddm {
    /// A detector that has seen nothing.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] when a parameter is out of range.
    pub fn new(params: DdmParams) -> Result<Ddm, DetectorError> {
        params.validate()?;
        Ok(Ddm::fresh(params))
    }

    fn fresh(params: DdmParams) -> Ddm {
        Ddm {
            params,
            error_rate: RiverMean::default(),
            minimum: None,
            warning: false,
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &DdmParams {
        &self.params
    }

    /// Feeds one outcome (1 an error, 0 a success); after [`Signal::Drift`] the detector
    /// starts afresh. Non-finite values are ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Signal {
        if !x.is_finite() {
            return Signal::None;
        }
        self.error_rate.update(x);
        let p = self.error_rate.mean;
        let n = self.error_rate.n;
        let s = (p * (1.0 - p) / n).sqrt();
        if n > self.params.warm_start as f64 {
            let here = Minimum { p, s, ps: p + s };
            let minimum = match self.minimum {
                Some(min) if p + s <= min.ps => here,
                Some(min) => min,
                None => here,
            };
            self.minimum = Some(minimum);
            self.warning = p + s > minimum.p + self.params.warning_threshold * minimum.s;
            if p + s > minimum.p + self.params.drift_threshold * minimum.s {
                *self = Ddm::fresh(self.params);
                return Signal::Drift;
            }
        }
        if self.warning {
            Signal::Warning
        } else {
            Signal::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jump_in_the_error_rate_warns_then_drifts() {
        let mut ddm = Ddm::default();
        let mut signals = Vec::new();
        for i in 0..2000u32 {
            // 10% errors, then 60%
            let rate = if i < 1000 { 10 } else { 60 };
            let x = f64::from(u8::from(i * 37 % 100 < rate));
            signals.push(ddm.update(x));
        }
        assert!(signals[..1000].iter().all(|&s| s == Signal::None));
        let first_warning = signals.iter().position(|&s| s == Signal::Warning).unwrap();
        let first_drift = signals.iter().position(|&s| s == Signal::Drift).unwrap();
        assert!(1000 <= first_warning && first_warning < first_drift && first_drift < 1100);
    }

    #[test]
    fn all_successes_never_signal() {
        let mut ddm = Ddm::default();
        assert!((0..1000).all(|_| ddm.update(0.0) == Signal::None));
    }
}
