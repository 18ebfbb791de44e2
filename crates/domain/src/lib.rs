//! The vocabulary of antirelou, with no IO: everything here is pure and
//! deterministic, so the engine, the ledgers and the simulator agree on it.
//!
//! - [`Money`]: exact amounts in micro-units, parsed from decimal strings.
//! - [`PhoneNumber`]: an E.164 number and its country.
//! - [`segments`]: SMS encoding and segment count per GSM 03.38.
//! - [`SenderKey`] / [`SenderHasher`]: the keyed hash that stands for a sender;
//!   [`SenderSealer`]: the sealed number a deferred reply keeps.
//! - [`Outcome`]: what happened to one inbound SMS, in rule order; [`DeferredResult`]: how a deferred judgement ended.
//! - [`ProviderKind`]: the SMS providers, as configured and as labelled;
//!   [`DonationSource`]: the donation platforms that credit a prepaid balance.
//! - [`Clock`]: injectable time (system or manual/virtual); [`micros`]: the
//!   one place seconds become microseconds and back.
//! - [`is_opt_out`]: the STOP keywords.
//! - [`Periods`]: day and month boundaries in the ledger's timezone.
//! - [`shield`]: surge detection maths for shield mode (docs/shield.md);
//!   [`baseline`]: a number's ordinary day and the pressure rules.
//! - [`voice`]: what answering a call costs, how long a spoken message lasts.
//!
//! Start with `Outcome`, then `Money` and `segments`.

pub mod baseline;
mod clock;
mod donation;
pub mod micros;
mod money;
mod opt_out;
mod outcome;
mod period;
mod phone;
mod provider;
mod seal;
pub mod segments;
mod sender;
pub mod shield;
pub mod voice;

pub use clock::{Clock, GovernorClock, ManualClock, SharedClock, SystemClock};
pub use donation::{is_payment_id, DonationSource, MAX_PAYMENT_ID_BYTES};
pub use money::{Money, MoneyError};
pub use opt_out::{is_opt_out, OPT_OUT_KEYWORDS};
pub use outcome::{DeferredResult, Outcome};
pub use period::{parse_duration, DurationError, Periods};
pub use phone::{is_e164, PhoneNumber, PhoneNumberError};
pub use provider::ProviderKind;
pub use seal::{SenderSealer, Unsealable, NONCE_BYTES};
pub use segments::{Encoding, SegmentCount};
pub use sender::{SenderHasher, SenderKey};
