//! The signed webhooks of Vonage's Voice API: every answer and event
//! request carries `Authorization: Bearer <JWT>`, a JSON Web Token signed
//! with HS256 (HMAC-SHA256) under the account's signature secret (the
//! tenant's Vonage `signature_secret`). Its claims: `iat` (issued at, Unix
//! seconds), `jti` (a unique id), `iss` (`Vonage`), `api_key`,
//! `application_id`, and `payload_hash`, the SHA-256 (hex) of what was sent.
//!
//! [`verify`] checks, in order: the header's shape; the algorithm, which
//! must be `HS256` (`none` and every other algorithm are refused, so a
//! token cannot choose how it is checked); the signature, compared in
//! constant time; `iat` within [`JWT_SKEW_SECONDS`] of our clock (and `exp`
//! / `nbf` when present); `payload_hash` when present; then `api_key` when
//! present against the tenant's.
//!
//! Written with `hmac` and `sha2`, already in the workspace: HS256 is the one
//! algorithm accepted, and its check is an HMAC compared in constant time;
//! `jsonwebtoken` would add `ring`, PEM and ASN.1 parsing for algorithms we
//! must refuse anyway. The official SDK's `vonage_jwt.verify_signature`
//! (PyJWT, `algorithms='HS256'`) agrees with it (tests/provider_sdks.rs).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::reject::InboundError;

/// How far `iat` may be from our clock, either way, in seconds.
pub const JWT_SKEW_SECONDS: i64 = 300;
/// The longest token read: Vonage's are a few hundred bytes.
pub const MAX_TOKEN_BYTES: usize = 4_096;

/// What a verified token says (the claims we read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedClaims {
    pub iat: i64,
    pub jti: Option<String>,
    pub api_key: Option<String>,
    pub application_id: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    typ: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iat: i64,
    exp: Option<i64>,
    nbf: Option<i64>,
    jti: Option<String>,
    api_key: Option<String>,
    application_id: Option<String>,
    payload_hash: Option<String>,
}

/// The token of an `Authorization` header value (`Bearer <token>`, the
/// scheme in any case), or `None`.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("Bearer") && !token.is_empty()).then_some(token)
}

/// Verifies `token` (see the module doc) under `secret` at `now_unix_seconds`;
/// `payload` is what `payload_hash` covers (the body of a POST, the query of
/// a GET as [`query_payload`] writes it); `api_key` the tenant's.
///
/// A bad shape, algorithm, signature or hash is [`InboundError::BadSignature`];
/// an `iat` (or `exp`, `nbf`) out of bounds [`InboundError::StaleTimestamp`];
/// another account's `api_key` [`InboundError::AccountMismatch`].
pub fn verify(
    token: &str,
    secret: &str,
    now_unix_seconds: i64,
    payload: &[u8],
    api_key: &str,
) -> Result<VerifiedClaims, InboundError> {
    let bad = || InboundError::BadSignature;
    if token.len() > MAX_TOKEN_BYTES || secret.is_empty() {
        return Err(bad());
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let header: Header = decode_json(header_b64).ok_or_else(bad)?;
    if header.alg != "HS256" || header.typ.as_deref().is_some_and(|typ| !typ.eq_ignore_ascii_case("JWT")) {
        return Err(bad());
    }
    let signature = URL_SAFE_NO_PAD.decode(signature_b64).map_err(|_| bad())?;
    let expected = hs256(secret, &token[..header_b64.len() + 1 + claims_b64.len()]);
    if !bool::from(signature.ct_eq(&expected)) {
        return Err(bad());
    }
    let claims: Claims = decode_json(claims_b64).ok_or_else(bad)?;
    let skew = JWT_SKEW_SECONDS;
    let stale = claims.iat.abs_diff(now_unix_seconds) > skew.unsigned_abs()
        || claims.exp.is_some_and(|exp| now_unix_seconds > exp.saturating_add(skew))
        || claims.nbf.is_some_and(|nbf| nbf > now_unix_seconds.saturating_add(skew));
    if stale {
        return Err(InboundError::StaleTimestamp);
    }
    if let Some(hash) = &claims.payload_hash {
        if !hash.eq_ignore_ascii_case(&payload_hash(payload)) {
            return Err(bad());
        }
    }
    if claims.api_key.as_deref().is_some_and(|claimed| claimed != api_key) {
        return Err(InboundError::AccountMismatch);
    }
    Ok(VerifiedClaims {
        iat: claims.iat,
        jti: claims.jti,
        api_key: claims.api_key,
        application_id: claims.application_id,
    })
}

/// SHA-256 of `payload`, lowercase hex: the `payload_hash` claim.
pub fn payload_hash(payload: &[u8]) -> String {
    hex::encode(Sha256::digest(payload))
}

/// What `payload_hash` covers for a GET: the query's parameters as one
/// JSON object, in the order they came, without whitespace.
pub fn query_payload(pairs: &[(String, String)]) -> Vec<u8> {
    let mut json = String::from("{");
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&serde_json::Value::from(key.as_str()).to_string());
        json.push(':');
        json.push_str(&serde_json::Value::from(value.as_str()).to_string());
    }
    json.push('}');
    json.into_bytes()
}

