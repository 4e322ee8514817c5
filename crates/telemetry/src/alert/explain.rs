//! Explanations of what fired, from the monitor's own JSON documents: a drift report's
//! drifted columns with their statistics, a canary verdict's reason and the metrics that
//! did not pass, a retrain decision's summary.
//!
//! [`explain`] recognises a document by its fields (all three carry `schema_version` 1)
//! and returns the sentence for the alert's `explanation` and compact `details`: what
//! fired, without the distributions and samples that make a full report large (the
//! details of a 300-column drift report shrink to its drifted columns).

use serde_json::{Map, Value, json};

/// An alert's explanation and details, drawn from a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    /// What fired, in words.
    pub explanation: String,
    /// What fired, for machines (with `"kind"`: `drift_report`, `canary_verdict` or
    /// `retrain_decision`).
    pub details: Value,
}

/// Columns, metrics or rules named in an explanation before "and N more".
const LISTED: usize = 10;

/// Explains a drift report, a canary verdict or a retrain decision; `None` for any other
/// document.
pub fn explain(document: &Value) -> Option<Explained> {
    if document.get("columns").is_some_and(Value::is_array)
        && document.get("dataset_drift").is_some()
    {
        return Some(drift(document));
    }
    let decision = document.get("decision").and_then(Value::as_str)?;
    if document.get("metrics").is_some_and(Value::is_array) && document.get("reason").is_some() {
        return Some(canary(document, decision));
    }
    if matches!(decision, "retrain" | "hold" | "blocked") && document.get("summary").is_some() {
        return Some(retrain(document, decision));
    }
    None
}

/// A number for people: up to 4 significant digits, scientific when tiny or huge.
fn number(value: &Value) -> String {
    match value.as_f64() {
        Some(0.0) => "0".to_owned(),
        Some(x) if x.abs() < 1e-3 || x.abs() >= 1e6 => format!("{x:.3e}"),
        Some(x) => {
            let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
            let text = format!("{x:.digits$}");
            if text.contains('.') {
                text.trim_end_matches('0').trim_end_matches('.').to_owned()
            } else {
                text
            }
        }
        None => value.to_string(),
    }
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("?")
}

fn listed(items: Vec<String>) -> String {
    let more = items.len().saturating_sub(LISTED);
    let mut text = items
        .into_iter()
        .take(LISTED)
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        text.push_str(&format!("; and {more} more"));
    }
    text
}

fn pick(document: &Value, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|&key| document.get(key).map(|v| (key.to_owned(), v.clone())))
        .collect()
}

