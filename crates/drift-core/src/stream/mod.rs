//! Streaming change detectors (ADWIN, Page-Hinkley, DDM, EDDM, HDDM_A, HDDM_W, KSWIN, CUSUM).
//!
//! Each detector is a plain struct fed one value at a time: `update(x) -> Signal`. They
//! follow river 0.26.1 (`river.drift`, `river.drift.binary`) operation for operation, so
//! the deterministic ones report drift at exactly river's indices (checked against
//! committed river output in `tests/river_detectors.rs`); CUSUM, which river lacks,
//! follows frouros 0.9.0. Parameters are plain structs whose `Default` is the peer's
//! default; constructors validate them.
//!
//! Behaviour shared by all detectors, as in river:
//!
//! * After an update that returns [`Signal::Drift`] the detector starts afresh: the next
//!   value is the first of a new stream (river resets at the start of the next update,
//!   which is indistinguishable).
//! * Only DDM, EDDM, HDDM_A and HDDM_W have a warning zone; an update is reported as
//!   [`Signal::Warning`] when river's `warning_detected` is true after it and
//!   `drift_detected` is not.
//! * Non-finite values (NaN, ±inf) are ignored: the update returns [`Signal::None`] and
//!   leaves the state untouched (river would carry the NaN into its statistics for good).
//! * State is `serde`-serializable: a detector serialized mid-stream and restored carries
//!   on exactly as the uninterrupted one.
//!
//! [`Detector`] builds any of them from its command-line name and `key=value` overrides
//! and reports its effective parameters ([`DetectorParams`]). `docs/detectors.md` lists
//! the parameters, their defaults and the river quirks kept.
//!
//! ```
//! use drift_core::stream::{Detector, Signal};
//!
//! let mut detector = Detector::from_name("page-hinkley", &[("threshold", "20")])?;
//! let stream = (0..2000).map(|i| if i < 1000 { 0.0 } else { 5.0 });
//! let drifts: Vec<usize> = stream
//!     .enumerate()
//!     .filter(|&(_, x)| detector.update(x) == Signal::Drift)
//!     .map(|(i, _)| i)
//!     .collect();
//! assert_eq!(drifts.len(), 1);
//! assert!((1000..1010).contains(&drifts[0]));
//! # Ok::<(), drift_core::stream::DetectorError>(())
//! ```

pub mod adwin;
pub mod cusum;
pub mod ddm;
pub mod eddm;
pub mod hddm_a;
pub mod hddm_w;
pub mod kswin;
pub mod page_hinkley;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use crate::error::DetectorError;
pub use adwin::{Adwin, AdwinParams};
pub use cusum::{Cusum, CusumParams};
pub use ddm::{Ddm, DdmParams};
pub use eddm::{Eddm, EddmParams};
pub use hddm_a::{HddmA, HddmAParams};
pub use hddm_w::{HddmW, HddmWParams};
pub use kswin::{Kswin, KswinParams};
pub use page_hinkley::{PageHinkley, PageHinkleyMode, PageHinkleyParams};

/// What one update concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// No change.
    None,
    /// The detector is in its warning zone (DDM, EDDM, HDDM_A, HDDM_W only).
    Warning,
    /// A change was detected; the detector has started afresh.
    Drift,
}

/// The detectors by their command-line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DetectorKind {
    /// `adwin`: adaptive windowing (river `ADWIN`).
    Adwin,
    /// `page-hinkley`: river `PageHinkley`.
    PageHinkley,
    /// `ddm`: drift detection method (river `binary.DDM`).
    Ddm,
    /// `eddm`: early drift detection method (river `binary.EDDM`).
    Eddm,
    /// `hddm-a`: Hoeffding's bound, moving average (river `binary.HDDM_A`).
    HddmA,
    /// `hddm-w`: McDiarmid's bound, weighted average (river `binary.HDDM_W`).
    HddmW,
    /// `kswin`: Kolmogorov-Smirnov windowing (river `KSWIN`).
    Kswin,
    /// `cusum`: cumulative sum (frouros `CUSUM`).
    Cusum,
}

