//! One number: `GET /v1/numbers/{number}` (state, overrides, what a reply
//! costs, how it answers calls, today's spend against each cap, today's
//! decisions and calls, its health), `PATCH` (runtime overrides of
//! the file, every replica, audited) and `DELETE .../overrides` (back to
//! the file).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::voice::spoken_seconds;
use antirelou_domain::{segments, Money, Periods};
use antirelou_engine::NumberControls;
use antirelou_ledger::{BudgetScope, TotalsQuery};
use antirelou_settings::{AllowedCountries, NumberPatch, VoiceSettings};
use serde::Serialize;
use utoipa::ToSchema;

use super::health::{api_language, health_view, number_health, HealthView};
use super::reports::DayStats;
use super::{authenticate, control_error, ledger_unavailable, not_found, ApiError, Caller};
use crate::state::AppState;

/// The reply in force and what each costs.
#[derive(Serialize, ToSchema)]
pub struct ReplyView {
    pub text: String,
    /// `GSM-7` or `UCS-2`.
    pub encoding: String,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: usize,
    pub segments: u32,
    /// What one reply costs, e.g. `"0.08"`.
    pub cost_per_reply: String,
}

impl ReplyView {
    fn of(controls: &NumberControls) -> ReplyView {
        let count = segments::count(&controls.settings.reply);
        ReplyView {
            text: controls.settings.reply.clone(),
            encoding: count.encoding.to_string(),
            units: count.units,
            segments: count.segments,
            cost_per_reply: controls.settings.reply_cost.to_string(),
        }
    }
}

/// How the number answers calls (`voice`): what a caller hears, how long
/// it lasts, and the most an answered call costs.
#[derive(Serialize, ToSchema)]
pub struct VoiceView {
    /// What an answered call hears, then the call is hung up.
    pub say: String,
    /// The voice's language (BCP 47), e.g. `fr-FR`.
    pub language: String,
    /// What the provider charges per started minute, e.g. `"0.02"`.
    pub price_per_minute: String,
    /// An answered call is hung up after this many seconds at most.
    pub max_seconds: u32,
    /// How long the message takes to say, estimated (errs long).
    pub spoken_seconds: u32,
    /// The most one answered call costs (`price_per_minute` × started
    /// minutes of `max_seconds`), reserved before answering.
    pub cost_per_call: String,
}

impl VoiceView {
    pub(crate) fn of(voice: &VoiceSettings) -> VoiceView {
        VoiceView {
            say: voice.say.clone(),
            language: voice.language.clone(),
            price_per_minute: voice.price_per_minute.to_string(),
            max_seconds: voice.max_seconds,
            spoken_seconds: spoken_seconds(&voice.say),
            cost_per_call: voice.call_reservation.to_string(),
        }
    }
}

/// A character of the reply that makes it UCS-2 (70 characters an SMS
/// instead of 160), and the GSM-7 text that can stand for it, if any
/// (`’` → `'`, `«` → `"`, `…` → `...`).
#[derive(Serialize, ToSchema, Debug, PartialEq, Eq)]
pub struct Ucs2Character {
    pub character: String,
    /// `null`: no GSM-7 equivalent (ê, an emoji).
    pub replacement: Option<String>,
}

impl Ucs2Character {
    /// The characters of `text` that force UCS-2, each once, in order.
    pub fn all_of(text: &str) -> Vec<Ucs2Character> {
        segments::ucs2_characters(text)
            .into_iter()
            .map(|c| Ucs2Character {
                character: c.to_string(),
                replacement: segments::gsm7_replacement(c).map(str::to_owned),
            })
            .collect()
    }
}

/// One cap and today's (or this month's) spend against it.
#[derive(Serialize, ToSchema)]
pub struct CapView {
    /// `number_daily`, `tenant_monthly`, `deployment_monthly` or `balance`.
    pub scope: String,
    /// The cap (or, for `balance`, the prepaid balance); `null`: no cap.
    pub cap: Option<String>,
    pub spent: String,
    /// What is left before the cap; `null`: no cap.
    pub left: Option<String>,
}

/// A number's state and controls as this replica applies them.
#[derive(Serialize, ToSchema)]
pub struct NumberDetail {
    pub tenant: String,
    pub number: String,
    pub paused: bool,
    /// The shield is on until this Unix time (seconds), if it is on.
    pub shield_until_seconds: Option<i64>,
    /// Senders whose judgement is pending (every replica).
    pub deferred_pending: usize,
    /// The runtime overrides in force, as sent to `PATCH` (`{}`: the file holds).
    #[schema(value_type = Object)]
    pub overrides: serde_json::Value,
    pub reply: ReplyView,
    /// How the number answers calls; `null`: it rejects every call unanswered.
    pub voice: Option<VoiceView>,
    pub max_replies_per_minute: u32,
    /// ISO codes, or `["*"]` for any country.
    pub allowed_countries: Vec<String>,
    /// Spend against each cap (today's for the number, this month's for the tenant and the deployment).
    pub caps: Vec<CapView>,
    pub currency: String,
    /// The runtime control version this replica applies.
    pub control_version: u64,
    /// Today's decisions by outcome (`replied`: the replies), calls by
    /// outcome (`replied`: answered) and spend by kind (`call`: answered
    /// calls), every replica's, as the ledger's day counters hold them
    /// (each replica writes its counts every 10 seconds).
    pub today: DayStats,
    /// Whether the number works, since when and why (the same on every replica).
    pub health: HealthView,
}

