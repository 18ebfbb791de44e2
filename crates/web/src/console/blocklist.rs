//! `GET /console/tenants/{tenant}/blocklist`: the tenant's blocked senders
//! (keyed fingerprints, never numbers), and the form to block one more.

use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

use super::i18n::T;
use super::{layout, Visit};
use crate::startup::AppState;

pub async fn show(request: HttpRequest, path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state) else { return layout::to_sign_in() };
    let lang = visit.lang;
    let tenant = path.into_inner();
    if !visit.sees_tenant(&tenant) {
        return visit.not_found(&request);
    }
    // The file's block list, as the numbers apply it (hashes only).
    let blocked =
        state.registry.numbers().find(|h| *h.policy.tenant == *tenant).map(|h| h.policy.blocklist.len()).unwrap_or(0);
    let body = html! {
        p.subtitle { (T::Tenant.get(lang)) " " (tenant) }
        p { (T::BlocklistIntro.get(lang)) }
        p { (T::Blocklist.get(lang)) " : " strong #blocked-count { (blocked) } }
        form method="post" action=(format!("/console/tenants/{tenant}/blocklist")) autocomplete="off" {
            input type="hidden" name="csrf" value=(visit.csrf);
            label for="block-number" { (T::PhoneNumber.get(lang)) }
            input #block-number type="tel" name="number" disabled;
            label for="block-label" { (T::Label.get(lang)) }
            input #block-label type="text" name="label" maxlength="80" disabled;
            button type="submit" disabled { (T::Add.get(lang)) }
            p.hint { (T::NotYetWired.get(lang)) }
        }
    };
    layout::page(&visit, T::Blocklist, body)
}
