//! The keyed hash that stands for a sender everywhere (ledger, caches, block
//! lists). The number itself is never stored or logged.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA256 of a sender's E.164 number under `privacy.sender_key`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenderKey([u8; 32]);

impl SenderKey {
    pub fn from_bytes(bytes: [u8; 32]) -> SenderKey {
        SenderKey(bytes)
    }

    /// A key read back from storage; `None` unless exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<SenderKey> {
        bytes.try_into().ok().map(SenderKey)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses [`SenderKey::to_hex`].
    pub fn from_hex(text: &str) -> Option<SenderKey> {
        let bytes = hex::decode(text).ok()?;
        SenderKey::from_slice(&bytes)
    }

    /// Lowercase hex, the form stored in ledgers.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Debug for SenderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SenderKey({}…)", &self.to_hex()[..12])
    }
}

/// Hashes sender numbers with one deployment key. Cheap to clone.
#[derive(Clone)]
pub struct SenderHasher {
    /// Shared: every number actor holds one, and the keyed state is a few
    /// hundred bytes (each hash clones it).
    keyed: std::sync::Arc<Hmac<Sha256>>,
}

impl SenderHasher {
    pub fn new(secret: &[u8]) -> SenderHasher {
        // HMAC accepts keys of any length, so this cannot fail.
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        SenderHasher { keyed: std::sync::Arc::new(keyed) }
    }

    /// The key for a sender. Surrounding whitespace is ignored so the same
    /// number always hashes the same.
    pub fn key(&self, sender: &str) -> SenderKey {
        let mut mac = (*self.keyed).clone();
        mac.update(sender.trim().as_bytes());
        SenderKey(mac.finalize().into_bytes().into())
    }

    /// A 64-bit keyed fingerprint of `value` in the namespace `label`
    /// (`text`, `block`, ...): equal values give equal fingerprints, and
    /// without the key nobody can tell what value a fingerprint stands for.
    /// The label keeps fingerprints of different kinds apart from each
    /// other and from sender keys.
    pub fn fingerprint(&self, label: &str, value: &str) -> u64 {
        let mut mac = (*self.keyed).clone();
        mac.update(label.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        let bytes = mac.finalize().into_bytes();
        u64::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]])
    }
}

impl fmt::Debug for SenderHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SenderHasher(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_number_same_key_other_secret_other_key() {
        let a = SenderHasher::new(b"secret-a");
        let b = SenderHasher::new(b"secret-b");
        assert_eq!(a.key("+33612345678"), a.key(" +33612345678 "));
        assert_ne!(a.key("+33612345678"), a.key("+33612345679"));
        assert_ne!(a.key("+33612345678"), b.key("+33612345678"));
    }

    #[test]
    fn key_is_hmac_sha256_of_the_number() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = SenderHasher::new(b"Jefe").key("what do ya want for nothing?");
        assert_eq!(key.to_hex(), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn fingerprints_are_keyed_and_kept_apart_by_their_label() {
        let a = SenderHasher::new(b"secret-a");
        assert_eq!(a.fingerprint("text", "sale pute"), a.fingerprint("text", "sale pute"));
        assert_ne!(a.fingerprint("text", "sale pute"), a.fingerprint("block", "sale pute"));
        assert_ne!(a.fingerprint("text", "sale pute"), SenderHasher::new(b"secret-b").fingerprint("text", "sale pute"));
        let key = a.key("+33612345678");
        assert_eq!(SenderKey::from_hex(&key.to_hex()), Some(key));
        assert_eq!(SenderKey::from_slice(&[0; 31]), None);
    }

    #[test]
    fn debug_never_prints_the_whole_key() {
        let key = SenderHasher::new(b"k").key("+33612345678");
        assert!(format!("{key:?}").len() < 30);
    }
}
