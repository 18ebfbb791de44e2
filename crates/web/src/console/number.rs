//! `GET /console/numbers/{number}`: one number: pause or resume it, its
//! reply with a live count of characters, encoding, segments and cost per
//! reply (computed here, by the settings' own rules, for the page and for
//! each keystroke through `POST .../preview`), its caps and shield.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_settings::{NumberPatch, NumberSettings};
use maud::{html, Markup};
use serde::{Deserialize, Serialize};

use super::i18n::{Lang, T};
use super::overview::{badges, cap_bars, totals_of};
use super::{layout, Visit};
use crate::routes::admin::numbers::{number_views, pause, PauseError};
use crate::startup::AppState;

/// What a reply costs, as the editor shows it.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct ReplyFigures {
    pub characters: usize,
    pub encoding: String,
    pub segments: u32,
    pub cost: String,
    /// Why the text cannot be a reply (too long, empty), if it cannot.
    pub problem: Option<String>,
}

/// The figures of `reply` on `number`'s settings: the patch is read with the
/// configuration file's own reader, and applied like a `PATCH` would.
pub fn figures(number: &NumberSettings, reply: &str, currency: &str) -> ReplyFigures {
    let patch = NumberPatch::from_json(&serde_json::json!({ "reply": reply }));
    let problem =
        patch.as_ref().err().map(|problems| problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "));
    let patched = number.with_patch(&NumberPatch { reply: Some(reply.to_owned()), ..NumberPatch::default() });
    ReplyFigures {
        characters: reply.chars().count(),
        encoding: patched.reply_segments.encoding.to_string(),
        segments: patched.reply_segments.segments,
        cost: format!("{} {currency}", patched.reply_cost),
        problem,
    }
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
    }
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

pub async fn show(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<Done>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state) else { return layout::to_sign_in() };
    let lang = visit.lang;
    let number = path.into_inner();
    let Some(handle) = state.registry.route(&number).filter(|h| visit.caller().may_see(&h.policy.tenant)) else {
        return visit.not_found(&request);
    };
    let Some(settings) = state.console.numbers.get(&number) else { return visit.not_found(&request) };
    let views = number_views(&state, visit.caller()).await;
    let Some(view) = views.iter().find(|v| v.number == number) else {
        return visit.unavailable(&request, T::ActorUnavailable);
    };
    let Some(totals) = totals_of(&state, &view.tenant, &number).await else {
        return visit.unavailable(&request, T::LedgerUnavailable);
    };
    let policy = &handle.policy;
    let now = state.clock.now_seconds();
    let reply_figures = figures(settings, &policy.reply, &state.currency);
    let notice = match query.done.as_deref() {
        Some("paused") => Some(T::PausedDone),
        Some("resumed") => Some(T::ResumedDone),
        _ => None,
    };
    let action = |what: &str| format!("/console/numbers/{number}/{what}");
    let body = html! {
        @if let Some(notice) = notice { p.notice.ok role="status" { (notice.get(lang)) } }
        p { (T::Tenant.get(lang)) " " strong { (view.tenant) } }
        section aria-labelledby="state" {
            h2 #state { (T::State.get(lang)) }
            p { (badges(lang, view, now)) }
            p { (T::Deferred.get(lang)) " : " (view.deferred_here) }
            form method="post" action=(action(if view.paused { "resume" } else { "pause" })) {
                input type="hidden" name="csrf" value=(visit.csrf);
                button type="submit" #pause-button {
                    (if view.paused { T::Resume.get(lang) } else { T::Pause.get(lang) })
                }
            }
            h3 { (T::SpendToday.get(lang)) }
            (cap_bars(lang, &state.currency, &policy.caps, &totals))
        }
        section aria-labelledby="reply" {
            h2 #reply { (T::Reply.get(lang)) }
            form.reply method="post" action=(action("reply")) data-preview=(action("preview")) {
                input type="hidden" name="csrf" value=(visit.csrf);
                label for="reply-text" { (T::ReplyHelp.get(lang)) }
                textarea #reply-text name="reply" rows="5" maxlength="2000" { (policy.reply) }
                (figures_block(lang, &reply_figures))
                button type="submit" disabled { (T::SaveReply.get(lang)) }
                p.hint { (T::NotYetWired.get(lang)) }
            }
        }
        section aria-labelledby="caps" {
            h2 #caps { (T::CapsAndShield.get(lang)) }
            form method="post" action=(action("settings")) {
                input type="hidden" name="csrf" value=(visit.csrf);
                label for="daily-cap" { (T::NumberDaily.get(lang)) " (" (state.currency) ")" }
                input #daily-cap type="text" name="daily_cap" inputmode="decimal" disabled
                    value=(policy.caps.number_daily.map(|c| c.to_string()).unwrap_or_default());
                label for="per-minute" { (T::MaxRepliesPerMinute.get(lang)) }
                input #per-minute type="number" name="max_replies_per_minute" min="1" disabled
                    value=(policy.max_replies_per_minute);
                label for="shield-trigger" { (T::ShieldTrigger.get(lang)) }
                input #shield-trigger type="number" name="trigger_per_minute" min="1" disabled
                    value=(policy.shield.trigger_per_minute);
                button type="submit" disabled { (T::Save.get(lang)) }
                p.hint { (T::NotYetWired.get(lang)) }
            }
        }
    };
    layout::page(&visit, T::Number, html! { p.subtitle { (number) } (body) })
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/numbers/{number}/pause|resume`.
pub async fn act(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    form: web::Form<CsrfForm>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state) else { return layout::to_sign_in() };
    if !visit.csrf_ok(&form.csrf) {
        return visit.bad_form(&request);
    }
    let (number, action) = path.into_inner();
    let (paused, done) = match action.as_str() {
        "pause" => (true, "paused"),
        "resume" => (false, "resumed"),
        _ => return visit.not_found(&request),
    };
    match pause(&state, visit.caller(), &number, paused).await {
        Ok(()) => layout::see_other(&format!("/console/numbers/{number}?done={done}")),
        Err(PauseError::NotFound) => visit.not_found(&request),
        Err(PauseError::Unavailable) => visit.unavailable(&request, T::ActorUnavailable),
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
    state: web::Data<AppState>,
) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state) else { return HttpResponse::Unauthorized().finish() };
    let given = request.headers().get("X-CSRF-Token").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !visit.csrf_ok(given) {
        return HttpResponse::build(StatusCode::FORBIDDEN).finish();
    }
    let number = path.into_inner();
    let visible = state.registry.route(&number).is_some_and(|h| visit.caller().may_see(&h.policy.tenant));
    match state.console.numbers.get(&number).filter(|_| visible) {
        Some(settings) => HttpResponse::Ok().json(figures(settings, &form.reply, &state.currency)),
        None => HttpResponse::NotFound().finish(),
    }
}