fn drift(report: &Value) -> Explained {
    let columns = report["columns"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let drifted: Vec<&Value> = columns.iter().filter(|c| c["drifted"] == true).collect();
    let phrases: Vec<String> = drifted
        .iter()
        .map(|c| {
            let (name, test) = (text(c, "name"), text(c, "test"));
            let threshold = number(&c["threshold"]);
            match c
                .get("p_value_adjusted")
                .filter(|p| !p.is_null())
                .or_else(|| c.get("p_value").filter(|p| !p.is_null()))
            {
                Some(p) => format!("{name} ({test} p-value {} < {threshold})", number(p)),
                None => format!("{name} ({test} {} >= {threshold})", number(&c["statistic"])),
            }
        })
        .collect();
    let verdict = if report["dataset_drift"] == true {
        "dataset drift"
    } else {
        "no dataset drift"
    };
    let mut explanation = format!(
        "{verdict}: {} of {} columns drifted (share {}, threshold {})",
        drifted.len(),
        report
            .get("n_columns")
            .map_or_else(|| columns.len().to_string(), number),
        number(&report["drift_share"]),
        number(&report["drift_share_threshold"]),
    );
    if !phrases.is_empty() {
        explanation.push_str(": ");
        explanation.push_str(&listed(phrases));
    }
    let mut details = pick(
        report,
        &[
            "dataset_drift",
            "drift_share",
            "drift_share_threshold",
            "n_columns",
            "n_drifted",
            "correction",
            "reference",
            "current",
        ],
    );
    details.insert("kind".to_owned(), json!("drift_report"));
    details.insert(
        "drifted_columns".to_owned(),
        drifted
            .iter()
            .map(|c| {
                Value::Object(pick(
                    c,
                    &[
                        "name",
                        "kind",
                        "test",
                        "statistic",
                        "p_value",
                        "p_value_adjusted",
                        "threshold",
                    ],
                ))
            })
            .collect(),
    );
    Explained {
        explanation,
        details: Value::Object(details),
    }
}

fn canary(verdict: &Value, decision: &str) -> Explained {
    let metrics = verdict["metrics"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let failing: Vec<&Value> = metrics
        .iter()
        .filter(|m| {
            m["classification"]["label"]
                .as_str()
                .is_some_and(|l| l != "pass")
        })
        .collect();
    let mut explanation = format!("canary {decision}: {}", text(verdict, "reason"));
    if !failing.is_empty() {
        explanation.push_str(": ");
        explanation.push_str(&listed(
            failing
                .iter()
                .map(|m| text(m, "reason").to_owned())
                .collect(),
        ));
    }
    let mut details = pick(
        verdict,
        &["decision", "score", "thresholds", "rule", "reason"],
    );
    details.insert("kind".to_owned(), json!("canary_verdict"));
    details.insert(
        "metrics".to_owned(),
        failing
            .iter()
            .map(|m| {
                Value::Object(pick(
                    m,
                    &[
                        "name",
                        "classification",
                        "critical",
                        "n_baseline",
                        "n_candidate",
                        "estimate",
                        "interval",
                        "p_value",
                        "effect",
                        "rule",
                        "reason",
                    ],
                ))
            })
            .collect(),
    );
    Explained {
        explanation,
        details: Value::Object(details),
    }
}

fn retrain(decision_doc: &Value, decision: &str) -> Explained {
    let explanation = match decision_doc.get("summary").and_then(Value::as_str) {
        Some(summary) => summary.to_owned(),
        None => format!("retrain decision: {decision}"),
    };
    let mut details = pick(
        decision_doc,
        &[
            "decision",
            "at",
            "policy",
            "model",
            "version",
            "window",
            "fired",
            "blocked_by",
            "until",
            "alerts",
        ],
    );
    details.insert("kind".to_owned(), json!("retrain_decision"));
    Explained {
        explanation,
        details: Value::Object(details),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_explains_a_drift_report_by_its_drifted_columns() {
        let report = json!({
            "schema_version": 1, "dataset_drift": true, "drift_share": 0.5,
            "drift_share_threshold": 0.5, "n_columns": 4, "n_drifted": 2, "correction": "none",
            "reference": {"source": "ref.csv", "rows": 5000},
            "columns": [
                {"name": "age", "kind": "numeric", "test": "psi", "statistic": 0.3141, "p_value": null,
                 "threshold": 0.1, "drifted": true, "distribution": {"edges": [1, 2, 3]}},
                {"name": "income", "kind": "numeric", "test": "ks", "statistic": 0.08, "p_value": 0.00213,
                 "threshold": 0.05, "drifted": true},
                {"name": "plan", "kind": "categorical", "test": "chisquare", "statistic": 1.2,
                 "p_value": 0.54, "threshold": 0.05, "drifted": false},
                {"name": "zip", "kind": "categorical", "test": "jensenshannon", "statistic": 0.01,
                 "p_value": null, "threshold": 0.1, "drifted": false}
            ]
        });
        let explained = explain(&report).expect("a drift report");
        assert_eq!(
            explained.explanation,
            "dataset drift: 2 of 4 columns drifted (share 0.5, threshold 0.5): \
             age (psi 0.3141 >= 0.1); income (ks p-value 0.00213 < 0.05)"
        );
        let details = &explained.details;
        assert_eq!(details["kind"], "drift_report");
        assert_eq!(details["drifted_columns"].as_array().map(Vec::len), Some(2));
        assert_eq!(details["drifted_columns"][1]["p_value"], 0.00213);
        assert!(details["drifted_columns"][0].get("distribution").is_none());
        assert_eq!(details["reference"]["rows"], 5000);
    }

    #[test]
    fn alert_explains_canary_verdicts_and_retrain_decisions() {
        let verdict = json!({
            "schema_version": 1, "decision": "fail", "score": 50.0,
            "reason": "score 50 against pass 95 and marginal 75",
            "metrics": [
                {"name": "latency_ms", "classification": {"label": "high"}, "estimate": 2.5,
                 "reason": "latency_ms was classified as High"},
                {"name": "error_rate", "classification": {"label": "pass"}, "reason": "fine"}
            ]
        });
        let explained = explain(&verdict).expect("a verdict");
        assert_eq!(
            explained.explanation,
            "canary fail: score 50 against pass 95 and marginal 75: latency_ms was classified as High"
        );
        assert_eq!(explained.details["metrics"][0]["name"], "latency_ms");
        assert_eq!(
            explained.details["metrics"].as_array().map(Vec::len),
            Some(1)
        );

        let decision = json!({
            "schema_version": 1, "decision": "retrain", "model": "churn",
            "summary": "retrain: accuracy_low (accuracy 0.74 below 0.78)",
            "fired": ["accuracy_low"], "rules": [{"name": "accuracy_low"}]
        });
        let explained = explain(&decision).expect("a decision");
        assert_eq!(
            explained.explanation,
            "retrain: accuracy_low (accuracy 0.74 below 0.78)"
        );
        assert_eq!(explained.details["fired"][0], "accuracy_low");
        assert!(explained.details.get("rules").is_none());
        assert!(explain(&json!({"anything": 1})).is_none());
    }

    #[test]
    fn alert_numbers_read_well() {
        for (x, shown) in [
            (0.0, "0"),
            (0.1, "0.1"),
            (0.31415926, "0.3142"),
            (12.5, "12.5"),
            (1234.5678, "1235"),
            (0.00213, "0.00213"),
            (1.5e-12, "1.500e-12"),
            (2.0e7, "2.000e7"),
        ] {
            assert_eq!(number(&json!(x)), shown, "{x}");
        }
        assert_eq!(
            many(12),
            "c0; c1; c2; c3; c4; c5; c6; c7; c8; c9; and 2 more"
        );
    }

    fn many(n: usize) -> String {
        listed((0..n).map(|i| format!("c{i}")).collect())
    }
}
