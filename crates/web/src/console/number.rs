//! `GET /console/numbers/{number}`: one number: its health (`health.rs`), pause or resume it, its
//! reply with a live count of characters, encoding, segments and cost per
//! reply (computed here, by the settings' own rules, for the page and for
//! each keystroke through `POST .../preview`), its caps and shield. Every
//! change goes through the runtime controls (`Controls`: stored in the
//! ledger, applied by every replica, audited), as the API's do. The senders
//! waiting for a reply are counted in the ledger's queue (the whole
//! service's), never one process's.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::{segments, Outcome, Periods};
use antirelou_engine::{ControlError, NumberControls};
use antirelou_settings::{NumberPatch, NumberSettings};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

use super::fields::{self, Refusal};
use super::format;
use super::i18n::{outcome_text, Lang, T};
use super::overview::{badges, cap_bars, totals_of};
use super::PageState;
use super::{layout, shield, Visit};
use crate::routes::admin::health::{health_view, number_health};
use crate::routes::admin::number::Ucs2Character;
use crate::routes::admin::numbers::number_views;
use crate::routes::admin::reports::DayStats;
use crate::routes::admin::Caller;
use crate::state::AppState;

/// What a reply costs, as the editor shows it.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct ReplyFigures {
    pub characters: usize,
    pub encoding: String,
    pub segments: u32,
    pub cost: String,
    /// Why the text cannot be a reply (too long, empty), if it cannot.
    pub problem: Option<String>,
    /// The characters that make the reply UCS-2 and their replacements, in
    /// words (empty: the reply is GSM-7).
    pub ucs2: String,
    /// Whether some of them have a GSM-7 replacement (the button shows).
    pub replaceable: bool,
}

/// The figures of `reply` on `number`'s settings: the patch is read with the
/// configuration file's own reader, and applied like a `PATCH` would.
pub fn figures(lang: Lang, number: &NumberSettings, reply: &str, currency: &str) -> ReplyFigures {
    let patch = NumberPatch::from_json(&serde_json::json!({ "reply": reply }));
    let problem =
        patch.as_ref().err().and_then(|problems| problems.first()).map(|p| fields::words(p).1.get(lang).to_owned());
    let forcing = Ucs2Character::all_of(reply);
    let patched = number.with_patch(&NumberPatch { reply: Some(reply.to_owned()), ..NumberPatch::default() });
    ReplyFigures {
        characters: reply.chars().count(),
        encoding: patched.reply_segments.encoding.to_string(),
        segments: patched.reply_segments.segments,
        cost: format::money(lang, currency, patched.reply_cost),
        problem,
        ucs2: ucs2_sentence(lang, &forcing),
        replaceable: forcing.iter().any(|c| c.replacement.is_some()),
    }
}

/// The characters that make a reply UCS-2, in a sentence: `’` (can be
/// replaced by `'`), `ê` (no equivalent).
fn ucs2_sentence(lang: Lang, forcing: &[Ucs2Character]) -> String {
    if forcing.is_empty() {
        return String::new();
    }
    let each: Vec<String> = forcing
        .iter()
        .map(|c| {
            let shown = if c.character.trim().is_empty() { format!("{:?}", c.character) } else { c.character.clone() };
            match &c.replacement {
                Some(stand_in) => format!("« {shown} » ({} « {stand_in} »)", T::ReplaceableBy.get(lang)),
                None => format!("« {shown} » ({})", T::NoEquivalent.get(lang)),
            }
        })
        .collect();
    format!("{} {}.", T::Ucs2Intro.get(lang), each.join(", "))
}

fn figures_block(lang: Lang, f: &ReplyFigures) -> Markup {
    html! {
        dl.figures #reply-figures aria-live="polite" {
            dt { (T::Characters.get(lang)) } dd data-figure="characters" { (f.characters) }
            dt { (T::Encoding.get(lang)) } dd data-figure="encoding" { (f.encoding) }
            dt { (T::Segments.get(lang)) } dd data-figure="segments" { (f.segments) }
            dt { (T::CostPerReply.get(lang)) } dd data-figure="cost" { (f.cost) }
        }
        p.notice.error #reply-problem hidden[f.problem.is_none()] { (f.problem.as_deref().unwrap_or("")) }
        div.replacement #ucs2 hidden[f.ucs2.is_empty()] {
            p.hint data-figure="ucs2" { (f.ucs2) }
        }
    }
}

