//! A number's health, as the API and the console show it: `health` in
//! `GET /v1/numbers/{number}` ([`HealthView`], made by [`health_view`]).
//! What it is made of is the engine's (`antirelou_engine::health`); the
//! problems are the ledger's, so every replica answers the same.

use antirelou_domain::micros;
use antirelou_engine::health::{out_of_money, reason_text, HealthInputs, NumberHealth};
use antirelou_engine::{NumberHandle, NumberPolicy};
use antirelou_ledger::{LedgerError, SpendTotals};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// Whether a number works, since when, and why.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HealthView {
    /// `answering`, `shielded` (answering, shield on), `paused`,
    /// `out_of_money` (a cap or the prepaid balance stops replies) or
    /// `failing` (replies or incoming messages cannot work).
    pub state: String,
    /// Since when (RFC 3339), the same on every server.
    pub since: String,
    pub reasons: Vec<ReasonView>,
}

/// One reason of a state, with what to do.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReasonView {
    /// `inbound_rejected`, `poll_failing`, `send_failing`,
    /// `credentials_refused` (each makes the number `failing`), `paused`,
    /// `shield_on`, `cap_reached`, `balance_empty`.
    pub code: String,
    /// What is wrong and what to do, in the request's language
    /// (`Accept-Language`: French or English).
    pub text: String,
}

/// `fr` when `Accept-Language` prefers French to English, else `en`.
pub fn api_language(request: &actix_web::HttpRequest) -> &'static str {
    let header = request.headers().get("accept-language").and_then(|v| v.to_str().ok()).unwrap_or("");
    let first = header
        .split(',')
        .filter_map(|item| item.split(';').next())
        .map(|tag| tag.trim().split('-').next().unwrap_or("").to_ascii_lowercase())
        .find(|primary| primary == "fr" || primary == "en");
    if first.as_deref() == Some("fr") {
        "fr"
    } else {
        "en"
    }
}

/// An instant as RFC 3339 (UTC, seconds).
pub fn rfc3339(at_micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(at_micros).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `handle`'s number's health: the ledger's problems, the pause, the
/// shared shield and the money left (`totals`, read by the caller).
pub async fn number_health(
    state: &AppState,
    handle: &NumberHandle,
    policy: &NumberPolicy,
    totals: &SpendTotals,
    paused: bool,
) -> Result<NumberHealth, LedgerError> {
    let now_seconds = micros::to_seconds(state.clock.now_micros());
    let shield_until_seconds = state.registry.ledger().shield_until(handle.number(), now_seconds).await?;
    let inputs = HealthInputs {
        paused,
        shield_until_seconds,
        out_of_money: out_of_money(&policy.caps, totals, policy.prepaid, policy.reply_cost),
    };
    state.registry.health().current(handle, &inputs).await
}

/// `health` in words of `lang` (`fr` or `en`).
pub fn health_view(state: &AppState, handle: &NumberHandle, health: &NumberHealth, lang: &str) -> HealthView {
    let words = state.registry.health().words(handle);
    HealthView {
        state: health.state.as_str().to_owned(),
        since: rfc3339(health.since_micros),
        reasons: health
            .reasons
            .iter()
            .map(|r| ReasonView { code: r.code.as_str().to_owned(), text: reason_text(r, &words, lang) })
            .collect(),
    }
}
