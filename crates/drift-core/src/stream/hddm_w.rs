//! HDDM_W: drift detection with McDiarmid's bound on exponentially weighted moving averages
//! (Frías-Blanco et al. 2015), as river.
//!
//! Each sample summary holds an EWMA with weight `lambda_val` (the first value sets it) and
//! its independent bound condition `ibc <- lambda^2 + (1 - lambda)^2 ibc` (starting at 1).
//! With `eps(ibc, c) = sqrt(ibc ln(1 / c) / 2)`: after each value, when the overall EWMA
//! plus `eps(ibc, drift_confidence)` falls below the lowest such level so far, the overall
//! summary becomes the increase test's first sample `S1` and a fresh summary `S2` starts;
//! otherwise the value goes into `S2`. The mean has increased at confidence `c` when both are
//! non-empty and `ewma(S2) - ewma(S1) > eps(ibc(S1) + ibc(S2), c)`. Decreases mirror this
//! (highest `ewma - eps`), and are tested only with `two_sided_test`.
//!
//! Reference implementation: river 0.26.1, `river/drift/binary/hddm_w.py` (after MOA) with
//! `river.stats.EWMean` (`mean <- alpha x + (1 - alpha) mean`); same operations in the same
//! order, `(1 - lambda) ** 2` through libm's `pow` as Python computes it.

use serde::{Deserialize, Serialize};

use super::{DetectorKind, ParamValue, Params, Signal, parse_bool, parse_number, require};
use crate::error::DetectorError;

const KIND: DetectorKind = DetectorKind::HddmW;

/// HDDM_W's parameters; `Default` is river 0.26.1's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HddmWParams {
    /// Confidence of the drift test (and of the cut-point bound), in `(0, 1)`. Default 0.001.
    pub drift_confidence: f64,
    /// Confidence of the warning test, in `(0, 1)`. Default 0.005.
    pub warning_confidence: f64,
    /// Weight of the newest value in the moving averages, in `(0, 1]`. Default 0.05.
    pub lambda_val: f64,
    /// Also watch decreases of the mean. Default false.
    pub two_sided_test: bool,
}

impl Default for HddmWParams {
    fn default() -> Self {
        HddmWParams {
            drift_confidence: 0.001,
            warning_confidence: 0.005,
            lambda_val: 0.05,
            two_sided_test: false,
        }
    }
}

impl HddmWParams {
    /// The `--set` keys, in report order.
    pub const KEYS: &'static [&'static str] = &[
        "drift_confidence",
        "warning_confidence",
        "lambda_val",
        "two_sided_test",
    ];

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
        require(
            self.lambda_val > 0.0 && self.lambda_val <= 1.0,
            KIND,
            "lambda_val",
            self.lambda_val,
            "in (0, 1]",
        )
    }
}

impl Params for HddmWParams {
    fn set(&mut self, key: &str, value: &str) -> Result<(), DetectorError> {
        match key {
            "drift_confidence" => {
                self.drift_confidence = parse_number(KIND, "drift_confidence", value)?;
            }
            "warning_confidence" => {
                self.warning_confidence = parse_number(KIND, "warning_confidence", value)?;
            }
            "lambda_val" => self.lambda_val = parse_number(KIND, "lambda_val", value)?,
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
            ("lambda_val", ParamValue::Number(self.lambda_val)),
            ("two_sided_test", ParamValue::Bool(self.two_sided_test)),
        ]
    }
}

/// river's `SampleInfo`: an EWMA and its independent bound condition.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Sample {
    ewma: f64,
    /// Whether any value went in (river's `_is_init`, which is also `EWMean`'s flag).
    init: bool,
    ibc: f64,
}

impl Sample {
    const EMPTY: Sample = Sample {
        ewma: 0.0,
        init: false,
        ibc: 1.0,
    };
}

/// Per-detector constants derived from the parameters (recomputed on restore).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Weights {
    lambda: f64,
    one_minus_lambda: f64,
    lambda_sq: f64,
    one_minus_lambda_sq: f64,
    ln_inv_drift: f64,
    ln_inv_warning: f64,
}

impl Weights {
    fn new(p: &HddmWParams) -> Weights {
        let one_minus = 1.0 - p.lambda_val;
        Weights {
            lambda: p.lambda_val,
            one_minus_lambda: one_minus,
            lambda_sq: p.lambda_val * p.lambda_val,
            // Python's `(1 - lambd) ** 2` is libm's pow; black_box keeps it a pow call
            one_minus_lambda_sq: one_minus.powf(std::hint::black_box(2.0)),
            ln_inv_drift: (1.0 / p.drift_confidence).ln(),
            ln_inv_warning: (1.0 / p.warning_confidence).ln(),
        }
    }

    #[inline]
    fn add(&self, sample: &mut Sample, x: f64) {
        sample.ewma = if sample.init {
            self.lambda * x + self.one_minus_lambda * sample.ewma
        } else {
            x
        };
        sample.init = true;
        sample.ibc = self.lambda_sq + self.one_minus_lambda_sq * sample.ibc;
    }
}

/// McDiarmid's bound `sqrt(ibc ln(1 / c) / 2)` given `ln(1 / c)`.
#[inline]
fn mcdiarmid(ibc: f64, ln_inv_confidence: f64) -> f64 {
    (ibc * ln_inv_confidence / 2.0).sqrt()
}

