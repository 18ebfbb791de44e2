//! [`SenderSealer`]: the one place a sender's number is kept readable, for
//! the time a deferred reply needs it (docs/shield.md): AES-256-GCM under a
//! key derived (HKDF-SHA256) from `privacy.sealing_key`, bound to its
//! record by associated data, so a sealed number moved to another record
//! does not open. The nonce comes from the caller (the engine draws it from
//! the OS), so this stays pure.

use std::fmt;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

/// Bytes of a nonce (96 bits, as AES-GCM wants).
pub const NONCE_BYTES: usize = 12;

/// Seals and opens sender numbers. Cheap to clone.
#[derive(Clone)]
pub struct SenderSealer {
    /// Shared: every number actor holds one, and the expanded key is
    /// about a kilobyte.
    cipher: std::sync::Arc<Aes256Gcm>,
}

/// A sealed value that does not open: wrong key, wrong record, or altered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sealed sender does not open (wrong key, wrong record or altered)")]
pub struct Unsealable;

impl SenderSealer {
    /// A sealer whose AES-256 key is derived from `secret` (the configured
    /// `privacy.sealing_key`, at least 32 random bytes).
    pub fn new(secret: &[u8]) -> SenderSealer {
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit of 255 × 32: cannot fail.
        Hkdf::<Sha256>::new(Some(b"antirelou sealing key v1"), secret)
            .expand(b"sender numbers", &mut key)
            .unwrap_or_else(|_| unreachable!());
        SenderSealer { cipher: std::sync::Arc::new(Aes256Gcm::new(&key.into())) }
    }

    /// `nonce || ciphertext+tag` of `plaintext`, bound to `record`.
    pub fn seal(&self, plaintext: &str, record: &[u8], nonce: [u8; NONCE_BYTES]) -> Vec<u8> {
        let payload = Payload { msg: plaintext.as_bytes(), aad: record };
        // Encryption fails only for messages above ~64 GiB; a phone number is tiny.
        let ciphertext = self.cipher.encrypt(Nonce::from_slice(&nonce), payload).unwrap_or_else(|_| unreachable!());
        let mut sealed = Vec::with_capacity(NONCE_BYTES + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// The plaintext of [`seal`](Self::seal)'s output for the same `record`.
    pub fn open(&self, sealed: &[u8], record: &[u8]) -> Result<String, Unsealable> {
        if sealed.len() <= NONCE_BYTES {
            return Err(Unsealable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_BYTES);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: record })
            .map_err(|_| Unsealable)?;
        String::from_utf8(plain).map_err(|_| Unsealable)
    }
}

impl fmt::Debug for SenderSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SenderSealer(<secret>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORD: &[u8] = b"+33612345678/sender-key";

    #[test]
    fn a_sealed_number_opens_only_with_its_key_and_record() {
        let sealer = SenderSealer::new(b"sealing-key-for-tests-0123456789abcdef");
        let sealed = sealer.seal("+33611223344", RECORD, [7; NONCE_BYTES]);
        assert!(!sealed.windows(12).any(|w| w == b"+33611223344"), "no number in clear");
        assert_eq!(sealer.open(&sealed, RECORD).as_deref(), Ok("+33611223344"));
        assert_eq!(sealer.open(&sealed, b"another record"), Err(Unsealable));
        let other = SenderSealer::new(b"another-sealing-key-0123456789abcdef");
        assert_eq!(other.open(&sealed, RECORD), Err(Unsealable));
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert_eq!(sealer.open(&altered, RECORD), Err(Unsealable));
        assert_eq!(sealer.open(&sealed[..NONCE_BYTES], RECORD), Err(Unsealable));
    }

    #[test]
    fn the_same_number_seals_differently_under_another_nonce() {
        let sealer = SenderSealer::new(b"sealing-key-for-tests-0123456789abcdef");
        assert_ne!(sealer.seal("+33611223344", RECORD, [1; 12]), sealer.seal("+33611223344", RECORD, [2; 12]));
    }
}
