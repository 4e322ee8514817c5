//! Shadow comparison: a shadow model's answers paired with the live model's by request id.
//!
//! Classifiers: the agreement rate with Wilson's interval, and McNemar's test of their
//! accuracies where labels are known. Regressors and latencies: mean and largest absolute
//! difference, the paired t-test and Wilcoxon's signed-rank test. Requests seen by one
//! side only are counted on each side; an id repeated on one side keeps its first answer
//! and counts the rest as duplicates.

use std::collections::HashMap;

use crate::error::CanaryError;
use crate::paired::{PairedTTest, SignedRankTest, paired_t_test, wilcoxon_signed_rank};
use crate::proportion::{McNemarTest, Proportion, mcnemar, wilson_interval};

/// One answer for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a, T> {
    /// The request id.
    pub id: &'a str,
    /// The answer (a class label, a prediction, a latency).
    pub value: T,
}

/// How the two sides matched up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Pairing {
    /// Requests answered by both.
    pub n_pairs: u64,
    /// Requests only the live model answered.
    pub unmatched_live: u64,
    /// Requests only the shadow model answered.
    pub unmatched_shadow: u64,
    /// Repeated ids on the live side (first answer kept).
    pub duplicate_live: u64,
    /// Repeated ids on the shadow side (first answer kept).
    pub duplicate_shadow: u64,
}

/// Pairs the answers by id, in the live side's order.
pub fn pair<'a, T: Copy>(
    live: &[Record<'a, T>],
    shadow: &[Record<'a, T>],
) -> (Vec<(&'a str, T, T)>, Pairing) {
    let mut pairing = Pairing::default();
    let mut shadow_by_id: HashMap<&str, T> = HashMap::with_capacity(shadow.len());
    for r in shadow {
        if shadow_by_id.contains_key(r.id) {
            pairing.duplicate_shadow += 1;
        } else {
            shadow_by_id.insert(r.id, r.value);
        }
    }
    let mut seen_live: HashMap<&str, ()> = HashMap::with_capacity(live.len());
    let mut pairs = Vec::with_capacity(live.len().min(shadow.len()));
    for r in live {
        if seen_live.insert(r.id, ()).is_some() {
            pairing.duplicate_live += 1;
            continue;
        }
        match shadow_by_id.get(r.id) {
            Some(&s) => pairs.push((r.id, r.value, s)),
            None => pairing.unmatched_live += 1,
        }
    }
    pairing.n_pairs = pairs.len() as u64;
    pairing.unmatched_shadow = shadow_by_id.len() as u64 - pairing.n_pairs;
    (pairs, pairing)
}

/// A rate with its Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RateWithInterval {
    /// Events (agreeing pairs).
    pub count: u64,
    /// Trials (pairs).
    pub n: u64,
    /// `count / n` (NaN without pairs).
    pub rate: f64,
    /// Lower end of Wilson's interval.
    pub lower: f64,
    /// Upper end of Wilson's interval.
    pub upper: f64,
    /// The interval's confidence level.
    pub confidence: f64,
}

impl RateWithInterval {
    fn new(count: u64, n: u64, confidence: f64) -> Self {
        let p = Proportion {
            events: count,
            trials: n,
        };
        let (lower, upper) = wilson_interval(p, confidence);
        RateWithInterval {
            count,
            n,
            rate: p.rate(),
            lower,
            upper,
            confidence,
        }
    }
}

/// The two classifiers against the labels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LabelledComparison {
    /// Pairs with a label.
    pub n_labelled: u64,
    /// Pairs without one.
    pub n_unlabelled: u64,
    /// The live model's accuracy on the labelled pairs, with its interval.
    pub live_accuracy: RateWithInterval,
    /// The shadow model's accuracy on the labelled pairs, with its interval.
    pub shadow_accuracy: RateWithInterval,
    /// Pairs both got right.
    pub both_correct: u64,
    /// Pairs both got wrong.
    pub both_wrong: u64,
    /// McNemar's test on the pairs exactly one got right.
    pub mcnemar: McNemarTest,
}

