//! What a tenant reads about itself besides money: its budget alerts
//! (`GET /v1/tenants/{tenant}/alerts`) and per-day stats
//! (`GET /v1/tenants/{tenant}/stats?from=&to=`).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::{Money, Outcome, Periods};
use antirelou_engine::metrics::number_series::{CALL_WITHOUT_VOICE, SPEND_KINDS};
use antirelou_ledger::reports::{
    call_field, number_field, outcome_field, spend_field, ALERTS_KEPT, DEPLOYMENT_ALERTS, MAX_STATS_DAYS,
};
use antirelou_ledger::LedgerError;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{error, ledger_unavailable, tenant_caller, ApiError};
use crate::state::AppState;

/// The tenant's last alerts, newest first.
#[derive(Serialize, ToSchema)]
pub struct AlertsResponse {
    pub tenant: String,
    /// At most 100: the tenant's own and the deployment's (`tenant` is `*`).
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<serde_json::Value>,
}

/// The tenant's last alerts (its own, budget and shield, and the
/// deployment cap's), newest first, each as its webhook received it plus `at` (RFC 3339). The
/// JSON API and the console both read alerts through this.
pub(crate) async fn tenant_alerts(state: &AppState, tenant: &str) -> Result<Vec<serde_json::Value>, LedgerError> {
    let ledger = state.registry.ledger();
    let (own, deployment) =
        tokio::try_join!(ledger.alerts(tenant, ALERTS_KEPT), ledger.alerts(DEPLOYMENT_ALERTS, ALERTS_KEPT))?;
    let mut records: Vec<_> = own.into_iter().chain(deployment).collect();
    records.sort_by_key(|r| std::cmp::Reverse(r.at_micros));
    records.truncate(ALERTS_KEPT);
    Ok(records
        .into_iter()
        .filter_map(|record| {
            let mut alert: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&record.json).ok()?;
            let at = chrono::DateTime::from_timestamp_micros(record.at_micros).map(|t| t.to_rfc3339());
            alert.insert("at".into(), at.into());
            Some(serde_json::Value::Object(alert))
        })
        .collect())
}

/// The tenant's last alerts (budget: its own caps', its prepaid balance's and the deployment cap's; shield),
/// newest first, as their webhook received them plus `at` (RFC 3339).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/alerts", tag = "money",
    params(("tenant" = String, Path, description = "The tenant's id")),
    responses((status = 200, body = AlertsResponse), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 503, body = ApiError)))]
pub async fn alerts(request: HttpRequest, path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let tenant = path.into_inner();
    if let Err(answer) = tenant_caller(&request, &state, &tenant) {
        return answer;
    }
    let Ok(alerts) = tenant_alerts(&state, &tenant).await else { return ledger_unavailable() };
    HttpResponse::Ok().json(AlertsResponse { tenant, alerts })
}

/// The query of `GET /v1/tenants/{tenant}/stats`.
#[derive(Deserialize, IntoParams)]
pub struct StatsQuery {
    /// First day, `YYYY-MM-DD` in the deployment's timezone (default: 6 days before `to`).
    from: Option<String>,
    /// Last day, included (default: today). At most 92 days from `from`.
    to: Option<String>,
}

/// One day of a tenant's stats.
#[derive(Serialize, ToSchema)]
pub struct DayStats {
    /// `YYYY-MM-DD` in the deployment's timezone.
    pub day: String,
    /// Decisions on SMS by outcome (every outcome, 0 when none).
    #[schema(value_type = Object)]
    pub decisions: BTreeMap<&'static str, i64>,
    /// Calls by outcome, as `antirelou_calls_total` counts them (every
    /// outcome and `no_voice`, 0 when none): `replied` were answered, every
    /// other was rejected unanswered.
    #[schema(value_type = Object)]
    pub calls: BTreeMap<&'static str, i64>,
    /// Money spent by entry kind (decimal, the deployment's currency).
    #[schema(value_type = Object)]
    pub spend: BTreeMap<&'static str, String>,
}

