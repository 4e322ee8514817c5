//! A window's performance once its labels are in: accuracy, precision, recall, F1 and ROC
//! AUC for classifiers, MAE and RMSE for regressors, as scikit-learn 1.9 computes them.
//!
//! Classification: a score at or above the threshold is class 1, labels are 0 or 1, the
//! positive class is 1. Precision, recall and F1 are scikit-learn's binary averages with
//! `zero_division = 0` (its default after the warning): precision is 0 without predicted
//! positives, recall 0 without actual positives, F1 = 2·TP / (2·TP + FP + FN) and 0 when
//! that denominator is 0. ROC AUC is the Mann-Whitney statistic with average ranks for tied
//! scores, which equals scikit-learn's trapezoidal area under the ROC curve (ties give the
//! diagonal segment); it is undefined (`None`; scikit-learn warns and returns NaN) when the labels
//! hold one class only. Regression: MAE = mean |y − ŷ|, RMSE = √(mean (y − ŷ)²).
//! Checked against `reference/scripts/watch_performance_reference.py`.

use serde::{Deserialize, Serialize};

/// The performance of one window (fields a task does not have are `null`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    /// Predictions whose label arrived in time.
    pub labelled: u64,
    /// Share of labelled predictions classified right.
    pub accuracy: Option<f64>,
    /// TP / (TP + FP).
    pub precision: Option<f64>,
    /// TP / (TP + FN).
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall.
    pub f1: Option<f64>,
    /// Area under the ROC curve of the scores.
    pub auc: Option<f64>,
    /// Mean absolute error.
    pub mae: Option<f64>,
    /// Root mean squared error.
    pub rmse: Option<f64>,
}

/// A classifier's performance on `(score, label)` pairs; labels are 0 or 1.
pub fn classification(pairs: &[(f64, f64)], threshold: f64) -> Performance {
    let labelled = pairs.len() as u64;
    if pairs.is_empty() {
        return Performance::default();
    }
    let (mut tp, mut fp, mut fn_, mut tn) = (0u64, 0u64, 0u64, 0u64);
    for &(score, label) in pairs {
        match (score >= threshold, label == 1.0) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fn_ += 1,
            (false, false) => tn += 1,
        }
    }
    let ratio = |num: u64, den: u64| {
        if den == 0 {
            0.0
        } else {
            num as f64 / den as f64
        }
    };
    Performance {
        labelled,
        accuracy: Some(ratio(tp + tn, labelled)),
        precision: Some(ratio(tp, tp + fp)),
        recall: Some(ratio(tp, tp + fn_)),
        f1: Some(ratio(2 * tp, 2 * tp + fp + fn_)),
        auc: roc_auc(pairs),
        mae: None,
        rmse: None,
    }
}

/// A regressor's performance on `(prediction, label)` pairs.
pub fn regression(pairs: &[(f64, f64)]) -> Performance {
    let labelled = pairs.len() as u64;
    if pairs.is_empty() {
        return Performance::default();
    }
    let n = pairs.len() as f64;
    let (abs, sq) = pairs.iter().fold((0.0, 0.0), |(abs, sq), &(p, y)| {
        let e = y - p;
        (abs + e.abs(), sq + e * e)
    });
    Performance {
        labelled,
        mae: Some(abs / n),
        rmse: Some((sq / n).sqrt()),
        ..Performance::default()
    }
}

/// ROC AUC of scores against 0/1 labels: (R₁ − n₁(n₁+1)/2) / (n₁·n₀) with R₁ the sum of
/// the positives' average ranks; `None` without both classes.
pub fn roc_auc(pairs: &[(f64, f64)]) -> Option<f64> {
    let n_pos = pairs.iter().filter(|p| p.1 == 1.0).count();
    let n_neg = pairs.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut sorted: Vec<(f64, bool)> = pairs.iter().map(|&(s, y)| (s, y == 1.0)).collect();
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1].0 == sorted[i].0 {
            j += 1;
        }
        // ranks i+1 ..= j+1 share their average
        let average = (i + j + 2) as f64 / 2.0;
        let positives = sorted[i..=j].iter().filter(|p| p.1).count();
        rank_sum += average * positives as f64;
        i = j + 1;
    }
    let (p, n) = (n_pos as f64, n_neg as f64);
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::{assert_close, load_reference, number, numbers};

    fn pairs(case: &serde_json::Value) -> Vec<(f64, f64)> {
        numbers(&case["scores"])
            .into_iter()
            .zip(numbers(&case["labels"]))
            .collect()
    }

    fn check(actual: Option<f64>, expected: &serde_json::Value, what: &str) {
        match (actual, expected.is_null()) {
            (None, true) => {}
            (Some(a), false) => assert_close(a, number(expected), 1e-12, 1e-12, what),
            _ => panic!("{what}: ours {actual:?}, scikit-learn {expected}"),
        }
    }

    #[test]
    fn classification_matches_scikit_learn_with_ties() {
        let reference = load_reference("watch_performance.json");
        let cases = reference["classification"].as_array().expect("cases");
        assert!(cases.len() >= 4);
        for case in cases {
            let name = case["name"].as_str().expect("name");
            let threshold = number(&case["threshold"]);
            let ours = classification(&pairs(case), threshold);
            assert_eq!(ours.labelled as usize, pairs(case).len());
            for metric in ["accuracy", "precision", "recall", "f1", "auc"] {
                let value = match metric {
                    "accuracy" => ours.accuracy,
                    "precision" => ours.precision,
                    "recall" => ours.recall,
                    "f1" => ours.f1,
                    _ => ours.auc,
                };
                check(value, &case[metric], &format!("{name} {metric}"));
            }
        }
    }

    #[test]
    fn regression_matches_scikit_learn() {
        let reference = load_reference("watch_performance.json");
        for case in reference["regression"].as_array().expect("cases") {
            let name = case["name"].as_str().expect("name");
            let ours = regression(&pairs(case));
            check(ours.mae, &case["mae"], &format!("{name} mae"));
            check(ours.rmse, &case["rmse"], &format!("{name} rmse"));
            assert_eq!(ours.accuracy, None);
        }
    }

    #[test]
    fn nothing_labelled_is_nothing_measured() {
        assert_eq!(classification(&[], 0.5), Performance::default());
        assert_eq!(regression(&[]), Performance::default());
        assert_eq!(roc_auc(&[(0.2, 1.0), (0.9, 1.0)]), None);
    }
}
