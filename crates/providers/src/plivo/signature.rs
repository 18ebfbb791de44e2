//! `X-Plivo-Signature-V3`: base64(HMAC-SHA256(auth token, text)), the text
//! built exactly as the official `plivo` SDK's `validate_v3_signature` builds
//! it (plivo-python `plivo/utils/signature_v3.py`):
//!
//! - the base URL: scheme (lower-cased), `://`, host and path of the URL,
//!   without query, fragment or `;params` of the last path segment;
//! - `GET`: the request parameters merged with the URL's query (the query
//!   wins for a name in both), then `?` and `name=value` pairs joined by `&`,
//!   sorted by name then value (percent-decoded, never re-encoded), when there
//!   are any;
//! - `POST`: the URL's own query as above, a `?` when there is a query or a
//!   body, a `.` when there are both, then every body parameter as `name`
//!   `value` with no separator, sorted by name then value;
//! - then `.` and the `X-Plivo-Signature-V3-Nonce` header.
//!
//! The header may hold several signatures separated by commas (one per
//! valid auth token, during a rotation); one exact match suffices, compared
//! in constant time. The SDK raises on a URL or a decoded query that is not
//! ASCII, so such requests never verify here either.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use crate::form::percent_decode_bytes;

/// The request header carrying the signature(s).
pub const SIGNATURE_HEADER: &str = "X-Plivo-Signature-V3";
/// The request header carrying the nonce.
pub const NONCE_HEADER: &str = "X-Plivo-Signature-V3-Nonce";

/// The HTTP method Plivo used (the application's `message_method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookMethod {
    Get,
    Post,
}

/// Why a webhook's signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature header or no nonce header (or an empty one).
    #[error("X-Plivo-Signature-V3 or its nonce header is missing or empty")]
    Missing,
    /// No signature in the header matches the request.
    #[error("X-Plivo-Signature-V3 does not match the request")]
    Mismatch,
}

/// URL schemes Python's `urllib.parse` writes back with `//` (`uses_netloc`).
const USES_NETLOC: [&str; 25] = [
    "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp", "snews",
    "prospero", "rtsp", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git", "git+ssh", "ws", "wss",
];

/// URL schemes whose last path segment may carry `;params` (`uses_params`).
const USES_PARAMS: [&str; 15] = [
    "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtspu", "sip", "sips", "mms", "sftp",
    "tel",
];

/// The signature Plivo sends for this request, or `None` when the SDK could
/// not compute one (a URL or a decoded query that is not ASCII).
pub fn signature_v3(
    method: WebhookMethod,
    url: &str,
    params: &[(String, String)],
    nonce: &str,
    auth_token: &str,
) -> Option<String> {
    signed_text(method, url, params, nonce).map(|text| STANDARD.encode(hmac_sha256(auth_token, &text)))
}

/// Verifies `header` (`X-Plivo-Signature-V3`) with `nonce`
/// (`X-Plivo-Signature-V3-Nonce`) for this request.
pub fn verify_signature_v3(
    method: WebhookMethod,
    url: &str,
    params: &[(String, String)],
    nonce: &str,
    auth_token: &str,
    header: &str,
) -> Result<(), SignatureError> {
    if header.is_empty() || nonce.is_empty() {
        return Err(SignatureError::Missing);
    }
    let Some(expected) = signature_v3(method, url, params, nonce, auth_token) else {
        return Err(SignatureError::Mismatch);
    };
    let matched = header
        .split(',')
        .fold(Choice::from(0), |matched, candidate| matched | candidate.as_bytes().ct_eq(expected.as_bytes()));
    if bool::from(matched) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The text that is signed (see the module doc), or `None` when not ASCII.
pub fn signed_text(method: WebhookMethod, url: &str, params: &[(String, String)], nonce: &str) -> Option<String> {
    if !url.is_ascii() {
        return None;
    }
    let parts = UrlParts::parse(url);
    let query = query_map(parts.query)?;
    let mut text = parts.base();
    match method {
        WebhookMethod::Get => {
            let mut merged = group(params);
            merged.extend(query);
            let query = sorted_query(&merged);
            if !query.is_empty() {
                text.push('?');
                text.push_str(&query);
            }
        }
        WebhookMethod::Post => {
            let query = sorted_query(&query);
            if !query.is_empty() || !params.is_empty() {
                text.push('?');
                text.push_str(&query);
            }
            if !query.is_empty() && !params.is_empty() {
                text.push('.');
            }
            for (name, values) in group(params) {
                for value in values {
                    text.push_str(&name);
                    text.push_str(&value);
                }
            }
        }
    }
    text.push('.');
    // The SDK turns the nonce's bytes into characters one by one (Latin-1).
    text.extend(nonce.bytes().map(char::from));
    Some(text)
}

/// A URL cut as Python's `urlparse` cuts it.
struct UrlParts<'a> {
    scheme: String,
    netloc: &'a str,
    path: &'a str,
    query: &'a str,
}

