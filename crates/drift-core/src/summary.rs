//! Column summaries and data-quality signals that accompany every drift result.

use serde::{Deserialize, Serialize};

use crate::column::{CategoricalSample, NumericSample};
use crate::stattest::distance::{NeumaierSum, mean};

/// Most frequent categories listed in a categorical summary.
const TOP_CATEGORIES: usize = 10;

/// One side of one column, described.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ColumnSummary {
    /// Moments and quantiles of a numeric side.
    Numeric(NumericSummary),
    /// Category counts of a categorical side.
    Categorical(CategoricalSummary),
}

/// A numeric side: counts, moments, range and quartiles (over finite values).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericSummary {
    /// Finite values.
    pub count: usize,
    /// Missing values.
    pub missing: usize,
    /// NaN and infinite values (dropped before testing).
    pub non_finite: usize,
    /// Distinct finite values.
    pub unique: usize,
    /// Mean (null when there are no values).
    pub mean: Option<f64>,
    /// Sample standard deviation, ddof 1, as pandas' `describe` (null below 2 values).
    pub std: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
    /// 25th, 50th and 75th percentiles, linear interpolation as numpy's default.
    pub quantiles: Option<Quartiles>,
}

/// Quartiles of a numeric side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quartiles {
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
}

/// A categorical side: counts and the most frequent categories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalSummary {
    /// Non-missing values.
    pub count: usize,
    /// Missing values.
    pub missing: usize,
    /// Distinct categories.
    pub unique: usize,
    /// Up to 10 most frequent categories, most frequent first (ties by label).
    pub top: Vec<CategoryCount>,
}

/// A category and how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    /// The category's label.
    pub value: String,
    /// Its count.
    pub count: u64,
}

/// Quality signals of the current side against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Current missing share minus reference missing share (missing and non-finite together).
    pub missing_share_delta: f64,
    /// Categories seen in the current data but not in the reference (categorical columns).
    pub new_categories: Vec<String>,
    /// Share of current values outside the reference's `[min, max]` (numeric columns), or in
    /// a category the reference never had (categorical columns).
    pub out_of_range_share: f64,
}

/// Most categories a distribution keeps for plotting; the rest are summed into "other".
const PLOT_CATEGORIES: usize = 20;

/// Most bins of a numeric distribution kept for plotting.
const PLOT_BINS: usize = 30;

/// Both sides' distributions on shared bins or categories, for plots (small: at most 30
/// bins or 20 categories plus "other").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Distribution {
    /// Counts in shared equal-width bins over the pooled range.
    Histogram {
        /// Bin edges, one more than bins; the last bin includes its right edge.
        edges: Vec<f64>,
        /// Reference count per bin.
        reference: Vec<u64>,
        /// Current count per bin.
        current: Vec<u64>,
    },
    /// Counts of the most frequent categories over both sides.
    Categories {
        /// The categories, most frequent over both sides first.
        categories: Vec<String>,
        /// Reference count per category.
        reference: Vec<u64>,
        /// Current count per category.
        current: Vec<u64>,
        /// Reference values in categories not listed.
        other_reference: u64,
        /// Current values in categories not listed.
        other_current: u64,
    },
}

impl Distribution {
    /// Shared Sturges bins (at most 30) over the pooled range of two numeric sides.
    pub fn of_numeric(reference: &NumericSample, current: &NumericSample) -> Self {
        let (x, y) = (reference.sorted(), current.sorted());
        let min = x
            .first()
            .into_iter()
            .chain(y.first())
            .copied()
            .fold(f64::INFINITY, f64::min);
        let max = x
            .last()
            .into_iter()
            .chain(y.last())
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if !min.is_finite() {
            return Distribution::Histogram {
                edges: Vec::new(),
                reference: Vec::new(),
                current: Vec::new(),
            };
        }
        let edges = plot_edges(min, max, x.len() + y.len());
        Distribution::Histogram {
            reference: crate::stattest::binned::histogram(x, &edges),
            current: crate::stattest::binned::histogram(y, &edges),
            edges,
        }
    }