impl DetectorKind {
    /// Every detector, in documentation order.
    pub const ALL: [DetectorKind; 8] = [
        DetectorKind::Adwin,
        DetectorKind::PageHinkley,
        DetectorKind::Ddm,
        DetectorKind::Eddm,
        DetectorKind::HddmA,
        DetectorKind::HddmW,
        DetectorKind::Kswin,
        DetectorKind::Cusum,
    ];

    /// The command-line name (`adwin`, `page-hinkley`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DetectorKind::Adwin => "adwin",
            DetectorKind::PageHinkley => "page-hinkley",
            DetectorKind::Ddm => "ddm",
            DetectorKind::Eddm => "eddm",
            DetectorKind::HddmA => "hddm-a",
            DetectorKind::HddmW => "hddm-w",
            DetectorKind::Kswin => "kswin",
            DetectorKind::Cusum => "cusum",
        }
    }

    /// The detector called `name` on the command line.
    ///
    /// # Errors
    /// [`DetectorError::UnknownDetector`] for any other name.
    pub fn from_name(name: &str) -> Result<DetectorKind, DetectorError> {
        DetectorKind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| DetectorError::UnknownDetector(name.to_owned()))
    }

    /// The parameter keys this detector takes, in the order [`Detector::params`] lists them.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            DetectorKind::Adwin => AdwinParams::KEYS,
            DetectorKind::PageHinkley => PageHinkleyParams::KEYS,
            DetectorKind::Ddm => DdmParams::KEYS,
            DetectorKind::Eddm => EddmParams::KEYS,
            DetectorKind::HddmA => HddmAParams::KEYS,
            DetectorKind::HddmW => HddmWParams::KEYS,
            DetectorKind::Kswin => KswinParams::KEYS,
            DetectorKind::Cusum => CusumParams::KEYS,
        }
    }

    /// Every name, comma-separated (for error messages).
    pub fn known_names() -> String {
        DetectorKind::ALL.map(DetectorKind::name).join(", ")
    }
}

impl fmt::Display for DetectorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One effective parameter value, as [`Detector::params`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A real number.
    Number(f64),
    /// A count, size or seed.
    Integer(u64),
    /// A switch.
    Bool(bool),
    /// A choice among names (Page-Hinkley's `mode`).
    Text(&'static str),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Number(v) => write!(f, "{v}"),
            ParamValue::Integer(v) => write!(f, "{v}"),
            ParamValue::Bool(v) => write!(f, "{v}"),
            ParamValue::Text(v) => f.write_str(v),
        }
    }
}

/// A detector's effective parameters: `(key, value)` in the detector's documented order.
///
/// Serializes as a map (`{"delta":0.002,"clock":32,...}`), which is what the CLI prints as
/// `"params"`.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectorParams {
    /// `(key, value)` pairs; keys are the `--set` names.
    pub entries: Vec<(&'static str, ParamValue)>,
}

impl DetectorParams {
    /// The value of `key`, if the detector has that parameter.
    pub fn get(&self, key: &str) -> Option<ParamValue> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|&(_, value)| value)
    }
}

