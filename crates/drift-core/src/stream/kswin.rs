//! KSWIN: Kolmogorov-Smirnov windowing (Raab, Heusinger and Schleif 2020), as river.
//!
//! A sliding window holds the last `window_size` values. Once it is full, every update
//! compares the newest `stat_size` values with `stat_size` values drawn at random, without
//! replacement, from the older `window_size - stat_size`, by the two-sample
//! Kolmogorov-Smirnov test (`scipy.stats.ks_2samp`, `method='auto'`, which is exact for
//! these sizes: [`crate::stattest::ks::ks_2samp`]). Drift is `p <= alpha` and `D > 0.1`.
//!
//! Reference implementation: river 0.26.1, `river/drift/kswin.py`. river draws the sample
//! with `random.Random(seed).sample`; this module draws it with drift-core's seeded
//! generator ([`crate::rng::SeededRng`], partial Fisher-Yates), so single detections do not
//! fall on river's indices but their distribution is the same: the detection rate on
//! change-free streams and the delay after a change agree with river's within their
//! Monte Carlo error (tests/river_detectors.rs). As in river, a drift empties the window and
//! re-seeds the generator with the same seed (river first keeps the newest `stat_size`
//! values, then its reset on the next update drops them).

use serde::{Deserialize, Serialize};

use super::{
    DetectorKind, ParamValue, Params, Signal, parse_count, parse_number, parse_u64, require,
};
use crate::error::DetectorError;
use crate::rng::SeededRng;
use crate::stattest::ks::ks_2samp;

const KIND: DetectorKind = DetectorKind::Kswin;

/// Largest `window_size` accepted (river sets no limit; the window is allocated up front,
/// so a mistyped huge value would exhaust memory).
const WINDOW_SIZE_LIMIT: usize = 1_000_000;

/// KSWIN's parameters; `Default` is river 0.26.1's, except the seed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KswinParams {
    /// Significance of the KS test, in `[0, 1]`. Default 0.005.
    pub alpha: f64,
    /// Values in the sliding window, from `2 stat_size` to 1000000. Default 100.
    pub window_size: usize,
    /// Values in each of the two compared samples, `>= 1`. Default 30.
    pub stat_size: usize,
    /// Seed of the sampling generator. Default 0 (river's default is unseeded).
    pub seed: u64,
}

impl Default for KswinParams {
    fn default() -> Self {
        KswinParams {
            alpha: 0.005,
            window_size: 100,
            stat_size: 30,
            seed: 0,
        }
    }
}

impl KswinParams {
    /// The `--set` keys, in report order.
    pub const KEYS: &'static [&'static str] = &["alpha", "window_size", "stat_size", "seed"];

    /// Checks every range. river accepts `stat_size <= window_size` but then fails at the
    /// first full window when `window_size - stat_size < stat_size` (it cannot draw the
    /// sample); that is refused here up front.
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
            self.stat_size >= 1,
            KIND,
            "stat_size",
            self.stat_size,
            "at least 1",
        )?;
        require(
            self.window_size <= WINDOW_SIZE_LIMIT,
            KIND,
            "window_size",
            self.window_size,
            "at most 1000000",
        )?;
        require(
            self.window_size / 2 >= self.stat_size,
            KIND,
            "stat_size",
            self.stat_size,
            &format!(
                "at most window_size / 2 (window_size is {})",
                self.window_size
            ),
        )
    }
}

impl Params for KswinParams {
    fn set(&mut self, key: &str, value: &str) -> Result<(), DetectorError> {
        match key {
            "alpha" => self.alpha = parse_number(KIND, "alpha", value)?,
            "window_size" => self.window_size = parse_count(KIND, "window_size", value)?,
            "stat_size" => self.stat_size = parse_count(KIND, "stat_size", value)?,
            "seed" => self.seed = parse_u64(KIND, "seed", value)?,
            _ => return Err(super::unknown_key(KIND, key)),
        }
        Ok(())
    }

    fn entries(&self) -> Vec<(&'static str, ParamValue)> {
        vec![
            ("alpha", ParamValue::Number(self.alpha)),
            ("window_size", ParamValue::Integer(self.window_size as u64)),
            ("stat_size", ParamValue::Integer(self.stat_size as u64)),
            ("seed", ParamValue::Integer(self.seed)),
        ]
    }
}

