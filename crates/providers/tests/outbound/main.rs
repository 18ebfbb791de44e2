//! The outbound side of the providers against local stand-ins of their
//! APIs (crate `antirelou-emulators`), over real HTTP on 127.0.0.1:
//! send clients and the retry rule, the OVHcloud API client, and the wire
//! truth recorded from the official SDKs, and the connection test's
//! account reads.

mod account_checks;
mod ovh_api;
mod sdk_recording;
mod send_clients;
mod support;
mod wire_truth;
