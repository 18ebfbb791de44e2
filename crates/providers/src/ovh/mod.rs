//! OVHcloud SMS: virtual numbers whose inbound SMS are polled through the
//! signed OVHcloud API (no webhook), and replies sent as SMS jobs.

pub mod api;
pub mod incoming;
pub mod send;
pub mod signature;

pub use api::{OvhApi, OvhApiConfig, OvhApiError, OvhCredentials, OvhJob, VirtualNumber};
pub use incoming::{path_number, sender_to_e164, OvhIncoming};
pub use send::OvhSender;

/// The OVHcloud API roots by `endpoint` name (as the official SDKs name them).
pub const ENDPOINTS: [(&str, &str); 3] = [
    ("ovh-eu", "https://eu.api.ovh.com/1.0"),
    ("ovh-ca", "https://ca.api.ovh.com/1.0"),
    ("ovh-us", "https://api.us.ovhcloud.com/1.0"),
];