/// What `PATCH` changed: the overrides in force and the reply they make.
#[derive(Serialize, ToSchema)]
pub struct PatchResponse {
    pub number: String,
    #[schema(value_type = Object)]
    pub overrides: serde_json::Value,
    pub reply: ReplyView,
    /// The reply's characters that make it UCS-2, with their GSM-7
    /// replacements (empty: the reply is GSM-7).
    pub ucs2_characters: Vec<Ucs2Character>,
    pub currency: String,
    pub control_version: u64,
}

/// Every problem of a refused patch, at its key path.
#[derive(Serialize, ToSchema)]
pub struct PatchProblems {
    pub error: String,
    /// Each refused key; absent when the patch as a whole was refused
    /// (empty, not JSON, nothing to change).
    #[schema(required = false)]
    pub problems: Vec<PatchProblem>,
}

#[derive(Serialize, ToSchema)]
pub struct PatchProblem {
    /// The key path, as `check-config` names it (`shield.hold`).
    pub key: String,
    pub reason: String,
}

/// Whether the overrides were dropped.
#[derive(Serialize, ToSchema)]
pub struct ClearedResponse {
    pub number: String,
    /// `false` when the number had no overrides.
    pub cleared: bool,
}

/// The caller and the controls of its number, or the answer: `401`
/// without a token, `404` for a number it may not see (another tenant's
/// is not found either).
// The refusal is the response itself, built only when refusing.
#[allow(clippy::result_large_err)]
fn number_caller(
    request: &HttpRequest,
    state: &AppState,
    number: &str,
) -> Result<(Caller, NumberControls), HttpResponse> {
    let caller = authenticate(request, state)?;
    let handle = state.registry.route(number).filter(|h| caller.may_see(h.tenant_id())).ok_or_else(not_found)?;
    let controls = state.controls.number(handle.number()).ok_or_else(not_found)?;
    Ok((caller, controls))
}

fn countries(allowed: &AllowedCountries) -> Vec<String> {
    match allowed {
        AllowedCountries::Any => vec!["*".to_owned()],
        AllowedCountries::Only(codes) => codes.clone(),
    }
}

fn cap_view(scope: BudgetScope, cap: Option<Money>, spent: Money) -> CapView {
    CapView {
        scope: scope.as_str().to_owned(),
        cap: cap.map(|c| c.to_string()),
        spent: spent.to_string(),
        left: cap.map(|c| c.saturating_sub(spent).max(Money::ZERO).to_string()),
    }
}

/// A number's state, overrides, reply, calls (its voice, today's) and spend against each cap.
#[utoipa::path(get, path = "/v1/numbers/{number}", tag = "numbers",
    params(("number" = String, Path, description = "The number, E.164")),
    responses((status = 200, body = NumberDetail), (status = 401, body = ApiError),
              (status = 404, body = ApiError), (status = 503, body = ApiError)))]
