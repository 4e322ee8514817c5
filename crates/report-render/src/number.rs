//! Number formatting shared by the renderers: fixed decimals for tables, significant digits
//! for plots and summaries.

/// A table cell: `-` for none, 4 decimals, scientific below 1e-4 or from 1e6 (the CLI's
/// table has always printed numbers so).
pub(crate) fn fixed(value: Option<f64>) -> String {
    match value {
        None => "-".into(),
        Some(v) if v.is_nan() => "nan".into(),
        Some(v) if v != 0.0 && (v.abs() < 1e-4 || v.abs() >= 1e6) => format!("{v:.3e}"),
        Some(v) => format!("{v:.4}"),
    }
}

/// `value` rounded to `digits` significant digits (at least 1), without trailing zeros:
/// plain from 1e-3 up to 1e6, scientific (`1.235e7`) outside.
pub(crate) fn significant(value: f64, digits: usize) -> String {
    if value.is_nan() {
        return "nan".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.into();
    }
    if value == 0.0 {
        return "0".into();
    }
    let digits = digits.max(1);
    // Rust's `{:e}` rounds the mantissa correctly; its exponent is the rounded one
    let scientific = format!("{:.*e}", digits - 1, value);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-3..6).contains(&exponent) {
        let rounded: f64 = scientific.parse().unwrap_or(value);
        let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
        trim_zeros(format!("{rounded:.decimals$}"))
    } else {
        format!("{}e{exponent}", trim_zeros(mantissa.to_owned()))
    }
}

/// A share as a percentage with up to 4 significant digits: `12.35%`.
pub(crate) fn percent(share: f64) -> String {
    format!("{}%", significant(share * 100.0, 4))
}

/// A change of share in percentage points, signed: `+3.2 pp`.
pub(crate) fn percentage_points(delta: f64) -> String {
    let sign = if delta > 0.0 { "+" } else { "" };
    format!("{sign}{} pp", significant(delta * 100.0, 3))
}

fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits_are_compact() {
        let cases = [
            (12345.678, "12350"),
            (0.123456, "0.1235"),
            (1.5, "1.5"),
            (9.99996, "10"),
            (-0.0012346, "-0.001235"),
            (0.00012346, "1.235e-4"),
            (123456789.0, "1.235e8"),
            (1e6, "1e6"),
            (100.0, "100"),
            (0.0, "0"),
        ];
        for (value, expected) in cases {
            assert_eq!(significant(value, 4), expected, "{value}");
        }
        assert_eq!(significant(f64::NAN, 4), "nan");
        assert_eq!(percent(0.123456), "12.35%");
        assert_eq!(percentage_points(0.0321), "+3.21 pp");
        assert_eq!(percentage_points(-0.05), "-5 pp");
    }

    #[test]
    fn fixed_matches_the_historic_table() {
        assert_eq!(fixed(None), "-");
        assert_eq!(fixed(Some(0.05)), "0.0500");
        assert_eq!(fixed(Some(1.5e-7)), "1.500e-7");
        assert_eq!(fixed(Some(0.0)), "0.0000");
    }
}