#[derive(Deserialize)]
pub struct Done {
    /// What was just done, by its code (`paused`, `resumed`, `saved`); a
    /// refused change is answered at once with its reason, never through
    /// the URL.
    done: Option<String>,
}

/// The caller's number and its controls in force, or `None` (another
/// tenant's number does not exist for it).
fn visible(state: &AppState, caller: &Caller, number: &str) -> Option<NumberControls> {
    let handle = state.registry.route(number).filter(|h| caller.may_see(h.tenant_id()))?;
    state.controls.number(handle.number())
}

pub async fn show(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<Done>,
    state: PageState,
) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state).await else { return layout::to_sign_in() };
    let notice = match query.done.as_deref() {
        Some("paused") => Some(T::PausedDone),
        Some("resumed") => Some(T::ResumedDone),
        Some("saved") => Some(T::Saved),
        _ => None,
    };
    render(&request, &state, &visit, &path.into_inner(), notice, None).await
}

/// The number page, with a notice of what was just done, or with a refused
/// form given back (`400`): what was typed, and why next to each field.
async fn render(
    request: &HttpRequest,
    state: &PageState,
    visit: &Visit,
    number: &str,
    notice: Option<T>,
    refusal: Option<&Refusal>,
) -> HttpResponse {
    let lang = visit.lang;
    let Some(controls) = visible(state, visit.caller(), number) else { return visit.not_found(request) };
    let views = number_views(state, visit.caller()).await;
    let Some(view) = views.iter().find(|v| v.number == number) else {
        return visit.unavailable(request, T::ActorUnavailable);
    };
    let Some(totals) = totals_of(state, &view.tenant, number).await else {
        return visit.unavailable(request, T::LedgerUnavailable);
    };
    let policy = &controls.policy;
    let Some(handle) = state.registry.route(number) else { return visit.not_found(request) };
    let Ok(health) = number_health(state, &handle, policy, &totals, view.paused).await else {
        return visit.unavailable(request, T::LedgerUnavailable);
    };
    let health_words = health_view(state, &handle, &health, lang.code());
    let now = state.clock.now_seconds();
    let today = Periods::at(state.clock.now(), policy.timezone).day;
    let counts = state.registry.ledger().day_counts(&view.tenant, std::slice::from_ref(&today)).await;
    let today = DayStats::of(today, counts.ok().and_then(|mut c| c.pop()).unwrap_or_default(), Some(number));
    let reply = refusal.and_then(|r| r.value("reply")).unwrap_or(&policy.reply);
    let reply_figures = figures(lang, &controls.settings, reply, &state.currency);
    let waiting = state.registry.ledger().deferred_count(number, state.clock.now_micros()).await.unwrap_or(0) as u64;
    let shielded = view.shield_until_seconds.is_some_and(|until| until > now);
    let shield_alert = if shielded { shield::latest_alert(state, &view.tenant, number).await } else { None };
    let explained = shield::Explained {
        alert: shield_alert.as_ref(),
        money_left: shield::money_left(&policy.caps, &totals, view.budget_exhausted.is_some()),
        pace_percent: controls.settings.shield.pace_percent_per_hour,
        paused: view.paused,
    };
    let action = |what: &str| format!("/console/numbers/{number}/{what}");
    let typed = |field: &str, current: String| refusal.and_then(|r| r.value(field)).map_or(current, str::to_owned);
    let why = |field: &str| refusal.and_then(|r| r.error(field));
    let invalid = |field: &str| why(field).map(|_| "true");
    let described = |field: &str, id: &str| why(field).map(|_| fields::error_id(id));
    let body = html! {
        @if let Some(notice) = notice { p.notice.ok role="status" { (notice.get(lang)) } }
        @if let Some(general) = why("") { p.notice.error role="alert" { (general.get(lang)) } }
        p { (T::Tenant.get(lang)) " " strong { (view.tenant) } }
        (super::health::section(lang, &health, &health_words, state.timezone))
        @if shielded { (shield::section(lang, state.timezone, &state.currency, &explained)) }
        section aria-labelledby="state" {
            h2 #state { (T::State.get(lang)) }
            p { (badges(lang, view, now, &health)) }
            @if waiting > 0 {
                p #waiting { (T::Deferred.count(lang, waiting)) }
            }
            form method="post" action=(action(if view.paused { "resume" } else { "pause" })) {
                input type="hidden" name="csrf" value=(visit.csrf);
                button type="submit" #pause-button {
                    (if view.paused { T::Resume.get(lang) } else { T::Pause.get(lang) })
                }
            }
            h3 { (T::SpendToday.get(lang)) }
            (cap_bars(lang, &state.currency, &policy.caps, &totals))
            h3 { (T::DecisionsToday.get(lang)) }
            (decisions_today(lang, &today))
        }
        (super::calls::section(lang, &state.currency, controls.settings.voice.as_ref(), &today))
        section aria-labelledby="reply" {
            h2 #reply { (T::Reply.get(lang)) }
            form.reply method="post" action=(action("reply")) data-preview=(action("preview")) {
                input type="hidden" name="csrf" value=(visit.csrf);
                label for="reply-text" { (T::ReplyHelp.get(lang)) }
                textarea #reply-text name="reply" rows="5" maxlength="2000"
                    aria-invalid=[invalid("reply")] aria-describedby=[described("reply", "reply-text")] { (reply) }
                (fields::error(lang, "reply-text", why("reply")))
                (figures_block(lang, &reply_figures))
                button type="submit" #replace-ucs2 formaction=(action("gsm7")) hidden[!reply_figures.replaceable] {
                    (T::ReplaceUcs2.get(lang))
                }
                button type="submit" #save-reply { (T::SaveReply.get(lang)) }
            }
        }
        section aria-labelledby="caps" {
            h2 #caps { (T::CapsAndShield.get(lang)) }
            form method="post" action=(action("settings")) {
                input type="hidden" name="csrf" value=(visit.csrf);
                label for="daily-cap" { (T::NumberDaily.get(lang)) " (" (format::currency_sign(&state.currency)) ")" }
                input #daily-cap type="text" name="daily_cap" inputmode="decimal"
                    aria-invalid=[invalid("daily_cap")] aria-describedby=[described("daily_cap", "daily-cap")]
                    value=(typed("daily_cap", policy.caps.number_daily.map(|c| format::money_field(lang, c)).unwrap_or_default()));
                (fields::error(lang, "daily-cap", why("daily_cap")))
                label for="per-minute" { (T::MaxRepliesPerMinute.get(lang)) }
                input #per-minute type="number" name="max_replies_per_minute" min="1" required
                    aria-invalid=[invalid("max_replies_per_minute")]
                    aria-describedby=[described("max_replies_per_minute", "per-minute")]
                    value=(typed("max_replies_per_minute", policy.max_replies_per_minute.to_string()));
                (fields::error(lang, "per-minute", why("max_replies_per_minute")))
                label for="shield-trigger" { (T::ShieldTrigger.get(lang)) }
                input #shield-trigger type="number" name="trigger_per_minute" min="1" required
                    aria-invalid=[invalid("trigger_per_minute")]
                    aria-describedby=[described("trigger_per_minute", "shield-trigger")]
                    value=(typed("trigger_per_minute", policy.shield.trigger_per_minute.to_string()));
                (fields::error(lang, "shield-trigger", why("trigger_per_minute")))
                p.hint { (T::EmptyIsNoCap.get(lang)) }
                button type="submit" #save-settings { (T::Save.get(lang)) }
            }
        }
    };
    let status = if refusal.is_some_and(Refusal::refused) { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    layout::page_with_status(visit, status, T::Number, html! { p.subtitle { (number) } (body) })
}

