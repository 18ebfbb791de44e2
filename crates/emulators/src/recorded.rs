//! The requests the official SDKs sent, as `tests/python/record_provider_requests.py`
//! recorded them (`crates/providers/tests/data/recorded/*.json`), and what an
//! emulator requires from a request because the SDK sends it that way.
//!
//! An emulator's checks (method, path, auth scheme, content type, required
//! fields and headers) are read from here, never written from our clients.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The four providers whose SDKs are recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RecordedProvider {
    Twilio,
    Vonage,
    Plivo,
    Ovh,
}

impl RecordedProvider {
    pub const ALL: [RecordedProvider; 4] =
        [RecordedProvider::Twilio, RecordedProvider::Vonage, RecordedProvider::Plivo, RecordedProvider::Ovh];

    /// The fixture's file stem and the SDK's PyPI name.
    pub const fn as_str(self) -> &'static str {
        match self {
            RecordedProvider::Twilio => "twilio",
            RecordedProvider::Vonage => "vonage",
            RecordedProvider::Plivo => "plivo",
            RecordedProvider::Ovh => "ovh",
        }
    }

    /// The committed fixture's text (compiled in, so an emulator needs no file at run time).
    pub const fn committed_json(self) -> &'static str {
        match self {
            RecordedProvider::Twilio => include_str!("../../providers/tests/data/recorded/twilio.json"),
            RecordedProvider::Vonage => include_str!("../../providers/tests/data/recorded/vonage.json"),
            RecordedProvider::Plivo => include_str!("../../providers/tests/data/recorded/plivo.json"),
            RecordedProvider::Ovh => include_str!("../../providers/tests/data/recorded/ovh.json"),
        }
    }
}

