//! Page-Hinkley test for a change in the mean, with a fading factor, as river.
//!
//! With `mean_t` the running mean of the values so far (including `x_t`) and
//! `dev_t = x_t - mean_t`:
//!
//! ```text
//! up_t   = alpha up_{t-1}   + dev_t - delta      test_up   = up_t - min_{s<=t} up_s
//! down_t = alpha down_{t-1} + dev_t + delta      test_down = max_{s<=t} down_s - down_t
//! ```
//!
//! (the running maximum of `down` starts at -1, river's quirk; it is harmless because
//! `down_1 = delta > -1`). Once `min_instances` values are in, drift is `test_up >
//! threshold` (`mode` up), `test_down > threshold` (down) or either (both).
//!
//! Reference implementation: river 0.26.1, `river/drift/page_hinkley.py` with
//! `river.stats.Mean`; same operations in the same order.

use serde::{Deserialize, Serialize};

use super::{
    DetectorKind, ParamValue, Params, RiverMean, Signal, parse_count, parse_number, require,
};
use crate::error::DetectorError;

const KIND: DetectorKind = DetectorKind::PageHinkley;

/// Which direction of change Page-Hinkley watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PageHinkleyMode {
    /// Increases of the mean.
    Up,
    /// Decreases of the mean.
    Down,
    /// Both (river's default).
    Both,
}

impl PageHinkleyMode {
    /// river's name: `up`, `down` or `both`.
    pub fn name(self) -> &'static str {
        match self {
            PageHinkleyMode::Up => "up",
            PageHinkleyMode::Down => "down",
            PageHinkleyMode::Both => "both",
        }
    }
}

/// Page-Hinkley's parameters; `Default` is river 0.26.1's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PageHinkleyParams {
    /// No detection before this many values. Default 30.
    pub min_instances: usize,
    /// Magnitude of change tolerated, `>= 0`. Default 0.005.
    pub delta: f64,
    /// Detection threshold (lambda), `>= 0`. Default 50.
    pub threshold: f64,
    /// Fading factor of the cumulative sums, in `[0, 1]`. Default `1 - 0.0001`.
    pub alpha: f64,
    /// Direction watched. Default both.
    pub mode: PageHinkleyMode,
}

impl Default for PageHinkleyParams {
    fn default() -> Self {
        PageHinkleyParams {
            min_instances: 30,
            delta: 0.005,
            threshold: 50.0,
            alpha: 1.0 - 0.0001,
            mode: PageHinkleyMode::Both,
        }
    }
}

impl PageHinkleyParams {
    /// The `--set` keys, in report order.
    pub const KEYS: &'static [&'static str] =
        &["min_instances", "delta", "threshold", "alpha", "mode"];

    /// Checks every range.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] naming the first parameter out of range.
    pub fn validate(&self) -> Result<(), DetectorError> {
        require(self.delta >= 0.0, KIND, "delta", self.delta, "at least 0")?;
        require(
            self.threshold >= 0.0,
            KIND,
            "threshold",
            self.threshold,
            "at least 0",
        )?;
        require(
            (0.0..=1.0).contains(&self.alpha),
            KIND,
            "alpha",
            self.alpha,
            "in [0, 1]",
        )
    }
}

impl Params for PageHinkleyParams {
    fn set(&mut self, key: &str, value: &str) -> Result<(), DetectorError> {
        match key {
            "min_instances" => self.min_instances = parse_count(KIND, "min_instances", value)?,
            "delta" => self.delta = parse_number(KIND, "delta", value)?,
            "threshold" => self.threshold = parse_number(KIND, "threshold", value)?,
            "alpha" => self.alpha = parse_number(KIND, "alpha", value)?,
            "mode" => {
                self.mode = match value {
                    "up" => PageHinkleyMode::Up,
                    "down" => PageHinkleyMode::Down,
                    "both" => PageHinkleyMode::Both,
                    _ => {
                        return Err(super::invalid(
                            KIND,
                            "mode",
                            value.to_owned(),
                            "up, down or both".into(),
                        ));
                    }
                }
            }
            _ => return Err(super::unknown_key(KIND, key)),
        }
        Ok(())
    }

