//! `GET /console/tenants/{tenant}/blocklist`: the tenant's stored block
//! list (labels and dates, never numbers: the stored keys are not shown
//! either, they mean nothing to a person), a form to block one more (the
//! number is keyed by `Controls::block` at once and never shown back), and a
//! button to unblock each. Like `/v1/tenants/{t}/blocklist`.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_engine::ControlError;
use maud::html;
use serde::Deserialize;

use super::i18n::T;
use super::PageState;
use super::{fields, format};
use super::{layout, Visit};

#[derive(Deserialize)]
pub struct BlocklistQuery {
    done: Option<String>,
    problem: Option<String>,
}

pub async fn show(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<BlocklistQuery>,
    state: PageState,
) -> HttpResponse {
    let tenant = path.into_inner();
    let visit = match Visit::of_tenant(&request, &state, &tenant).await {
        Ok(visit) => visit,
        Err(answer) => return answer,
    };
    let lang = visit.lang;
    let Ok(blocked) = state.controls.blocklist(&tenant).await else {
        return visit.unavailable(&request, T::LedgerUnavailable);
    };
    let notice = match query.done.as_deref() {
        Some("blocked") => Some(T::Blocked),
        Some("unblocked") => Some(T::Unblocked),
        _ => None,
    };
    let action = format!("/console/tenants/{tenant}/blocklist");
    let problem = (query.problem.as_deref() == Some("number")).then_some(T::NotANumber);
    let body = html! {
        p.subtitle { (T::Tenant.get(lang)) " " (tenant) }
        @if let Some(notice) = notice { p.notice.ok role="status" { (notice.get(lang)) } }
        p { (T::BlocklistIntro.get(lang)) }
        form method="post" action=(action) autocomplete="off" {
            input type="hidden" name="csrf" value=(visit.csrf);
            label for="block-number" { (T::PhoneNumber.get(lang)) }
            input #block-number type="tel" name="number" required
                aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| fields::error_id("block-number"))];
            (fields::error(lang, "block-number", problem))
            label for="block-label" { (T::Label.get(lang)) }
            input #block-label type="text" name="label" maxlength="80";
            button type="submit" #block-button { (T::Add.get(lang)) }
        }
        @if blocked.is_empty() {
            p { (T::NoneYet.get(lang)) }
        } @else {
            table #blocklist {
                thead { tr {
                    th scope="col" { (T::Label.get(lang)) }
                    th scope="col" { (T::Since.get(lang)) }
                    th scope="col" { span.visually-hidden { (T::Remove.get(lang)) } }
                } }
                tbody {
                    @for entry in blocked.iter().rev() {
                        @let hash = entry.sender.to_hex();
                        tr {
                            td data-label=(T::Label.get(lang)) {
                                @if entry.label.trim().is_empty() { (T::NoLabel.get(lang)) } @else { (entry.label) }
                            }
                            td data-label=(T::Since.get(lang)) { (format::time(lang, state.timezone, entry.added_micros)) }
                            td {
                                form.inline method="post" action=(format!("{action}/remove")) {
                                    input type="hidden" name="csrf" value=(visit.csrf);
                                    input type="hidden" name="hash" value=(hash);
                                    button type="submit" { (T::Remove.get(lang)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page(&visit, T::Blocklist, body)
}

#[derive(Deserialize)]
pub struct BlockForm {
    #[serde(default)]
    csrf: String,
    /// The form's `number` field: the sender's phone number.
    #[serde(default, rename = "number")]
    sender_phone: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    hash: String,
}

/// `POST /console/tenants/{tenant}/blocklist`: `Controls::block`.
pub async fn add(
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<BlockForm>,
    state: PageState,
) -> HttpResponse {
    change(request, path.into_inner(), form.into_inner(), state, true).await
}

/// `POST /console/tenants/{tenant}/blocklist/remove`: `Controls::unblock`.
pub async fn remove(
    request: HttpRequest,
    path: web::Path<String>,
    form: web::Form<BlockForm>,
    state: PageState,
) -> HttpResponse {
    change(request, path.into_inner(), form.into_inner(), state, false).await
}

async fn change(request: HttpRequest, tenant: String, form: BlockForm, state: PageState, block: bool) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state).await else { return layout::to_sign_in() };
    if !visit.csrf_ok(&form.csrf) {
        return visit.bad_form(&request);
    }
    if !visit.sees_tenant(&tenant) {
        return visit.not_found(&request);
    }
    let who = visit.caller().audit_name();
    let result = if block {
        state.controls.block(&tenant, &form.sender_phone, &form.label, &who).await.map(|_| "blocked")
    } else {
        state.controls.unblock(&tenant, &form.hash, &who).await.map(|()| "unblocked")
    };
    let page = format!("/console/tenants/{tenant}/blocklist");
    match result {
        Ok(done) => layout::see_other(&format!("{page}?done={done}")),
        Err(ControlError::NotFound) => visit.not_found(&request),
        // A refused number is never repeated (nor put in a URL): the problem is named, not quoted.
        Err(ControlError::Invalid(problem)) if problem.starts_with("number") => {
            layout::see_other(&format!("{page}?problem=number"))
        }
        Err(ControlError::Invalid(problem) | ControlError::Full(problem)) => layout::problem(&visit, &page, &problem),
        Err(ControlError::Ledger(error)) => {
            tracing::error!(%error, "console: block list change failed");
            visit.unavailable(&request, T::LedgerUnavailable)
        }
    }
}