impl Serialize for DetectorParams {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// What each detector's parameter struct does for [`Detector`]: set a key from text,
/// list the effective values, check ranges.
trait Params: Default {
    /// Sets `key` from its text form.
    fn set(&mut self, key: &str, value: &str) -> Result<(), DetectorError>;
    /// `(key, value)` for every parameter.
    fn entries(&self) -> Vec<(&'static str, ParamValue)>;
}

/// Any detector, chosen at run time by its command-line name.
///
/// Serializes with its kind and full state, so a checkpoint restores the right detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detector", content = "state", rename_all = "kebab-case")]
pub enum Detector {
    /// ADWIN.
    Adwin(Adwin),
    /// Page-Hinkley.
    PageHinkley(PageHinkley),
    /// DDM.
    Ddm(Ddm),
    /// EDDM.
    Eddm(Eddm),
    /// HDDM_A.
    HddmA(HddmA),
    /// HDDM_W.
    HddmW(HddmW),
    /// KSWIN.
    Kswin(Kswin),
    /// CUSUM.
    Cusum(Cusum),
}

/// Default parameters with `settings` applied in order, then validated.
fn configured<P: Params>(settings: &[(&str, &str)]) -> Result<P, DetectorError> {
    let mut params = P::default();
    for (key, value) in settings {
        params.set(key.trim(), value.trim())?;
    }
    Ok(params)
}

impl Detector {
    /// The detector `kind` with river's (frouros's for CUSUM) default parameters, each
    /// `(key, value)` of `settings` applied over them.
    ///
    /// # Errors
    /// [`DetectorError::UnknownParameter`] for a key the detector does not take and
    /// [`DetectorError::InvalidParameter`] for a value that does not parse or is out of
    /// range (both list the valid keys).
    pub fn new(kind: DetectorKind, settings: &[(&str, &str)]) -> Result<Detector, DetectorError> {
        Ok(match kind {
            DetectorKind::Adwin => Detector::Adwin(Adwin::new(configured(settings)?)?),
            DetectorKind::PageHinkley => {
                Detector::PageHinkley(PageHinkley::new(configured(settings)?)?)
            }
            DetectorKind::Ddm => Detector::Ddm(Ddm::new(configured(settings)?)?),
            DetectorKind::Eddm => Detector::Eddm(Eddm::new(configured(settings)?)?),
            DetectorKind::HddmA => Detector::HddmA(HddmA::new(configured(settings)?)?),
            DetectorKind::HddmW => Detector::HddmW(HddmW::new(configured(settings)?)?),
            DetectorKind::Kswin => Detector::Kswin(Kswin::new(configured(settings)?)?),
            DetectorKind::Cusum => Detector::Cusum(Cusum::new(configured(settings)?)?),
        })
    }

    /// [`Detector::new`] by command-line name.
    ///
    /// # Errors
    /// [`DetectorError::UnknownDetector`] for an unknown name, and the errors of
    /// [`Detector::new`].
    pub fn from_name(name: &str, settings: &[(&str, &str)]) -> Result<Detector, DetectorError> {
        Detector::new(DetectorKind::from_name(name)?, settings)
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Signal {
        match self {
            Detector::Adwin(d) => d.update(x),
            Detector::PageHinkley(d) => d.update(x),
            Detector::Ddm(d) => d.update(x),
            Detector::Eddm(d) => d.update(x),
            Detector::HddmA(d) => d.update(x),
            Detector::HddmW(d) => d.update(x),
            Detector::Kswin(d) => d.update(x),
            Detector::Cusum(d) => d.update(x),
        }
    }

    /// Which detector this is.
    pub fn kind(&self) -> DetectorKind {
        match self {
            Detector::Adwin(_) => DetectorKind::Adwin,
            Detector::PageHinkley(_) => DetectorKind::PageHinkley,
            Detector::Ddm(_) => DetectorKind::Ddm,
            Detector::Eddm(_) => DetectorKind::Eddm,
            Detector::HddmA(_) => DetectorKind::HddmA,
            Detector::HddmW(_) => DetectorKind::HddmW,
            Detector::Kswin(_) => DetectorKind::Kswin,
            Detector::Cusum(_) => DetectorKind::Cusum,
        }
    }

    /// The effective parameters, keyed by their `--set` names.
    pub fn params(&self) -> DetectorParams {
        let entries = match self {
            Detector::Adwin(d) => d.params().entries(),
            Detector::PageHinkley(d) => d.params().entries(),
            Detector::Ddm(d) => d.params().entries(),
            Detector::Eddm(d) => d.params().entries(),
            Detector::HddmA(d) => d.params().entries(),
            Detector::HddmW(d) => d.params().entries(),
            Detector::Kswin(d) => d.params().entries(),
            Detector::Cusum(d) => d.params().entries(),
        };
        DetectorParams { entries }
    }
}

/// Splits one `key=value` setting (as given to `--set`).
///
/// # Errors
/// [`DetectorError::MalformedSetting`] when there is no `=` or the key is empty.
pub fn parse_setting(setting: &str) -> Result<(&str, &str), DetectorError> {
    match setting.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim(), value.trim())),
        _ => Err(DetectorError::MalformedSetting(setting.to_owned())),
    }
}

