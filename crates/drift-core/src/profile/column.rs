//! One column's profile: counts, range, moments and sketches, built in one pass and merged.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ProfileOptions;
use super::frequent::CategoryCounts;
use super::hll::{HyperLogLog, hash_label, hash_number};
use super::kll::KllSketch;
use super::moments::Moments;
use crate::column::{ColumnData, ColumnKind};
use crate::error::ProfileError;

/// The profile of one column: numeric or categorical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnProfile {
    /// A numeric column.
    Numeric(NumericProfile),
    /// A categorical column.
    Categorical(CategoricalProfile),
}

/// A numeric column's profile.
///
/// Exact: row, missing and non-finite counts, `min`, `max`, the distinct values with
/// their counts while there are at most `exact_limit` of them. Up to rounding: the
/// moments. Approximate: the quantile sketch (rank error
/// [`KllSketch::rank_error_bound`]) and the distinct-count sketch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericProfile {
    /// Rows seen, missing ones included.
    pub n_rows: u64,
    /// Missing rows.
    pub n_missing: u64,
    /// NaN and infinite values (dropped from everything below, as the exact tests do).
    pub n_non_finite: u64,
    /// Smallest finite value.
    pub min: Option<f64>,
    /// Largest finite value.
    pub max: Option<f64>,
    /// Count, mean and sum of squared deviations of the finite values.
    pub moments: Moments,
    /// Quantile sketch of the finite values.
    pub quantiles: KllSketch,
    /// Every distinct finite value with its count, ascending, while there are at most
    /// `exact_limit` of them; `null` once there were more.
    pub values: Option<ValueCounts>,
    /// Distinct-count sketch of the finite values.
    pub distinct: HyperLogLog,
}

/// A categorical column's profile: exact counts, or a frequent-items summary past the
/// exact limit, and a distinct-count sketch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalProfile {
    /// Rows seen, missing ones included.
    pub n_rows: u64,
    /// Missing rows.
    pub n_missing: u64,
    /// Label counts.
    pub counts: CategoryCounts,
    /// Distinct-count sketch of the labels.
    pub distinct: HyperLogLog,
}

/// Distinct finite numbers with their exact counts, ascending (serialized as
/// `[[value, count], ...]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Vec<(f64, u64)>", into = "Vec<(f64, u64)>")]
pub struct ValueCounts {
    counts: BTreeMap<u64, u64>,
}

