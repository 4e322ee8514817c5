//! The errors drift-core returns: unusable input, named by column and test.

use crate::column::ColumnKind;

/// A drift computation that cannot be carried out on the data it was given.
///
/// Every variant names what the user can act on: the column, the test and the reason.
/// Inconclusive-but-valid outcomes are values in the report, not errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DriftError {
    /// A side of a column holds no usable value once missing and non-finite values are
    /// dropped.
    #[error(
        "column \"{column}\": the {side} side has no usable values ({missing} missing, {non_finite} not finite)"
    )]
    EmptySide {
        /// The column's name.
        column: String,
        /// `"reference"` or `"current"`.
        side: &'static str,
        /// Missing values on that side.
        missing: usize,
        /// NaN and infinite values on that side.
        non_finite: usize,
    },
    /// The test does not apply to the column's kind (for example `ks` on a categorical column).
    #[error(
        "column \"{column}\": test \"{test}\" does not apply to {kind} columns (it takes {allowed})"
    )]
    UnsupportedKind {
        /// The column's name.
        column: String,
        /// The test's evidently name.
        test: &'static str,
        /// The column's kind.
        kind: ColumnKind,
        /// The kinds the test takes, in words.
        allowed: &'static str,
    },
    /// The test cannot be computed on these values (too few of them, no spread, ...).
    #[error("column \"{column}\": test \"{test}\": {source}")]
    Test {
        /// The column's name.
        column: String,
        /// The test's evidently name.
        test: &'static str,
        /// Why the test cannot run.
        source: TestError,
    },
    /// The reference and current column sets have nothing in common.
    #[error("no column is present on both sides")]
    NoCommonColumns,
    /// A parameter is outside its valid range.
    #[error("{name} must be {expected}, got {value}")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The valid range, in words.
        expected: &'static str,
        /// The value given.
        value: f64,
    },
    /// The two sides of a column were read as different kinds.
    #[error(
        "column \"{column}\" is {reference} in the reference but {current} in the current data"
    )]
    KindMismatch {
        /// The column's name.
        column: String,
        /// Kind on the reference side.
        reference: ColumnKind,
        /// Kind on the current side.
        current: ColumnKind,
    },
    /// A test name that drift-core does not know.
    #[error("unknown test \"{0}\" (known: {known})", known = crate::stattest::StatTest::known_names())]
    UnknownTest(String),
    /// The test needs the raw values and cannot be computed from profiles.
    #[error(
        "column \"{column}\": test \"{test}\" cannot be computed from profiles (they support {supported})"
    )]
    NotFromProfiles {
        /// The column's name.
        column: String,
        /// The test's evidently name.
        test: &'static str,
        /// The tests profiles support for the column's kind, in words.
        supported: &'static str,
    },
}

