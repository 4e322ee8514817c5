//! HDDM_A: drift detection with Hoeffding's bound on moving averages (Frías-Blanco et al.
//! 2015), as river.
//!
//! `Z` is the running mean of all values. A cut point `X` (a snapshot of `Z`: count and mean)
//! moves to `Z` whenever `mean(X) + eps(n_X) >= mean(Z) + eps(n_Z)`, with Hoeffding's
//! `eps(n) = sqrt(ln(1 / drift_confidence) / (2 n))`; a second cut point `Y` moves when
//! `mean(Y) - eps(n_Y) <= mean(Z) - eps(n_Z)`. The mean has increased, at confidence `c`,
//! when `n_X < n_Z` and
//!
//! ```text
//! mean(Z) - mean(X) >= sqrt(m / 2 ln(2 / c)),   m = (n_Z - n_X) / n_X (1 / n_Z)
//! ```
//!
//! (`c = drift_confidence` for a drift, `warning_confidence` for a warning); a decrease is
//! the mirror test against `Y`, watched only with `two_sided_test`.
//!
//! Reference implementation: river 0.26.1, `river/drift/binary/hddm_a.py` (after MOA) with
//! `river.stats.Mean`; same operations in the same order. In the two-sided test river lets
//! a decrease set the warning flag while an increase has already signalled drift; drift
//! wins here, which is what river's two flags say together.

use serde::{Deserialize, Serialize};

use super::{
    DetectorKind, ParamValue, Params, RiverMean, Signal, parse_bool, parse_number, require,
};
use crate::error::DetectorError;

const KIND: DetectorKind = DetectorKind::HddmA;

/// HDDM_A's parameters; `Default` is river 0.26.1's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HddmAParams {
    /// Confidence of the drift test (and of the cut-point bound), in `(0, 1)`. Default 0.001.
    pub drift_confidence: f64,
    /// Confidence of the warning test, in `(0, 1)`. Default 0.005.
    pub warning_confidence: f64,
    /// Also watch decreases of the mean. Default false.
    pub two_sided_test: bool,
}

impl Default for HddmAParams {
    fn default() -> Self {
        HddmAParams {
            drift_confidence: 0.001,
            warning_confidence: 0.005,
            two_sided_test: false,
        }
    }
}

impl HddmAParams {
    /// The `--set` keys, in report order.
    pub const KEYS: &'static [&'static str] =
        &["drift_confidence", "warning_confidence", "two_sided_test"];

    /// Checks every range.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] naming the first parameter out of range.
    pub fn validate(&self) -> Result<(), DetectorError> {
        for (key, value) in [
            ("drift_confidence", self.drift_confidence),
            ("warning_confidence", self.warning_confidence),
        ] {
            require(value > 0.0 && value < 1.0, KIND, key, value, "in (0, 1)")?;
        }
        Ok(())
    }
}

impl Params for HddmAParams {
    fn set(&mut self, key: &str, value: &str) -> Result<(), DetectorError> {
        match key {
            "drift_confidence" => {
                self.drift_confidence = parse_number(KIND, "drift_confidence", value)?;
            }
            "warning_confidence" => {
                self.warning_confidence = parse_number(KIND, "warning_confidence", value)?;
            }
            "two_sided_test" => self.two_sided_test = parse_bool(KIND, "two_sided_test", value)?,
            _ => return Err(super::unknown_key(KIND, key)),
        }
        Ok(())
    }

    fn entries(&self) -> Vec<(&'static str, ParamValue)> {
        vec![
            (
                "drift_confidence",
                ParamValue::Number(self.drift_confidence),
            ),
            (
                "warning_confidence",
                ParamValue::Number(self.warning_confidence),
            ),
            ("two_sided_test", ParamValue::Bool(self.two_sided_test)),
        ]
    }
}

/// The HDDM_A detector (river's `drift.binary.HDDM_A`): warnings and drifts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HddmA {
    params: HddmAParams,
    /// Running mean of everything (`Z`).
    total: RiverMean,
    /// Cut point for increases (`X`).
    low: RiverMean,
    /// Cut point for decreases (`Y`).
    high: RiverMean,
}

