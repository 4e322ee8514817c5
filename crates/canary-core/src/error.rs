//! The errors canary-core returns: unusable configuration or input, named by metric.

/// A judgment, rollout or comparison that cannot be carried out on what it was given.
///
/// Too little data is never an error: it is an `Inconclusive` value in the verdict.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CanaryError {
    /// A configuration value is outside its valid range (checked when a config is
    /// validated, before any data is looked at).
    #[error("{name} must be {expected}, got {value}")]
    InvalidParameter {
        /// The key, as it is spelled in `canary.toml` or `rollout.toml`.
        name: String,
        /// The valid range, in words.
        expected: &'static str,
        /// The value given.
        value: String,
    },
    /// Data was given for a metric that the configuration does not list (Kayenta refuses
    /// the same way).
    #[error("metric \"{metric}\" has data but no configuration")]
    UnknownMetric {
        /// The metric's name.
        metric: String,
    },
    /// Two configured metrics (or two inputs) share a name.
    #[error("metric \"{metric}\" is listed twice")]
    DuplicateMetric {
        /// The metric's name.
        metric: String,
    },
    /// The data's kind does not match the configured kind (samples given for a rate metric
    /// or the other way round).
    #[error("metric \"{metric}\" is configured as {configured} but was given {given}")]
    KindMismatch {
        /// The metric's name.
        metric: String,
        /// The configured kind, `samples` or `rate`.
        configured: &'static str,
        /// The kind of the data given.
        given: &'static str,
    },
    /// A rate metric counts more events than trials on one side.
    #[error("metric \"{metric}\": the {side} side counts {events} events in {trials} trials")]
    EventsExceedTrials {
        /// The metric's name.
        metric: String,
        /// `"baseline"` or `"candidate"`.
        side: &'static str,
        /// The events counted.
        events: u64,
        /// The trials counted.
        trials: u64,
    },
    /// A statistic needs at least one value on each side and got none (the judge never
    /// returns this: it classifies the metric as lacking data instead).
    #[error("{what} needs at least one value on each side")]
    EmptySide {
        /// The statistic, in words.
        what: &'static str,
    },
    /// A rollout event that makes no sense in the rollout's current state (a measurement
    /// for a metric the analysis does not list, a resume of a finished rollout).
    #[error("rollout: {0}")]
    InvalidEvent(String),
}

impl CanaryError {
    /// An [`CanaryError::InvalidParameter`] for `name = value`.
    pub(crate) fn invalid(
        name: impl Into<String>,
        expected: &'static str,
        value: impl std::fmt::Display,
    ) -> Self {
        CanaryError::InvalidParameter {
            name: name.into(),
            expected,
            value: value.to_string(),
        }
    }
}
