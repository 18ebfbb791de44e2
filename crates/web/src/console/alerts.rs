//! `GET /console/tenants/{tenant}/alerts`: the alerts sent to the tenant
//! (shield, budget), newest first.

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
    let body = html! {
        p.subtitle { (T::Tenant.get(lang)) " " (tenant) }
        p { (T::AlertsIntro.get(lang)) }
        p { (T::NoneYet.get(lang)) }
        p.hint { (T::AlertsNotYet.get(lang)) }
    };
    layout::page(&visit, T::Alerts, body)
}
