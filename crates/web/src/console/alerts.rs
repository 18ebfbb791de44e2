//! `GET /console/tenants/{tenant}/alerts`: the alerts sent to the tenant
//! (budget: its own caps', its balance's and the deployment's; shield),
//! newest first, read through
//! the same function as `GET /v1/tenants/{tenant}/alerts`. An alert carries
//! no sender and no body.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_ledger::BudgetScope;
use maud::html;

use super::i18n::{Lang, T};
use super::overview::scope_text;
use super::PageState;
use super::{layout, Visit};
use crate::routes::admin::reports::tenant_alerts;

pub async fn show(request: HttpRequest, path: web::Path<String>, state: PageState) -> HttpResponse {
    let tenant = path.into_inner();
    let visit = match Visit::of_tenant(&request, &state, &tenant).await {
        Ok(visit) => visit,
        Err(answer) => return answer,
    };
    let lang = visit.lang;
    let Ok(alerts) = tenant_alerts(&state, &tenant).await else {
        return visit.unavailable(&request, T::LedgerUnavailable);
    };
    let tz = state.timezone;
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
                            td { (local_time(field(alert, "at"), tz)) }
                            td { (describe(alert, lang, tz)) }
                        }
                    }
                }
            }
        }
        p.hint { (T::AlertsWebhook.get(lang)) }
    };
    layout::page(&visit, T::Alerts, body)
}

fn field<'a>(alert: &'a serde_json::Value, key: &str) -> &'a str {
    alert.get(key).and_then(|v| v.as_str()).unwrap_or("")
}

/// An RFC 3339 instant as `YYYY-MM-DD HH:MM` in the deployment's timezone.
fn local_time(rfc3339: &str, tz: chrono_tz::Tz) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// An alert in the visitor's language, from its figures (the webhook's
/// `text` is English, for chat); an alert this page does not know reads
/// as its `text`.
fn describe(alert: &serde_json::Value, lang: Lang, tz: chrono_tz::Tz) -> String {
    let number = field(alert, "number");
    match field(alert, "event") {
        "shield_entered" => format!(
            "{} {number} — {} {}",
            T::FloodOn.get(lang),
            T::ShieldUntil.get(lang),
            local_time(field(alert, "shield_until"), tz)
        ),
        "shield_exited" => format!("{} {number} — {}", T::FloodOver.get(lang), T::ShieldOffNow.get(lang)),
        // A failing number: its sentences, written in both languages when raised.
        "number_failing" if lang == Lang::Fr => field(alert, "text_fr").to_owned(),
        event if event.starts_with("budget_") => {
            let Some(scope) = BudgetScope::ALL.into_iter().find(|s| s.as_str() == field(alert, "scope")) else {
                return field(alert, "text").to_owned();
            };
            let threshold = alert.get("threshold_percent").and_then(|v| v.as_u64()).unwrap_or(0);
            let (spent, cap) = (field(alert, "spent"), field(alert, "cap"));
            let mut text = format!("{} — {threshold} % {}", scope_text(scope).get(lang), T::Reached.get(lang));
            match scope {
                BudgetScope::Balance => {
                    let (to, since) = (field(alert, "topped_up_to"), local_time(field(alert, "period"), tz));
                    text.push_str(&format!(" ({spent} {} {to}, {} {since})", T::Of.get(lang), T::SinceTopUp.get(lang)));
                }
                _ => text.push_str(&format!(" ({spent} {} {cap}, {})", T::Of.get(lang), field(alert, "period"))),
            }
            if !number.is_empty() {
                text.push_str(&format!(" — {number}"));
            }
            text
        }
        _ => field(alert, "text").to_owned(),
    }
}