/// A token as Vonage signs one, for the emulators and tests: HS256 under
/// `secret`, with `iat`, `jti`, `iss`, `api_key`, `application_id` and the
/// `payload_hash` of `payload`.
pub fn sign(secret: &str, iat: i64, jti: &str, api_key: &str, application_id: &str, payload: &[u8]) -> String {
    let claims = serde_json::json!({
        "iat": iat,
        "jti": jti,
        "iss": "Vonage",
        "payload_hash": payload_hash(payload),
        "api_key": api_key,
        "application_id": application_id,
    });
    sign_raw(secret, r#"{"alg":"HS256","typ":"JWT"}"#, &claims.to_string())
}

/// Any header and claims, signed HS256 under `secret` (tests forge with it).
pub fn sign_raw(secret: &str, header_json: &str, claims_json: &str) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header_json.as_bytes()),
        URL_SAFE_NO_PAD.encode(claims_json.as_bytes())
    );
    let signature = URL_SAFE_NO_PAD.encode(hs256(secret, &signing_input));
    format!("{signing_input}.{signature}")
}

fn hs256(secret: &str, signing_input: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(signing_input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Option<T> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "paris-vonage-signature-secret";
    const NOW: i64 = 1_760_000_000;
    const BODY: &[u8] = br#"{"to":"33939000001"}"#;

    fn token(iat: i64) -> String {
        sign(SECRET, iat, "jti-1", "abcd1234", "app-1", BODY)
    }

    #[test]
    fn a_token_vonage_signed_is_verified_within_five_minutes() {
        let claims = verify(&token(NOW - 299), SECRET, NOW, BODY, "abcd1234").expect("genuine");
        assert_eq!((claims.iat, claims.api_key.as_deref()), (NOW - 299, Some("abcd1234")));
        assert_eq!(verify(&token(NOW - 301), SECRET, NOW, BODY, "abcd1234"), Err(InboundError::StaleTimestamp));
        assert_eq!(verify(&token(NOW + 301), SECRET, NOW, BODY, "abcd1234"), Err(InboundError::StaleTimestamp));
    }

    #[test]
    fn another_secret_body_or_account_is_refused() {
        assert_eq!(verify(&token(NOW), "lyon-secret", NOW, BODY, "abcd1234"), Err(InboundError::BadSignature));
        assert_eq!(verify(&token(NOW), SECRET, NOW, b"{}", "abcd1234"), Err(InboundError::BadSignature));
        assert_eq!(verify(&token(NOW), SECRET, NOW, BODY, "lyon5678"), Err(InboundError::AccountMismatch));
        let mut tampered = token(NOW);
        tampered.push('A');
        assert_eq!(verify(&tampered, SECRET, NOW, BODY, "abcd1234"), Err(InboundError::BadSignature));
        assert_eq!(verify("", SECRET, NOW, BODY, "abcd1234"), Err(InboundError::BadSignature));
        assert_eq!(verify("a.b", SECRET, NOW, BODY, "abcd1234"), Err(InboundError::BadSignature));
    }

    #[test]
    fn only_hs256_is_accepted_whatever_the_token_says() {
        let claims = format!(r#"{{"iat":{NOW},"api_key":"abcd1234"}}"#);
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims.as_bytes())
        );
        assert_eq!(verify(&unsigned, SECRET, NOW, BODY, "abcd1234"), Err(InboundError::BadSignature));
        for header in [r#"{"alg":"HS512"}"#, r#"{"alg":"hs256"}"#, r#"{"alg":"HS256","typ":"JWE"}"#, "{}"] {
            let forged = sign_raw(SECRET, header, &claims);
            assert_eq!(verify(&forged, SECRET, NOW, BODY, "abcd1234"), Err(InboundError::BadSignature), "{header}");
        }
        let without_hash = sign_raw(SECRET, r#"{"alg":"HS256"}"#, &claims);
        assert!(verify(&without_hash, SECRET, NOW, b"anything", "abcd1234").is_ok(), "payload_hash is optional");
        let no_iat = sign_raw(SECRET, r#"{"alg":"HS256"}"#, r#"{"api_key":"abcd1234"}"#);
        assert_eq!(verify(&no_iat, SECRET, NOW, BODY, "abcd1234"), Err(InboundError::BadSignature));
        let expired = sign_raw(SECRET, r#"{"alg":"HS256"}"#, &format!(r#"{{"iat":{NOW},"exp":{}}}"#, NOW - 301));
        assert_eq!(verify(&expired, SECRET, NOW, BODY, "abcd1234"), Err(InboundError::StaleTimestamp));
    }

    #[test]
    fn the_bearer_scheme_is_read_in_any_case() {
        assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(bearer_token("bearer  abc"), Some("abc"));
        for bad in ["", "Bearer", "Bearer ", "Basic abc", "abc.def.ghi"] {
            assert_eq!(bearer_token(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_get_payload_is_its_query_as_compact_json_in_order() {
        let pairs = vec![("to".to_owned(), "33939000001".to_owned()), ("from".to_owned(), "a\"b".to_owned())];
        assert_eq!(query_payload(&pairs), br#"{"to":"33939000001","from":"a\"b"}"#.to_vec());
        assert_eq!(query_payload(&[]), b"{}".to_vec());
    }
}
