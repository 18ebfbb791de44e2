//! `X-Twilio-Signature`: base64(HMAC-SHA1(auth token, URL + every form
//! parameter as name then value, sorted by name and then by value)).
//!
//! Like the official SDKs (twilio-python, twilio-node), a pair that appears
//! twice with the same name and value is signed once (they sort a set).
//!
//! This runs for every webhook, so it does not copy the form: it sorts
//! indexes (on the stack for up to [`INLINE_PARAMS`] pairs) and streams the
//! URL pieces and the pairs into one keyed HMAC.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::digest::{Key, KeyInit};
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use subtle::{Choice, ConstantTimeEq};

use super::webhook_url::WebhookUrl;

/// The request header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-Twilio-Signature";

/// Forms with at most this many pairs are sorted without allocating.
/// (An inbound SMS webhook has about twenty.)
pub const INLINE_PARAMS: usize = 64;

/// Why a webhook's signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `X-Twilio-Signature` header, or an empty one.
    #[error("X-Twilio-Signature header is missing or empty")]
    Missing,
    /// The header matches none of the URL variants the SDKs accept.
    #[error("X-Twilio-Signature does not match the request")]
    Mismatch,
}

type HmacSha1 = Hmac<Sha1>;

/// Length of a base64-encoded SHA-1 digest (20 bytes).
const ENCODED_LEN: usize = 28;

/// Twilio's X-Twilio-Signature algorithm: base64(HMAC-SHA1(auth_token, url +
/// concat of key+value for params sorted by key, and for repeated keys by
/// value too)).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mac = keyed_mac(auth_token);
    let digest = with_sorted_order(params, |order| digest(mac, [url, "", ""], params, order));
    STANDARD.encode(digest)
}

