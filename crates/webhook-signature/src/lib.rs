//! The signature every webhook of the monitor carries (retraining jobs, alerts):
//! `X-Monitor-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw body>` under a
//! secret shared with the receiver. A receiver imports this crate alone and calls
//! [`verify`] on the bytes it received before trusting them.
//!
//! ```
//! let header = webhook_signature::sign(b"s3cret", br#"{"id":1}"#);
//! assert!(webhook_signature::verify(b"s3cret", br#"{"id":1}"#, &header));
//! assert!(!webhook_signature::verify(b"s3cret", br#"{"id":2}"#, &header));
//! ```

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature header's name.
pub const SIGNATURE_HEADER: &str = "X-Monitor-Signature";

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed first): this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// The signature header's value for `body`: `sha256=` and the lowercase hex HMAC-SHA256
/// under `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(body);
    let mut text = String::with_capacity(7 + 64);
    text.push_str("sha256=");
    for byte in mac.finalize().into_bytes() {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

/// Whether `header` (`sha256=<hex>`, either case of hex digits) signs `body` under
/// `secret`; the digests are compared in constant time.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    if hex.len() != 64 {
        return false;
    }
    let mut expected = Vec::with_capacity(32);
    for pair in hex.as_bytes().chunks(2) {
        let Some(byte) = std::str::from_utf8(pair)
            .ok()
            .and_then(|p| u8::from_str_radix(p, 16).ok())
        else {
            return false;
        };
        expected.push(byte);
    }
    let mut mac = mac(secret);
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use test_support::load_reference;

    use super::*;

    #[test]
    fn rfc_4231_test_case_2() {
        // RFC 4231, section 4.3: key "Jefe", data "what do ya want for nothing?".
        let expected = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(sign(b"Jefe", b"what do ya want for nothing?"), expected);
        assert!(verify(b"Jefe", b"what do ya want for nothing?", expected));
    }

    /// Python's `hmac.new(key, msg, sha256).hexdigest()` on the committed cases.
    #[test]
    fn signatures_match_python_hmac() {
        let reference = load_reference("python_hmac.json");
        for case in reference["cases"].as_array().expect("cases") {
            let key = case["key"].as_str().expect("key").as_bytes();
            let message = case["user_id"].as_str().expect("message").as_bytes();
            let expected = format!("sha256={}", case["hmac_sha256_hex"].as_str().expect("hex"));
            assert_eq!(sign(key, message), expected);
            assert!(verify(key, message, &expected));
            assert!(verify(
                key,
                message,
                &expected.to_uppercase().replace("SHA256=", "sha256=")
            ));
            assert!(!verify(key, b"tampered", &expected));
            assert!(!verify(b"another key", message, &expected));
        }
    }

    #[test]
    fn tampering_and_malformed_headers_are_rejected() {
        let header = sign(b"secret", b"{\"id\":1}");
        assert!(verify(b"secret", b"{\"id\":1}", &header));
        assert!(verify(b"secret", b"{\"id\":1}", &format!("  {header}\n")));
        assert!(!verify(b"secret", b"{\"id\":2}", &header));
        assert!(!verify(b"other", b"{\"id\":1}", &header));
        assert!(!verify(
            b"secret",
            b"{\"id\":1}",
            &header.replace("sha256=", "sha1=")
        ));
        assert!(!verify(b"secret", b"{\"id\":1}", "sha256=zz"));
        assert!(!verify(
            b"secret",
            b"{\"id\":1}",
            &header[..header.len() - 2]
        ));
        assert!(!verify(b"k", b"m", "md5=00"));
    }
}