    fn entries(&self) -> Vec<(&'static str, ParamValue)> {
        vec![
            (
                "min_instances",
                ParamValue::Integer(self.min_instances as u64),
            ),
            ("delta", ParamValue::Number(self.delta)),
            ("threshold", ParamValue::Number(self.threshold)),
            ("alpha", ParamValue::Number(self.alpha)),
            ("mode", ParamValue::Text(self.mode.name())),
        ]
    }
}

/// The Page-Hinkley detector (river's `drift.PageHinkley`); drift only, no warning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageHinkley {
    params: PageHinkleyParams,
    mean: RiverMean,
    sum_increase: f64,
    sum_decrease: f64,
    /// Smallest `sum_increase` so far (`None` stands for river's initial +inf).
    min_increase: Option<f64>,
    /// Largest `sum_decrease` so far (river starts it at -1).
    max_decrease: f64,
}

impl Default for PageHinkley {
    fn default() -> Self {
        PageHinkley::fresh(PageHinkleyParams::default())
    }
}

impl PageHinkley {
    /// A detector that has seen nothing.
    ///
    /// # Errors
    /// [`DetectorError::InvalidParameter`] when a parameter is out of range.
    pub fn new(params: PageHinkleyParams) -> Result<PageHinkley, DetectorError> {
        params.validate()?;
        Ok(PageHinkley::fresh(params))
    }

    fn fresh(params: PageHinkleyParams) -> PageHinkley {
        PageHinkley {
            params,
            mean: RiverMean::default(),
            sum_increase: 0.0,
            sum_decrease: 0.0,
            min_increase: None,
            max_decrease: -1.0,
        }
    }

    /// The parameters in force.
    pub fn params(&self) -> &PageHinkleyParams {
        &self.params
    }

    /// Feeds one value; [`Signal::Drift`] when a test statistic exceeds the threshold,
    /// after which the detector starts afresh. Non-finite values are ignored.
    #[inline]
    pub fn update(&mut self, x: f64) -> Signal {
        if !x.is_finite() {
            return Signal::None;
        }
        let p = &self.params;
        self.mean.update(x);
        let deviation = x - self.mean.mean;
        self.sum_increase = p.alpha * self.sum_increase + deviation - p.delta;
        self.sum_decrease = p.alpha * self.sum_decrease + deviation + p.delta;
        let min_increase = match self.min_increase {
            Some(min) if min <= self.sum_increase => min,
            _ => self.sum_increase,
        };
        self.min_increase = Some(min_increase);
        if self.sum_decrease > self.max_decrease {
            self.max_decrease = self.sum_decrease;
        }
        if self.mean.n >= p.min_instances as f64 {
            let test_increase = self.sum_increase - min_increase;
            let test_decrease = self.max_decrease - self.sum_decrease;
            let drift = match p.mode {
                PageHinkleyMode::Up => test_increase > p.threshold,
                PageHinkleyMode::Down => test_decrease > p.threshold,
                PageHinkleyMode::Both => test_increase > p.threshold || test_decrease > p.threshold,
            };
            if drift {
                *self = PageHinkley::fresh(self.params);
                return Signal::Drift;
            }
        }
        Signal::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_watches_its_direction() {
        let up_then_down = |mode| {
            let mut detector = PageHinkley::new(PageHinkleyParams {
                mode,
                threshold: 10.0,
                ..PageHinkleyParams::default()
            })
            .unwrap();
            let stream = (0..600).map(|i| {
                if i < 200 {
                    0.0
                } else if i < 400 {
                    5.0
                } else {
                    -5.0
                }
            });
            stream
                .enumerate()
                .filter(|&(_, x)| detector.update(x) == Signal::Drift)
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        };
        let up = up_then_down(PageHinkleyMode::Up);
        let down = up_then_down(PageHinkleyMode::Down);
        let both = up_then_down(PageHinkleyMode::Both);
        assert!(up.iter().any(|&i| (200..210).contains(&i)), "{up:?}");
        assert!(!down.iter().any(|&i| (200..230).contains(&i)), "{down:?}");
        assert!(down.iter().any(|&i| (400..410).contains(&i)), "{down:?}");
        assert!(both.iter().any(|&i| (200..210).contains(&i)), "{both:?}");
    }

    #[test]
    fn nothing_before_min_instances() {
        let mut detector = PageHinkley::default();
        for i in 0..29 {
            let x = if i % 2 == 0 { 1e6 } else { -1e6 };
            assert_eq!(detector.update(x), Signal::None, "update {i}");
        }
    }
}
