//! Category counts: exact up to a limit, then a Misra-Gries frequent-items sketch.
//!
//! While a column has at most `exact_limit` distinct labels, [`CategoryCounts::Exact`]
//! keeps every label's count, and merging adds them: exact, associative, commutative.
//! Past the limit it becomes [`CategoryCounts::Frequent`], a Misra-Gries summary of at
//! most `capacity` counters (Misra and Gries 1982; merged as in Agarwal et al. 2012,
//! "Mergeable summaries"): each kept count is low by at most `max_undercount`, a label not
//! kept occurs at most `max_undercount` times, and `max_undercount <= n / (capacity + 1)`
//! however the summaries were merged. Merging frequent-items summaries is commutative bit
//! for bit; different groupings give different counters within the same bound.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts of the labels of a categorical column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryCounts {
    /// Every label with its exact count.
    Exact(BTreeMap<String, u64>),
    /// A frequent-items summary (more distinct labels than the exact limit were seen).
    Frequent(FrequentItems),
}

/// A Misra-Gries summary: at most `capacity` labels with lower-bound counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FrequentRepr", into = "FrequentRepr")]
pub struct FrequentItems {
    capacity: usize,
    counters: BTreeMap<String, u64>,
    max_undercount: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FrequentRepr {
    capacity: u32,
    max_undercount: u64,
    counters: BTreeMap<String, u64>,
}

impl From<FrequentItems> for FrequentRepr {
    fn from(mut items: FrequentItems) -> Self {
        items.reduce_to(items.capacity);
        FrequentRepr {
            capacity: items.capacity as u32,
            max_undercount: items.max_undercount,
            counters: items.counters,
        }
    }
}

impl TryFrom<FrequentRepr> for FrequentItems {
    type Error = String;

    fn try_from(repr: FrequentRepr) -> Result<Self, String> {
        if repr.capacity == 0 {
            return Err("frequent-items capacity must be at least 1".into());
        }
        if repr.counters.values().any(|&c| c == 0) {
            return Err("frequent-items counters must be positive".into());
        }
        let mut items = FrequentItems {
            capacity: repr.capacity as usize,
            counters: repr.counters,
            max_undercount: repr.max_undercount,
        };
        items.reduce_to(items.capacity);
        Ok(items)
    }
}

impl FrequentItems {
    /// An empty summary of at most `capacity` counters.
    pub(crate) fn new(capacity: usize) -> Self {
        FrequentItems {
            capacity: capacity.max(1),
            counters: BTreeMap::new(),
            max_undercount: 0,
        }
    }

    /// The most labels kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Most by which a kept count is low, and most occurrences of a label not kept.
    pub fn max_undercount(&self) -> u64 {
        self.max_undercount
    }

    /// Kept labels with their lower-bound counts, by label.
    pub fn counters(&self) -> &BTreeMap<String, u64> {
        &self.counters
    }

    /// Adds `count` occurrences of `label`; batches the reduction (at twice the capacity
    /// down to the capacity) so that a stream of new labels costs amortised `O(log)`.
    pub(crate) fn add(&mut self, label: &str, count: u64) {
        match self.counters.get_mut(label) {
            Some(c) => *c += count,
            None => {
                self.counters.insert(label.to_owned(), count);
                if self.counters.len() > 2 * self.capacity {
                    self.reduce_to(self.capacity);
                }
            }
        }
    }

    /// Adds another summary's counters and undercount, then reduces to the capacity.
    pub(crate) fn merge(&mut self, other: &FrequentItems) {
        for (label, &count) in &other.counters {
            *self.counters.entry(label.clone()).or_insert(0) += count;
        }
        self.max_undercount += other.max_undercount;
        self.reduce_to(self.capacity);
    }

