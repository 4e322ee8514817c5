//! Prediction and label events, one JSON object a line, parsed without copying strings
//! that need no unescaping.
//!
//! A prediction event (DESIGN.md, "Prediction events"):
//!
//! ```json
//! {"ts": "2026-11-27T10:00:00Z", "request_id": "r-1", "model": "churn", "version": "v3",
//!  "variant": "baseline", "features": {"age": 31, "plan": "pro"}, "prediction": 0.82,
//!  "latency_ms": 12.3, "user_id": "u-123"}
//! ```
//!
//! `ts`, `model` and `prediction` are required; `version` defaults to `""`, `variant` to
//! `baseline`; `request_id` is needed only to join a label. A label event is an object with
//! `label` and no `prediction`: `{"request_id": "r-1", "label": 1}`. Fields not listed are
//! ignored (`user_id` among them: it never leaves the parser). A blank line is no event.

use std::borrow::Cow;
use std::fmt;

use jiff::Timestamp;
use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

/// One parsed line.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// A model's answer to one request.
    Prediction(PredictionEvent<'a>),
    /// The ground truth of an earlier prediction.
    Label(LabelEvent<'a>),
}

/// A model's answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionEvent<'a> {
    /// When the prediction was made (event time; time windows use it).
    pub ts: Timestamp,
    /// Joins the label; `None` when the event has none.
    pub request_id: Option<Cow<'a, str>>,
    /// The model's name.
    pub model: Cow<'a, str>,
    /// The model's version (`""` when absent).
    pub version: Cow<'a, str>,
    /// `baseline`, `canary` or `shadow` (default `baseline`).
    pub variant: Cow<'a, str>,
    /// The features by name, in the line's order.
    pub features: Vec<(Cow<'a, str>, FeatureValue<'a>)>,
    /// The score, probability or predicted value.
    pub prediction: f64,
    /// Time to answer, in milliseconds.
    pub latency_ms: Option<f64>,
}

/// The ground truth of an earlier prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelEvent<'a> {
    /// The prediction's request id.
    pub request_id: Cow<'a, str>,
    /// The label: 0 or 1 for a classifier (`true` is 1), a number for a regressor.
    pub label: f64,
}

/// One feature's value as the line gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureValue<'a> {
    /// A JSON number.
    Number(f64),
    /// A JSON string.
    Text(Cow<'a, str>),
    /// A JSON boolean.
    Bool(bool),
    /// `null`, or an array or object (which no column takes).
    Missing,
}

/// Why a line is not an event, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based column (byte) of the fault; 0 when no place in the line is at fault.
    pub column: u64,
    /// What is wrong, in words.
    pub reason: String,
    /// The reason's class, for the `monitor_watch_lines_rejected_total{reason}` label.
    pub kind: RejectKind,
}

/// Classes of rejected lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectKind {
    /// Not JSON, or a field of the wrong JSON type.
    Json,
    /// A required field is absent.
    MissingField,
    /// A field has a value out of its domain (a bad timestamp, a label not 0 or 1).
    BadValue,
}

impl RejectKind {
    /// The metric label: `json`, `missing_field`, `bad_value`.
    pub fn name(self) -> &'static str {
        match self {
            RejectKind::Json => "json",
            RejectKind::MissingField => "missing_field",
            RejectKind::BadValue => "bad_value",
        }
    }
}

#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow, default)]
    ts: Option<Text<'a>>,
    #[serde(borrow, default)]
    request_id: Option<Text<'a>>,
    #[serde(borrow, default)]
    model: Option<Text<'a>>,
    #[serde(borrow, default)]
    version: Option<Text<'a>>,
    #[serde(borrow, default)]
    variant: Option<Text<'a>>,
    #[serde(borrow, default)]
    features: Option<Features<'a>>,
    #[serde(default)]
    prediction: Option<f64>,
    #[serde(default)]
    latency_ms: Option<f64>,
    #[serde(default)]
    label: Option<LabelValue>,
}

/// A string borrowed from the line when it has no escapes (serde's `Cow` always copies).
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor(std::marker::PhantomData))
    }
}

