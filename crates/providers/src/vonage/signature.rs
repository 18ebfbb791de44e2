//! Vonage's `sig`: a signature over every other webhook parameter, as
//! Vonage documents it ("Signing messages") and as the official SDKs verify
//! it (`vonage_http_client.auth.Auth.check_signature`):
//!
//! 1. drop `sig`; sort the parameters by name (code-point order);
//! 2. in every value (never in names), replace each `&` and `=` by `_`;
//! 3. concatenate `&name=value` for each, so the text starts with `&`;
//! 4. `md5hash`: hex MD5 of that text followed by the signature secret;
//!    `md5`, `sha1`, `sha256`, `sha512`: hex HMAC of the text keyed by the secret.
//!
//! Vonage writes MD5-hash signatures in lowercase hex and HMAC ones in
//! uppercase (the Ruby and .NET SDKs reproduce that); the Python SDK
//! lowercases what it receives. We compare the decoded bytes, so either case
//! verifies, in constant time.

use hmac::digest::core_api::BlockSizeUser;
use hmac::digest::{Digest, FixedOutputReset, KeyInit};
use hmac::{Mac, SimpleHmac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::SignatureMethod;

/// The webhook parameter carrying the signature.
pub const SIGNATURE_PARAM: &str = "sig";

/// Why a webhook's `sig` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `sig` parameter, or an empty one.
    #[error("sig parameter is missing or empty")]
    Missing,
    /// `sig` is not the signature of the other parameters.
    #[error("sig does not match the parameters")]
    Mismatch,
}

/// The signature Vonage would send for `params` (any `sig` among them is
/// left out): lowercase hex for `md5hash`, uppercase hex for the HMACs.
pub fn signature(method: SignatureMethod, secret: &str, params: &[(String, String)]) -> String {
    let digest = digest(method, secret, params);
    match method {
        SignatureMethod::Md5Hash => hex::encode(digest),
        _ => hex::encode_upper(digest),
    }
}

/// Verifies the `sig` parameter of `params` with the tenant's secret and
/// method, comparing digests in constant time (hex case is ignored).
pub fn verify_signature(
    method: SignatureMethod,
    secret: &str,
    params: &[(String, String)],
) -> Result<(), SignatureError> {
    let sig = params
        .iter()
        .find(|(name, _)| name == SIGNATURE_PARAM)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.is_empty())
        .ok_or(SignatureError::Missing)?;
    let received = hex::decode(sig).map_err(|_| SignatureError::Mismatch)?;
    let expected = digest(method, secret, params);
    if bool::from(received.ct_eq(&expected)) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The text that is hashed: `&name=value` for every parameter but `sig`,
/// sorted by name (then value, should a name repeat), values with `&` and
/// `=` replaced by `_`.
pub fn signed_text(params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().filter(|(name, _)| name != SIGNATURE_PARAM).collect();
    sorted.sort();
    let mut text = String::with_capacity(sorted.iter().map(|(n, v)| n.len() + v.len() + 2).sum());
    for (name, value) in sorted {
        text.push('&');
        text.push_str(name);
        text.push('=');
        text.extend(value.chars().map(|c| if c == '&' || c == '=' { '_' } else { c }));
    }
    text
}

fn digest(method: SignatureMethod, secret: &str, params: &[(String, String)]) -> Vec<u8> {
    let text = signed_text(params);
    match method {
        SignatureMethod::Md5Hash => {
            let mut md5 = Md5::new();
            md5.update(text.as_bytes());
            md5.update(secret.as_bytes());
            md5.finalize().to_vec()
        }
        SignatureMethod::Md5 => hmac::<Md5>(secret, &text),
        SignatureMethod::Sha1 => hmac::<Sha1>(secret, &text),
        SignatureMethod::Sha256 => hmac::<Sha256>(secret, &text),
        SignatureMethod::Sha512 => hmac::<Sha512>(secret, &text),
    }
}

