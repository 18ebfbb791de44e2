//! Local stand-ins (emulators) of the four providers' HTTP APIs, for tests
//! and as a demo stand-in: Twilio Messages, Vonage SMS, Plivo Message and
//! OVHcloud's SMS virtual numbers; and of the two donation platforms'
//! read-back APIs: HelloAsso (token, payment) and Open Collective (GraphQL). Each starts on `127.0.0.1:0`, gives the
//! `api_base` to point a client at, records every request it saw and every
//! message it accepted, and can be told to answer badly (429, 500, late).
//!
//! Start with [`recorded`]: what each emulator requires (route, auth,
//! content type, fields, headers) is read from the requests the official
//! SDKs sent, recorded by `tests/python/record_provider_requests.py`, never
//! from our own clients. Then [`server`] (the shared HTTP side) and one file
//! per provider. The donation platforms have no SDK recording: what
//! [`helloasso`] and [`opencollective`] expect and answer comes from their
//! published references, kept in `data/` (HelloAsso's OpenAPI document,
//! Open Collective's GraphQL schema).
//!
//! Nothing here logs a request: requests carry recipients' numbers.

mod checks;
pub mod helloasso;
pub mod opencollective;
pub mod ovh;
pub mod plivo;
pub mod recorded;
pub mod server;
pub mod twilio;
pub mod vonage;

pub use helloasso::{start_helloasso, HelloAssoClient, HelloAssoEmulator, HelloAssoPayment};
pub use opencollective::{start_opencollective, OcTransaction, OpenCollectiveEmulator};
pub use ovh::{start_ovh, OvhAccount, OvhEmulator, MAX_CLOCK_DRIFT_SECS};
pub use plivo::{start_plivo, PlivoAccount};
pub use recorded::{Exchange, Expectation, Fixture, FixtureError, RecordedProvider, RecordedRequest};
pub use server::{AcceptedSms, Answer, Emulator, Fault, SeenAuth, SeenRequest};
pub use twilio::{start_twilio, TwilioAccount};
pub use vonage::{start_vonage, VonageAccount};
