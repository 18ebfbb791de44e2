//! `GET /console/tenants/{tenant}/alerts`: the alerts sent to the tenant
//! (budget: its own caps', its balance's and the deployment's; shield),
//! newest first, read through
//! the same function as `GET /v1/tenants/{tenant}/alerts`. An alert carries
//! no sender and no body.

use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;

use super::i18n::T;
use super::{layout, Visit};
use crate::routes::admin::reports::tenant_alerts;
use crate::startup::AppState;

pub async fn show(request: HttpRequest, path: web::Path<String>, state: web::Data<AppState>) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state).await else { return layout::to_sign_in() };
    let lang = visit.lang;
    let tenant = path.into_inner();
    if !visit.sees_tenant(&tenant) {
        return visit.not_found(&request);
    }
    let Ok(alerts) = tenant_alerts(&state, &tenant).await else {
        return visit.unavailable(&request, T::LedgerUnavailable);
    };
    let field = |alert: &serde_json::Value, key: &str| alert.get(key).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let body = html! {
        p.subtitle { (T::Tenant.get(lang)) " " (tenant) }
        p { (T::AlertsIntro.get(lang)) }
        @if alerts.is_empty() {
            p { (T::NoneYet.get(lang)) }
        } @else {
            table #alerts {
                thead { tr {
                    th scope="col" { (T::When.get(lang)) }
                    th scope="col" { (T::Alert.get(lang)) }
                } }
                tbody {
                    @for alert in &alerts {
                        tr {
                            td { (field(alert, "at")) }
                            td { (field(alert, "text")) }
                        }
                    }
                }
            }
        }
        p.hint { (T::AlertsWebhook.get(lang)) }
    };
    layout::page(&visit, T::Alerts, body)
}
