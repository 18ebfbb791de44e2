//! The vocabulary of antirelou, with no IO: everything here is pure and
//! deterministic, so the engine, the ledgers and the simulator agree on it.
//!
//! - [`Money`]: exact amounts in micro-units, parsed from decimal strings.
//! - [`PhoneNumber`]: an E.164 number and its country.
//! - [`segments`]: SMS encoding and segment count per GSM 03.38.
//! - [`SenderKey`] / [`SenderHasher`]: the keyed hash that stands for a sender.
//! - [`Outcome`]: what happened to one inbound SMS (SPEC §3).
//! - [`ProviderKind`]: the SMS providers, as configured and as labelled.
//! - [`Clock`]: injectable time (system or manual/virtual).
//! - [`Periods`]: day and month boundaries in the ledger's timezone.
//! - [`shield`]: surge detection maths for shield mode (SPEC §5).
//!
//! Start with `Outcome`, then `Money` and `segments`.

mod clock;
mod money;
mod outcome;
mod period;
mod phone;
mod provider;
pub mod segments;
mod sender;
pub mod shield;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock};
pub use money::{Money, MoneyError};
pub use outcome::Outcome;
pub use period::{parse_duration, DurationError, Periods};
pub use phone::{is_e164, PhoneNumber, PhoneNumberError};
pub use provider::ProviderKind;
pub use segments::{Encoding, SegmentCount};
pub use sender::{SenderHasher, SenderKey};