// ---------------------------------------------------------------------------------------
// Parameter parsing and checking, shared by the detectors' `Params` impls.
// ---------------------------------------------------------------------------------------

fn invalid(
    kind: DetectorKind,
    key: &'static str,
    value: String,
    expected: String,
) -> DetectorError {
    DetectorError::InvalidParameter {
        detector: kind.name(),
        key,
        value,
        expected,
        valid: kind.keys().join(", "),
    }
}

fn unknown_key(kind: DetectorKind, key: &str) -> DetectorError {
    DetectorError::UnknownParameter {
        detector: kind.name(),
        key: key.to_owned(),
        valid: kind.keys().join(", "),
    }
}

fn parse_number(kind: DetectorKind, key: &'static str, value: &str) -> Result<f64, DetectorError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| invalid(kind, key, value.to_owned(), "a finite number".into()))
}

fn parse_count(kind: DetectorKind, key: &'static str, value: &str) -> Result<usize, DetectorError> {
    value
        .parse::<usize>()
        .map_err(|_| invalid(kind, key, value.to_owned(), "a whole number >= 0".into()))
}

fn parse_u64(kind: DetectorKind, key: &'static str, value: &str) -> Result<u64, DetectorError> {
    value
        .parse::<u64>()
        .map_err(|_| invalid(kind, key, value.to_owned(), "a whole number >= 0".into()))
}

fn parse_bool(kind: DetectorKind, key: &'static str, value: &str) -> Result<bool, DetectorError> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(kind, key, value.to_owned(), "true or false".into())),
    }
}

/// `Ok` when `ok`, else [`DetectorError::InvalidParameter`] saying `value` must be `expected`.
fn require(
    ok: bool,
    kind: DetectorKind,
    key: &'static str,
    value: impl fmt::Display,
    expected: &str,
) -> Result<(), DetectorError> {
    if ok {
        Ok(())
    } else {
        Err(invalid(kind, key, value.to_string(), expected.to_owned()))
    }
}

/// river's `stats.Mean` with unit weights: `n += 1; mean += (1 / n) (x - mean)`, in that
/// order of operations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
struct RiverMean {
    n: f64,
    mean: f64,
}

