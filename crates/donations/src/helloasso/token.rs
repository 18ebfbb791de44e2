//! HelloAsso access tokens: OAuth2 client credentials (`POST
//! {api_base}/oauth2/token`, form `grant_type=client_credentials`,
//! `client_id`, `client_secret`; answer `access_token`, `token_type`
//! "bearer", `expires_in` seconds, about 30 minutes), kept until a minute
//! before they expire. One request at a time asks for a token; after a
//! refusal or a failure, none is asked for [`RETRY_AFTER_FAILURE_MICROS`],
//! so a flood of notifications never turns into a flood of token requests.

use antirelou_domain::{micros, SharedClock};
use antirelou_settings::Secret;
use reqwest::StatusCode;
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::platform::{exchange, ReadBackError};

/// A token is renewed this long before it expires (clocks and latency).
const RENEW_BEFORE_MICROS: i64 = micros::from_seconds(60);

/// After a failed token request, the next waits this long.
pub const RETRY_AFTER_FAILURE_MICROS: i64 = micros::from_seconds(10);

/// The association's client credentials and its current token.
pub struct AccessTokens {
    client: reqwest::Client,
    token_url: url::Url,
    client_id: String,
    client_secret: Secret,
    clock: SharedClock,
    state: Mutex<TokenState>,
}

#[derive(Default)]
struct TokenState {
    current: Option<(Secret, i64)>,
    /// The failure of the last request and until when it stands.
    failed: Option<(ReadBackError, i64)>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
}

impl AccessTokens {
    pub fn new(
        client: reqwest::Client,
        token_url: url::Url,
        client_id: String,
        client_secret: Secret,
        clock: SharedClock,
    ) -> AccessTokens {
        AccessTokens { client, token_url, client_id, client_secret, clock, state: Mutex::new(TokenState::default()) }
    }

    /// A token valid for at least a minute: the kept one, or a new one.
    pub async fn get(&self) -> Result<Secret, ReadBackError> {
        let mut state = self.state.lock().await;
        let now = self.clock.now_micros();
        if let Some((token, expires)) = &state.current {
            if now < expires - RENEW_BEFORE_MICROS {
                return Ok(token.clone());
            }
        }
        if let Some((error, until)) = &state.failed {
            if now < *until {
                return Err(error.clone());
            }
        }
        match self.request().await {
            Ok((token, expires_in)) => {
                let expires = micros::after_seconds(now, expires_in);
                state.current = Some((token.clone(), expires));
                state.failed = None;
                Ok(token)
            }
            Err(error) => {
                state.current = None;
                state.failed = Some((error.clone(), now.saturating_add(RETRY_AFTER_FAILURE_MICROS)));
                Err(error)
            }
        }
    }

    /// Forgets `token` (the API refused it before it expired): the next
    /// [`get`](Self::get) asks for another one.
    pub async fn refused(&self, token: &Secret) {
        let mut state = self.state.lock().await;
        if state.current.as_ref().is_some_and(|(current, _)| current.expose() == token.expose()) {
            state.current = None;
        }
    }

    async fn request(&self) -> Result<(Secret, i64), ReadBackError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        let request = self.client.post(self.token_url.clone()).form(&form).header("Accept", "application/json");
        let (status, body) = exchange(request).await?;
        match status {
            StatusCode::OK => {}
            // RFC 6749 section 5.2: invalid_client is 401, invalid_grant and others 400.
            StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(ReadBackError::CredentialsRefused(format!("token request answered {status}")))
            }
            other => return Err(ReadBackError::Unavailable(format!("token request answered {other}"))),
        }
        let answer: TokenAnswer = serde_json::from_slice(&body)
            .map_err(|e| ReadBackError::Unavailable(format!("unreadable token answer: {e}")))?;
        if answer.access_token.is_empty()
            || answer.token_type.as_deref().is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
        {
            return Err(ReadBackError::Unavailable("the token answer has no bearer token".to_owned()));
        }
        // Without a lifetime the token is used once.
        Ok((Secret::new(answer.access_token), answer.expires_in.unwrap_or(0).max(0)))
    }
}
