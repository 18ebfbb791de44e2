//! SMS provider wire formats: everything antirelou needs to speak to a
//! provider, and nothing about decisions, money or actors.
//!
//! Today there is one provider, [`twilio`]. Its parts, in the order a webhook
//! meets them:
//!
//! - [`twilio::form`]: [`WebhookForm`] keeps the posted form exactly as
//!   received (order and repeated keys), [`InboundSms`] is what we read from it.
//! - [`twilio::signature`](mod@twilio::signature): [`verify_signature`] checks `X-Twilio-Signature`
//!   the way the official SDKs do (port variants, constant-time comparison);
//!   [`signature()`] computes one. Start reading here: it is the hot path.
//! - [`twilio::webhook_url`]: the URL variants the SDKs accept (port removed
//!   or default port added).
//! - [`twilio::twiml`]: the reply, [`twiml_message`] or [`twiml_empty`], and
//!   [`twiml_reply_text`] to read a reply back.
//! - [`twilio::emulate`]: the requests Twilio would send ([`inbound_form`],
//!   [`encode_form`], [`message_sid_from`]), for `antirelou send`, the
//!   simulator and tests.
//!
//! Invariant: no IO, no actix, no ledger. Every function is synchronous and
//! deterministic.

pub mod twilio;

pub use twilio::{
    encode_form, inbound_form, message_sid_from, signature, twiml_empty, twiml_message, twiml_reply_text,
    verify_signature, FormError, InboundSms, SignatureError, WebhookForm, SIGNATURE_HEADER,
};