/// A form of the number page: its CSRF token and the fields it changes.
#[derive(Deserialize)]
pub struct NumberForm {
    #[serde(default)]
    csrf: String,
    reply: Option<String>,
    daily_cap: Option<String>,
    max_replies_per_minute: Option<String>,
    trigger_per_minute: Option<String>,
}

/// A form value as the patch reader takes it: a whole number as a JSON
/// number, anything else as text (the reader then says what is wrong).
fn value(text: &str) -> serde_json::Value {
    let text = text.trim();
    text.parse::<u64>().map_or_else(|_| serde_json::Value::from(text), serde_json::Value::from)
}

/// The patch a form asks for, in the API's `PATCH` JSON.
fn patch_of(action: &str, form: &NumberForm) -> Option<serde_json::Value> {
    match action {
        "reply" => Some(serde_json::json!({ "reply": form.reply.clone().unwrap_or_default() })),
        "settings" => {
            let cap = form.daily_cap.as_deref().map(str::trim).unwrap_or("");
            Some(serde_json::json!({
                "daily_cap": if cap.is_empty() { serde_json::Value::Null } else { serde_json::Value::from(cap) },
                "max_replies_per_minute": value(form.max_replies_per_minute.as_deref().unwrap_or("")),
                "shield": { "trigger_per_minute": value(form.trigger_per_minute.as_deref().unwrap_or("")) },
            }))
        }
        _ => None,
    }
}