/// An order-preserving `u64` key of a finite `f64` (`-0.0` folded into `0.0`).
fn order_key(value: f64) -> u64 {
    let bits = if value == 0.0 { 0 } else { value.to_bits() };
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn from_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

impl ValueCounts {
    fn add(&mut self, value: f64, count: u64) {
        *self.counts.entry(order_key(value)).or_insert(0) += count;
    }

    /// Number of distinct values.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// `(value, count)` pairs, ascending by value.
    pub fn iter(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.counts.iter().map(|(&k, &c)| (from_order_key(k), c))
    }

    /// Whether `value` is one of the values.
    pub fn contains(&self, value: f64) -> bool {
        self.counts.contains_key(&order_key(value))
    }
}

impl From<ValueCounts> for Vec<(f64, u64)> {
    fn from(values: ValueCounts) -> Self {
        values.iter().collect()
    }
}

impl TryFrom<Vec<(f64, u64)>> for ValueCounts {
    type Error = String;

    fn try_from(pairs: Vec<(f64, u64)>) -> Result<Self, String> {
        if pairs.iter().any(|(v, c)| !v.is_finite() || *c == 0) {
            return Err("value counts must pair finite values with positive counts".into());
        }
        if pairs.windows(2).any(|w| w[0].0 >= w[1].0) {
            return Err("value counts must be strictly ascending".into());
        }
        Ok(ValueCounts {
            counts: pairs.into_iter().map(|(v, c)| (order_key(v), c)).collect(),
        })
    }
}

impl ColumnProfile {
    /// An empty profile of a column of `kind`.
    pub fn new(kind: ColumnKind, options: &ProfileOptions) -> Self {
        match kind {
            ColumnKind::Numeric => ColumnProfile::Numeric(NumericProfile::new(options)),
            ColumnKind::Categorical => ColumnProfile::Categorical(CategoricalProfile::new(options)),
        }
    }

    /// The profile of a column's values, in one pass.
    pub fn from_column(data: &ColumnData, options: &ProfileOptions) -> Self {
        let mut profile = ColumnProfile::new(data.kind(), options);
        profile.add_rows(data, options);
        profile
    }

    /// The column's kind.
    pub fn kind(&self) -> ColumnKind {
        match self {
            ColumnProfile::Numeric(_) => ColumnKind::Numeric,
            ColumnProfile::Categorical(_) => ColumnKind::Categorical,
        }
    }

    /// Rows seen, missing ones included.
    pub fn n_rows(&self) -> u64 {
        match self {
            ColumnProfile::Numeric(p) => p.n_rows,
            ColumnProfile::Categorical(p) => p.n_rows,
        }
    }

    /// Whether every row seen was missing (such a profile merges with either kind).
    pub fn is_all_missing(&self) -> bool {
        match self {
            ColumnProfile::Numeric(p) => p.n_missing == p.n_rows,
            ColumnProfile::Categorical(p) => p.n_missing == p.n_rows,
        }
    }

    /// Adds `count` missing rows (rows of a batch that lacked this column).
    pub fn push_missing(&mut self, count: u64) {
        match self {
            ColumnProfile::Numeric(p) => {
                p.n_rows += count;
                p.n_missing += count;
            }
            ColumnProfile::Categorical(p) => {
                p.n_rows += count;
                p.n_missing += count;
            }
        }
    }

    /// Adds a batch of rows of this column.
    ///
    /// # Errors
    /// [`ProfileError::KindMismatch`] when `data` is of the other kind and this profile
    /// has seen non-missing values (an all-missing profile takes the batch's kind).
    pub fn extend(
        &mut self,
        column: &str,
        data: &ColumnData,
        options: &ProfileOptions,
    ) -> Result<(), ProfileError> {
        self.adopt_kind(column, data.kind(), options)?;
        self.add_rows(data, options);
        Ok(())
    }

    /// Merges another profile of the same column.
    ///
    /// # Errors
    /// [`ProfileError::KindMismatch`] when the kinds differ and neither side is all
    /// missing.
    pub fn merge(
        &mut self,
        column: &str,
        other: &ColumnProfile,
        options: &ProfileOptions,
    ) -> Result<(), ProfileError> {
        if self.kind() != other.kind() && other.is_all_missing() {
            self.push_missing(other.n_rows());
            return Ok(());
        }
        self.adopt_kind(column, other.kind(), options)?;
        match (self, other) {
            (ColumnProfile::Numeric(a), ColumnProfile::Numeric(b)) => a.merge(b, options),
            (ColumnProfile::Categorical(a), ColumnProfile::Categorical(b)) => a.merge(b, options),
            _ => unreachable!("kinds were aligned above"),
        }
        Ok(())
    }

    /// Makes an all-missing profile of the other kind into an empty one of `kind` with the
    /// same missing rows; a mismatch otherwise.
    fn adopt_kind(
        &mut self,
        column: &str,
        kind: ColumnKind,
        options: &ProfileOptions,
    ) -> Result<(), ProfileError> {
        if self.kind() == kind {
            return Ok(());
        }
        if !self.is_all_missing() {
            return Err(ProfileError::KindMismatch {
                column: column.to_owned(),
                left: self.kind(),
                right: kind,
            });
        }
        let missing = self.n_rows();
        *self = ColumnProfile::new(kind, options);
        self.push_missing(missing);
        Ok(())
    }

    fn add_rows(&mut self, data: &ColumnData, options: &ProfileOptions) {
        match (self, data) {
            (ColumnProfile::Numeric(p), ColumnData::Numeric(values)) => {
                values.iter().for_each(|value| p.push(value, options));
            }
            (ColumnProfile::Categorical(p), ColumnData::Categorical { labels, codes }) => {
                p.push_codes(labels, codes, options);
            }
            _ => unreachable!("add_rows is called with matching kinds"),
        }
    }

    /// Checks the sketches' parameters against the profile's options (after reading).
    pub(crate) fn check_options(&self, options: &ProfileOptions) -> Result<(), String> {
        let hll = match self {
            ColumnProfile::Numeric(p) => {
                if p.quantiles.k() != options.quantile_k {
                    return Err(format!(
                        "quantile sketch k {} differs from the profile's {}",
                        p.quantiles.k(),
                        options.quantile_k
                    ));
                }
                let finite = p.moments.count;
                let rows = u128::from(p.n_missing) + u128::from(p.n_non_finite);
                if p.quantiles.n() != finite || rows + u128::from(finite) != u128::from(p.n_rows) {
                    return Err("numeric counts do not add up".into());
                }
                if let Some(values) = &p.values
                    && values.iter().map(|(_, c)| u128::from(c)).sum::<u128>() != u128::from(finite)
                {
                    return Err("value counts do not add up to the finite count".into());
                }
                if (finite > 0) != (p.min.is_some() && p.max.is_some()) {
                    return Err("min and max must be present exactly when values are".into());
                }
                if let (Some(min), Some(max)) = (p.min, p.max)
                    && !(min.is_finite() && max.is_finite() && min <= max)
                {
                    return Err(format!("min {min} and max {max} are not a finite range"));
                }
                &p.distinct
            }
            ColumnProfile::Categorical(p) => {
                let counted: u128 = p.counts.counts().values().map(|&c| u128::from(c)).sum();
                let (missing, rows) = (u128::from(p.n_missing), u128::from(p.n_rows));
                if (p.counts.is_exact() && counted + missing != rows) || counted + missing > rows {
                    return Err("categorical counts do not add up".into());
                }
                &p.distinct
            }
        };
        if hll.precision() != options.distinct_precision {
            return Err(format!(
                "distinct-count precision {} differs from the profile's {}",
                hll.precision(),
                options.distinct_precision
            ));
        }
        Ok(())
    }
}

impl NumericProfile {
    /// An empty numeric profile.
    pub fn new(options: &ProfileOptions) -> Self {
        NumericProfile {
            n_rows: 0,
            n_missing: 0,
            n_non_finite: 0,
            min: None,
            max: None,
            moments: Moments::default(),
            quantiles: KllSketch::new(options.quantile_k, options.seed),
            values: Some(ValueCounts::default()),
            distinct: HyperLogLog::new(options.distinct_precision),
        }
    }

    /// Adds one row; `None` is missing, NaN and ±inf are counted as non-finite.
    pub fn push(&mut self, value: Option<f64>, options: &ProfileOptions) {
        self.n_rows += 1;
        match value {
            None => self.n_missing += 1,
            Some(v) if !v.is_finite() => self.n_non_finite += 1,
            Some(v) => {
                let v = if v == 0.0 { 0.0 } else { v };
                self.min = Some(self.min.map_or(v, |m| m.min(v)));
                self.max = Some(self.max.map_or(v, |m| m.max(v)));
                self.moments.push(v);
                self.quantiles.push(v);
                self.distinct.insert_hash(hash_number(v));
                if let Some(values) = &mut self.values {
                    values.add(v, 1);
                    if values.len() > options.exact_limit as usize {
                        self.values = None;
                    }
                }
            }
        }
    }

    /// Number of finite values.
    pub fn count(&self) -> u64 {
        self.moments.count
    }

    fn merge(&mut self, other: &NumericProfile, options: &ProfileOptions) {
        self.n_rows += other.n_rows;
        self.n_missing += other.n_missing;
        self.n_non_finite += other.n_non_finite;
        self.min = min_option(self.min, other.min, f64::min);
        self.max = min_option(self.max, other.max, f64::max);
        self.moments.merge(&other.moments);
        self.quantiles.merge(&other.quantiles);
        self.distinct.merge(&other.distinct);
        self.values = match (self.values.take(), &other.values) {
            (Some(mut mine), Some(theirs)) => {
                theirs.iter().for_each(|(v, c)| mine.add(v, c));
                (mine.len() <= options.exact_limit as usize).then_some(mine)
            }
            _ => None,
        };
    }
}

fn min_option(a: Option<f64>, b: Option<f64>, pick: fn(f64, f64) -> f64) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(pick(a, b)),
        (a, b) => a.or(b),
    }
}

