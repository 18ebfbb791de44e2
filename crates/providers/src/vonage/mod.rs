//! Vonage SMS API: inbound webhooks (GET query or POST), signed with `sig`;
//! replies through `POST /sms/json`. Vonage Voice API: the answer and event
//! webhooks of incoming calls, signed with a JWT (`voice`, `jwt`).

pub mod concat;
pub mod emulate;
pub mod inbound;
pub mod jwt;
pub mod send;
pub mod signature;
pub mod voice;
pub mod voice_emulate;

use std::fmt;

pub use concat::{part_bytes, ConcatAssembler, ConcatCounts, ConcatDrop, ConcatLimits, ConcatOutcome};
pub use inbound::{
    inbound, parse_form, parse_json, parse_query, parse_request, routed_number, ConcatPart, VonageInbound, WebhookAuth,
};
pub use send::{VonageSendConfig, VonageSender};
pub use signature::{signature, verify_signature, SignatureError, SIGNATURE_PARAM};
pub use voice::{
    ncco_refuse, ncco_said_text, ncco_talk, read_answer, read_event, verify_request, CallEvent, Signed, VoiceAuth,
    NCCO_CONTENT_TYPE,
};

/// How Vonage signs webhooks (`signature_method` in the dashboard and in our configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureMethod {
    /// MD5 of the sorted parameters followed by the secret (Vonage's legacy "md5hash").
    Md5Hash,
    /// HMAC-MD5 of the sorted parameters.
    Md5,
    Sha1,
    Sha256,
    Sha512,
}

impl SignatureMethod {
    pub const ALL: [SignatureMethod; 5] = [
        SignatureMethod::Md5Hash,
        SignatureMethod::Md5,
        SignatureMethod::Sha1,
        SignatureMethod::Sha256,
        SignatureMethod::Sha512,
    ];

    /// The name used by Vonage and in the configuration.
    pub const fn as_str(self) -> &'static str {
        match self {
            SignatureMethod::Md5Hash => "md5hash",
            SignatureMethod::Md5 => "md5",
            SignatureMethod::Sha1 => "sha1",
            SignatureMethod::Sha256 => "sha256",
            SignatureMethod::Sha512 => "sha512",
        }
    }

    pub fn from_label(label: &str) -> Option<SignatureMethod> {
        SignatureMethod::ALL.into_iter().find(|m| m.as_str() == label)
    }
}

impl fmt::Display for SignatureMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
