//! Console sessions that every replica accepts with one shared number per
//! caller: the cookie is `v2.<who>.<expiry>.<generation>.<nonce>.<token
//! fingerprint>` followed by an HMAC-SHA256 of all that.
//!
//! The key is derived (HKDF-SHA256) from `privacy.sender_key`, the one
//! secret every replica of a deployment already shares, under a label of
//! its own (so the cookie MAC and the sender hashes never share a key).
//! The token fingerprint ties a session to the token that opened it:
//! rotating a tenant's `admin_token` (or the `operator_token`) ends every
//! session opened with the old one. Signing out records the session (a
//! keyed hash of its nonce) in the ledger until its expiry, and every
//! replica checks that record on each request: a cookie copied before the
//! sign-out is refused after it. A stolen cookie of a session still open
//! gives the powers of that token, on the console only (it is not a bearer
//! token), until its expiry (`console_session_ttl`), a sign-out or the
//! token's rotation.
//!
//! The generation binds a session to the ledger: each caller (`o`,
//! `t:<tenant>`) has a session generation there, which rises when its
//! token changes or the tenant is removed (`generations.rs` aligns the
//! ledger with the tokens in force at start and after every reload, on
//! every replica). A session opened at another generation is over, so a
//! token rotated back, or a tenant removed and added again with its old
//! token, does not bring its old cookies back to life.
//!
//! Every form carries a CSRF token: an HMAC of the session's nonce (of the
//! sign-in nonce cookie before sign-in), checked on every POST.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use antirelou_engine::NumberRegistry;
use antirelou_ledger::SessionToken;

use crate::routes::admin::Caller;
use crate::state::AppState;

type HmacSha256 = Hmac<Sha256>;

/// The session cookie.
pub const SESSION_COOKIE: &str = "antirelou_console";
/// The sign-in form's nonce cookie (CSRF before a session exists).
pub const SIGNIN_COOKIE: &str = "antirelou_signin";
/// How long a sign-in form stays valid: a person types a token in less.
pub const SIGNIN_FORM_TTL_SECONDS: i64 = 3_600;
/// The HKDF label of the console key; changing it signs everyone out.
const KEY_LABEL: &[u8] = b"antirelou console session v1";
/// Random bytes of a nonce: 128 bits, never guessed.
const NONCE_BYTES: usize = 16;
/// Bytes of the token fingerprint kept in the cookie: enough to tell tokens apart.
const FINGERPRINT_BYTES: usize = 12;

/// The console's MAC key.
#[derive(Clone)]
pub struct SessionKey([u8; 32]);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

/// A signed-in console visitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub caller: Caller,
    pub expires_seconds: i64,
    /// The caller's session generation when it signed in (the ledger's must still be it).
    pub generation: u64,
    nonce: String,
}