    /// The 20 most frequent categories over both sides, the rest as "other".
    pub fn of_categorical(reference: &CategoricalSample, current: &CategoricalSample) -> Self {
        Self::of_frequencies(&crate::stattest::frequencies::Frequencies::of_categorical(
            reference, current,
        ))
    }

    /// [`Distribution::of_categorical`] from joint counts.
    pub(crate) fn of_frequencies(freq: &crate::stattest::frequencies::Frequencies) -> Self {
        let mut order: Vec<usize> = (0..freq.keys.len()).collect();
        order.sort_by(|&a, &b| {
            (freq.reference[b] + freq.current[b])
                .cmp(&(freq.reference[a] + freq.current[a]))
                .then(a.cmp(&b))
        });
        let (kept, rest) = order.split_at(order.len().min(PLOT_CATEGORIES));
        let label = |i: usize| match &freq.keys[i] {
            crate::stattest::frequencies::Key::Label(l) => l.clone(),
            crate::stattest::frequencies::Key::Number(v) => v.to_string(),
        };
        Distribution::Categories {
            categories: kept.iter().map(|&i| label(i)).collect(),
            reference: kept.iter().map(|&i| freq.reference[i]).collect(),
            current: kept.iter().map(|&i| freq.current[i]).collect(),
            other_reference: rest.iter().map(|&i| freq.reference[i]).sum(),
            other_current: rest.iter().map(|&i| freq.current[i]).sum(),
        }
    }
}

/// Sturges edges over `[min, max]` for `n` pooled values, respaced to at most 30 bins.
pub(crate) fn plot_edges(min: f64, max: f64, n: usize) -> Vec<f64> {
    let mut edges = crate::stattest::binned::sturges_edges(min, max, n);
    if edges.len() > PLOT_BINS + 1 {
        let (first, last) = (edges[0], edges[edges.len() - 1]);
        let step = (last - first) / PLOT_BINS as f64;
        edges = (0..=PLOT_BINS).map(|i| first + i as f64 * step).collect();
        edges[PLOT_BINS] = last;
    }
    edges
}

/// Linear-interpolation quantile of sorted values, as `numpy.quantile(.., method="linear")`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let lo = position.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let fraction = position - lo as f64;
    sorted[lo] + fraction * (sorted[hi] - sorted[lo])
}

impl NumericSummary {
    /// Describes a cleaned numeric side.
    pub fn of(sample: &NumericSample) -> Self {
        let values = sample.sorted();
        let (count, missing, non_finite) = (values.len(), sample.n_missing, sample.n_non_finite);
        if values.is_empty() {
            return NumericSummary {
                count,
                missing,
                non_finite,
                unique: 0,
                mean: None,
                std: None,
                min: None,
                max: None,
                quantiles: None,
            };
        }
        let m = mean(values);
        let std = (values.len() > 1).then(|| {
            let mut sum = NeumaierSum::default();
            values.iter().for_each(|&v| sum.add((v - m) * (v - m)));
            (sum.total() / (values.len() - 1) as f64).sqrt()
        });
        NumericSummary {
            count,
            missing,
            non_finite,
            unique: sample.n_unique(),
            mean: Some(m),
            std,
            min: values.first().copied(),
            max: values.last().copied(),
            quantiles: Some(Quartiles {
                p25: quantile(values, 0.25),
                p50: quantile(values, 0.5),
                p75: quantile(values, 0.75),
            }),
        }
    }
}