struct Features<'a>(Vec<(Cow<'a, str>, FeatureValue<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Features<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FeaturesVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for FeaturesVisitor<'a> {
            type Value = Features<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of feature values")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Features<'a>, M::Error> {
                let mut features = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(Text(key)) = map.next_key::<Text<'a>>()? {
                    features.push((key, map.next_value::<FeatureValue<'a>>()?));
                }
                Ok(Features(features))
            }
        }
        deserializer.deserialize_map(FeaturesVisitor(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for FeatureValue<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for ValueVisitor<'a> {
            type Value = FeatureValue<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, a string, a boolean or null")
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(FeatureValue::Number(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(FeatureValue::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(FeatureValue::Number(v as f64))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(FeatureValue::Bool(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(FeatureValue::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(FeatureValue::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(FeatureValue::Text(Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(FeatureValue::Missing)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(FeatureValue::Missing)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(FeatureValue::Missing)
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(FeatureValue::Missing)
            }
        }
        deserializer.deserialize_any(ValueVisitor(std::marker::PhantomData))
    }
}

/// A label: a number or a boolean.
struct LabelValue(f64);

impl<'de> Deserialize<'de> for LabelValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LabelVisitor;
        impl Visitor<'_> for LabelVisitor {
            type Value = LabelValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number or a boolean")
            }
            fn visit_f64<E>(self, v: f64) -> Result<LabelValue, E> {
                Ok(LabelValue(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<LabelValue, E> {
                Ok(LabelValue(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<LabelValue, E> {
                Ok(LabelValue(v as f64))
            }
            fn visit_bool<E>(self, v: bool) -> Result<LabelValue, E> {
                Ok(LabelValue(f64::from(u8::from(v))))
            }
        }
        deserializer.deserialize_any(LabelVisitor)
    }
}

/// The 1-based column of `"key"` in the line (its opening quote), or 0.
pub(crate) fn column_of(line: &[u8], key: &str) -> u64 {
    let needle = format!("\"{key}\"");
    line.windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .map_or(0, |i| i as u64 + 1)
}

fn missing(line: &[u8], field: &str, what: &str) -> LineError {
    LineError {
        column: 0,
        reason: format!("{what} without `{field}`"),
        kind: RejectKind::MissingField,
    }
    .at(column_of(line, field))
}

impl LineError {
    fn at(mut self, column: u64) -> LineError {
        self.column = column;
        self
    }
}

/// Parses one line; `Ok(None)` for a blank line.
///
/// # Errors
/// [`LineError`] with the column and the reason: not JSON or a wrong type (serde's column),
/// a required field absent, a timestamp that is not RFC 3339, a number that is not finite.
pub fn parse_line(line: &[u8]) -> Result<Option<Event<'_>>, LineError> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let raw: RawEvent<'_> = serde_json::from_slice(line).map_err(|e| {
        let mut reason = e.to_string();
        // the position is ours to report (the file's line, serde's column)
        if let Some(at) = reason.rfind(" at line ") {
            reason.truncate(at);
        }
        LineError {
            column: e.column() as u64,
            reason,
            kind: RejectKind::Json,
        }
    })?;
    if raw.prediction.is_none()
        && let Some(LabelValue(label)) = raw.label
    {
        let Text(request_id) = raw
            .request_id
            .ok_or_else(|| missing(line, "request_id", "a label event"))?;
        if !label.is_finite() {
            return Err(LineError {
                column: column_of(line, "label"),
                reason: format!("label {label} is not a finite number"),
                kind: RejectKind::BadValue,
            });
        }
        return Ok(Some(Event::Label(LabelEvent { request_id, label })));
    }
    let what = "a prediction event";
    let prediction = raw.prediction.ok_or_else(|| LineError {
        column: 0,
        reason: "an event with neither `prediction` nor `label`".into(),
        kind: RejectKind::MissingField,
    })?;
    let Text(model) = raw.model.ok_or_else(|| missing(line, "model", what))?;
    let Text(ts_text) = raw.ts.ok_or_else(|| missing(line, "ts", what))?;
    let ts: Timestamp = ts_text.parse().map_err(|e: jiff::Error| LineError {
        column: column_of(line, "ts"),
        reason: format!("ts \"{ts_text}\" is not an RFC 3339 time: {e}"),
        kind: RejectKind::BadValue,
    })?;
    Ok(Some(Event::Prediction(PredictionEvent {
        ts,
        request_id: raw.request_id.map(|t| t.0),
        model,
        version: raw.version.map_or(Cow::Borrowed(""), |t| t.0),
        variant: raw.variant.map_or(Cow::Borrowed("baseline"), |t| t.0),
        features: raw.features.map(|f| f.0).unwrap_or_default(),
        prediction,
        latency_ms: raw.latency_ms,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESIGN_EVENT: &str = r#"{"ts": "2026-11-27T10:00:00Z", "request_id": "r-1", "model": "churn", "version": "v3", "variant": "baseline", "features": {"age": 31, "plan": "pro", "vip": true, "note": null, "tags": [1, 2]}, "prediction": 0.82, "latency_ms": 12.3, "user_id": "u-123"}"#;

    #[test]
    fn reads_the_design_documents_prediction_event_without_copies() {
        let Some(Event::Prediction(event)) = parse_line(DESIGN_EVENT.as_bytes()).expect("valid")
        else {
            panic!("a prediction event");
        };
        assert_eq!(
            event.ts,
            "2026-11-27T10:00:00Z".parse::<Timestamp>().unwrap()
        );
        assert_eq!(event.model, "churn");
        assert!(matches!(event.model, Cow::Borrowed(_)));
        assert_eq!(event.version, "v3");
        assert_eq!(event.request_id.as_deref(), Some("r-1"));
        assert_eq!(event.prediction, 0.82);
        assert_eq!(event.latency_ms, Some(12.3));
        assert_eq!(
            event.features,
            vec![
                ("age".into(), FeatureValue::Number(31.0)),
                ("plan".into(), FeatureValue::Text("pro".into())),
                ("vip".into(), FeatureValue::Bool(true)),
                ("note".into(), FeatureValue::Missing),
                ("tags".into(), FeatureValue::Missing),
            ]
        );
    }

    #[test]
    fn reads_labels_as_numbers_or_booleans() {
        let label = |text: &str| match parse_line(text.as_bytes()).expect("valid") {
            Some(Event::Label(l)) => (l.request_id.into_owned(), l.label),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            label(r#"{"request_id": "r-1", "label": 1}"#),
            ("r-1".into(), 1.0)
        );
        assert_eq!(
            label(r#"{"request_id": "r\"2", "label": false}"#),
            ("r\"2".into(), 0.0)
        );
        assert_eq!(
            label(r#"{"label": 2.5, "request_id": "r"}"#),
            ("r".into(), 2.5)
        );
    }

    #[test]
    fn defaults_and_blank_lines() {
        let line = br#"{"ts":"2026-11-27T10:00:00+01:00","model":"m","prediction":1}"#;
        let Some(Event::Prediction(event)) = parse_line(line).expect("valid") else {
            panic!("a prediction");
        };
        assert_eq!(
            (event.version.as_ref(), event.variant.as_ref()),
            ("", "baseline")
        );
        assert!(event.features.is_empty() && event.request_id.is_none());
        assert_eq!(parse_line(b"   "), Ok(None));
    }

    #[test]
    fn errors_say_where_and_why() {
        let err =
            parse_line(br#"{"ts": "2026-11-27T10:00:00Z", "model": "m", "prediction": "high"}"#)
                .unwrap_err();
        assert_eq!(err.kind, RejectKind::Json);
        assert_eq!(err.column, 65, "{err:?}");
        assert!(
            err.reason.contains("invalid type: string \"high\""),
            "{err:?}"
        );
        let err = parse_line(br#"{"ts": "2026-11-27T10:00:00Z", "model": "m""#).unwrap_err();
        assert_eq!((err.kind, err.column), (RejectKind::Json, 43), "{err:?}");
        let err = parse_line(br#"{"ts": "yesterday", "model": "m", "prediction": 1}"#).unwrap_err();
        assert_eq!((err.kind, err.column), (RejectKind::BadValue, 2), "{err:?}");
        assert!(
            err.reason
                .starts_with("ts \"yesterday\" is not an RFC 3339 time"),
            "{err:?}"
        );
        let err = parse_line(br#"{"ts": "2026-11-27T10:00:00Z", "prediction": 1}"#).unwrap_err();
        assert_eq!(err.kind, RejectKind::MissingField);
        assert_eq!(err.reason, "a prediction event without `model`");
        let err = parse_line(br#"{"label": 1}"#).unwrap_err();
        assert_eq!(err.reason, "a label event without `request_id`");
    }
}