/// Verifies in constant time (subtle). Accepts the signature computed over
/// `url` as given, over `url` with its port removed if it has one, and over
/// `url` with the scheme's default port added (443 https / 80 http) if it has
/// none — exactly like the official Twilio SDKs do.
pub fn verify_signature(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: &str,
) -> Result<(), SignatureError> {
    if header.is_empty() {
        return Err(SignatureError::Missing);
    }
    let mac = keyed_mac(auth_token);
    let other = WebhookUrl::parse(url).map(|parsed| parsed.other_variant());
    let matched = with_sorted_order(params, |order| {
        let mut matched = matches(header, digest(mac.clone(), [url, "", ""], params, order));
        if let Some(other) = other {
            matched |= matches(header, digest(mac, other, params, order));
        }
        matched
    });
    if bool::from(matched) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// An HMAC-SHA1 keyed with the auth token.
///
/// HMAC pads a key up to the hash's block size and first hashes a longer
/// one (RFC 2104 §2); doing that here builds the fixed-size key, so the
/// infallible constructor can be used instead of `new_from_slice`'s `Result`.
fn keyed_mac(auth_token: &str) -> HmacSha1 {
    let token = auth_token.as_bytes();
    let mut key = Key::<HmacSha1>::default();
    if token.len() > key.len() {
        let hashed = <Sha1 as Digest>::digest(token);
        key[..hashed.len()].copy_from_slice(&hashed);
    } else {
        key[..token.len()].copy_from_slice(token);
    }
    <HmacSha1 as KeyInit>::new(&key)
}

/// HMAC over the URL pieces then the pairs in `order`, skipping a pair equal
/// to the one before it.
fn digest(mut mac: HmacSha1, url_pieces: [&str; 3], params: &[(String, String)], order: &[usize]) -> [u8; 20] {
    for piece in url_pieces {
        mac.update(piece.as_bytes());
    }
    let mut previous: Option<&(String, String)> = None;
    for pair in order.iter().filter_map(|&index| params.get(index)) {
        if previous == Some(pair) {
            continue;
        }
        mac.update(pair.0.as_bytes());
        mac.update(pair.1.as_bytes());
        previous = Some(pair);
    }
    mac.finalize().into_bytes().into()
}

/// Constant-time comparison of the header with a digest's base64 text.
fn matches(header: &str, digest: [u8; 20]) -> Choice {
    let mut encoded = [0u8; ENCODED_LEN];
    // 20 bytes always encode to exactly 28; were it ever to fail, comparing
    // with an empty slice refuses the (non-empty) header, which is safe.
    let len = STANDARD.encode_slice(digest, &mut encoded).unwrap_or(0);
    encoded[..len].ct_eq(header.as_bytes())
}

/// Calls `sign` with the indexes of `params` sorted by name then value
/// (byte order of UTF-8, which is code-point order, as in Python).
fn with_sorted_order<R>(params: &[(String, String)], sign: impl FnOnce(&[usize]) -> R) -> R {
    let by_name_then_value = |a: &usize, b: &usize| params.get(*a).cmp(&params.get(*b));
    if params.len() <= INLINE_PARAMS {
        let mut inline = [0usize; INLINE_PARAMS];
        let order = &mut inline[..params.len()];
        for (index, slot) in order.iter_mut().enumerate() {
            *slot = index;
        }
        order.sort_unstable_by(by_name_then_value);
        sign(order)
    } else {
        let mut order: Vec<usize> = (0..params.len()).collect();
        order.sort_unstable_by(by_name_then_value);
        sign(&order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// The plain, allocating definition, to check the streamed one against.
    fn reference_signature(token: &str, url: &str, params: &[(String, String)]) -> String {
        let mut sorted = params.to_vec();
        sorted.sort();
        sorted.dedup();
        let mut data = url.to_owned();
        for (name, value) in &sorted {
            data.push_str(name);
            data.push_str(value);
        }
        let mut mac = <HmacSha1 as Mac>::new_from_slice(token.as_bytes()).expect("any key length");
        mac.update(data.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    const DOCS_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn docs_params() -> Vec<(String, String)> {
        pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ])
    }

    #[test]
    fn twilio_docs_example_signs_to_the_published_value() {
        assert_eq!(signature("12345", DOCS_URL, &docs_params()), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }

    #[test]
    fn parameter_order_does_not_change_the_signature() {
        let mut reversed = docs_params();
        reversed.reverse();
        assert_eq!(signature("12345", DOCS_URL, &reversed), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    }

    #[test]
    fn streamed_signature_equals_the_plain_definition() {
        let long_token = "t".repeat(100);
        let many: Vec<(String, String)> =
            (0..150).map(|i| (format!("K{}", i % 7), format!("v{}", (i * 37) % 11))).collect();
        let cases = [
            ("12345", DOCS_URL, docs_params()),
            ("", "", Vec::new()),
            (long_token.as_str(), "http://h:8080/x", docs_params()),
            ("é", "https://h/ü", pairs(&[("Body", "😀 ça"), ("Body", "a"), ("B", "z")])),
            ("tok", "https://h/", many),
        ];
        for (token, url, params) in cases {
            assert_eq!(
                signature(token, url, &params),
                reference_signature(token, url, &params),
                "token {token:?} url {url:?}"
            );
        }
    }

    #[test]
    fn a_key_exactly_one_block_long_is_used_as_is() {
        let token = "k".repeat(64);
        assert_eq!(signature(&token, DOCS_URL, &docs_params()), reference_signature(&token, DOCS_URL, &docs_params()));
    }

    #[test]
    fn a_pair_sent_twice_is_signed_once_like_the_sdks() {
        let once = pairs(&[("Digits", "1"), ("To", "+1")]);
        let twice = pairs(&[("Digits", "1"), ("To", "+1"), ("Digits", "1")]);
        assert_eq!(signature("t", DOCS_URL, &once), signature("t", DOCS_URL, &twice));
    }

    #[test]
    fn name_value_boundaries_sort_by_name_first() {
        // "Sid" < "SidAccount" as names, whatever the values.
        let params = pairs(&[("SidAccount", "A"), ("Sid", "Z")]);
        let mut mac = <HmacSha1 as Mac>::new_from_slice(b"t").expect("any key length");
        mac.update(b"https://h/SidZSidAccountA");
        let expected = STANDARD.encode(mac.finalize().into_bytes());
        assert_eq!(signature("t", "https://h/", &params), expected);
    }

    #[test]
    fn docs_example_verifies() {
        let header = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        assert_eq!(verify_signature("12345", DOCS_URL, &docs_params(), header), Ok(()));
    }

    #[test]
    fn empty_header_is_missing_not_mismatched() {
        assert_eq!(verify_signature("12345", DOCS_URL, &docs_params(), ""), Err(SignatureError::Missing));
    }

    #[test]
    fn header_of_the_wrong_length_or_case_is_a_mismatch() {
        for header in ["0/KCTR6DLpKmkAf8muzZqo1nDgQ", "0/KCTR6DLpKmkAf8muzZqo1nDgQ==", "0/kctr6DLpKmkAf8muzZqo1nDgQ="] {
            assert_eq!(
                verify_signature("12345", DOCS_URL, &docs_params(), header),
                Err(SignatureError::Mismatch),
                "{header}"
            );
        }
    }

    #[test]
    fn signature_over_the_default_port_verifies_against_a_url_without_port() {
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        let header = signature("12345", with_port, &docs_params());
        assert_eq!(verify_signature("12345", DOCS_URL, &docs_params(), &header), Ok(()));
    }

    #[test]
    fn signature_without_port_verifies_against_a_url_with_any_port() {
        let header = signature("12345", DOCS_URL, &docs_params());
        let with_port = "https://mycompany.com:8443/myapp.php?foo=1&bar=2";
        assert_eq!(verify_signature("12345", with_port, &docs_params(), &header), Ok(()));
    }

    #[test]
    fn a_different_non_default_port_is_refused() {
        let header = signature("12345", "https://mycompany.com:8443/x", &docs_params());
        assert_eq!(
            verify_signature("12345", "https://mycompany.com:9443/x", &docs_params(), &header),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn relative_url_still_verifies_as_given() {
        let header = signature("t", "/webhooks/twilio", &docs_params());
        assert_eq!(verify_signature("t", "/webhooks/twilio", &docs_params(), &header), Ok(()));
    }

    #[test]
    fn many_params_are_sorted_on_the_heap_and_still_verify() {
        let many: Vec<(String, String)> =
            (0..INLINE_PARAMS * 2).map(|i| (format!("K{i}"), format!("{}", i * 7))).collect();
        let header = reference_signature("t", DOCS_URL, &many);
        assert_eq!(verify_signature("t", DOCS_URL, &many, &header), Ok(()));
    }
}