impl<'a> UrlParts<'a> {
    fn parse(url: &'a str) -> UrlParts<'a> {
        let mut rest = url;
        let mut scheme = String::new();
        if let Some(colon) = url.find(':') {
            let candidate = &url[..colon];
            let valid = candidate.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && candidate.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
            if valid {
                scheme = candidate.to_ascii_lowercase();
                rest = &url[colon + 1..];
            }
        }
        let mut netloc = "";
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            netloc = &after[..end];
            rest = &after[end..];
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let (mut path, query) = rest.split_once('?').unwrap_or((rest, ""));
        if USES_PARAMS.contains(&scheme.as_str()) {
            path = without_params(path);
        }
        UrlParts { scheme, netloc, path, query }
    }

    /// `urlunparse((scheme, netloc, path, '', '', ''))`.
    fn base(&self) -> String {
        let mut url = String::with_capacity(self.scheme.len() + self.netloc.len() + self.path.len() + 4);
        let netloc_form = !self.netloc.is_empty()
            || (!self.scheme.is_empty() && USES_NETLOC.contains(&self.scheme.as_str()) && !self.path.starts_with("//"));
        if !self.scheme.is_empty() {
            url.push_str(&self.scheme);
            url.push(':');
        }
        if netloc_form {
            url.push_str("//");
            url.push_str(self.netloc);
            if !self.path.is_empty() && !self.path.starts_with('/') {
                url.push('/');
            }
        }
        url.push_str(self.path);
        url
    }
}

/// Python's `_splitparams`: cuts `;params` off the last path segment.
fn without_params(path: &str) -> &str {
    let from = path.rfind('/').unwrap_or(0);
    match path[from..].find(';') {
        Some(at) => &path[..from + at],
        None => path,
    }
}

/// `parse_qs(query, keep_blank_values=True)`: names to every value, in order;
/// `None` when a decoded name or value is not ASCII (the SDK raises).
fn query_map(query: &str) -> Option<BTreeMap<String, Vec<String>>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for piece in query.split('&').filter(|piece| !piece.is_empty()) {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let name = ascii(&percent_decode_bytes(name.as_bytes()))?;
        let value = ascii(&percent_decode_bytes(value.as_bytes()))?;
        map.entry(name).or_default().push(value);
    }
    Some(map)
}

fn ascii(bytes: &[u8]) -> Option<String> {
    bytes.is_ascii().then(|| bytes.iter().copied().map(char::from).collect())
}

/// Parameters grouped by name (sorted), each name's values in order received.
fn group(params: &[(String, String)]) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in params {
        map.entry(name.clone()).or_default().push(value.clone());
    }
    for values in map.values_mut() {
        values.sort();
    }
    map
}

/// `name=value` for every value, sorted by name then value, joined by `&`.
fn sorted_query(map: &BTreeMap<String, Vec<String>>) -> String {
    let mut pieces = Vec::new();
    for (name, values) in map {
        let mut values = values.clone();
        values.sort();
        for value in values {
            pieces.push(format!("{name}={value}"));
        }
    }
    pieces.join("&")
}