impl DayStats {
    /// Calls answered (`replied`; a provider's retry of one, `duplicate`, is not another) and calls
    /// rejected unanswered (every other outcome).
    pub fn calls_answered_and_refused(&self) -> (i64, i64) {
        let answered = self.calls.get(Outcome::Replied.as_str()).copied().unwrap_or(0);
        let duplicates = self.calls.get(Outcome::Duplicate.as_str()).copied().unwrap_or(0);
        (answered, self.calls.values().sum::<i64>() - answered - duplicates)
    }

    /// The day's stats from its stored counters: the tenant's, or with
    /// `number` that number's own.
    pub(crate) fn of(day: String, counts: Vec<(String, i64)>, number: Option<&str>) -> DayStats {
        let stored: BTreeMap<String, i64> = counts.into_iter().collect();
        let read = |field: String| {
            let field = match number {
                Some(number) => number_field(number, &field),
                None => field,
            };
            stored.get(&field).copied().unwrap_or(0)
        };
        DayStats {
            day,
            decisions: Outcome::ALL.into_iter().map(|o| (o.as_str(), read(outcome_field(o.as_str())))).collect(),
            calls: Outcome::ALL
                .into_iter()
                .map(Outcome::as_str)
                .chain([CALL_WITHOUT_VOICE])
                .map(|label| (label, read(call_field(label))))
                .collect(),
            spend: SPEND_KINDS
                .into_iter()
                .map(|k| (k.as_str(), Money::from_micros(read(spend_field(k.as_str()))).to_string()))
                .collect(),
        }
    }
}

/// A tenant's stats, day by day.
#[derive(Serialize, ToSchema)]
pub struct StatsResponse {
    pub tenant: String,
    pub from: String,
    pub to: String,
    pub currency: String,
    pub timezone: String,
    pub days: Vec<DayStats>,
}

/// Per day: decisions by outcome, spend by kind. Counted by each replica
/// and written to the ledger every few seconds (see docs/behaviour.md).
#[utoipa::path(get, path = "/v1/tenants/{tenant}/stats", tag = "money",
    params(("tenant" = String, Path, description = "The tenant's id"), StatsQuery),
    responses((status = 200, body = StatsResponse), (status = 400, body = ApiError), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 503, body = ApiError)))]
pub async fn stats(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<StatsQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let tenant = path.into_inner();
    if let Err(answer) = tenant_caller(&request, &state, &tenant) {
        return answer;
    }
    let days = match stats_days(&query, &state) {
        Ok(days) => days,
        Err(message) => return error(StatusCode::BAD_REQUEST, message),
    };
    let counts = match state.registry.ledger().day_counts(&tenant, &days).await {
        Ok(counts) => counts,
        Err(_) => return ledger_unavailable(),
    };
    let days: Vec<DayStats> =
        days.into_iter().zip(counts).map(|(day, counts)| DayStats::of(day, counts, None)).collect();
    HttpResponse::Ok().json(StatsResponse {
        tenant,
        from: days.first().map(|d| d.day.clone()).unwrap_or_default(),
        to: days.last().map(|d| d.day.clone()).unwrap_or_default(),
        currency: state.currency.clone(),
        timezone: state.timezone.name().to_owned(),
        days,
    })
}

/// The days asked for, oldest first, or why they are refused.
fn stats_days(query: &StatsQuery, state: &AppState) -> Result<Vec<String>, String> {
    let parse = |name: &str, text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("{name} must be a date YYYY-MM-DD"))
    };
    let today = Periods::at(state.clock.now(), state.timezone).day;
    let to = parse("to", query.to.as_deref().unwrap_or(&today))?;
    let from = match &query.from {
        Some(from) => parse("from", from)?,
        None => to - chrono::Days::new(6),
    };
    if from > to {
        return Err("from must not be after to".to_owned());
    }
    let count = (to - from).num_days() + 1;
    if count > MAX_STATS_DAYS as i64 {
        return Err(format!("at most {MAX_STATS_DAYS} days at once"));
    }
    Ok(from.iter_days().take(count as usize).map(|d| d.format("%Y-%m-%d").to_string()).collect())
}