/// One provider's recording.
#[derive(Clone, Debug, Deserialize)]
pub struct Fixture {
    pub sdk: Sdk,
    #[serde(default)]
    pub server_time: Option<i64>,
    pub exchanges: Vec<Exchange>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Sdk {
    pub name: String,
    pub version: String,
}

/// One SDK call and the requests it made.
#[derive(Clone, Debug, Deserialize)]
pub struct Exchange {
    pub name: String,
    pub sdk_call: String,
    /// The credentials, numbers and texts given to the SDK.
    pub inputs: BTreeMap<String, serde_json::Value>,
    pub requests: Vec<RecordedRequest>,
}

/// One request as the SDK built it.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// The URL the SDK meant to reach (the provider's real API).
    pub sdk_url: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub auth: RecordedAuth,
    /// The `X-Ovh-*` headers, lower-cased names.
    pub headers: BTreeMap<String, String>,
    pub body: RecordedBody,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct RecordedAuth {
    pub scheme: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct RecordedBody {
    /// `none`, `form`, `json` or `other`.
    pub kind: String,
    #[serde(default)]
    pub fields: Option<serde_json::Value>,
    #[serde(default)]
    pub raw: Option<String>,
}

/// Why a fixture cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture is not valid JSON of the recorder's shape")]
    Json(#[from] serde_json::Error),
    #[error("fixture has no exchange {0:?}")]
    NoExchange(String),
    #[error("exchange {exchange:?} has no {method} request")]
    NoRequest { exchange: String, method: String },
}

impl Fixture {
    pub fn parse(json: &str) -> Result<Fixture, FixtureError> {
        Ok(serde_json::from_str(json)?)
    }

    /// The committed recording of `provider`.
    pub fn committed(provider: RecordedProvider) -> Result<Fixture, FixtureError> {
        Fixture::parse(provider.committed_json())
    }

    pub fn exchange(&self, name: &str) -> Result<&Exchange, FixtureError> {
        self.exchanges.iter().find(|e| e.name == name).ok_or_else(|| FixtureError::NoExchange(name.to_owned()))
    }

    /// The last `method` request of exchange `name` (an OVHcloud exchange may
    /// start with the SDK's `/auth/time`).
    pub fn request(&self, name: &str, method: &str) -> Result<&RecordedRequest, FixtureError> {
        self.exchange(name)?
            .requests
            .iter()
            .rev()
            .find(|r| r.method == method)
            .ok_or_else(|| FixtureError::NoRequest { exchange: name.to_owned(), method: method.to_owned() })
    }

    /// What a server must require of requests like exchange `name`'s `method` request.
    pub fn expectation(&self, name: &str, method: &str) -> Result<Expectation, FixtureError> {
        let exchange = self.exchange(name)?;
        let request = self.request(name, method)?;
        Ok(Expectation {
            method: request.method.clone(),
            path_template: path_template(&request.path, &exchange.inputs),
            media_type: request.content_type.as_deref().map(media_type),
            auth_scheme: request.auth.scheme.clone(),
            required_fields: field_names(&request.body),
            required_headers: request.headers.keys().cloned().collect(),
        })
    }
}

impl Exchange {
    /// An input as text (numbers and ids are written as the SDK got them).
    pub fn input(&self, key: &str) -> Option<String> {
        match self.inputs.get(key)? {
            serde_json::Value::String(text) => Some(text.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// What an emulator requires, read from the SDK's recorded request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub method: String,
    /// The recorded path with the inputs' values replaced by `{input name}`,
    /// e.g. `/2010-04-01/Accounts/{account_sid}/Messages.json`.
    pub path_template: String,
    /// `application/x-www-form-urlencoded`, `application/json`, or none.
    pub media_type: Option<String>,
    /// `Basic`, or none (OVHcloud signs with headers instead).
    pub auth_scheme: Option<String>,
    /// Body fields the SDK always sends (those of its minimal call).
    pub required_fields: Vec<String>,
    /// Headers the SDK always sends, lower-cased.
    pub required_headers: Vec<String>,
}

impl Expectation {
    /// Matches `path` against the template with `values` for the inputs;
    /// an input absent from `values` matches any one non-empty segment and
    /// is returned.
    pub fn match_path(&self, path: &str, values: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        let template: Vec<&str> = self.path_template.split('/').collect();
        let actual: Vec<&str> = path.split('/').collect();
        if template.len() != actual.len() {
            return None;
        }
        let mut captured = BTreeMap::new();
        for (want, got) in template.iter().zip(&actual) {
            match want.strip_prefix('{').and_then(|rest| rest.strip_suffix('}')) {
                Some(name) => match values.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) if value == got => {}
                    Some(_) => return None,
                    None if got.is_empty() => return None,
                    None => {
                        captured.insert(name.to_owned(), (*got).to_owned());
                    }
                },
                None if want == got => {}
                None => return None,
            }
        }
        Some(captured)
    }
}

/// `text/plain; charset=utf-8` → `text/plain`.
pub fn media_type(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// Inputs that name a path segment (account ids, service, number, object id).
const PATH_INPUTS: [&str; 5] = ["account_sid", "auth_id", "service_name", "number", "incoming_id"];

fn path_template(path: &str, inputs: &BTreeMap<String, serde_json::Value>) -> String {
    path.split('/')
        .map(|segment| {
            PATH_INPUTS
                .iter()
                .find(|key| match inputs.get(**key) {
                    Some(serde_json::Value::String(value)) => value == segment,
                    Some(serde_json::Value::Number(value)) => value.to_string() == segment,
                    _ => false,
                })
                .map_or_else(|| segment.to_owned(), |key| format!("{{{key}}}"))
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn field_names(body: &RecordedBody) -> Vec<String> {
    match &body.fields {
        Some(serde_json::Value::Object(fields)) => fields.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_fixture_parses_and_names_its_sdk() {
        for provider in RecordedProvider::ALL {
            let fixture = Fixture::committed(provider).unwrap();
            assert_eq!(fixture.sdk.name, provider.as_str());
            assert!(!fixture.exchanges.is_empty());
        }
    }

    #[test]
    fn the_twilio_expectation_is_read_from_the_sdk_request() {
        let fixture = Fixture::committed(RecordedProvider::Twilio).unwrap();
        let expectation = fixture.expectation("send", "POST").unwrap();
        assert_eq!(expectation.path_template, "/2010-04-01/Accounts/{account_sid}/Messages.json");
        assert_eq!(expectation.media_type.as_deref(), Some("application/x-www-form-urlencoded"));
        assert_eq!(expectation.auth_scheme.as_deref(), Some("Basic"));
        let mut fields = expectation.required_fields.clone();
        fields.sort();
        assert_eq!(fields, ["Body", "From", "To"]);
    }

    #[test]
    fn ovh_paths_are_templated_and_matched() {
        let fixture = Fixture::committed(RecordedProvider::Ovh).unwrap();
        let expectation = fixture.expectation("get_incoming", "GET").unwrap();
        assert_eq!(expectation.path_template, "/1.0/sms/{service_name}/virtualNumbers/{number}/incoming/{incoming_id}");
        assert_eq!(expectation.required_headers.len(), 4);
        let values = [("service_name", "sms-x-1"), ("number", "0033939000004")];
        let captured =
            expectation.match_path("/1.0/sms/sms-x-1/virtualNumbers/0033939000004/incoming/17", &values).unwrap();
        assert_eq!(captured.get("incoming_id").map(String::as_str), Some("17"));
        assert!(expectation.match_path("/1.0/sms/other/virtualNumbers/0033939000004/incoming/17", &values).is_none());
        assert!(expectation.match_path("/1.0/sms/sms-x-1/virtualNumbers/0033939000004/incoming/", &values).is_none());
    }
}
