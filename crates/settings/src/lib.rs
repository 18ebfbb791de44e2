//! The settings of an antirelou deployment: loading, secrets, validation,
//! warnings, and runtime patches of a number.
//!
//! A TOML file (the `config` crate) is read into a tree of values (`node.rs`),
//! `ANTIRELOU__SECTION__KEY` environment variables override it (`env.rs`),
//! and each table's declaration turns it into the typed [`Settings`], or
//! into [`SettingsError::Invalid`] listing **every** problem with its key
//! path (`tenants[1].numbers[0].price_per_segment: not a decimal number:
//! "abc"`). Accepted values that are probably wrong are
//! [`Settings::warnings`].
//!
//! Start with `schema.rs`: how a table is declared, once per key. Then:
//! - [`Settings`] (`settings.rs`): the top table and the loaders.
//! - One file per table: [`ServerSettings`] and [`LogSettings`]
//!   (`server.rs`), [`LedgerSettings`] (`ledger.rs`), [`PrivacySettings`]
//!   (`privacy.rs`), [`TenantSettings`] (`tenant.rs`) with its
//!   [`EvidenceSettings`] (`evidence.rs`), [`ProviderSettings`]
//!   (`provider.rs`), [`DonationSettings`] (`donations.rs`), [`NumberSettings`] (`number.rs`), [`ShieldSettings`]
//!   (`shield.rs`), [`VoiceSettings`] (`voice.rs`).
//! - [`NumberPatch`] (`patch.rs`): runtime changes of a number, read from
//!   JSON with the same readers as the file.
//! - [`Secret`] (`secret.rs`): values given literally, as `{ env = "NAME" }`
//!   or `{ file = "PATH" }`, that never print.
//! - The machinery: `table.rs` (reading one table), `check.rs` (problems,
//!   warnings, values unique across the file), `read.rs` (scalar readers;
//!   money is never a float), `node.rs` (the value tree).
//! - [`demo`]: the built-in demo configuration.
//!
//! Every key is documented in `docs/configuration.md`; a test fails when a
//! declared key is not.

#[macro_use]
mod schema;

mod check;
pub mod demo;
mod donations;
mod env;
mod error;
mod evidence;
mod ledger;
mod node;
mod number;
mod patch;
mod privacy;
mod provider;
mod read;
mod secret;
mod server;
mod settings;
mod shield;
mod table;
mod tenant;
mod voice;

pub use demo::{DEMO_ADMIN_TOKEN, DEMO_SEALING_KEY, DEMO_SENDER_KEY, DEMO_TOML};
pub use donations::{DonationSettings, HELLOASSO_API_BASE, OPENCOLLECTIVE_API_BASE};
pub use env::{ENV_PREFIX, ENV_SEPARATOR};
pub use error::{Problem, SettingsError};
pub use evidence::{
    EvidenceSettings, DEFAULT_BODIES_PER_SENDER, DEFAULT_EVIDENCE_RETENTION_SECONDS, MAX_EVIDENCE_RETENTION_SECONDS,
};
pub use ledger::{LedgerBackend, LedgerSettings};
pub use number::{
    AllowedCountries, NumberSettings, DEFAULT_MAX_REPLIES_PER_MINUTE, DEFAULT_REPLY_ONCE_PER_SECONDS,
    MAX_REPLY_SEGMENTS,
};
pub use patch::NumberPatch;
pub use privacy::PrivacySettings;
pub use provider::{
    ProviderSettings, DEFAULT_OVH_ENDPOINT, DEFAULT_OVH_POLL_INTERVAL_SECONDS, DEFAULT_VONAGE_SIGNATURE_METHOD,
    PLIVO_API_BASE, TWILIO_API_BASE, VONAGE_API_BASE,
};
pub use secret::Secret;
pub use server::{LogFormat, LogSettings, ServerSettings, DEFAULT_CONSOLE_SESSION_TTL_SECONDS};
pub use settings::{declared_keys, Settings};
pub use shield::{ShieldPatch, ShieldSettings, DEFAULT_DEFER_FOR_SECONDS, DEFAULT_FLOOD_MESSAGES, DEFAULT_SHIELD};
pub use tenant::TenantSettings;
pub use voice::{VoiceSettings, DEFAULT_VOICE_MAX_SECONDS, MAX_VOICE_MAX_SECONDS};

#[cfg(test)]
mod tests;