impl CategoricalProfile {
    /// An empty categorical profile.
    pub fn new(options: &ProfileOptions) -> Self {
        CategoricalProfile {
            n_rows: 0,
            n_missing: 0,
            counts: CategoryCounts::Exact(BTreeMap::new()),
            distinct: HyperLogLog::new(options.distinct_precision),
        }
    }

    /// Adds one row; `None` is missing.
    pub fn push(&mut self, label: Option<&str>, options: &ProfileOptions) {
        self.push_count(label, 1, options);
    }

    /// Adds `count` rows holding `label` (`None`: missing).
    pub fn push_count(&mut self, label: Option<&str>, count: u64, options: &ProfileOptions) {
        if count == 0 {
            return;
        }
        self.n_rows += count;
        match label {
            None => self.n_missing += count,
            Some(label) => {
                self.distinct.insert_hash(hash_label(label));
                self.counts.add(
                    label,
                    count,
                    options.exact_limit as usize,
                    options.frequent_capacity as usize,
                );
            }
        }
    }

    /// Adds interned rows: counts codes first, then each label once with its count.
    fn push_codes(&mut self, labels: &[String], codes: &[Option<u32>], options: &ProfileOptions) {
        let mut per_code = vec![0u64; labels.len()];
        let mut missing = 0u64;
        for code in codes {
            match code.and_then(|c| per_code.get_mut(c as usize)) {
                Some(count) => *count += 1,
                None => missing += 1,
            }
        }
        self.push_count(None, missing, options);
        for (label, &count) in labels.iter().zip(&per_code) {
            self.push_count(Some(label), count, options);
        }
        self.counts.settle();
    }