/// Buffers reused by every test (not part of the state).
#[derive(Debug, Clone, Default)]
struct Scratch {
    positions: Vec<usize>,
    sampled: Vec<f64>,
    recent: Vec<f64>,
}

/// The KSWIN detector (river's `drift.KSWIN`); drift only, no warning.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Kswin {
    params: KswinParams,
    /// Ring buffer of the last `len` values; the oldest at `start`.
    window: Vec<f64>,
    start: usize,
    len: usize,
    rng: SeededRng,
    #[serde(skip)]
    scratch: Scratch,
}

impl PartialEq for Kswin {
    fn eq(&self, other: &Kswin) -> bool {
        // the scratch buffers carry nothing between updates
        self.params == other.params
            && self.window_values().eq(other.window_values())
            && self.rng == other.rng
    }
}

impl Default for Kswin {
    fn default() -> Self {
        Kswin::fresh(KswinParams::default())
    }
}

impl Kswin {
    /// A detector with an empty window.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] when a parameter is out of range.
    pub fn new(params: KswinParams) -> Result<Kswin, DetectorError> {
        params.validate()?;
        Ok(Kswin::fresh(params))
    }

    fn fresh(params: KswinParams) -> Kswin {
        Kswin {
            params,
            window: vec![0.0; params.window_size],
            start: 0,
            len: 0,
            rng: SeededRng::new(params.seed),
            scratch: Scratch::default(),
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &KswinParams {
        &self.params
    }

    /// The window's values, oldest first.
    pub fn window_values(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.len).map(|i| self.window[(self.start + i) % self.window.len()])
    }

    /// Feeds one value; [`Signal::Drift`] when the KS test rejects, after which the window
    /// is empty and the generator re-seeded. Non-finite values are ignored.
    pub fn update(&mut self, x: f64) -> Signal {
        if !x.is_finite() {
            return Signal::None;
        }
        let size = self.params.window_size;
        if self.len < size {
            self.window[(self.start + self.len) % size] = x;
            self.len += 1;
        } else {
            self.window[self.start] = x;
            self.start = (self.start + 1) % size;
        }
        if self.len < size {
            return Signal::None;
        }

        let stat_size = self.params.stat_size;
        let older = size - stat_size;
        let Scratch {
            positions,
            sampled,
            recent,
        } = &mut self.scratch;
        positions.clear();
        positions.extend(0..older);
        self.rng.choose_front(positions, stat_size);
        let at = |i: usize| self.window[(self.start + i) % size];
        sampled.clear();
        sampled.extend(positions[..stat_size].iter().map(|&i| at(i)));
        recent.clear();
        recent.extend((older..size).map(at));
        sampled.sort_unstable_by(f64::total_cmp);
        recent.sort_unstable_by(f64::total_cmp);
        let ks = ks_2samp(sampled, recent);
        if ks.p_value <= self.params.alpha && ks.statistic > 0.1 {
            self.start = 0;
            self.len = 0;
            self.rng = SeededRng::new(self.params.seed);
            return Signal::Drift;
        }
        Signal::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_until_the_window_is_full() {
        let mut kswin = Kswin::default();
        for i in 0..99 {
            // wildly non-stationary, but the window is not full yet
            assert_eq!(kswin.update(f64::from(i) * 1e3), Signal::None);
        }
        assert_eq!(kswin.window_values().count(), 99);
    }

    #[test]
    fn a_clear_shift_drifts_and_empties_the_window() {
        let mut kswin = Kswin::default();
        let mut drifts = Vec::new();
        for i in 0..400 {
            let x = if i < 200 {
                f64::from(i % 7)
            } else {
                100.0 + f64::from(i % 7)
            };
            if kswin.update(x) == Signal::Drift {
                drifts.push(i);
                assert_eq!(kswin.window_values().count(), 0);
            }
        }
        assert!(
            !drifts.is_empty() && (200..240).contains(&drifts[0]),
            "{drifts:?}"
        );
    }

    #[test]
    fn the_window_keeps_the_last_values_in_order() {
        let mut kswin = Kswin::new(KswinParams {
            window_size: 4,
            stat_size: 2,
            alpha: 0.0,
            seed: 1,
        })
        .unwrap();
        for i in 0..7 {
            kswin.update(f64::from(i));
        }
        assert_eq!(
            kswin.window_values().collect::<Vec<_>>(),
            [3.0, 4.0, 5.0, 6.0]
        );
    }
}