/// `ewma(later) - ewma(earlier) > bound`, false unless both hold values.
#[inline]
fn changed(earlier: &Sample, later: &Sample, ln_inv_confidence: f64) -> bool {
    earlier.init
        && later.init
        && later.ewma - earlier.ewma > mcdiarmid(earlier.ibc + later.ibc, ln_inv_confidence)
}

/// The HDDM_W detector (river's `drift.binary.HDDM_W`): warnings and drifts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "HddmWState", into = "HddmWState")]
pub struct HddmW {
    state: HddmWState,
    weights: Weights,
}

/// What [`HddmW`] serializes: the parameters and the samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct HddmWState {
    params: HddmWParams,
    total: Sample,
    incr_first: Sample,
    incr_second: Sample,
    decr_first: Sample,
    decr_second: Sample,
    /// Lowest `ewma + eps` so far (`None` is river's +inf).
    incr_cutpoint: Option<f64>,
    /// Highest `ewma - eps` so far (`None` is river's -inf).
    decr_cutpoint: Option<f64>,
}

impl From<HddmWState> for HddmW {
    fn from(state: HddmWState) -> HddmW {
        let weights = Weights::new(&state.params);
        HddmW { state, weights }
    }
}

impl From<HddmW> for HddmWState {
    fn from(detector: HddmW) -> HddmWState {
        detector.state
    }
}

impl Default for HddmW {
    fn default() -> Self {
        HddmW::fresh(HddmWParams::default())
    }
}

impl HddmW {
    /// A detector that has seen nothing.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] when a parameter is out of range.
    pub fn new(params: HddmWParams) -> Result<HddmW, DetectorError> {
        params.validate()?;
        Ok(HddmW::fresh(params))
    }

    fn fresh(params: HddmWParams) -> HddmW {
        HddmW::from(HddmWState {
            params,
            total: Sample::EMPTY,
            incr_first: Sample::EMPTY,
            incr_second: Sample::EMPTY,
            decr_first: Sample::EMPTY,
            decr_second: Sample::EMPTY,
            incr_cutpoint: None,
            decr_cutpoint: None,
        })
    }

    /// The parameters in force.
    pub fn params(&self) -> &HddmWParams {
        &self.state.params
    }

    /// Feeds one outcome (1 an error, 0 a success); after [`Signal::Drift`] the detector
    /// starts afresh. Non-finite values are ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Signal {
        if !x.is_finite() {
            return Signal::None;
        }
        let w = self.weights;
        let s = &mut self.state;
        w.add(&mut s.total, x);

        let eps = mcdiarmid(s.total.ibc, w.ln_inv_drift);
        let level = s.total.ewma + eps;
        if s.incr_cutpoint.is_none_or(|cut| level < cut) {
            s.incr_cutpoint = Some(level);
            s.incr_first = s.total;
            s.incr_second = Sample::EMPTY;
        } else {
            w.add(&mut s.incr_second, x);
        }
        let mut drift = false;
        let mut warning = false;
        if changed(&s.incr_first, &s.incr_second, w.ln_inv_drift) {
            drift = true;
        } else if changed(&s.incr_first, &s.incr_second, w.ln_inv_warning) {
            warning = true;
        }

        let eps = mcdiarmid(s.total.ibc, w.ln_inv_drift);
        let level = s.total.ewma - eps;
        if s.decr_cutpoint.is_none_or(|cut| level > cut) {
            s.decr_cutpoint = Some(level);
            s.decr_first = s.total;
            s.decr_second = Sample::EMPTY;
        } else {
            w.add(&mut s.decr_second, x);
        }
        if s.params.two_sided_test {
            if changed(&s.decr_second, &s.decr_first, w.ln_inv_drift) {
                drift = true;
            } else if changed(&s.decr_second, &s.decr_first, w.ln_inv_warning) {
                warning = true;
            }
        }

        if drift {
            *self = HddmW::fresh(self.state.params);
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

    fn drifts(params: HddmWParams, rate: impl Fn(u32) -> u32) -> Vec<u32> {
        let mut detector = HddmW::new(params).unwrap();
        (0..4000u32)
            .filter(|&i| {
                detector.update(f64::from(u8::from(i * 37 % 100 < rate(i)))) == Signal::Drift
            })
            .collect()
    }

    #[test]
    fn increases_drift_and_decreases_only_when_two_sided() {
        let up = |i| if i < 2000 { 10 } else { 60 };
        let down = |i| if i < 2000 { 60 } else { 10 };
        let one_sided = HddmWParams::default();
        let two_sided = HddmWParams {
            two_sided_test: true,
            ..one_sided
        };
        assert!(
            drifts(one_sided, up)
                .iter()
                .any(|&i| (2000..2200).contains(&i))
        );
        assert!(!drifts(one_sided, down).iter().any(|&i| i >= 2000));
        assert!(
            drifts(two_sided, down)
                .iter()
                .any(|&i| (2000..2200).contains(&i))
        );
    }

    #[test]
    fn state_round_trips_through_json() {
        let mut detector = HddmW::default();
        for i in 0..100 {
            detector.update(f64::from(i % 3 == 0));
        }
        let json = serde_json::to_string(&detector).unwrap();
        let restored: HddmW = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, detector);
    }
}
