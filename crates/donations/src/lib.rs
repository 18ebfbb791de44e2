//! Donations credit the balance: the platforms whose payments credit a
//! tenant's prepaid balance (HelloAsso, Open Collective), read back from
//! their APIs, since their notifications are unsigned and only hints.
//!
//! Start with [`DonationAccount::receive`] (`account.rs`): a notification's
//! payment ids, each read back within the [`ReadBackGuard`]'s bounds, what
//! the platform confirms credited or refunded once in the ledger
//! ([`antirelou_ledger::Donations`]), a [`DonationResult`] for each. Then:
//! - [`platform`]: the [`Platform`] trait every platform's client
//!   implements, [`Confirmation`], and the HTTP rules they share.
//! - [`helloasso`]: API v5 notifications, the OAuth2 token, the payment
//!   read back and what it confirms ([`helloasso::judge`]).
//! - [`opencollective`]: webhooks, the GraphQL read-back and what a
//!   transaction confirms ([`opencollective::judge`]).
//! - [`guard`]: rate, bound at once and remembered refusals per account.
//! - [`result`]: the [`DonationResult`] vocabulary (the `result` label).
//!
//! Privacy: a notification's payer (name, email, address) is never read
//! into a value of ours (serde skips what no struct names), never stored,
//! never logged; the ledger keeps the payment id and the amount only.

mod account;
pub mod guard;
pub mod helloasso;
pub mod opencollective;
pub mod platform;
mod result;

pub use account::{DonationAccount, Received, NOTIFICATION_DEADLINE};
pub use guard::{GuardLimits, ReadBackGuard};
pub use platform::{Confirmation, Malformed, Platform, ReadBackError, MAX_PAYMENTS_PER_NOTIFICATION};
pub use result::DonationResult;
