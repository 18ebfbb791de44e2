//! SMS provider wire formats and APIs: everything antirelou needs to speak to
//! a provider, and nothing about decisions, money or actors.
//!
//! - [`inbound`]: [`InboundSms`], what every provider's inbound path produces.
//! - [`send`]: [`SendApi`], how a reply that is not inline is sent, and
//!   [`account_check`]: its connection test (an account read, no message);
//!   [`send_policy`]: the one retry rule and HTTP client every send client uses.
//! - [`reject`]: [`RejectReason`], why a webhook is refused (the `reason` label).
//! - [`form`]: the `application/x-www-form-urlencoded` reader (Twilio, Plivo, Vonage).
//! - One folder per provider, with the same files in each where the provider
//!   has the part: `inbound.rs` (parse + verify into `InboundSms`),
//!   `signature.rs`, `reply.rs` (the inline answer), `send.rs` (the REST send
//!   API), `emulate.rs` (the requests the provider would send, for
//!   `antirelou send`, the simulator and tests).
//!   - [`twilio`]: form webhooks, `X-Twilio-Signature`, TwiML. Start reading
//!     here: `twilio::signature` is the hot path.
//!   - [`vonage`]: SMS API webhooks (GET or POST), `sig` signatures, `/sms/json`.
//!   - [`plivo`]: webhooks signed with `X-Plivo-Signature-V3`, Plivo XML.
//!   - [`ovh`]: OVHcloud SMS virtual numbers, polled through the signed OVHcloud API.
//!
//! Invariant: no actix, no ledger, no settings. Parsing and signing are
//! synchronous and deterministic; the only IO is the outbound HTTP of the
//! send and polling clients.

pub mod account_check;
pub mod form;
pub mod inbound;
mod message_ids;
pub mod ovh;
pub mod plivo;
pub mod reject;
pub mod send;
pub mod send_policy;
pub mod twilio;
pub mod vonage;

pub use account_check::AccountCheck;
pub use form::{FormError, WebhookForm};
pub use inbound::{is_e164, InboundCall, InboundSms};
pub use reject::{InboundError, RejectReason};
pub use send::{OutboundSms, SendApi, SendError, SendReceipt};
pub use send_policy::{ClientBuildError, SendPolicy};
