//! The checks every emulator makes on a request, in the order a provider
//! makes them: route, credentials, content type, required fields. What is
//! checked comes from an [`Expectation`] read from the SDK's recording.

use std::collections::BTreeMap;

use crate::recorded::Expectation;
use crate::server::{same_secret, SeenAuth, SeenRequest};

/// Why a request is refused, before the provider's own rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No route for this method and path.
    NotFound,
    /// Credentials absent, of another scheme, or wrong.
    Unauthenticated,
    /// The body is not of the recorded content type; holds the type received.
    ContentType(Option<String>),
    /// A field the SDK always sends is absent or empty; holds its name.
    MissingField(String),
    /// A header the SDK always sends is absent; holds its name.
    MissingHeader(String),
}

/// Checks `request` against `expectation`; `path_values` fill the path
/// template, `basic` is the expected (username, password) when the recorded
/// scheme is Basic. Returns the path inputs `path_values` left open.
pub(crate) fn check(
    expectation: &Expectation,
    request: &SeenRequest,
    path_values: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> Result<BTreeMap<String, String>, Refusal> {
    if !request.method.eq_ignore_ascii_case(&expectation.method) {
        return Err(Refusal::NotFound);
    }
    let captured = expectation.match_path(&request.path, path_values).ok_or(Refusal::NotFound)?;
    if expectation.auth_scheme.as_deref() == Some("Basic") {
        let (username, password) = basic.unwrap_or(("", ""));
        match &request.auth {
            SeenAuth::Basic { username: u, password: p } if u == username && same_secret(p, password) => {}
            _ => return Err(Refusal::Unauthenticated),
        }
    }
    for header in &expectation.required_headers {
        if request.header(header).is_none_or(str::is_empty) {
            return Err(Refusal::MissingHeader(header.clone()));
        }
    }
    if let Some(media_type) = &expectation.media_type {
        if request.media_type().as_deref() != Some(media_type.as_str()) {
            return Err(Refusal::ContentType(request.content_type.clone()));
        }
    }
    for field in &expectation.required_fields {
        let present = match request.fields.get(field) {
            None | Some(serde_json::Value::Null) => false,
            Some(serde_json::Value::String(text)) => !text.is_empty(),
            Some(serde_json::Value::Array(items)) => !items.is_empty(),
            Some(_) => true,
        };
        if !present {
            return Err(Refusal::MissingField(field.clone()));
        }
    }
    Ok(captured)
}