fn hmac<D>(secret: &str, text: &str) -> Vec<u8>
where
    D: Digest + BlockSizeUser + FixedOutputReset + Clone,
{
    // HMAC takes keys of any length (longer ones are hashed first), so
    // `new_from_slice` cannot fail; the fallback keeps this total anyway.
    let mut mac = <SimpleHmac<D> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| <SimpleHmac<D> as KeyInit>::new(&Default::default()));
    Mac::update(&mut mac, text.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn the_signed_text_starts_with_an_ampersand_and_sorts_by_name() {
        let params = pairs(&[("to", "2"), ("sig", "x"), ("a-b", "1"), ("a", "&=q")]);
        assert_eq!(signed_text(&params), "&a=__q&a-b=1&to=2");
    }

    #[test]
    fn names_keep_their_ampersands_and_equal_signs() {
        assert_eq!(signed_text(&pairs(&[("k=&", "v")])), "&k=&=v");
    }

    #[test]
    fn vonage_python_sdk_md5hash_example_signs_to_its_published_value() {
        let params = pairs(&[("a", "1"), ("b", "2"), ("timestamp", "1461605396")]);
        assert_eq!(signature(SignatureMethod::Md5Hash, "secret", &params), "6af838ef94998832dbfc29020b564830");
    }

    #[test]
    fn hmac_signatures_are_uppercase_and_md5hash_lowercase() {
        let params = pairs(&[("a", "1")]);
        let hmac = signature(SignatureMethod::Sha256, "s", &params);
        assert_eq!(hmac, hmac.to_uppercase());
        assert_eq!(hmac.len(), 64);
        let md5 = signature(SignatureMethod::Md5Hash, "s", &params);
        assert_eq!(md5, md5.to_lowercase());
        assert_eq!(md5.len(), 32);
        assert_eq!(signature(SignatureMethod::Sha1, "s", &params).len(), 40);
        assert_eq!(signature(SignatureMethod::Sha512, "s", &params).len(), 128);
        assert_eq!(signature(SignatureMethod::Md5, "s", &params).len(), 32);
    }

    #[test]
    fn every_method_verifies_its_own_signature_in_either_hex_case() {
        let mut params = pairs(&[("msisdn", "33612345678"), ("text", "a&b=c"), ("timestamp", "1")]);
        for method in SignatureMethod::ALL {
            let sig = signature(method, "secret", &params);
            for case in [sig.to_lowercase(), sig.to_uppercase()] {
                params.push((SIGNATURE_PARAM.to_owned(), case));
                assert_eq!(verify_signature(method, "secret", &params), Ok(()), "{method}");
                assert_eq!(verify_signature(method, "other", &params), Err(SignatureError::Mismatch), "{method}");
                params.pop();
            }
        }
    }

    #[test]
    fn a_missing_empty_or_non_hex_sig_is_refused() {
        let params = pairs(&[("a", "1")]);
        assert_eq!(verify_signature(SignatureMethod::Sha256, "s", &params), Err(SignatureError::Missing));
        let mut with = params.clone();
        with.push(("sig".to_owned(), String::new()));
        assert_eq!(verify_signature(SignatureMethod::Sha256, "s", &with), Err(SignatureError::Missing));
        with[1].1 = "zz".to_owned();
        assert_eq!(verify_signature(SignatureMethod::Sha256, "s", &with), Err(SignatureError::Mismatch));
        with[1].1 = signature(SignatureMethod::Sha256, "s", &params)[..62].to_owned();
        assert_eq!(verify_signature(SignatureMethod::Sha256, "s", &with), Err(SignatureError::Mismatch));
    }

    #[test]
    fn replaced_characters_make_values_equivalent_as_documented() {
        // Vonage's own caveat: '&', '=' and '_' sign the same.
        let sig = |v: &str| signature(SignatureMethod::Md5Hash, "my_secret_key_for_testing", &pairs(&[("k", v)]));
        assert_eq!(sig("&"), "c3d6a686ab9c7e7408bb1c0506e9629a");
        assert_eq!(sig("="), sig("_"));
    }
}