impl Default for HddmA {
    fn default() -> Self {
        HddmA::fresh(HddmAParams::default())
    }
}

impl HddmA {
    /// A detector that has seen nothing.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] when a parameter is out of range.
    pub fn new(params: HddmAParams) -> Result<HddmA, DetectorError> {
        params.validate()?;
        Ok(HddmA::fresh(params))
    }

    fn fresh(params: HddmAParams) -> HddmA {
        HddmA {
            params,
            total: RiverMean::default(),
            low: RiverMean::default(),
            high: RiverMean::default(),
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &HddmAParams {
        &self.params
    }

    /// Hoeffding's bound for `n` values.
    fn hoeffding_bound(&self, n: f64) -> f64 {
        (1.0 / (2.0 * n) * (1.0 / self.params.drift_confidence).ln()).sqrt()
    }

    /// `mean(later) - mean(earlier) >= sqrt(m / 2 ln(2 / c))` for cut point `earlier`.
    fn changed(&self, cut: RiverMean, difference: f64, confidence: f64) -> bool {
        if cut.n == self.total.n {
            return false;
        }
        let m = (self.total.n - cut.n) / cut.n * (1.0 / self.total.n);
        let epsilon = (m / 2.0 * (2.0 / confidence).ln()).sqrt();
        difference >= epsilon
    }

    /// Feeds one outcome (1 an error, 0 a success); after [`Signal::Drift`] the detector
    /// starts afresh. Non-finite values are ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Signal {
        if !x.is_finite() {
            return Signal::None;
        }
        self.total.update(x);
        if self.low.n == 0.0 {
            self.low = self.total;
        }
        if self.high.n == 0.0 {
            self.high = self.total;
        }
        let eps_total = self.hoeffding_bound(self.total.n);
        let eps_low = self.hoeffding_bound(self.low.n);
        if self.low.mean + eps_low >= self.total.mean + eps_total {
            self.low = self.total;
        }
        let eps_high = self.hoeffding_bound(self.high.n);
        if self.high.mean - eps_high <= self.total.mean - eps_total {
            self.high = self.total;
        }

        let p = self.params;
        let increase = self.total.mean - self.low.mean;
        let mut drift = false;
        let mut warning = false;
        if self.changed(self.low, increase, p.drift_confidence) {
            drift = true;
        } else if self.changed(self.low, increase, p.warning_confidence) {
            warning = true;
        }
        if p.two_sided_test {
            let decrease = self.high.mean - self.total.mean;
            if self.changed(self.high, decrease, p.drift_confidence) {
                drift = true;
            } else if self.changed(self.high, decrease, p.warning_confidence) {
                warning = true;
            }
        }
        if drift {
            *self = HddmA::fresh(p);
            Signal::Drift
        } else if warning {
            Signal::Warning
        } else {
            Signal::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drifts(params: HddmAParams, rate: impl Fn(u32) -> u32) -> Vec<u32> {
        let mut detector = HddmA::new(params).unwrap();
        (0..4000u32)
            .filter(|&i| {
                detector.update(f64::from(u8::from(i * 37 % 100 < rate(i)))) == Signal::Drift
            })
            .collect()
    }

    #[test]
    fn increases_drift_and_decreases_only_when_two_sided() {
        let up = |i| if i < 2000 { 10 } else { 40 };
        let down = |i| if i < 2000 { 40 } else { 10 };
        let one_sided = HddmAParams::default();
        let two_sided = HddmAParams {
            two_sided_test: true,
            ..one_sided
        };
        assert!(
            drifts(one_sided, up)
                .iter()
                .any(|&i| (2000..2200).contains(&i))
        );
        assert!(drifts(one_sided, down).is_empty());
        assert!(
            drifts(two_sided, down)
                .iter()
                .any(|&i| (2000..2200).contains(&i))
        );
    }
}
