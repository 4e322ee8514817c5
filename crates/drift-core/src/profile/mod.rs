//! Mergeable, bounded-size column profiles and drift computed from them.
//!
//! A [`Profile`] summarises a table column by column ([`ColumnProfile`]): exact row,
//! missing and non-finite counts, min and max, mergeable moments, a KLL quantile sketch
//! ([`kll`]), exact value or label counts up to a limit and then a frequent-items summary
//! ([`frequent`]), and a HyperLogLog distinct count ([`hll`]). Its size is bounded by its
//! [`ProfileOptions`], not by the number of rows, and two profiles of parts of a table
//! merge into the profile of the whole: build one per shard anywhere, merge them, and
//! compare two profiles with [`crate::DriftReport::from_profiles`] ([`drift`]).
//!
//! ```
//! use drift_core::profile::{Profile, ProfileOptions};
//! use drift_core::{ColumnData, NamedColumn};
//!
//! let shard = |from: i32| [NamedColumn {
//!     name: "latency".into(),
//!     data: ColumnData::Numeric((from..from + 5000).map(|i| Some(f64::from(i))).collect()),
//! }];
//! let options = ProfileOptions::default();
//! let mut whole = Profile::from_columns(&shard(0), &options)?;
//! whole.merge(&Profile::from_columns(&shard(5000), &options)?)?;
//! assert_eq!(whole.n_rows, 10_000);
//! let read = Profile::from_json(&whole.to_json())?;
//! assert_eq!(read, whole);
//! # Ok::<(), drift_core::ProfileError>(())
//! ```
//!
//! See `docs/profiles.md` for the format and the error of each statistic.

pub mod column;
pub mod drift;
pub mod frequent;
pub mod hll;
pub mod kll;
pub mod moments;

use serde::{Deserialize, Serialize};

pub use column::{CategoricalProfile, ColumnProfile, NumericProfile, ValueCounts};
pub use frequent::{CategoryCounts, FrequentItems};
pub use hll::HyperLogLog;
pub use kll::KllSketch;
pub use moments::Moments;

use crate::error::ProfileError;
use crate::report::NamedColumn;

/// Version of the profile format; bumped on any incompatible change.
pub const PROFILE_SCHEMA_VERSION: u32 = 1;

/// The `kind` field of every profile document.
pub const PROFILE_KIND: &str = "monitor-profile";

/// Most rows a profile read from a file may claim (2^53), so that merging never overflows.
const MAX_ROWS: u64 = 1 << 53;

/// The first bytes of the binary form: `MPRF`, then the version as a little-endian `u16`.
pub const BINARY_MAGIC: &[u8; 4] = b"MPRF";

/// Sizes and seed of the sketches. Profiles merge only with equal options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileOptions {
    /// KLL accuracy parameter `k` (default 1000: at most about 3000 stored values a
    /// numeric column, rank error 0.0035, see [`kll::rank_error_for_k`]; DataSketches'
    /// default 200 moves `wasserstein` by up to 0.02, too close to its 0.1 threshold).
    pub quantile_k: u16,
    /// Distinct values (numbers or labels) counted exactly before a column switches to
    /// sketches only (default 1024; at least 20, so that evidently's choices between
    /// per-value and binned statistics are always exact).
    pub exact_limit: u32,
    /// Counters of the frequent-items summary of a categorical column past the exact
    /// limit (default 1024: counts low by at most `n / 1025`).
    pub frequent_capacity: u32,
    /// HyperLogLog register-index bits (default 12: 4096 registers, 1.6% standard error).
    pub distinct_precision: u8,
    /// Seed of the quantile sketch's coin (default 0).
    pub seed: u64,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            quantile_k: 1000,
            exact_limit: 1024,
            frequent_capacity: 1024,
            distinct_precision: 12,
            seed: 0,
        }
    }
}

