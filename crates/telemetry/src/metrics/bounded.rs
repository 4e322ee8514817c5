//! The label-cardinality guard: a metric family that holds at most so many label sets.
//!
//! Labels such as `feature` or `variant` come from user data; a table with 100,000
//! columns must not become 100,000 series in every scrape. Past its limit a family sends
//! new label sets to one overflow series (their unbounded labels set to
//! [`OVERFLOW`]) and counts each such update in `monitor_telemetry_label_overflows_total`.
//! Label sets already admitted keep working.

use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Mutex, PoisonError};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};

/// The label value that stands for every label set past a family's limit.
pub const OVERFLOW: &str = "__overflow__";

/// A label set that knows its overflow form.
pub(crate) trait Bounded:
    EncodeLabelSet + Clone + Debug + Hash + Eq + Send + Sync + 'static
{
    /// This label set with its unbounded labels replaced by [`OVERFLOW`].
    fn overflow(&self) -> Self;
}

/// A [`Family`] with a limit on its label sets.
#[derive(Debug)]
pub(crate) struct BoundedFamily<S, M, C = fn() -> M> {
    family: Family<S, M, C>,
    limit: usize,
    /// Label sets admitted so far (the overflow series not included).
    admitted: Mutex<usize>,
    overflows: Counter,
}

impl<S, M, C> BoundedFamily<S, M, C>
where
    S: Bounded,
    M: Clone,
    C: MetricConstructor<M>,
{
    /// Wraps `family`; `overflows` counts updates sent to the overflow series.
    pub fn new(family: Family<S, M, C>, limit: usize, overflows: Counter) -> Self {
        BoundedFamily {
            family,
            limit,
            admitted: Mutex::new(0),
            overflows,
        }
    }

    /// The metric of `labels`, or of the overflow series once the limit is reached.
    pub fn get(&self, labels: &S) -> M {
        if let Some(metric) = self.family.get(labels) {
            return metric.clone();
        }
        let mut admitted = self.admitted.lock().unwrap_or_else(PoisonError::into_inner);
        // another thread may have admitted it meanwhile
        if let Some(metric) = self.family.get(labels) {
            return metric.clone();
        }
        if *admitted < self.limit {
            *admitted += 1;
            return self.family.get_or_create_owned(labels);
        }
        self.overflows.inc();
        self.family.get_or_create_owned(&labels.overflow())
    }

    /// The family, to register.
    pub fn family(&self) -> Family<S, M, C>
    where
        C: Clone,
    {
        self.family.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::gauge::Gauge;

    #[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
    struct Feature {
        feature: String,
    }

    impl Bounded for Feature {
        fn overflow(&self) -> Self {
            Feature {
                feature: OVERFLOW.to_owned(),
            }
        }
    }

    fn feature(name: &str) -> Feature {
        Feature {
            feature: name.to_owned(),
        }
    }

    #[test]
    fn label_sets_past_the_limit_share_the_overflow_series() {
        let overflows = Counter::default();
        let family = BoundedFamily::new(Family::<Feature, Gauge>::default(), 2, overflows.clone());
        family.get(&feature("a")).set(1);
        family.get(&feature("b")).set(2);
        family.get(&feature("c")).set(3);
        family.get(&feature("d")).set(4);
        // admitted label sets keep their own series
        family.get(&feature("a")).inc();
        assert_eq!(overflows.get(), 2);
        let inner = family.family();
        assert_eq!(inner.get(&feature("a")).map(|g| g.get()), Some(2));
        assert_eq!(inner.get(&feature("b")).map(|g| g.get()), Some(2));
        assert_eq!(inner.get(&feature(OVERFLOW)).map(|g| g.get()), Some(4));
        assert!(inner.get(&feature("c")).is_none() && inner.get(&feature("d")).is_none());
    }
}
