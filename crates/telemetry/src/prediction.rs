//! Prediction-level spans, and the keyed hash that keeps user ids out of telemetry.
//!
//! A clear user id must never reach a span, a log line or an alert. The only way to put a
//! user on a [`prediction_span`] is a [`HashedUserId`], and the only way to make one is
//! [`UserIdHasher::hash`]: HMAC-SHA256 under a key the operator configures, cut to its first
//! 32 hex digits (128 bits). The same user gets the same hash, so traces of one user can be
//! followed; without the key the hash cannot be reversed or recomputed from a guessed id,
//! which a plain (unkeyed) SHA-256 of an e-mail address would allow.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::TelemetryError;

/// Hashes user ids with HMAC-SHA256 under a secret key.
#[derive(Clone)]
pub struct UserIdHasher {
    keyed: Hmac<Sha256>,
}

impl UserIdHasher {
    /// The shortest key accepted, in bytes (128 bits).
    pub const MIN_KEY_BYTES: usize = 16;
    /// Hex digits kept of the 64 a SHA-256 MAC has.
    pub const HEX_DIGITS: usize = 32;

    /// A hasher under `key` (say, 32 random bytes from the deployment's secrets).
    ///
    /// # Errors
    /// [`TelemetryError::WeakKey`] when `key` is shorter than [`Self::MIN_KEY_BYTES`].
    pub fn new(key: &[u8]) -> Result<UserIdHasher, TelemetryError> {
        if key.len() < Self::MIN_KEY_BYTES {
            return Err(TelemetryError::WeakKey {
                min: Self::MIN_KEY_BYTES,
                got: key.len(),
            });
        }
        let keyed = Hmac::<Sha256>::new_from_slice(key).map_err(|_| TelemetryError::WeakKey {
            min: Self::MIN_KEY_BYTES,
            got: key.len(),
        })?;
        Ok(UserIdHasher { keyed })
    }

    /// The keyed hash of `user_id`: the first [`Self::HEX_DIGITS`] lowercase hex digits of
    /// HMAC-SHA256(key, user_id's UTF-8 bytes).
    pub fn hash(&self, user_id: &str) -> HashedUserId {
        let mut mac = self.keyed.clone();
        mac.update(user_id.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(Self::HEX_DIGITS);
        for byte in &digest[..Self::HEX_DIGITS / 2] {
            hex.push_str(&format!("{byte:02x}"));
        }
        HashedUserId(hex)
    }
}

impl fmt::Debug for UserIdHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // never the key
        f.write_str("UserIdHasher { .. }")
    }
}

/// A user id after [`UserIdHasher::hash`]: safe to export.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashedUserId(String);

impl HashedUserId {
    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HashedUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a prediction span says about one prediction.
#[derive(Debug, Clone, Copy)]
pub struct Prediction<'a> {
    /// The model's name (`ml.model.name`).
    pub model: &'a str,
    /// Its version (`ml.model.version`).
    pub version: &'a str,
    /// The variant that answered, e.g. `baseline` or `canary` (`ml.variant`).
    pub variant: &'a str,
    /// The request's id (`ml.request.id`).
    pub request_id: &'a str,
    /// The user, hashed (`user.hash`, the OpenTelemetry attribute for an anonymized user).
    pub user: Option<&'a HashedUserId>,
}

/// An `info` span named `prediction` with the prediction's attributes; enter it around the
/// work of one prediction.
///
/// ```
/// use telemetry::prediction::{Prediction, UserIdHasher, prediction_span};
///
/// let hasher = UserIdHasher::new(b"a key of 16 bytes or more").unwrap();
/// let user = hasher.hash("alice@example.com");
/// let span = prediction_span(&Prediction {
///     model: "churn",
///     version: "3",
///     variant: "canary",
///     request_id: "req-42",
///     user: Some(&user),
/// });
/// let _entered = span.enter();
/// ```
pub fn prediction_span(prediction: &Prediction<'_>) -> tracing::Span {
    tracing::info_span!(
        "prediction",
        ml.model.name = prediction.model,
        ml.model.version = prediction.version,
        ml.variant = prediction.variant,
        ml.request.id = prediction.request_id,
        user.hash = prediction.user.map(HashedUserId::as_str),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::load_reference;

    #[test]
    fn hashes_match_python_hmac() {
        let reference = load_reference("python_hmac.json");
        let cases = reference["cases"].as_array().expect("cases");
        assert!(cases.len() >= 4);
        for case in cases {
            let key = case["key"].as_str().expect("key");
            let user = case["user_id"].as_str().expect("user_id");
            let full = case["hmac_sha256_hex"].as_str().expect("digest");
            let hashed = UserIdHasher::new(key.as_bytes()).expect("key").hash(user);
            assert_eq!(hashed.as_str(), &full[..32], "key {key:?}, user {user:?}");
        }
    }

    #[test]
    fn short_keys_are_refused_and_the_key_is_never_printed() {
        let err = UserIdHasher::new(b"short").unwrap_err().to_string();
        assert_eq!(err, "user-id hash key: expected at least 16 bytes, got 5");
        let hasher = UserIdHasher::new(b"0123456789abcdef-secret").expect("key");
        assert!(!format!("{hasher:?}").contains("secret"));
    }

    #[test]
    fn another_key_gives_another_hash() {
        let a = UserIdHasher::new(b"0123456789abcdef").expect("key");
        let b = UserIdHasher::new(b"0123456789abcdeg").expect("key");
        assert_eq!(a.hash("alice"), a.hash("alice"));
        assert_ne!(a.hash("alice"), b.hash("alice"));
        assert_ne!(a.hash("alice"), a.hash("bob"));
    }
}