impl ProfileOptions {
    /// Checks every option's range.
    ///
    /// # Errors
    /// [`ProfileError::InvalidOption`] naming the first option out of range.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let checks: [(&'static str, &'static str, f64, bool); 4] = [
            (
                "quantile_k",
                "between 8 and 65535",
                f64::from(self.quantile_k),
                self.quantile_k >= 8,
            ),
            (
                "exact_limit",
                "between 20 and 1000000",
                f64::from(self.exact_limit),
                (20..=1_000_000).contains(&self.exact_limit),
            ),
            (
                "frequent_capacity",
                "between 1 and 1000000",
                f64::from(self.frequent_capacity),
                (1..=1_000_000).contains(&self.frequent_capacity),
            ),
            (
                "distinct_precision",
                "between 4 and 16",
                f64::from(self.distinct_precision),
                (4..=16).contains(&self.distinct_precision),
            ),
        ];
        match checks.into_iter().find(|c| !c.3) {
            Some((name, expected, value, _)) => Err(ProfileError::InvalidOption {
                name,
                expected,
                value,
            }),
            None => Ok(()),
        }
    }
}

/// A column's name and profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedProfile {
    /// The column's name.
    pub name: String,
    /// Its profile.
    pub profile: ColumnProfile,
}

/// The profile of a table: one [`ColumnProfile`] a column, in the table's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ProfileRepr")]
pub struct Profile {
    /// Always [`PROFILE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always [`PROFILE_KIND`].
    pub kind: String,
    /// Rows profiled.
    pub n_rows: u64,
    /// The sketches' sizes and seed.
    pub options: ProfileOptions,
    /// The columns, in the order first seen.
    pub columns: Vec<NamedProfile>,
}

/// What is read before it is checked (see `TryFrom<ProfileRepr> for Profile`).
#[derive(Deserialize)]
struct ProfileRepr {
    schema_version: u32,
    kind: String,
    n_rows: u64,
    options: ProfileOptions,
    columns: Vec<NamedProfile>,
}

impl TryFrom<ProfileRepr> for Profile {
    type Error = String;

    fn try_from(repr: ProfileRepr) -> Result<Self, String> {
        if repr.kind != PROFILE_KIND {
            return Err(format!("kind is \"{}\", not \"{PROFILE_KIND}\"", repr.kind));
        }
        if repr.schema_version != PROFILE_SCHEMA_VERSION {
            return Err(format!(
                "schema version {} is not supported (this build reads {PROFILE_SCHEMA_VERSION})",
                repr.schema_version
            ));
        }
        repr.options.validate().map_err(|e| e.to_string())?;
        if repr.n_rows > MAX_ROWS {
            return Err(format!("{} rows is more than {MAX_ROWS}", repr.n_rows));
        }
        let mut seen = std::collections::HashSet::new();
        for column in &repr.columns {
            if !seen.insert(column.name.as_str()) {
                return Err(format!("column \"{}\" appears twice", column.name));
            }
            if column.profile.n_rows() != repr.n_rows {
                return Err(format!(
                    "column \"{}\" has {} rows, the profile {}",
                    column.name,
                    column.profile.n_rows(),
                    repr.n_rows
                ));
            }
            column
                .profile
                .check_options(&repr.options)
                .map_err(|e| format!("column \"{}\": {e}", column.name))?;
        }
        Ok(Profile {
            schema_version: repr.schema_version,
            kind: repr.kind,
            n_rows: repr.n_rows,
            options: repr.options,
            columns: repr.columns,
        })
    }
}

/// The fields checked before the rest of a JSON document is read.
#[derive(Deserialize)]
struct JsonHeader {
    schema_version: Option<serde_json::Value>,
    kind: Option<serde_json::Value>,
}

impl Profile {
    /// An empty profile (no rows, no columns).
    ///
    /// # Errors
    /// [`ProfileError::InvalidOption`] for options out of range.
    pub fn new(options: &ProfileOptions) -> Result<Profile, ProfileError> {
        options.validate()?;
        Ok(Profile {
            schema_version: PROFILE_SCHEMA_VERSION,
            kind: PROFILE_KIND.to_owned(),
            n_rows: 0,
            options: *options,
            columns: Vec::new(),
        })
    }

    /// The profile of a table's columns, in one pass over each.
    ///
    /// # Errors
    /// [`ProfileError::InvalidOption`] for options out of range, and as
    /// [`Profile::add_rows`].
    pub fn from_columns(
        columns: &[NamedColumn],
        options: &ProfileOptions,
    ) -> Result<Profile, ProfileError> {
        let mut profile = Profile::new(options)?;
        profile.add_rows(columns)?;
        Ok(profile)
    }