/// A shadow classifier compared with the live one.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassifierComparison {
    /// How the sides matched up.
    pub pairing: Pairing,
    /// Pairs where both answered the same class.
    pub agreement: RateWithInterval,
    /// Accuracies and McNemar's test, when labels were given.
    pub labelled: Option<LabelledComparison>,
}

/// Compares two classifiers' answers (class labels as strings), with labels if known.
///
/// # Errors
/// [`CanaryError::InvalidParameter`] for a confidence outside `(0, 1)`.
pub fn compare_classifiers(
    live: &[Record<'_, &str>],
    shadow: &[Record<'_, &str>],
    labels: Option<&[Record<'_, &str>]>,
    confidence: f64,
) -> Result<ClassifierComparison, CanaryError> {
    check_confidence(confidence)?;
    let (pairs, pairing) = pair(live, shadow);
    let agreeing = pairs.iter().filter(|(_, l, s)| l == s).count() as u64;
    let agreement = RateWithInterval::new(agreeing, pairing.n_pairs, confidence);
    let labelled = labels.map(|labels| {
        let mut by_id: HashMap<&str, &str> = HashMap::with_capacity(labels.len());
        for r in labels {
            by_id.entry(r.id).or_insert(r.value);
        }
        let (mut both, mut neither, mut live_only, mut shadow_only, mut n) = (0, 0, 0, 0, 0);
        for (id, l, s) in &pairs {
            let Some(truth) = by_id.get(id) else {
                continue;
            };
            n += 1;
            match (l == truth, s == truth) {
                (true, true) => both += 1,
                (false, false) => neither += 1,
                (true, false) => live_only += 1,
                (false, true) => shadow_only += 1,
            }
        }
        LabelledComparison {
            n_labelled: n,
            n_unlabelled: pairing.n_pairs - n,
            live_accuracy: RateWithInterval::new(both + live_only, n, confidence),
            shadow_accuracy: RateWithInterval::new(both + shadow_only, n, confidence),
            both_correct: both,
            both_wrong: neither,
            mcnemar: mcnemar(live_only, shadow_only),
        }
    });
    Ok(ClassifierComparison {
        pairing,
        agreement,
        labelled,
    })
}

fn check_confidence(confidence: f64) -> Result<(), CanaryError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        Err(CanaryError::invalid("confidence", "in (0, 1)", confidence))
    }
}

/// Paired numeric answers compared (regressors' predictions, latencies).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairedComparison {
    /// How the sides matched up.
    pub pairing: Pairing,
    /// Pairs left out because a value is NaN or infinite.
    pub non_finite_pairs: u64,
    /// Mean of `shadow - live`.
    pub mean_difference: f64,
    /// Mean of `|shadow - live|`.
    pub mean_abs_difference: f64,
    /// Largest `|shadow - live|`.
    pub max_abs_difference: f64,
    /// The paired t-test on `shadow - live`.
    pub paired_t: PairedTTest,
    /// Wilcoxon's signed-rank test on `shadow - live`.
    pub wilcoxon: SignedRankTest,
}

