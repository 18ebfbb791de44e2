//! `GET /console/tenants/{tenant}/alerts`: the alerts sent to the tenant
//! (budget: its own caps', its balance's and the whole service's; shield),
//! newest first, read through
//! the same function as `GET /v1/tenants/{tenant}/alerts`. An alert carries
//! no sender and no body.

use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_ledger::BudgetScope;
use maud::html;

use super::format;
use super::i18n::{Lang, T};
use super::overview::scope_text;
use super::shield::ATTACK_PAGE;
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
    let currency = &state.currency;
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
                            td data-label=(T::When.get(lang)) { (format::time_rfc3339(lang, tz, field(alert, "at"))) }
                            td data-label=(T::Alert.get(lang)) {
                                (describe(alert, lang, tz, currency))
                                @if field(alert, "event") == "shield_entered" {
                                    " — " a.attack-help href=(ATTACK_PAGE) { (T::AttackHelpLink.get(lang)) }
                                }
                            }
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

/// An amount of an alert (a decimal text) as the visitor writes money.
fn amount(alert: &serde_json::Value, key: &str, lang: Lang, currency: &str) -> String {
    let text = field(alert, key);
    antirelou_domain::Money::parse(text).map_or_else(|_| text.to_owned(), |m| format::money(lang, currency, m))
}

/// An alert in the visitor's language, from its figures (the webhook's
/// `text` is English, for chat); an alert this page does not know reads
/// as its `text`.
fn describe(alert: &serde_json::Value, lang: Lang, tz: chrono_tz::Tz, currency: &str) -> String {
    let number = field(alert, "number");
    match field(alert, "event") {
        "shield_entered" => format!(
            "{} {number} — {} {}",
            T::FloodOn.get(lang),
            T::ShieldUntil.get(lang),
            format::time_rfc3339(lang, tz, field(alert, "shield_until"))
        ),
        "shield_exited" => format!("{} {number} — {}", T::FloodOver.get(lang), T::ShieldOffNow.get(lang)),
        // A failing number: its sentences, written in both languages when raised.
        "number_failing" if lang == Lang::Fr => field(alert, "text_fr").to_owned(),
        event if event.starts_with("budget_") => {
            let Some(scope) = BudgetScope::ALL.into_iter().find(|s| s.as_str() == field(alert, "scope")) else {
                return field(alert, "text").to_owned();
            };
            let threshold = alert.get("threshold_percent").and_then(|v| v.as_u64()).unwrap_or(0);
            let (spent, cap) = (amount(alert, "spent", lang, currency), amount(alert, "cap", lang, currency));
            let mut text = format!("{} — {threshold} % {}", scope_text(scope).get(lang), T::Reached.get(lang));
            match scope {
                BudgetScope::Balance => {
                    let to = amount(alert, "topped_up_to", lang, currency);
                    let since = format::time_rfc3339(lang, tz, field(alert, "period"));
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
