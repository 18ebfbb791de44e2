//! `[privacy]`: the key that hashes senders and the key that seals the few
//! sender numbers a deferred reply must keep. Both must be long, random,
//! distinct and private: the public demo keys are refused outside the demo.
//! And the key that signs evidence bundles, once a tenant keeps evidence.

use std::collections::BTreeSet;

use antirelou_domain::{SenderHasher, SenderSealer};
use antirelou_evidence::EvidenceSigner;

use crate::check::{Check, Origin};
use crate::demo::{DEMO_SEALING_KEY, DEMO_SENDER_KEY};
use crate::node::Node;
use crate::secret::{resolve, Secret};
use crate::table::{with_check, Read};

/// Minimum length of `privacy.sender_key` and `privacy.sealing_key`: 256 bits.
pub(crate) const MIN_KEY_BYTES: usize = 32;

/// A key with fewer distinct characters than this (`aaaa…`, `abab…`) is not random.
pub(crate) const MIN_KEY_DISTINCT_CHARS: usize = 8;

/// How to make a key, in messages.
const GENERATE: &str = "generate one with `openssl rand -base64 32`";

section! {
    /// `[privacy]`.
    #[derive(Clone, Debug)]
    pub struct PrivacySettings in "[privacy]" {
        /// HMAC key that turns a sender's number into a `SenderKey` (at least 32 bytes).
        sender_key: Secret = required(sender_key()),
        /// The key that seals (AES-256-GCM) the sender numbers a deferred reply
        /// keeps until it is sent (at least 32 bytes, not `sender_key`).
        sealing_key: Secret = required(key()),
        /// The base64 of the 32-byte seed of the Ed25519 key that signs
        /// evidence bundles; required once a tenant has `evidence`.
        evidence_signing_key: Option<Secret> = optional(signing_key()),
    }
    derived {
        /// The signer built from `evidence_signing_key`.
        evidence_signer: Option<EvidenceSigner> = evidence_signing_key
            .as_ref()
            .and_then(|key| EvidenceSigner::from_base64_seed(key.expose()).ok()),
        /// The hasher built from `sender_key`.
        hasher: SenderHasher = SenderHasher::new(sender_key.expose().as_bytes()),
        /// The sealer built from `sealing_key`.
        sealer: SenderSealer = SenderSealer::new(sealing_key.expose().as_bytes()),
    }
}

/// Reader of `sender_key`; block lists read later are hashed with it.
fn sender_key() -> impl Read<Secret> {
    with_check(|check: &mut Check<'_>, key: &str, node: Node| {
        let secret = read_key(check, key, node)?;
        check.set_hasher(SenderHasher::new(secret.expose().as_bytes()));
        Some(secret)
    })
}

/// Reader of `evidence_signing_key`: a secret holding the base64 of a 32-byte seed.
fn signing_key() -> impl Read<Secret> {
    with_check(|check: &mut Check<'_>, key: &str, node: Node| {
        let value = resolve(check.env(), node)
            .and_then(|value| EvidenceSigner::from_base64_seed(&value).map(|_| value))
            .map(Secret::new);
        check.accept(key, value)
    })
}

fn key() -> impl Read<Secret> {
    with_check(read_key)
}

/// A key: long, not repetitive, not the demo's outside the demo, used once.
fn read_key(check: &mut Check<'_>, key: &str, node: Node) -> Option<Secret> {
    let value = resolve(check.env(), node).and_then(|value| strong_key(&value, check.origin()).map(|()| value));
    let value = check.accept(key, value)?;
    if let Some(first) = check.first_use("privacy key", &value, key) {
        check.problem(key, format!("the same key as {first}: each key must be different ({GENERATE})"));
        return None;
    }
    Some(Secret::new(value))
}

/// Why `value` is not a usable key, if it is not.
fn strong_key(value: &str, origin: Origin) -> Result<(), String> {
    if value.len() < MIN_KEY_BYTES {
        return Err(format!(
            "too short: at least {MIN_KEY_BYTES} bytes are required, got {} ({GENERATE})",
            value.len()
        ));
    }
    let distinct = value.chars().collect::<BTreeSet<char>>().len();
    if distinct < MIN_KEY_DISTINCT_CHARS {
        return Err(format!("too weak: only {distinct} distinct characters, a key must be random ({GENERATE})"));
    }
    if origin == Origin::File && [DEMO_SENDER_KEY, DEMO_SEALING_KEY].contains(&value) {
        return Err(format!(
            "this is a key of the built-in demo, published with the source code: never use it for a real \
             deployment ({GENERATE})"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_long_and_random() {
        let random = "bV3q9Zr1yWc0tXo8LkPa2sDf4gHj6Qm7";
        assert_eq!(strong_key(random, Origin::File), Ok(()));
        let short = strong_key("a-sender-key-of-some-length", Origin::File).unwrap_err();
        assert!(short.starts_with("too short: at least 32 bytes are required, got 27"), "{short}");
        assert!(short.contains("openssl rand -base64 32"), "{short}");
        let weak = strong_key(&"a".repeat(64), Origin::File).unwrap_err();
        assert!(weak.starts_with("too weak: only 1 distinct characters"), "{weak}");
        assert!(strong_key(&"abcdefg".repeat(8), Origin::File).unwrap_err().contains("only 7 distinct"));
        assert_eq!(strong_key(&"abcdefgh".repeat(4), Origin::File), Ok(()));
    }

    #[test]
    fn the_demo_keys_are_refused_outside_the_demo() {
        for key in [DEMO_SENDER_KEY, DEMO_SEALING_KEY] {
            assert_eq!(strong_key(key, Origin::Demo), Ok(()));
            let refused = strong_key(key, Origin::File).unwrap_err();
            assert!(refused.contains("built-in demo") && refused.contains("openssl rand -base64 32"), "{refused}");
        }
    }
}