    /// Adds a batch of rows (one table read from a file or a shard's chunk).
    ///
    /// Columns are matched by name. A column new to the profile starts with the rows seen
    /// so far as missing; a profiled column absent from the batch gets the batch's rows
    /// as missing. A column whose profile holds only missing values takes the batch's kind.
    ///
    /// # Errors
    /// [`ProfileError::UnequalColumns`] when the batch's columns differ in length,
    /// [`ProfileError::KindMismatch`] when a column changes kind,
    /// [`ProfileError::DuplicateColumn`] when two columns share a name; the profile is
    /// left unchanged then.
    pub fn add_rows(&mut self, columns: &[NamedColumn]) -> Result<(), ProfileError> {
        let n_batch = columns.first().map_or(0, |c| c.data.len());
        if let Some(other) = columns.iter().find(|c| c.data.len() != n_batch) {
            return Err(ProfileError::UnequalColumns {
                column: other.name.clone(),
                rows: other.data.len() as u64,
                expected: n_batch as u64,
            });
        }
        // check names and kinds first, so that an error leaves the profile as it was
        let mut names = std::collections::HashSet::new();
        for column in columns {
            if !names.insert(column.name.as_str()) {
                return Err(ProfileError::DuplicateColumn(column.name.clone()));
            }
            if let Some(profile) = self.column(&column.name)
                && profile.kind() != column.data.kind()
                && !profile.is_all_missing()
            {
                return Err(ProfileError::KindMismatch {
                    column: column.name.clone(),
                    left: profile.kind(),
                    right: column.data.kind(),
                });
            }
        }
        let options = self.options;
        let mut touched = vec![false; self.columns.len()];
        for column in columns {
            match self.columns.iter().position(|c| c.name == column.name) {
                Some(i) => {
                    touched[i] = true;
                    self.columns[i]
                        .profile
                        .extend(&column.name, &column.data, &options)?;
                }
                None => {
                    let mut profile = ColumnProfile::new(column.data.kind(), &options);
                    profile.push_missing(self.n_rows);
                    profile.extend(&column.name, &column.data, &options)?;
                    self.columns.push(NamedProfile {
                        name: column.name.clone(),
                        profile,
                    });
                    touched.push(true);
                }
            }
        }
        for (column, _) in self.columns.iter_mut().zip(&touched).filter(|(_, t)| !**t) {
            column.profile.push_missing(n_batch as u64);
        }
        self.n_rows += n_batch as u64;
        Ok(())
    }

    /// Merges the profile of other rows of the same table into this one.
    ///
    /// Columns are matched by name and keep this profile's order, new ones appended; a
    /// column present on one side only counts the other side's rows as missing. Counts,
    /// min, max, exact value counts and distinct-count registers merge exactly; moments up
    /// to rounding; quantile sketches and frequent-items summaries within their stated
    /// error (see `docs/profiles.md`).
    ///
    /// # Errors
    /// [`ProfileError::IncompatibleOptions`] when the options differ,
    /// [`ProfileError::KindMismatch`] when a column's kinds differ (and neither side is
    /// all missing).
    pub fn merge(&mut self, other: &Profile) -> Result<(), ProfileError> {
        if self.options != other.options {
            return Err(ProfileError::IncompatibleOptions {
                left: format!("{:?}", self.options),
                right: format!("{:?}", other.options),
            });
        }
        let options = self.options;
        let mut merged = self.clone();
        let mut touched = vec![false; merged.columns.len()];
        for column in &other.columns {
            match merged.columns.iter().position(|c| c.name == column.name) {
                Some(i) => {
                    touched[i] = true;
                    merged.columns[i]
                        .profile
                        .merge(&column.name, &column.profile, &options)?;
                }
                None => {
                    let mut profile = column.profile.clone();
                    profile.push_missing(self.n_rows);
                    merged.columns.push(NamedProfile {
                        name: column.name.clone(),
                        profile,
                    });
                    touched.push(true);
                }
            }
        }
        for (column, _) in merged
            .columns
            .iter_mut()
            .zip(&touched)
            .filter(|(_, t)| !**t)
        {
            column.profile.push_missing(other.n_rows);
        }
        merged.n_rows += other.n_rows;
        *self = merged;
        Ok(())
    }