impl CategoricalSummary {
    /// Describes a cleaned categorical side.
    pub fn of(sample: &CategoricalSample) -> Self {
        let mut top: Vec<CategoryCount> = sample
            .labels()
            .iter()
            .zip(sample.counts())
            .map(|(value, &count)| CategoryCount {
                value: value.clone(),
                count,
            })
            .collect();
        top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        top.truncate(TOP_CATEGORIES);
        CategoricalSummary {
            count: sample.len(),
            missing: sample.n_missing,
            unique: sample.n_unique(),
            top,
        }
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl Quality {
    /// Quality of a numeric current side against its reference.
    pub fn numeric(reference: &NumericSample, current: &NumericSample) -> Self {
        let missing_share = |s: &NumericSample| {
            share(
                s.n_missing + s.n_non_finite,
                s.len() + s.n_missing + s.n_non_finite,
            )
        };
        let out_of_range = match (reference.sorted().first(), reference.sorted().last()) {
            (Some(&lo), Some(&hi)) => {
                let values = current.sorted();
                let below = values.partition_point(|&v| v < lo);
                let above = values.len() - values.partition_point(|&v| v <= hi);
                share(below + above, values.len())
            }
            _ => 0.0,
        };
        Quality {
            missing_share_delta: missing_share(current) - missing_share(reference),
            new_categories: Vec::new(),
            out_of_range_share: out_of_range,
        }
    }

    /// Quality of a categorical current side against its reference.
    pub fn categorical(reference: &CategoricalSample, current: &CategoricalSample) -> Self {
        let missing_share = |s: &CategoricalSample| share(s.n_missing, s.len() + s.n_missing);
        let known = reference.labels();
        let mut new_categories = Vec::new();
        let mut n_new = 0u64;
        for (label, &count) in current.labels().iter().zip(current.counts()) {
            if known.binary_search(label).is_err() {
                new_categories.push(label.clone());
                n_new += count;
            }
        }
        Quality {
            missing_share_delta: missing_share(current) - missing_share(reference),
            new_categories,
            out_of_range_share: share(n_new as usize, current.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distributions_share_bins_and_keep_the_top_categories() {
        let r = NumericSample::from_values(&(0..1000).map(f64::from).collect::<Vec<_>>());
        let c = NumericSample::from_values(&(500..1500).map(f64::from).collect::<Vec<_>>());
        let Distribution::Histogram {
            edges,
            reference,
            current,
        } = Distribution::of_numeric(&r, &c)
        else {
            unreachable!("numeric gives a histogram")
        };
        assert!(edges.len() <= 31 && edges[0] == 0.0 && edges[edges.len() - 1] == 1499.0);
        assert_eq!(
            (reference.iter().sum::<u64>(), current.iter().sum::<u64>()),
            (1000, 1000)
        );

        let labels: Vec<String> = (0..30)
            .flat_map(|i| std::iter::repeat_n(format!("c{i:02}"), i + 1))
            .collect();
        let r = CategoricalSample::from_labels(labels.iter().map(Some));
        let Distribution::Categories {
            categories,
            other_reference,
            ..
        } = Distribution::of_categorical(&r, &r)
        else {
            unreachable!("categorical gives categories")
        };
        assert_eq!(categories.len(), 20);
        assert_eq!(categories[0], "c29");
        assert_eq!(other_reference, (1..=10).sum::<u64>());
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.25, 0.5, 0.75]) == [1.75, 2.5, 3.25]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            [quantile(&v, 0.25), quantile(&v, 0.5), quantile(&v, 0.75)],
            [1.75, 2.5, 3.25]
        );
    }

    #[test]
    fn quality_finds_new_categories_and_out_of_range_values() {
        let r = CategoricalSample::from_labels([Some("a"), Some("b"), None]);
        let c = CategoricalSample::from_labels([Some("a"), Some("c"), Some("c"), Some("a")]);
        let q = Quality::categorical(&r, &c);
        assert_eq!(q.new_categories, vec!["c"]);
        assert_eq!(q.out_of_range_share, 0.5);
        assert!((q.missing_share_delta + 1.0 / 3.0).abs() < 1e-15);

        let r = NumericSample::from_values(&[0.0, 1.0]);
        let c = NumericSample::from_raw(&[Some(-1.0), Some(0.5), Some(2.0), None]);
        let q = Quality::numeric(&r, &c);
        assert!((q.out_of_range_share - 2.0 / 3.0).abs() < 1e-15);
        assert!((q.missing_share_delta - 0.25).abs() < 1e-15);
    }
}