/// Compares a shadow regressor's predictions with the live one's.
pub fn compare_regressors(
    live: &[Record<'_, f64>],
    shadow: &[Record<'_, f64>],
) -> PairedComparison {
    compare_paired(live, shadow)
}

/// Compares the shadow's latencies with the live model's, request by request.
pub fn compare_latencies(live: &[Record<'_, f64>], shadow: &[Record<'_, f64>]) -> PairedComparison {
    compare_paired(live, shadow)
}

fn compare_paired(live: &[Record<'_, f64>], shadow: &[Record<'_, f64>]) -> PairedComparison {
    let (pairs, pairing) = pair(live, shadow);
    let differences: Vec<f64> = pairs
        .iter()
        .filter(|(_, l, s)| l.is_finite() && s.is_finite())
        .map(|(_, l, s)| s - l)
        .collect();
    let n = differences.len() as f64;
    let mean_difference = differences.iter().sum::<f64>() / n;
    let mean_abs_difference = differences.iter().map(|d| d.abs()).sum::<f64>() / n;
    let max_abs_difference = differences.iter().map(|d| d.abs()).fold(f64::NAN, f64::max);
    PairedComparison {
        pairing,
        non_finite_pairs: pairing.n_pairs - differences.len() as u64,
        mean_difference,
        mean_abs_difference,
        max_abs_difference,
        paired_t: paired_t_test(&differences),
        wilcoxon: wilcoxon_signed_rank(&differences),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::proportion::McNemarMethod;

    fn records<'a, T: Copy>(items: &[(&'a str, T)]) -> Vec<Record<'a, T>> {
        items
            .iter()
            .map(|&(id, value)| Record { id, value })
            .collect()
    }

    #[test]
    fn pairs_by_id_and_counts_the_rest() {
        let live = records(&[("a", 1), ("b", 2), ("c", 3), ("a", 9), ("x", 4)]);
        let shadow = records(&[
            ("c", 30),
            ("b", 20),
            ("a", 10),
            ("y", 5),
            ("z", 6),
            ("z", 7),
        ]);
        let (pairs, pairing) = pair(&live, &shadow);
        assert_eq!(pairs, vec![("a", 1, 10), ("b", 2, 20), ("c", 3, 30)]);
        assert_eq!(
            pairing,
            Pairing {
                n_pairs: 3,
                unmatched_live: 1,
                unmatched_shadow: 2,
                duplicate_live: 1,
                duplicate_shadow: 1,
            }
        );
    }

    #[test]
    fn classifiers_agreement_and_mcnemar() {
        // 6 pairs: 4 agree; labels for 5 of them
        let live = records(&[
            ("1", "cat"),
            ("2", "dog"),
            ("3", "dog"),
            ("4", "cat"),
            ("5", "cat"),
            ("6", "dog"),
        ]);
        let shadow = records(&[
            ("1", "cat"),
            ("2", "dog"),
            ("3", "cat"),
            ("4", "cat"),
            ("5", "dog"),
            ("6", "dog"),
        ]);
        let labels = records(&[
            ("1", "cat"),
            ("2", "cat"),
            ("3", "cat"),
            ("4", "cat"),
            ("5", "cat"),
        ]);
        let c = compare_classifiers(&live, &shadow, Some(&labels), 0.95).expect("valid");
        assert_eq!((c.agreement.count, c.agreement.n), (4, 6));
        let (lo, hi) = wilson_interval(
            Proportion {
                events: 4,
                trials: 6,
            },
            0.95,
        );
        assert_eq!((c.agreement.lower, c.agreement.upper), (lo, hi));
        let l = c.labelled.expect("labels given");
        // 1: both right; 2: both wrong; 3: shadow only; 4: both right; 5: live only
        assert_eq!((l.n_labelled, l.n_unlabelled), (5, 1));
        assert_eq!((l.both_correct, l.both_wrong), (2, 1));
        assert_eq!((l.live_accuracy.count, l.shadow_accuracy.count), (3, 3));
        assert_eq!(l.mcnemar, mcnemar(1, 1));
        assert_eq!(l.mcnemar.method, McNemarMethod::ExactBinomial);
        assert!(compare_classifiers(&live, &shadow, None, 1.5).is_err());
    }

    #[test]
    fn regressors_differences() {
        let live = records(&[
            ("a", 1.0),
            ("b", 2.0),
            ("c", 3.0),
            ("d", f64::NAN),
            ("e", 5.0),
        ]);
        let shadow = records(&[("a", 1.5), ("b", 1.0), ("c", 3.25), ("d", 4.0), ("e", 5.0)]);
        let c = compare_regressors(&live, &shadow);
        assert_eq!(c.pairing.n_pairs, 5);
        assert_eq!(c.non_finite_pairs, 1);
        // differences 0.5, -1, 0.25, 0
        assert_eq!(c.mean_difference, -0.0625);
        assert_eq!(c.mean_abs_difference, 0.4375);
        assert_eq!(c.max_abs_difference, 1.0);
        assert_eq!(c.paired_t, paired_t_test(&[0.5, -1.0, 0.25, 0.0]));
        assert_eq!(c.wilcoxon, wilcoxon_signed_rank(&[0.5, -1.0, 0.25, 0.0]));
        let none = compare_latencies(&[], &shadow);
        assert_eq!(none.pairing.unmatched_shadow, 5);
        assert!(none.mean_difference.is_nan() && none.max_abs_difference.is_nan());
    }
}
