//! An alert's identity: Alertmanager's fingerprint of its label set.
//!
//! The fingerprint is the 64-bit FNV-1a hash of the labels sorted by name, each name and
//! each value followed by the byte `0xff` (which never occurs in UTF-8, so `{a="bc"}` and
//! `{ab="c"}` differ), written as 16 lowercase hex digits. This is exactly
//! `labelSetToFingerprint` of the Prometheus `common/model` package, which Alertmanager
//! uses: the id `monitor alerts list` shows is the `fingerprint` Alertmanager's API and UI
//! show, and PagerDuty's `dedup_key`. It depends on the labels only (not on annotations,
//! summary or details), so the same condition firing again is the same alert, and it is
//! stable across processes, platforms and releases.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::model::Labels;

/// FNV-1a's 64-bit offset basis.
const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a's 64-bit prime.
const PRIME: u64 = 0x0000_0100_0000_01b3;
/// Separates names and values; never a byte of UTF-8 text.
const SEPARATOR: u8 = 0xff;

/// An alert's fingerprint (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(u64);

fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

impl Fingerprint {
    /// The fingerprint of `labels` (a `BTreeMap`, so already sorted by name).
    pub fn of(labels: &Labels) -> Fingerprint {
        let hash = labels.iter().fold(OFFSET, |hash, (name, value)| {
            let hash = fnv1a(hash, name.as_bytes());
            let hash = fnv1a(hash, &[SEPARATOR]);
            let hash = fnv1a(hash, value.as_bytes());
            fnv1a(hash, &[SEPARATOR])
        });
        Fingerprint(hash)
    }

    /// The 64 bits.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = String;

    /// Parses 16 hex digits (either case).
    fn from_str(text: &str) -> Result<Fingerprint, String> {
        if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("\"{text}\" is not a fingerprint (16 hex digits)"));
        }
        u64::from_str_radix(text, 16)
            .map(Fingerprint)
            .map_err(|e| format!("\"{text}\": {e}"))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Fingerprint, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use test_support::load_reference;

    fn labels(value: &serde_json::Value) -> Labels {
        value
            .as_object()
            .expect("an object of labels")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("a string value").to_owned()))
            .collect()
    }

    #[test]
    fn alert_fingerprints_match_alertmanager() {
        let reference = load_reference("alertmanager_fingerprints.json");
        let cases = reference["cases"].as_array().expect("cases");
        assert!(cases.len() >= 10);
        for case in cases {
            let expected = case["fingerprint"].as_str().expect("fingerprint");
            let got = Fingerprint::of(&labels(&case["labels"]));
            assert_eq!(got.to_string(), expected, "labels {}", case["labels"]);
            assert_eq!(expected.parse::<Fingerprint>(), Ok(got));
        }
    }

    #[test]
    fn alert_fingerprint_hash_is_fnv1a_64() {
        // Test vectors of the FNV specification (draft-eastlake-fnv, FNV-1a 64-bit).
        assert_eq!(fnv1a(OFFSET, b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(OFFSET, b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(OFFSET, b"foobar"), 0x8594_4171_f739_67e8);
        // the empty label set is the offset basis, as in Prometheus
        assert_eq!(Fingerprint::of(&Labels::new()).as_u64(), OFFSET);
    }

    #[test]
    fn alert_fingerprints_parse_and_print() {
        let fp: Fingerprint = "02D7E765A3359FB5".parse().expect("hex");
        assert_eq!(fp.to_string(), "02d7e765a3359fb5");
        assert!("02d7e765a3359fb".parse::<Fingerprint>().is_err());
        assert!("02d7e765a3359fbz".parse::<Fingerprint>().is_err());
        assert!("+2d7e765a3359fb5".parse::<Fingerprint>().is_err());
        let json = serde_json::to_string(&fp).expect("json");
        assert_eq!(json, "\"02d7e765a3359fb5\"");
        assert_eq!(
            serde_json::from_str::<Fingerprint>(&json).expect("back"),
            fp
        );
    }
}