    /// Merges profiles in the order given.
    ///
    /// # Errors
    /// [`ProfileError::NoProfiles`] for an empty list, and as [`Profile::merge`].
    pub fn merge_all<'a>(
        profiles: impl IntoIterator<Item = &'a Profile>,
    ) -> Result<Profile, ProfileError> {
        let mut profiles = profiles.into_iter();
        let mut merged = profiles.next().ok_or(ProfileError::NoProfiles)?.clone();
        for profile in profiles {
            merged.merge(profile)?;
        }
        Ok(merged)
    }

    /// A column's profile by name.
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.profile)
    }

    /// The profile as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            // a profile holds only finite numbers, strings and integers
            unreachable!("a profile always serializes to JSON: {e}")
        })
    }

    /// Reads a JSON profile.
    ///
    /// # Errors
    /// [`ProfileError::NotAProfile`] when the document's `kind` is not
    /// `"monitor-profile"`, [`ProfileError::UnsupportedVersion`] for another
    /// `schema_version`, [`ProfileError::Malformed`] for anything else that is not a
    /// valid profile (bad JSON, missing fields, inconsistent counts).
    pub fn from_json(text: &str) -> Result<Profile, ProfileError> {
        let malformed = |e: serde_json::Error| ProfileError::Malformed {
            format: "JSON",
            message: e.to_string(),
        };
        let header: JsonHeader = serde_json::from_str(text).map_err(malformed)?;
        match header.kind {
            Some(serde_json::Value::String(kind)) if kind == PROFILE_KIND => {}
            other => {
                return Err(ProfileError::NotAProfile {
                    found: other.map_or_else(|| "no kind field".into(), |k| k.to_string()),
                });
            }
        }
        match header
            .schema_version
            .as_ref()
            .and_then(serde_json::Value::as_u64)
        {
            Some(v) if v == u64::from(PROFILE_SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(ProfileError::UnsupportedVersion {
                    found: v,
                    supported: PROFILE_SCHEMA_VERSION,
                });
            }
            None => {
                return Err(ProfileError::Malformed {
                    format: "JSON",
                    message: "schema_version is missing or not a whole number".into(),
                });
            }
        }
        serde_json::from_str(text).map_err(malformed)
    }

    /// The compact binary form: [`BINARY_MAGIC`], the version as a little-endian `u16`,
    /// then the profile in `postcard` encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::from(*BINARY_MAGIC);
        out.extend_from_slice(&(PROFILE_SCHEMA_VERSION as u16).to_le_bytes());
        let body = postcard::to_allocvec(self)
            .unwrap_or_else(|e| unreachable!("a profile always serializes to postcard: {e}"));
        out.extend_from_slice(&body);
        out
    }

    /// Reads the binary form.
    ///
    /// # Errors
    /// [`ProfileError::NotAProfile`] without the magic bytes,
    /// [`ProfileError::UnsupportedVersion`] for another version,
    /// [`ProfileError::Malformed`] for a body that is not a valid profile.
    pub fn from_bytes(bytes: &[u8]) -> Result<Profile, ProfileError> {
        let Some(rest) = bytes.strip_prefix(BINARY_MAGIC) else {
            return Err(ProfileError::NotAProfile {
                found: "no MPRF magic bytes".into(),
            });
        };
        let (version, body) = match rest {
            [lo, hi, body @ ..] => (u16::from_le_bytes([*lo, *hi]), body),
            _ => {
                return Err(ProfileError::Malformed {
                    format: "binary",
                    message: "truncated before the version".into(),
                });
            }
        };
        if u32::from(version) != PROFILE_SCHEMA_VERSION {
            return Err(ProfileError::UnsupportedVersion {
                found: u64::from(version),
                supported: PROFILE_SCHEMA_VERSION,
            });
        }
        let (profile, unread) =
            postcard::take_from_bytes::<Profile>(body).map_err(|e| ProfileError::Malformed {
                format: "binary",
                message: e.to_string(),
            })?;
        if !unread.is_empty() {
            return Err(ProfileError::Malformed {
                format: "binary",
                message: format!("{} bytes after the profile", unread.len()),
            });
        }
        Ok(profile)
    }

    /// Reads either form: binary when `bytes` start with [`BINARY_MAGIC`], JSON otherwise.
    ///
    /// # Errors
    /// As [`Profile::from_bytes`] and [`Profile::from_json`]; JSON that is not UTF-8 is
    /// [`ProfileError::Malformed`].
    pub fn read(bytes: &[u8]) -> Result<Profile, ProfileError> {
        if bytes.starts_with(BINARY_MAGIC) {
            return Profile::from_bytes(bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|e| ProfileError::Malformed {
            format: "JSON",
            message: e.to_string(),
        })?;
        Profile::from_json(text)
    }
}