    /// Number of non-missing values.
    pub fn count(&self) -> u64 {
        self.n_rows - self.n_missing
    }

    fn merge(&mut self, other: &CategoricalProfile, options: &ProfileOptions) {
        self.n_rows += other.n_rows;
        self.n_missing += other.n_missing;
        self.distinct.merge(&other.distinct);
        self.counts.merge(
            &other.counts,
            options.exact_limit as usize,
            options.frequent_capacity as usize,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_sort_numbers_and_fold_negative_zero() {
        let values = [-1e300, -2.5, -0.0, 0.0, 1e-310, 3.0, f64::MAX];
        let keys: Vec<u64> = values.iter().map(|&v| order_key(v)).collect();
        assert!(keys.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(order_key(-0.0), order_key(0.0));
        for v in values {
            assert_eq!(from_order_key(order_key(v)), if v == 0.0 { 0.0 } else { v });
        }
    }

    #[test]
    fn an_all_missing_column_takes_the_kind_of_its_first_values() {
        let options = ProfileOptions::default();
        let mut profile =
            ColumnProfile::from_column(&ColumnData::Numeric(vec![None].into()), &options);
        profile
            .extend("c", &ColumnData::categorical_from([Some("a")]), &options)
            .expect("all missing adopts the kind");
        assert_eq!(profile.kind(), ColumnKind::Categorical);
        assert_eq!(profile.n_rows(), 2);
        let err = profile
            .extend("c", &ColumnData::Numeric(vec![Some(1.0)].into()), &options)
            .unwrap_err();
        assert!(matches!(err, ProfileError::KindMismatch { .. }));
    }

    #[test]
    fn value_counts_are_dropped_past_the_exact_limit() {
        let options = ProfileOptions {
            exact_limit: 20,
            ..ProfileOptions::default()
        };
        let data = |n: i32| ColumnData::Numeric((0..n).map(|i| Some(f64::from(i))).collect());
        let ColumnProfile::Numeric(p) = ColumnProfile::from_column(&data(20), &options) else {
            unreachable!("numeric")
        };
        assert_eq!(p.values.map(|v| v.len()), Some(20));
        let ColumnProfile::Numeric(p) = ColumnProfile::from_column(&data(21), &options) else {
            unreachable!("numeric")
        };
        assert_eq!(p.values, None);
        assert_eq!((p.min, p.max, p.count()), (Some(0.0), Some(20.0), 21));
    }
}