/// Why one statistical test cannot be computed on two samples, without the column context.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TestError {
    /// A side has fewer values than the test needs.
    #[error("needs at least {need} values per side, the {side} side has {got}")]
    TooFewValues {
        /// The minimum the test needs.
        need: usize,
        /// `"reference"` or `"current"`.
        side: &'static str,
        /// How many finite values that side has.
        got: usize,
    },
    /// The pooled sample has no spread where the test needs one (Epps-Singleton's IQR).
    #[error("{0}")]
    NoSpread(&'static str),
    /// A two-category test was given more than two categories.
    #[error("needs binary data, found {found} distinct values")]
    NotBinary {
        /// Distinct values found over both sides.
        found: usize,
    },
    /// A paired-length test was given samples of different sizes.
    #[error("needs equally long samples, got {reference} reference and {current} current values")]
    UnequalLengths {
        /// Reference sample size.
        reference: usize,
        /// Current sample size.
        current: usize,
    },
    /// The test does not take values of this kind.
    #[error("does not apply to {0} values")]
    UnsupportedKind(ColumnKind),
    /// An intermediate quantity is not finite for these values (they are too large).
    #[error("{0}")]
    Overflow(&'static str),
    /// A linear-algebra step failed (a singular covariance matrix).
    #[error("{0}")]
    Singular(&'static str),
}

impl TestError {
    /// `Ok` when both sides hold at least `need` values; otherwise
    /// [`TestError::TooFewValues`] for the first side short of it (reference first).
    pub fn require_per_side(
        reference: usize,
        current: usize,
        need: usize,
    ) -> Result<(), TestError> {
        for (side, got) in [("reference", reference), ("current", current)] {
            if got < need {
                return Err(TestError::TooFewValues { need, side, got });
            }
        }
        Ok(())
    }
}

/// Why a profile cannot be built, read or merged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProfileError {
    /// A profile option is outside its valid range.
    #[error("profile option {name} must be {expected}, got {value}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// The valid range, in words.
        expected: &'static str,
        /// The value given.
        value: f64,
    },
    /// The columns of one batch of rows differ in length.
    #[error("column \"{column}\" has {rows} rows where the other columns have {expected}")]
    UnequalColumns {
        /// The column's name.
        column: String,
        /// Its row count.
        rows: u64,
        /// The first column's row count.
        expected: u64,
    },
    /// Two columns of one batch of rows have the same name.
    #[error("column \"{0}\" appears twice")]
    DuplicateColumn(String),
    /// A column is numeric in one profile or batch and categorical in the other.
    #[error("column \"{column}\" is {left} in one profile and {right} in the other")]
    KindMismatch {
        /// The column's name.
        column: String,
        /// Its kind in the profile merged into.
        left: ColumnKind,
        /// Its kind in the profile or batch merged.
        right: ColumnKind,
    },
    /// Two profiles were built with different sketch options and cannot be merged.
    #[error("profiles with different options cannot be merged: {left} and {right}")]
    IncompatibleOptions {
        /// The options of the profile merged into.
        left: String,
        /// The options of the profile merged.
        right: String,
    },
    /// A merge of no profiles at all.
    #[error("no profiles to merge")]
    NoProfiles,
    /// The input is not a profile (its `kind` field or its magic bytes are wrong).
    #[error("not a monitor profile ({found})")]
    NotAProfile {
        /// What was found instead.
        found: String,
    },
    /// The profile was written in a format version this build does not read.
    #[error(
        "profile schema version {found} is not supported (this build reads version {supported})"
    )]
    UnsupportedVersion {
        /// The version found.
        found: u64,
        /// The version this build reads.
        supported: u32,
    },
    /// The input claims to be a profile but cannot be read as one.
    #[error("malformed {format} profile: {message}")]
    Malformed {
        /// `"JSON"` or `"binary"`.
        format: &'static str,
        /// What is wrong.
        message: String,
    },
}

/// A streaming detector that cannot be built as asked (`drift_core::stream`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DetectorError {
    /// A detector name that drift-core does not know.
    #[error("unknown detector \"{0}\" (known: {known})", known = crate::stream::DetectorKind::known_names())]
    UnknownDetector(String),
    /// A parameter key the detector does not take.
    #[error("detector \"{detector}\" has no parameter \"{key}\" (valid: {valid})")]
    UnknownParameter {
        /// The detector's command-line name.
        detector: &'static str,
        /// The key given.
        key: String,
        /// The keys the detector takes, comma-separated.
        valid: String,
    },
    /// A parameter value that does not parse as its type or lies outside its range.
    #[error(
        "detector \"{detector}\": {key} must be {expected}, got \"{value}\" (parameters: {valid})"
    )]
    InvalidParameter {
        /// The detector's command-line name.
        detector: &'static str,
        /// The parameter's key.
        key: &'static str,
        /// The value given, as text.
        value: String,
        /// The valid values, in words.
        expected: String,
        /// The keys the detector takes, comma-separated.
        valid: String,
    },
    /// A setting that is not of the form `key=value`.
    #[error("expected key=value, got \"{0}\"")]
    MalformedSetting(String),
}
