//! Points in time and durations for the rollout machine: values passed in, never read from a clock.

use std::fmt;

use crate::error::CanaryError;

/// A point in time, in milliseconds since the Unix epoch; the caller passes "now".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// `self + span`, saturating.
    pub fn plus(self, span: Span) -> Timestamp {
        Timestamp(
            self.0
                .saturating_add(i64::try_from(span.0).unwrap_or(i64::MAX)),
        )
    }

    /// `self - earlier` as a span (zero when `earlier` is later).
    pub fn since(self, earlier: Timestamp) -> Span {
        Span(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}

/// A duration in milliseconds. In TOML: `"500ms"`, `"30s"`, `"5m"`, `"1h"` (Argo's
/// duration strings) or a whole number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span(pub u64);

impl Span {
    /// `seconds` seconds.
    pub const fn seconds(seconds: u64) -> Span {
        Span(seconds * 1000)
    }

    /// `minutes` minutes.
    pub const fn minutes(minutes: u64) -> Span {
        Span(minutes * 60_000)
    }

    /// Parses `"500ms"`, `"30s"`, `"5m"`, `"1h"` or `"2h30m"` (units in decreasing order).
    ///
    /// # Errors
    /// [`CanaryError::InvalidParameter`] for anything else.
    pub fn parse(text: &str) -> Result<Span, CanaryError> {
        let invalid = || {
            CanaryError::invalid(
                "duration",
                "like \"500ms\", \"30s\", \"5m\" or \"1h\"",
                format!("{text:?}"),
            )
        };
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(invalid());
        }
        let mut total: u64 = 0;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .ok_or_else(invalid)?;
            if digits == 0 {
                return Err(invalid());
            }
            let value: u64 = rest[..digits].parse().map_err(|_| invalid())?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let factor = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => return Err(invalid()),
            };
            total = value
                .checked_mul(factor)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(invalid)?;
            rest = &rest[unit_len..];
        }
        Ok(Span(total))
    }
}

impl fmt::Display for Span {
    /// The largest unit that divides the span exactly: `5m`, `90s`, `1500ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        if ms != 0 && ms.is_multiple_of(3_600_000) {
            write!(f, "{}h", ms / 3_600_000)
        } else if ms != 0 && ms.is_multiple_of(60_000) {
            write!(f, "{}m", ms / 60_000)
        } else if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl serde::Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Span {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Span, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Span;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration like \"30s\" or \"5m\", or whole seconds")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Span, E> {
                v.checked_mul(1000)
                    .map(Span)
                    .ok_or_else(|| E::custom("duration too long"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Span, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("a duration cannot be negative"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Span, E> {
                Span::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_argo_durations() {
        assert_eq!(Span::parse("500ms"), Ok(Span(500)));
        assert_eq!(Span::parse("30s"), Ok(Span::seconds(30)));
        assert_eq!(Span::parse("5m"), Ok(Span::minutes(5)));
        assert_eq!(Span::parse("1h30m"), Ok(Span::minutes(90)));
        for bad in ["", "5", "m", "5x", "-5s", "1.5s"] {
            assert!(Span::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(Span::minutes(5).to_string(), "5m");
        assert_eq!(Span::seconds(90).to_string(), "90s");
        assert_eq!(Span(1500).to_string(), "1500ms");
        assert_eq!(Span(0).to_string(), "0s");
        #[derive(serde::Deserialize)]
        struct T {
            a: Span,
            b: Span,
        }
        let t: T = toml::from_str("a = \"2m\"\nb = 45").expect("valid");
        assert_eq!((t.a, t.b), (Span::minutes(2), Span::seconds(45)));
        assert_eq!(Timestamp(1000).plus(Span(500)), Timestamp(1500));
        assert_eq!(Timestamp(1000).since(Timestamp(4000)), Span(0));
    }
}
