//! Plivo: inbound message webhooks signed with `X-Plivo-Signature-V3`, the
//! inline Plivo XML reply, and the Message send API; the answer request and
//! hangup callback of incoming calls, answered with Plivo XML (`voice`).

pub mod emulate;
pub mod inbound;
pub mod reply;
pub mod send;
pub mod signature;
pub mod voice;

pub use inbound::{inbound, is_uuid, routed_number, WebhookAuth};
pub use reply::{read_reply, reply_empty, reply_message, reply_text, ReplyMessage};
pub use send::{PlivoSendConfig, PlivoSender};
pub use signature::{signature_v3, verify_signature_v3, SignatureError, WebhookMethod, NONCE_HEADER, SIGNATURE_HEADER};
