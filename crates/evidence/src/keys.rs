//! The two keys of evidence: the collective's [`EvidenceRecipient`] (an
//! age X25519 public key: sender rows are encrypted to it, and only the
//! collective's identity opens them) and the deployment's
//! [`EvidenceSigner`] (an Ed25519 key that signs each bundle's manifest, so
//! anyone can check a bundle was not altered after it left the platform).

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

/// The collective's age public key (`age1…`, as `age-keygen` prints it).
#[derive(Clone)]
pub struct EvidenceRecipient {
    key: age::x25519::Recipient,
    text: String,
}

/// A text that is not an age X25519 public key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an age public key: expected the \"age1…\" line printed by `age-keygen` (the public key, never the secret AGE-SECRET-KEY-1… one)")]
pub struct NotARecipient;

/// Encryption failed (it does not for a well-formed key; kept as an error, not a panic).
#[derive(Debug, thiserror::Error)]
#[error("evidence could not be encrypted: {0}")]
pub struct SealError(String);

impl FromStr for EvidenceRecipient {
    type Err = NotARecipient;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let key = age::x25519::Recipient::from_str(text).map_err(|_| NotARecipient)?;
        Ok(EvidenceRecipient { key, text: text.to_owned() })
    }
}

impl EvidenceRecipient {
    /// `plaintext` as an age file only this recipient's identity opens. A
    /// fresh file key each time, drawn from the operating system and
    /// forgotten at once: the deployment cannot open what it wrote.
    pub fn seal(&self, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        age::encrypt(&self.key, plaintext).map_err(|e| SealError(e.to_string()))
    }

    /// The key as configured (`age1…`).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for EvidenceRecipient {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for EvidenceRecipient {}

impl fmt::Debug for EvidenceRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EvidenceRecipient({})", self.text)
    }
}

impl fmt::Display for EvidenceRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The deployment's Ed25519 signing key (`privacy.evidence_signing_key`).
#[derive(Clone)]
pub struct EvidenceSigner {
    key: SigningKey,
}

impl EvidenceSigner {
    /// The key of a 32-byte seed given in base64 (`openssl rand -base64 32`).
    pub fn from_base64_seed(text: &str) -> Result<EvidenceSigner, String> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|_| "not base64: expected the base64 of 32 random bytes (openssl rand -base64 32)".to_owned())?;
        let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            format!("{} bytes once decoded, expected 32 (generate it with `openssl rand -base64 32`)", bytes.len())
        })?;
        if seed.iter().all(|b| *b == seed[0]) {
            return Err("not random: every byte is the same (generate it with `openssl rand -base64 32`)".to_owned());
        }
        Ok(EvidenceSigner { key: SigningKey::from_bytes(&seed) })
    }

    /// The public key, base64 of its 32 bytes (what a manifest names).
    pub fn public_key_base64(&self) -> String {
        BASE64.encode(self.key.verifying_key().as_bytes())
    }

    /// The signature of `message`, base64 of its 64 bytes.
    pub fn sign_base64(&self, message: &[u8]) -> String {
        BASE64.encode(self.key.sign(message).to_bytes())
    }
}

/// Whether `signature` (base64) is `public_key`'s (base64) over `message`.
pub fn signature_verifies(public_key: &str, message: &[u8], signature: &str) -> bool {
    let key = BASE64.decode(public_key.trim()).ok().and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok());
    let signature = BASE64.decode(signature.trim()).ok().and_then(|b| <[u8; 64]>::try_from(b.as_slice()).ok());
    let (Some(key), Some(signature)) = (key, signature) else { return false };
    let Ok(key) = VerifyingKey::from_bytes(&key) else { return false };
    key.verify(message, &Signature::from_bytes(&signature)).is_ok()
}

impl fmt::Debug for EvidenceSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EvidenceSigner(public {})", self.public_key_base64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_text_opens_with_the_matching_identity_only() {
        let identity = age::x25519::Identity::generate();
        let recipient: EvidenceRecipient = identity.to_public().to_string().parse().unwrap();
        let sealed = recipient.seal(b"+33698120001,flooder").unwrap();
        assert!(!sealed.windows(12).any(|w| w == b"+33698120001"), "the number is not in clear");
        assert_eq!(age::decrypt(&identity, &sealed).unwrap(), b"+33698120001,flooder");
        let other = age::x25519::Identity::generate();
        assert!(age::decrypt(&other, &sealed).is_err());
        assert_ne!(recipient.seal(b"x").unwrap(), recipient.seal(b"x").unwrap(), "a fresh key each time");
    }

    #[test]
    fn only_an_age_public_key_is_a_recipient() {
        let identity = age::x25519::Identity::generate();
        let public = identity.to_public().to_string();
        assert_eq!(format!("  {public}\n").parse::<EvidenceRecipient>().unwrap().as_str(), public);
        use age::secrecy::ExposeSecret;
        let secret = identity.to_string();
        for bad in ["", "age1", "ssh-ed25519 AAAA", secret.expose_secret()] {
            assert_eq!(bad.parse::<EvidenceRecipient>().unwrap_err(), NotARecipient, "{bad:?}");
        }
    }

    #[test]
    fn a_signature_verifies_with_the_public_key_and_fails_when_anything_changes() {
        let signer = EvidenceSigner::from_base64_seed("q2V4KY7r8n0Qm3w5T1ZbJ6cXfL9dHs4pA0uGiEoRkMY=").unwrap();
        let public = signer.public_key_base64();
        assert_eq!(BASE64.decode(&public).unwrap().len(), 32);
        let signature = signer.sign_base64(b"{\"files\":{}}");
        assert!(signature_verifies(&public, b"{\"files\":{}}", &signature));
        assert!(!signature_verifies(&public, b"{\"files\":{} }", &signature), "one byte more");
        let other = EvidenceSigner::from_base64_seed("Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo=").unwrap();
        assert!(!signature_verifies(&other.public_key_base64(), b"{\"files\":{}}", &signature));
        assert!(!signature_verifies("not base64", b"", &signature));
    }

    #[test]
    fn a_signing_key_is_the_base64_of_32_random_bytes() {
        assert!(EvidenceSigner::from_base64_seed("not base64!").unwrap_err().contains("not base64"));
        assert!(EvidenceSigner::from_base64_seed("c2hvcnQ=").unwrap_err().contains("5 bytes"));
        let zeros = BASE64.encode([0u8; 32]);
        assert!(EvidenceSigner::from_base64_seed(&zeros).unwrap_err().contains("not random"));
        let debug = format!(
            "{:?}",
            EvidenceSigner::from_base64_seed(&BASE64.encode([7u8; 31].iter().chain(&[8]).copied().collect::<Vec<_>>()))
                .unwrap()
        );
        assert!(debug.starts_with("EvidenceSigner(public "), "{debug}");
    }
}
