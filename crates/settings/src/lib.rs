//! The settings of an antirelou deployment: loading, secrets and validation.
//!
//! A TOML file (the `config` crate) is read into a raw tree (`raw.rs`, every
//! leaf kept as written), `ANTIRELOU__SECTION__KEY` environment variables
//! override it (`env.rs`), and validation turns it into the typed
//! [`Settings`], or into [`SettingsError::Invalid`] listing **every** problem
//! with its key path (`tenants[1].numbers[0].price_per_segment: not a
//! decimal number: "abc"`).
//!
//! - [`Settings`] (`settings.rs`): the tree and its loaders; start here.
//! - [`ServerSettings`], [`LogSettings`] (`server.rs`), [`LedgerSettings`],
//!   [`PrivacySettings`] (`ledger.rs`), [`TenantSettings`] (`tenant.rs`),
//!   [`NumberSettings`] (`number.rs`): one section each, with its validation.
//! - [`Secret`] (`secret.rs`): values given literally, as `{ env = "NAME" }`
//!   or `{ file = "PATH" }`, that never print.
//! - `check.rs`: the problem collector; `node.rs`: scalar readers (money is
//!   never a float).
//! - [`demo`]: the built-in demo configuration.
//!
//! Every key is documented in `docs/configuration.md`.

mod check;
pub mod demo;
mod env;
mod error;
mod ledger;
mod node;
mod number;
mod raw;
mod secret;
mod server;
mod settings;
mod tenant;

pub use demo::DEMO_TOML;
pub use env::{ENV_PREFIX, ENV_SEPARATOR};
pub use error::{Problem, SettingsError};
pub use ledger::{LedgerBackend, LedgerSettings, PrivacySettings};
pub use number::{
    AllowedCountries, NumberSettings, DEFAULT_REPLY_ONCE_PER_SECONDS, DEFAULT_SHIELD, MAX_REPLY_SEGMENTS,
};
pub use secret::Secret;
pub use server::{LogFormat, LogSettings, ServerSettings};
pub use settings::Settings;
pub use tenant::{ProviderSettings, TenantSettings};

#[cfg(test)]
mod tests;
