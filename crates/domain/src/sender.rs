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

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
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
    keyed: Hmac<Sha256>,
}

impl SenderHasher {
    pub fn new(secret: &[u8]) -> SenderHasher {
        // HMAC accepts keys of any length, so this cannot fail.
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        SenderHasher { keyed }
    }

    /// The key for a sender. Surrounding whitespace is ignored so the same
    /// number always hashes the same.
    pub fn key(&self, sender: &str) -> SenderKey {
        let mut mac = self.keyed.clone();
        mac.update(sender.trim().as_bytes());
        SenderKey(mac.finalize().into_bytes().into())
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
    fn debug_never_prints_the_whole_key() {
        let key = SenderHasher::new(b"k").key("+33612345678");
        assert!(format!("{key:?}").len() < 30);
    }
}