/// `POST /console/numbers/{number}/pause|resume|reply|settings`: through
/// `Controls`, like `POST /v1/numbers/{n}/pause` and `PATCH /v1/numbers/{n}`.
pub async fn act(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<NumberForm>,
    state: PageState,
) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state).await else { return layout::to_sign_in() };
    if !visit.csrf_ok(&form.csrf) {
        return visit.bad_form(&request);
    }
    let (number, action) = path.into_inner();
    if visible(&state, visit.caller(), &number).is_none() {
        return visit.not_found(&request);
    }
    let who = visit.caller().audit_name();
    let page = format!("/console/numbers/{number}");
    let result = match action.as_str() {
        "gsm7" => {
            // Not saved: the reply comes back with its stand-ins, to read and save.
            let replaced = segments::with_gsm7_replacements(form.reply.as_deref().unwrap_or(""));
            let draft = Refusal::default().typed("reply", Some(&replaced));
            return render(&request, &state, &visit, &number, Some(T::Replaced), Some(&draft)).await;
        }
        "pause" | "resume" => {
            let paused = action == "pause";
            state.controls.pause(&number, paused, &who).await.map(|_| if paused { "paused" } else { "resumed" })
        }
        other => {
            let Some(json) = patch_of(other, &form) else { return visit.not_found(&request) };
            match NumberPatch::from_json(&json) {
                Ok(patch) => state.controls.patch(&number, &patch, &who).await.map(|_| "saved"),
                Err(problems) => {
                    let refusal = Refusal::default()
                        .typed("reply", form.reply.as_deref())
                        .typed("daily_cap", form.daily_cap.as_deref())
                        .typed("max_replies_per_minute", form.max_replies_per_minute.as_deref())
                        .typed("trigger_per_minute", form.trigger_per_minute.as_deref())
                        .with_problems(&problems);
                    return render(&request, &state, &visit, &number, None, Some(&refusal)).await;
                }
            }
        }
    };
    match result {
        Ok(done) => layout::see_other(&format!("{page}?done={done}")),
        Err(ControlError::NotFound) => visit.not_found(&request),
        Err(ControlError::Invalid(problem) | ControlError::Full(problem)) => layout::problem(&visit, &page, &problem),
        Err(ControlError::Ledger(error)) => {
            tracing::error!(%error, "console: runtime control failed");
            visit.unavailable(&request, T::LedgerUnavailable)
        }
    }
}

#[derive(Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    reply: String,
}

/// `POST /console/numbers/{number}/preview` (`X-CSRF-Token` header): the
/// figures of a draft reply, as JSON, for the live counter.
pub async fn preview(
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<PreviewForm>,
    state: PageState,
) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state).await else { return HttpResponse::Unauthorized().finish() };
    let given = request.headers().get("X-CSRF-Token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !visit.csrf_ok(given) {
        return HttpResponse::build(StatusCode::FORBIDDEN).finish();
    }
    match visible(&state, visit.caller(), &path.into_inner()) {
        Some(controls) => {
            HttpResponse::Ok().json(figures(visit.lang, &controls.settings, &form.reply, &state.currency))
        }
        None => HttpResponse::NotFound().finish(),
    }
}

/// Today's decisions of the number by outcome (those that happened), as
/// `GET /v1/numbers/{n}` answers them in `today`.
fn decisions_today(lang: Lang, today: &DayStats) -> Markup {
    let happened: Vec<(Outcome, i64)> = Outcome::ALL
        .into_iter()
        .filter_map(|o| today.decisions.get(o.as_str()).copied().filter(|n| *n > 0).map(|n| (o, n)))
        .collect();
    html! {
        @if happened.is_empty() {
            p { (T::NoneYet.get(lang)) }
        } @else {
            table #today {
                thead { tr { th scope="col" { (T::Decision.get(lang)) } th scope="col" { (T::Count.get(lang)) } } }
                tbody {
                    @for (outcome, count) in &happened {
                        tr { td { (outcome_text(*outcome).get(lang)) } td data-label=(T::Count.get(lang)) { (count) } }
                    }
                }
            }
        }
    }
}