impl SessionKey {
    /// The key derived from the deployment secret `secret` (`privacy.sender_key`).
    pub fn derive(secret: &[u8]) -> SessionKey {
        let hkdf = hkdf::Hkdf::<Sha256>::new(None, secret);
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's maximum output, so expand cannot fail.
        hkdf.expand(KEY_LABEL, &mut key).unwrap_or_default();
        SessionKey(key)
    }

    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        // HMAC takes a key of any length.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().to_vec()
    }

    fn fingerprint(&self, token: &str) -> String {
        hex_prefix(&self.mac(&[b"token", token.as_bytes()]), FINGERPRINT_BYTES)
    }

    /// A new session cookie value for `caller`, who signed in with `token`
    /// at session generation `generation`.
    pub fn issue(&self, caller: &Caller, token: &str, generation: u64, now_seconds: i64, ttl_seconds: u64) -> String {
        let expires = now_seconds.saturating_add(i64::try_from(ttl_seconds).unwrap_or(i64::MAX));
        let payload = format!("v2.{}.{expires}.{generation}.{}.{}", who(caller), new_nonce(), self.fingerprint(token));
        let tag = URL_SAFE_NO_PAD.encode(self.mac(&[b"session", payload.as_bytes()]));
        format!("{payload}.{tag}")
    }

    /// The session of a cookie value, if its MAC is ours, it has not
    /// expired and the token that opened it is still the caller's token
    /// (its generation is checked against the ledger by the caller).
    pub fn verify(&self, value: &str, now_seconds: i64, state: &AppState) -> Option<Session> {
        let (payload, tag) = value.rsplit_once('.')?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let expected = self.mac(&[b"session", payload.as_bytes()]);
        if !bool::from(expected.ct_eq(&tag)) {
            return None;
        }
        let mut parts = payload.split('.');
        let (version, who, expires, generation, nonce, fingerprint) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != "v2" || parts.next().is_some() {
            return None;
        }
        let expires_seconds: i64 = expires.parse().ok()?;
        let generation: u64 = generation.parse().ok()?;
        if now_seconds >= expires_seconds {
            return None;
        }
        let caller = caller_of(who)?;
        let current = current_token(&caller, state)?;
        if !bool::from(self.fingerprint(&current).as_bytes().ct_eq(fingerprint.as_bytes())) {
            return None;
        }
        Some(Session { caller, expires_seconds, generation, nonce: nonce.to_owned() })
    }

    /// Every caller that can sign in now, with its token's fingerprint: what
    /// the ledger's session generations are aligned with.
    pub fn session_tokens(&self, operator_token: Option<&str>, registry: &NumberRegistry) -> Vec<SessionToken> {
        let operator = operator_token.map(|token| (Caller::Operator, token.to_owned()));
        let tenants = registry.tenants().into_iter().filter_map(|tenant| {
            let token = tenant.admin_token.as_ref()?.expose().to_owned();
            Some((Caller::Tenant(tenant.id.to_string()), token))
        });
        operator
            .into_iter()
            .chain(tenants)
            .map(|(caller, token)| SessionToken { who: who(&caller), fingerprint: self.fingerprint(&token) })
            .collect()
    }

    /// The id a signed-out session is kept under in the ledger: a keyed
    /// hash of its nonce, so the ledger never holds a usable cookie part.
    pub fn revocation_id(&self, session: &Session) -> String {
        hex_prefix(&self.mac(&[b"revoked", session.nonce.as_bytes()]), 16)
    }

    /// The CSRF token of a session's forms.
    pub fn csrf(&self, session: &Session) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(&[b"csrf", session.nonce.as_bytes()]))
    }

    /// The CSRF token of the sign-in form whose nonce cookie is `nonce`.
    pub fn signin_csrf(&self, nonce: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(&[b"signin", nonce.as_bytes()]))
    }

    /// Whether `given` is `expected` (constant time).
    pub fn same(given: &str, expected: &str) -> bool {
        !given.is_empty() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
    }
}

/// A fresh random nonce, URL-safe.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; NONCE_BYTES];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How a caller is named in a cookie and in the ledger's session generations.
pub fn who(caller: &Caller) -> String {
    match caller {
        Caller::Operator => "o".to_owned(),
        Caller::Tenant(id) => format!("t:{id}"),
    }
}

fn caller_of(who: &str) -> Option<Caller> {
    match who {
        "o" => Some(Caller::Operator),
        other => other.strip_prefix("t:").filter(|id| !id.is_empty()).map(|id| Caller::Tenant(id.to_owned())),
    }
}

/// The token `caller` signs in with today, if it still has one.
fn current_token(caller: &Caller, state: &AppState) -> Option<String> {
    match caller {
        Caller::Operator => state.operator_token.clone(),
        Caller::Tenant(id) => state.registry.tenant(id)?.admin_token.as_ref().map(|t| t.expose().to_owned()),
    }
}

fn hex_prefix(bytes: &[u8], n: usize) -> String {
    bytes.iter().take(n).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_names_its_caller_and_nothing_else_verifies() {
        let key = SessionKey::derive(b"a deployment secret of some length, random enough");
        assert_eq!(caller_of(&who(&Caller::Tenant("paris".into()))), Some(Caller::Tenant("paris".into())));
        assert_eq!(caller_of(&who(&Caller::Operator)), Some(Caller::Operator));
        assert_eq!(caller_of("t:"), None);
        let cookie = key.issue(&Caller::Tenant("paris".into()), "token", 3, 1_000, 60);
        assert!(cookie.starts_with("v2.t:paris.1060.3."), "{cookie}");
        let other = SessionKey::derive(b"another deployment secret, just as random");
        let (payload, tag) = cookie.rsplit_once('.').unwrap();
        assert_ne!(URL_SAFE_NO_PAD.encode(other.mac(&[b"session", payload.as_bytes()])), tag);
        assert_ne!(
            key.csrf(&Session { caller: Caller::Operator, expires_seconds: 0, generation: 0, nonce: "a".into() }),
            key.csrf(&Session { caller: Caller::Operator, expires_seconds: 0, generation: 0, nonce: "b".into() })
        );
    }
}
