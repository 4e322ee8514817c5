//! EDDM, the early drift detection method of Baena-García et al. (2006), as river.
//!
//! EDDM watches the distance (in values) between consecutive errors: at every error, with
//! `p'` and `s'` the running mean and sample standard deviation (`ddof = 1`) of those
//! distances and `p'_max + 2 s'_max` the largest `p' + 2 s'` seen,
//!
//! ```text
//! level = (p' + 2 s') / (p'_max + 2 s'_max)
//! level < beta   ->  drift        level < alpha  ->  warning        otherwise no warning
//! ```
//!
//! evaluated only once more than `warm_start` values and more than `warm_start` errors are
//! in, and only on an error that did not set a new maximum. Nothing is evaluated on a
//! non-error, so river's warning flag, and this detector's [`Signal::Warning`], persists
//! over the values between errors. `s'` is `variance ** 0.5` in river, which is the C
//! library's `pow`, not `sqrt` (they differ in the last bit for about 0.1% of arguments);
//! this module calls `pow` too. Only the value 1 counts as an error.
//!
//! Reference implementation: river 0.26.1, `river/drift/binary/eddm.py` with
//! `river.stats.Var` (Welford, `ddof = 1`); same operations in the same order.

use serde::{Deserialize, Serialize};

use super::{
    DetectorKind, ParamValue, Params, RiverMean, Signal, parse_count, parse_number, require,
};
use crate::error::DetectorError;

const KIND: DetectorKind = DetectorKind::Eddm;

/// EDDM's parameters; `Default` is river 0.26.1's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EddmParams {
    /// No warning or drift until more than this many values and errors are in. Default 30.
    pub warm_start: usize,
    /// Warning when the level falls below this, in `[beta, 1]`. Default 0.95.
    pub alpha: f64,
    /// Drift when the level falls below this, in `[0, alpha]`. Default 0.9.
    pub beta: f64,
}

impl Default for EddmParams {
    fn default() -> Self {
        EddmParams {
            warm_start: 30,
            alpha: 0.95,
            beta: 0.9,
        }
    }
}

impl EddmParams {
    /// The `--set` keys, in report order.
    pub const KEYS: &'static [&'static str] = &["warm_start", "alpha", "beta"];

    /// Checks every range (river itself checks only `alpha >= beta`).
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] naming the first parameter out of range.
    pub fn validate(&self) -> Result<(), DetectorError> {
        require(
            (0.0..=1.0).contains(&self.alpha),
            KIND,
            "alpha",
            self.alpha,
            "in [0, 1]",
        )?;
        require(
            (0.0..=self.alpha).contains(&self.beta),
            KIND,
            "beta",
            self.beta,
            &format!("in [0, alpha] (alpha is {})", self.alpha),
        )
    }
}

impl Params for EddmParams {
    fn set(&mut self, key: &str, value: &str) -> Result<(), DetectorError> {
        match key {
            "warm_start" => self.warm_start = parse_count(KIND, "warm_start", value)?,
            "alpha" => self.alpha = parse_number(KIND, "alpha", value)?,
            "beta" => self.beta = parse_number(KIND, "beta", value)?,
            _ => return Err(super::unknown_key(KIND, key)),
        }
        Ok(())
    }

    fn entries(&self) -> Vec<(&'static str, ParamValue)> {
        vec![
            ("warm_start", ParamValue::Integer(self.warm_start as u64)),
            ("alpha", ParamValue::Number(self.alpha)),
            ("beta", ParamValue::Number(self.beta)),
        ]
    }
}

/// The EDDM detector (river's `drift.binary.EDDM`): warnings and drifts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Eddm {
    params: EddmParams,
    /// Running mean of the distances between errors (river's `Var.mean`).
    distance: RiverMean,
    /// Their sum of squared deviations (river's `Var._S`).
    distance_ss: f64,
    /// Values seen.
    n: u64,
    /// Index (1-based, in `n`) of the last error; 0 before the first.
    last_error: u64,
    /// Errors seen.
    n_errors: u64,
    /// Largest `p' + 2 s'` so far (river starts it at -1).
    p2s_max: f64,
    warning: bool,
}

impl Default for Eddm {
    fn default() -> Self {
        Eddm::fresh(EddmParams::default())
    }
}

impl Eddm {
    /// A detector that has seen nothing.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] when a parameter is out of range.
    pub fn new(params: EddmParams) -> Result<Eddm, DetectorError> {
        params.validate()?;
        Ok(Eddm::fresh(params))
    }

    fn fresh(params: EddmParams) -> Eddm {
        Eddm {
            params,
            distance: RiverMean::default(),
            distance_ss: 0.0,
            n: 0,
            last_error: 0,
            n_errors: 0,
            p2s_max: -1.0,
            warning: false,
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &EddmParams {
        &self.params
    }

    /// Feeds one outcome (1 an error, anything else a success); after [`Signal::Drift`]
    /// the detector starts afresh. Non-finite values are ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Signal {
        if !x.is_finite() {
            return Signal::None;
        }
        self.n += 1;
        if x == 1.0 {
            self.n_errors += 1;
            let d = (self.n - self.last_error) as f64;
            let old_mean = self.distance.mean;
            self.distance.update(d);
            self.distance_ss += (d - old_mean) * (d - self.distance.mean);
            let warm = self.params.warm_start as u64;
            if self.n > warm {
                let mean = self.distance.mean;
                let variance = if self.distance.n > 1.0 {
                    self.distance_ss / (self.distance.n - 1.0)
                } else {
                    0.0
                };
                // river's `variance ** 0.5` is libm's pow; black_box keeps the compiler
                // from turning pow(x, 0.5) into sqrt(x)
                let sd = variance.powf(std::hint::black_box(0.5));
                let p2s = mean + 2.0 * sd;
                if p2s > self.p2s_max {
                    self.p2s_max = p2s;
                } else if self.n_errors > warm {
                    let level = p2s / self.p2s_max;
                    if level < self.params.beta {
                        *self = Eddm::fresh(self.params);
                        return Signal::Drift;
                    }
                    self.warning = level < self.params.alpha;
                }
            }
            self.last_error = self.n;
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

    /// 0/1 errors at `rate(i)`, seeded.
    fn errors(rate: impl Fn(usize) -> f64) -> Vec<f64> {
        let mut rng = crate::rng::SeededRng::new(9);
        (0..4000)
            .map(|i| f64::from(rng.uniform() < rate(i)))
            .collect()
    }

    #[test]
    fn errors_coming_closer_together_drift() {
        let mut eddm = Eddm::default();
        let stream = errors(|i| if i < 2000 { 0.05 } else { 0.4 });
        let drifts: Vec<usize> = (0..stream.len())
            .filter(|&i| eddm.update(stream[i]) == Signal::Drift)
            .collect();
        assert!(
            drifts.iter().any(|&i| (2000..2300).contains(&i)),
            "{drifts:?}"
        );
    }

    #[test]
    fn the_warning_persists_between_errors() {
        let mut eddm = Eddm::default();
        let mut signals = Vec::new();
        for i in 0..3000 {
            let x = if i < 2000 { i % 20 == 0 } else { i % 12 == 0 };
            signals.push(eddm.update(f64::from(u8::from(x))));
        }
        let first = signals.iter().position(|&s| s == Signal::Warning).unwrap();
        // set at an error, kept on the following successes
        assert_eq!(signals[first + 1], Signal::Warning);
    }
}
