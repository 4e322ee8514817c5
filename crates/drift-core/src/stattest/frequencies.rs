//! Joint value counts of two samples over the union of their values.
//!
//! evidently's frequency-based tests (chi-square, z, G, TVD, PSI/KL/JS on few values) all
//! start from the counts of every value seen on either side; this builds them once.

use crate::column::{CategoricalSample, NumericSample};

/// A value of the union: a number or a label.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    /// A distinct finite number of a numeric column.
    Number(f64),
    /// A label of a categorical column.
    Label(String),
}

/// Counts of every distinct value over both sides, keys ascending (numbers by value,
/// labels by code point, as Python's `sorted`).
#[derive(Debug, Clone, PartialEq)]
pub struct Frequencies {
    /// The distinct values of both sides, ascending.
    pub keys: Vec<Key>,
    /// Reference count of each key.
    pub reference: Vec<u64>,
    /// Current count of each key.
    pub current: Vec<u64>,
}

impl Frequencies {
    /// Number of reference values.
    pub fn n_reference(&self) -> u64 {
        self.reference.iter().sum()
    }

    /// Number of current values.
    pub fn n_current(&self) -> u64 {
        self.current.iter().sum()
    }

    /// Joint counts of two numeric samples, by merging their sorted runs.
    pub fn of_numeric(reference: &NumericSample, current: &NumericSample) -> Self {
        let (x, y) = (reference.sorted(), current.sorted());
        let mut out = Frequencies {
            keys: Vec::new(),
            reference: Vec::new(),
            current: Vec::new(),
        };
        let (mut i, mut j) = (0, 0);
        while i < x.len() || j < y.len() {
            let value = match (x.get(i), y.get(j)) {
                (Some(&a), Some(&b)) => a.min(b),
                (Some(&a), None) => a,
                (None, Some(&b)) => b,
                (None, None) => break,
            };
            let (i0, j0) = (i, j);
            while i < x.len() && x[i] == value {
                i += 1;
            }
            while j < y.len() && y[j] == value {
                j += 1;
            }
            out.keys.push(Key::Number(value));
            out.reference.push((i - i0) as u64);
            out.current.push((j - j0) as u64);
        }
        out
    }

    /// Joint counts of two categorical samples, by merging their sorted label lists.
    pub fn of_categorical(reference: &CategoricalSample, current: &CategoricalSample) -> Self {
        let (xl, yl) = (reference.labels(), current.labels());
        let (xc, yc) = (reference.counts(), current.counts());
        let mut out = Frequencies {
            keys: Vec::new(),
            reference: Vec::new(),
            current: Vec::new(),
        };
        let (mut i, mut j) = (0, 0);
        while i < xl.len() || j < yl.len() {
            let order = match (xl.get(i), yl.get(j)) {
                (Some(a), Some(b)) => a.cmp(b),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, _) => std::cmp::Ordering::Greater,
            };
            let (label, r, c) = match order {
                std::cmp::Ordering::Less => {
                    i += 1;
                    (&xl[i - 1], xc[i - 1], 0)
                }
                std::cmp::Ordering::Greater => {
                    j += 1;
                    (&yl[j - 1], 0, yc[j - 1])
                }
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    (&xl[i - 1], xc[i - 1], yc[j - 1])
                }
            };
            out.keys.push(Key::Label(label.clone()));
            out.reference.push(r);
            out.current.push(c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_union_counts_both_sides() {
        let f = Frequencies::of_numeric(
            &NumericSample::from_values(&[1.0, 1.0, 3.0]),
            &NumericSample::from_values(&[2.0, 3.0]),
        );
        assert_eq!(
            f.keys,
            vec![Key::Number(1.0), Key::Number(2.0), Key::Number(3.0)]
        );
        assert_eq!((f.reference, f.current), (vec![2, 0, 1], vec![0, 1, 1]));
    }

    #[test]
    fn categorical_union_is_sorted() {
        let f = Frequencies::of_categorical(
            &CategoricalSample::from_labels([Some("b"), Some("a"), None]),
            &CategoricalSample::from_labels([Some("c"), Some("a")]),
        );
        let labels: Vec<_> = f
            .keys
            .iter()
            .map(|k| match k {
                Key::Label(l) => l.as_str(),
                Key::Number(_) => "",
            })
            .collect();
        assert_eq!(labels, vec!["a", "b", "c"]);
        assert_eq!((f.reference, f.current), (vec![1, 1, 0], vec![1, 0, 1]));
    }
}