fn hmac_sha256(key: &str, text: &str) -> [u8; 32] {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail; the
    // fallback (an all-zero key) keeps this total without a panic path.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| <Hmac<Sha256> as hmac::digest::KeyInit>::new(&Default::default()));
    mac.update(text.as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn text(method: WebhookMethod, url: &str, params: &[(&str, &str)]) -> String {
        signed_text(method, url, &pairs(params), "12").expect("ascii")
    }

    #[test]
    fn post_text_matches_the_sdks_construct_post_url() {
        // Expected values printed by plivo 4.63.0's construct_post_url.
        assert_eq!(
            text(WebhookMethod::Post, "https://h/p?b=x+y%26&a=1&a=0&c", &[("X", "é"), ("A", "1")]),
            "https://h/p?a=0&a=1&b=x y&&c=.A1Xé.12"
        );
        assert_eq!(text(WebhookMethod::Post, "HTTPS://H/p", &[("X", "é")]), "https://H/p?Xé.12");
        assert_eq!(text(WebhookMethod::Post, "https://h/p", &[]), "https://h/p.12");
        assert_eq!(text(WebhookMethod::Post, "https://h/p?z=1", &[]), "https://h/p?z=1.12");
    }

    #[test]
    fn get_text_matches_the_sdks_construct_get_url() {
        assert_eq!(
            text(WebhookMethod::Get, "https://h/p;x/y;z;w?q=1#frag", &[("X", "é")]),
            "https://h/p;x/y?X=é&q=1.12"
        );
        assert_eq!(text(WebhookMethod::Get, "https://h", &[]), "https://h.12");
        assert_eq!(text(WebhookMethod::Get, "https://h/?a=2", &[("a", "1"), ("b", "3")]), "https://h/?a=2&b=3.12");
    }

    #[test]
    fn the_sdks_signature_of_a_plain_text_is_reproduced() {
        // get_signature_v3(b'tok', 'https://h/p.x', b'12') in plivo 4.63.0.
        assert_eq!(
            STANDARD.encode(hmac_sha256("tok", "https://h/p.x.12")),
            "2zNLKsYk+NvyjW67S13zu0nKNkU5b4nHwALX/a78ek8="
        );
    }

    #[test]
    fn non_ascii_urls_or_queries_never_verify() {
        assert_eq!(signed_text(WebhookMethod::Post, "https://h/é", &[], "1"), None);
        assert_eq!(signed_text(WebhookMethod::Post, "https://h/p?a=%C3%A9", &[], "1"), None);
        assert_eq!(
            verify_signature_v3(WebhookMethod::Post, "https://h/é", &[], "1", "t", "x"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn one_matching_signature_among_several_suffices() {
        let params = pairs(&[("From", "33612345678")]);
        let good = signature_v3(WebhookMethod::Post, "https://h/p", &params, "9", "token").expect("ascii");
        let other = signature_v3(WebhookMethod::Post, "https://h/p", &params, "9", "old").expect("ascii");
        for header in [good.clone(), format!("{other},{good}"), format!("{good},{other}")] {
            assert_eq!(verify_signature_v3(WebhookMethod::Post, "https://h/p", &params, "9", "token", &header), Ok(()));
        }
        for header in [other.clone(), format!("{other}, {good}"), format!("{good}x"), good[1..].to_owned()] {
            assert_eq!(
                verify_signature_v3(WebhookMethod::Post, "https://h/p", &params, "9", "token", &header),
                Err(SignatureError::Mismatch),
                "{header}"
            );
        }
    }

    #[test]
    fn a_missing_header_or_nonce_is_missing() {
        let params = pairs(&[("From", "1")]);
        assert_eq!(
            verify_signature_v3(WebhookMethod::Post, "https://h/p", &params, "9", "t", ""),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_signature_v3(WebhookMethod::Post, "https://h/p", &params, "", "t", "x"),
            Err(SignatureError::Missing)
        );
    }

    #[test]
    fn nonce_bytes_are_read_as_latin1_like_the_sdk() {
        assert_eq!(signed_text(WebhookMethod::Post, "https://h", &[], "é").as_deref(), Some("https://h.Ã©"));
    }

    #[test]
    fn repeated_body_names_sort_their_values() {
        let params = pairs(&[("B", "2"), ("A", "z"), ("B", "1")]);
        assert_eq!(
            signed_text(WebhookMethod::Post, "https://h/p", &params, "n").as_deref(),
            Some("https://h/p?AzB1B2.n")
        );
    }
}