    /// Misra-Gries reduction: subtracts the `(capacity + 1)`-th largest count from every
    /// counter and drops those left at zero, when more than `capacity` are held.
    fn reduce_to(&mut self, capacity: usize) {
        if self.counters.len() <= capacity {
            return;
        }
        let mut counts: Vec<u64> = self.counters.values().copied().collect();
        let (_, &mut cut, _) = counts.select_nth_unstable_by(capacity, |a, b| b.cmp(a));
        self.counters.retain(|_, c| {
            *c = c.saturating_sub(cut);
            *c > 0
        });
        self.max_undercount += cut;
    }
}

impl CategoryCounts {
    /// Adds `count` occurrences of `label`, switching to a summary of `capacity` counters
    /// when more than `exact_limit` distinct labels have been seen.
    pub(crate) fn add(&mut self, label: &str, count: u64, exact_limit: usize, capacity: usize) {
        match self {
            CategoryCounts::Exact(map) => {
                match map.get_mut(label) {
                    Some(c) => *c += count,
                    None => {
                        map.insert(label.to_owned(), count);
                    }
                }
                if map.len() > exact_limit {
                    self.switch_to_frequent(capacity);
                }
            }
            CategoryCounts::Frequent(items) => items.add(label, count),
        }
    }

    /// Merges another column's counts (exact stays exact while within the limit).
    pub(crate) fn merge(&mut self, other: &CategoryCounts, exact_limit: usize, capacity: usize) {
        match (&mut *self, other) {
            (CategoryCounts::Exact(mine), CategoryCounts::Exact(theirs)) => {
                for (label, &count) in theirs {
                    *mine.entry(label.clone()).or_insert(0) += count;
                }
                if mine.len() > exact_limit {
                    self.switch_to_frequent(capacity);
                }
            }
            (CategoryCounts::Frequent(mine), CategoryCounts::Exact(theirs)) => {
                mine.merge(&FrequentItems {
                    capacity: mine.capacity,
                    counters: theirs.clone(),
                    max_undercount: 0,
                });
            }
            (CategoryCounts::Exact(mine), CategoryCounts::Frequent(theirs)) => {
                // the same sums and one reduction as the other operand order
                let mut items = theirs.clone();
                let exact = FrequentItems {
                    capacity: items.capacity,
                    counters: std::mem::take(mine),
                    max_undercount: 0,
                };
                items.merge(&exact);
                *self = CategoryCounts::Frequent(items);
            }
            (CategoryCounts::Frequent(mine), CategoryCounts::Frequent(theirs)) => {
                mine.merge(theirs);
            }
        }
    }

    fn switch_to_frequent(&mut self, capacity: usize) {
        if let CategoryCounts::Exact(map) = self {
            let mut items = FrequentItems::new(capacity);
            items.counters = std::mem::take(map);
            items.reduce_to(capacity);
            *self = CategoryCounts::Frequent(items);
        }
    }

    /// Labels with their counts (exact) or lower-bound counts (frequent), by label.
    pub fn counts(&self) -> &BTreeMap<String, u64> {
        match self {
            CategoryCounts::Exact(map) => map,
            CategoryCounts::Frequent(items) => &items.counters,
        }
    }

    /// Whether the counts are exact.
    pub fn is_exact(&self) -> bool {
        matches!(self, CategoryCounts::Exact(_))
    }

    /// Most by which a count is low (0 when exact).
    pub fn max_undercount(&self) -> u64 {
        match self {
            CategoryCounts::Exact(_) => 0,
            CategoryCounts::Frequent(items) => items.max_undercount,
        }
    }

    /// Brings a pending batch of counters down to the capacity (before reading them).
    pub(crate) fn settle(&mut self) {
        if let CategoryCounts::Frequent(items) = self {
            items.reduce_to(items.capacity);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_to_a_summary_past_the_limit_and_keeps_the_bound() {
        let mut counts = CategoryCounts::Exact(BTreeMap::new());
        let mut exact: BTreeMap<String, u64> = BTreeMap::new();
        let mut n = 0u64;
        // Zipf-like: label i occurs about 2000 / (i + 1) times
        for i in 0..500u64 {
            let label = format!("c{i}");
            let count = 2000 / (i + 1);
            for _ in 0..count {
                counts.add(&label, 1, 50, 20);
            }
            exact.insert(label, count);
            n += count;
        }
        counts.settle();
        assert!(!counts.is_exact());
        let bound = counts.max_undercount();
        assert!(bound <= n / 21, "{bound} > {}", n / 21);
        assert!(counts.counts().len() <= 20);
        for (label, &true_count) in &exact {
            let estimate = counts.counts().get(label).copied().unwrap_or(0);
            assert!(
                estimate <= true_count && true_count - estimate <= bound,
                "{label}"
            );
        }
    }
}
