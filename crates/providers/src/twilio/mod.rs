//! Twilio Programmable Messaging: inbound webhooks, `X-Twilio-Signature`,
//! and TwiML replies; Programmable Voice: the voice webhook and its TwiML
//! (`voice.rs`), the call status callback (`call_status.rs`).

pub mod call_status;
pub mod emulate;
pub mod form;
pub mod inbound;
pub mod send;
pub mod signature;
pub mod status;
pub mod twiml;
pub mod voice;
pub mod webhook_url;

pub use crate::form::{FormError, WebhookForm};
pub use call_status::{call_status, call_status_form, CallEnd, CallStatusCallback};
pub use emulate::{encode_form, inbound_form, message_sid_from};
pub use form::TwilioInbound;
pub use inbound::{inbound, is_message_sid, routed_number, WebhookAuth};
pub use send::{TwilioSendConfig, TwilioSender};
pub use signature::{signature, verify_signature, SignatureError, SIGNATURE_HEADER};
pub use status::{DeliveryStatus, StatusCallback, StatusCallbackError};
pub use twiml::{twiml_empty, twiml_message, twiml_reply_text};
pub use voice::{call_sid_from, inbound_call, is_call_sid, twiml_reject, twiml_said_text, twiml_say, voice_form};