impl RiverMean {
    #[inline]
    fn update(&mut self, x: f64) {
        self.n += 1.0;
        self.mean += (1.0 / self.n) * (x - self.mean);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_its_name_and_builds_with_defaults() {
        for kind in DetectorKind::ALL {
            assert_eq!(DetectorKind::from_name(kind.name()), Ok(kind));
            let detector = Detector::new(kind, &[]).unwrap();
            assert_eq!(detector.kind(), kind);
            let keys: Vec<&str> = detector.params().entries.iter().map(|(k, _)| *k).collect();
            assert_eq!(keys, kind.keys(), "{kind}");
        }
        assert!(matches!(
            DetectorKind::from_name("adwin2"),
            Err(DetectorError::UnknownDetector(name)) if name == "adwin2"
        ));
    }

    #[test]
    fn settings_override_defaults_and_show_in_params() {
        let detector = Detector::from_name("adwin", &[("delta", "0.01"), ("clock", "1")]).unwrap();
        let params = detector.params();
        assert_eq!(params.get("delta"), Some(ParamValue::Number(0.01)));
        assert_eq!(params.get("clock"), Some(ParamValue::Integer(1)));
        assert_eq!(params.get("max_buckets"), Some(ParamValue::Integer(5)));
        let detector =
            Detector::from_name("page-hinkley", &[("mode", "up"), ("threshold", "20")]).unwrap();
        assert_eq!(detector.params().get("mode"), Some(ParamValue::Text("up")));
        let detector = Detector::from_name("hddm-w", &[("two_sided_test", "true")]).unwrap();
        assert_eq!(
            detector.params().get("two_sided_test"),
            Some(ParamValue::Bool(true))
        );
    }

    #[test]
    fn params_serialize_as_an_ordered_map() {
        let json =
            serde_json::to_string(&Detector::new(DetectorKind::Adwin, &[]).unwrap().params())
                .unwrap();
        assert_eq!(
            json,
            r#"{"delta":0.002,"clock":32,"max_buckets":5,"min_window_length":5,"grace_period":10}"#
        );
        let json = serde_json::to_string(
            &Detector::new(DetectorKind::PageHinkley, &[])
                .unwrap()
                .params(),
        )
        .unwrap();
        assert_eq!(
            json,
            r#"{"min_instances":30,"delta":0.005,"threshold":50.0,"alpha":0.9999,"mode":"both"}"#
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_typed_errors_listing_the_keys() {
        let err = Detector::from_name("ddm", &[("warmstart", "3")]).unwrap_err();
        assert!(
            matches!(&err, DetectorError::UnknownParameter { detector: "ddm", key, .. } if key == "warmstart"),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(
            message.contains("warm_start, warning_threshold, drift_threshold"),
            "{message}"
        );

        for (name, key, value) in [
            ("adwin", "delta", "abc"),
            ("adwin", "delta", "1.5"),
            ("adwin", "delta", "nan"),
            ("adwin", "clock", "0"),
            ("adwin", "clock", "3.5"),
            ("adwin", "max_buckets", "100000"),
            ("kswin", "window_size", "5000000"),
            ("page-hinkley", "mode", "sideways"),
            ("page-hinkley", "alpha", "1.1"),
            ("eddm", "beta", "0.99"),
            ("hddm-a", "two_sided_test", "yes"),
            ("hddm-w", "lambda_val", "0"),
            ("kswin", "stat_size", "60"),
            ("kswin", "seed", "-1"),
            ("cusum", "lambda", "-1"),
        ] {
            let err = Detector::from_name(name, &[(key, value)]).unwrap_err();
            assert!(
                matches!(&err, DetectorError::InvalidParameter { key: k, value: v, .. } if *k == key && v == value),
                "{name} {key}={value}: {err:?}"
            );
            assert!(
                err.to_string()
                    .contains(DetectorKind::from_name(name).unwrap().keys()[0])
            );
        }
    }

    #[test]
    fn settings_split_at_the_first_equals_sign() {
        assert_eq!(parse_setting("delta=0.01"), Ok(("delta", "0.01")));
        assert_eq!(parse_setting(" mode = up "), Ok(("mode", "up")));
        assert_eq!(
            parse_setting("delta"),
            Err(DetectorError::MalformedSetting("delta".into()))
        );
        assert_eq!(
            parse_setting("=3"),
            Err(DetectorError::MalformedSetting("=3".into()))
        );
    }

    #[test]
    fn river_mean_matches_its_update_rule() {
        let mut mean = RiverMean::default();
        for x in [1.0, 2.0, 4.0] {
            mean.update(x);
        }
        // 1, then 1 + (1/2)(2 - 1) = 1.5, then 1.5 + (1/3)(4 - 1.5)
        assert_eq!(mean.n, 3.0);
        assert_eq!(mean.mean, 1.5 + (1.0 / 3.0) * 2.5);
    }
}
