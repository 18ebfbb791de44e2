//! Plivo: inbound message webhooks signed with `X-Plivo-Signature-V3`, the
//! inline Plivo XML reply, and the Message send API.

pub mod send;

pub use send::{PlivoSendConfig, PlivoSender};
