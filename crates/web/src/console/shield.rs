//! The number page while its shield is up: why (the trigger that fired,
//! in figures), what the service is doing now (who will be answered,
//! roughly when, the money left for today) and what the collective can do
//! (nothing, raise the cap, pause: links to the page's own controls), with
//! a link to the page "During an attack" (`attack.rs`).
//!
//! The figures are those of the shield's alert, kept in the ledger by the
//! replica that raised it (`Alert::shield_entered`: `cause`, new senders in
//! the minute, the hour and today, the ordinary hour, when the day's money
//! would be gone): the same page on every server.

use antirelou_domain::Money;
use antirelou_ledger::{BudgetScope, Caps, SpendTotals};
use maud::{html, Markup};

use super::format;
use super::i18n::{Arg, Lang, T};
use crate::state::AppState;

/// The route of the page "During an attack".
pub const ATTACK_PAGE: &str = "/console/during-an-attack";

/// The newest `shield_entered` alert of `number`, if the ledger keeps one.
pub async fn latest_alert(state: &AppState, tenant: &str, number: &str) -> Option<serde_json::Value> {
    let alerts = crate::routes::admin::reports::tenant_alerts(state, tenant).await.ok()?;
    alerts.into_iter().find(|alert| {
        alert.get("event").and_then(|v| v.as_str()) == Some("shield_entered")
            && alert.get("number").and_then(|v| v.as_str()) == Some(number)
    })
}

fn figure(alert: &serde_json::Value, key: &str) -> u64 {
    alert.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

/// Why the shield is up, in a sentence with its figures.
pub fn why(lang: Lang, tz: chrono_tz::Tz, alert: Option<&serde_json::Value>) -> String {
    let Some(alert) = alert else { return T::ShieldWhyUnknown.get(lang).to_owned() };
    let ordinary = Arg::Count(figure(alert, "ordinary_new_senders_per_hour"));
    match alert.get("cause").and_then(|v| v.as_str()) {
        Some("surge") => T::ShieldWhySurge.with(
            lang,
            &[
                ("new", Arg::Count(figure(alert, "new_senders_last_minute"))),
                ("messages", Arg::Count(figure(alert, "inbound_last_minute"))),
                ("ordinary", ordinary),
            ],
        ),
        Some("baseline") => T::ShieldWhyBaseline
            .with(lang, &[("new", Arg::Count(figure(alert, "new_senders_last_hour"))), ("ordinary", ordinary)]),
        Some("money") => {
            let gone = alert.get("money_gone_at").and_then(|v| v.as_str()).unwrap_or("");
            let time = chrono::DateTime::parse_from_rfc3339(gone)
                .map(|t| t.with_timezone(&tz).format("%H:%M").to_string())
                .unwrap_or_default();
            T::ShieldWhyMoney
                .with(lang, &[("today", Arg::Count(figure(alert, "new_senders_today"))), ("time", Arg::Text(&time))])
        }
        _ => T::ShieldWhyUnknown.get(lang).to_owned(),
    }
}

/// What is left to spend today: nothing when a budget is exhausted, else
/// the least of what each cap (and the prepaid balance) leaves; `None`
/// when nothing limits it.
pub fn money_left(caps: &Caps, totals: &SpendTotals, exhausted: bool) -> Option<Money> {
    if exhausted {
        return Some(Money::ZERO);
    }
    BudgetScope::ALL.into_iter().filter_map(|scope| totals.remaining(caps, scope)).min()
}

/// What the page needs to explain a shield.
pub struct Explained<'a> {
    pub alert: Option<&'a serde_json::Value>,
    pub money_left: Option<Money>,
    pub pace_percent: u32,
    pub paused: bool,
}

/// The section of the number page, shown while the shield is up.
pub fn section(lang: Lang, tz: chrono_tz::Tz, currency: &str, shield: &Explained<'_>) -> Markup {
    let left = shield.money_left.map(|m| format::money(lang, currency, m));
    html! {
        section #shield aria-labelledby="shield-why" {
            h2 #shield-why { (T::ShieldWhy.get(lang)) }
            p #shield-trigger-figures { (why(lang, tz, shield.alert)) }
            h3 { (T::ShieldNow.get(lang)) }
            ul {
                li { (T::ShieldNowWho.get(lang)) }
                li { (T::ShieldNowWhen.get(lang)) }
                li { (T::ShieldNowPace.with(lang, &[("percent", Arg::Count(shield.pace_percent.into()))])) }
                li #shield-money-left {
                    @match &left {
                        Some(left) => (T::ShieldMoneyLeft.with(lang, &[("money", Arg::Text(left))])),
                        None => (T::ShieldNoCap.get(lang)),
                    }
                }
            }
            h3 { (T::ShieldDo.get(lang)) }
            ul {
                li { (T::ShieldDoNothing.get(lang)) }
                li { a href="#daily-cap" { (T::ShieldDoRaiseCap.get(lang)) } (T::Colon.get(lang)) (T::ShieldDoRaiseCapWhy.get(lang)) }
                @if !shield.paused {
                    li { a href="#pause-button" { (T::ShieldDoPause.get(lang)) } (T::Colon.get(lang)) (T::ShieldDoPauseWhy.get(lang)) }
                }
            }
            p { a #attack-help href=(ATTACK_PAGE) { (T::AttackHelpLink.get(lang)) } }
        }
    }
}