pub async fn show(request: HttpRequest, path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let number = path.into_inner();
    let controls = match number_caller(&request, &state, &number) {
        Ok((_, controls)) => controls,
        Err(answer) => return answer,
    };
    let Some(handle) = state.registry.route(&number) else { return not_found() };
    let snapshot = state.registry.snapshot(&handle).await.ok();
    let policy = &controls.policy;
    let ledger = state.registry.ledger();
    let now = state.clock.now();
    let query = TotalsQuery {
        tenant: policy.tenant.to_string(),
        number: policy.number.to_string(),
        periods: Periods::at(now, policy.timezone),
    };
    let today = query.periods.day.clone();
    let (totals, deferred, counts) = match tokio::join!(
        ledger.totals(&query),
        ledger.deferred_count(&policy.number, state.clock.now_micros()),
        ledger.day_counts(&policy.tenant, std::slice::from_ref(&today)),
    ) {
        (Ok(totals), Ok(deferred), Ok(mut counts)) => (totals, deferred, counts.pop().unwrap_or_default()),
        _ => return ledger_unavailable(),
    };
    let mut caps = vec![
        cap_view(BudgetScope::NumberDaily, policy.caps.number_daily, totals.number_day),
        cap_view(BudgetScope::TenantMonthly, policy.caps.tenant_monthly, totals.tenant_month),
        cap_view(BudgetScope::DeploymentMonthly, policy.caps.deployment_monthly, totals.deployment_month),
    ];
    if policy.prepaid {
        let balance = totals.balance.unwrap_or(Money::ZERO);
        caps.push(CapView {
            scope: BudgetScope::Balance.as_str().to_owned(),
            cap: Some(balance.to_string()),
            spent: Money::ZERO.to_string(),
            left: Some(balance.to_string()),
        });
    }
    let paused = snapshot.as_ref().map_or(policy.paused, |s| s.paused);
    let health = match number_health(&state, &handle, policy, &totals, paused).await {
        Ok(health) => health_view(&state, &handle, &health, api_language(&request)),
        Err(_) => return ledger_unavailable(),
    };
    HttpResponse::Ok().json(NumberDetail {
        tenant: policy.tenant.to_string(),
        number: policy.number.to_string(),
        paused,
        shield_until_seconds: snapshot.and_then(|s| s.shield_until_seconds),
        deferred_pending: deferred,
        overrides: controls.stored.overrides.to_json(),
        reply: ReplyView::of(&controls),
        voice: controls.settings.voice.as_ref().map(VoiceView::of),
        max_replies_per_minute: controls.settings.max_replies_per_minute,
        allowed_countries: countries(&controls.settings.allowed_countries),
        caps,
        currency: state.currency.clone(),
        control_version: controls.version,
        today: DayStats::of(today, counts, Some(&policy.number)),
        health,
    })
}

/// Override some of the number's settings at run time (`reply`,
/// `daily_cap`, `max_replies_per_minute`, `allowed_countries`, `shield.*`),
/// written as in the configuration file (`daily_cap` also as people type
/// it: `"5,50"`); `null` is the key's default (no cap). Merged key by key
/// with the overrides already in force, stored, applied by every replica,
/// audited. Answered with the reply it makes and `ucs2_characters`: each
/// character that makes it UCS-2 and its GSM-7 `replacement`, if any.
#[utoipa::path(patch, path = "/v1/numbers/{number}", tag = "numbers",
    params(("number" = String, Path, description = "The number, E.164")),
    request_body(content = Object, description = "A number patch, e.g. `{\"reply\": \"…\", \"daily_cap\": \"5.00\", \"shield\": {\"hold\": \"2h\"}}`"),
    responses((status = 200, body = PatchResponse), (status = 400, body = PatchProblems),
              (status = 401, body = ApiError), (status = 404, body = ApiError),
              (status = 409, description = "The change history is full", body = ApiError),
              (status = 413, body = ApiError), (status = 503, body = ApiError)))]
pub async fn patch(
    request: HttpRequest,
    path: web::Path<String>,
    body: web::Json<serde_json::Value>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let number = path.into_inner();
    let caller = match number_caller(&request, &state, &number) {
        Ok((caller, _)) => caller,
        Err(answer) => return answer,
    };
    let patch = match NumberPatch::from_json(&body) {
        Ok(patch) => patch,
        Err(problems) => {
            let problems: Vec<PatchProblem> =
                problems.into_iter().map(|p| PatchProblem { key: p.key, reason: p.reason }).collect();
            let error = problems
                .iter()
                .map(|p| if p.key.is_empty() { p.reason.clone() } else { format!("{}: {}", p.key, p.reason) })
                .collect::<Vec<_>>()
                .join("; ");
            return HttpResponse::build(StatusCode::BAD_REQUEST).json(PatchProblems { error, problems });
        }
    };
    match state.controls.patch(&number, &patch, &caller.audit_name()).await {
        Ok(controls) => HttpResponse::Ok().json(PatchResponse {
            number,
            overrides: controls.stored.overrides.to_json(),
            reply: ReplyView::of(&controls),
            ucs2_characters: Ucs2Character::all_of(&controls.settings.reply),
            currency: state.currency.clone(),
            control_version: controls.version,
        }),
        Err(failure) => control_error(failure),
    }
}

/// Drop the number's runtime overrides: the configuration file holds again
/// (pause is kept; resume it separately).
#[utoipa::path(delete, path = "/v1/numbers/{number}/overrides", tag = "numbers",
    params(("number" = String, Path, description = "The number, E.164")),
    responses((status = 200, body = ClearedResponse), (status = 401, body = ApiError),
              (status = 404, body = ApiError),
              (status = 409, description = "The change history is full", body = ApiError),
              (status = 503, body = ApiError)))]
pub async fn clear_overrides(
    request: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let number = path.into_inner();
    let caller = match number_caller(&request, &state, &number) {
        Ok((caller, _)) => caller,
        Err(answer) => return answer,
    };
    match state.controls.clear_overrides(&number, &caller.audit_name()).await {
        Ok(cleared) => HttpResponse::Ok().json(ClearedResponse { number, cleared }),
        Err(failure) => control_error(failure),
    }
}
