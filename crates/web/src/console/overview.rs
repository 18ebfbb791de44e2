//! `GET /console/`: every number the visitor may see, by tenant: its
//! health (`health.rs`), shield on or off, today's spend against each cap as bars, the
//! balance, and the last 24 hours as a chart.

use actix_web::{HttpRequest, HttpResponse};
use antirelou_domain::{Money, Periods};
use antirelou_ledger::{BudgetScope, Caps, SpendTotals, TotalsQuery};
use maud::{html, Markup};

use super::chart::HOURS;
use super::format;
use super::i18n::{Lang, T};
use super::PageState;
use super::{chart, layout, Visit};
use crate::routes::admin::health::number_health;
use crate::routes::admin::numbers::{number_views, NumberView};
use crate::state::AppState;
use antirelou_engine::health::NumberHealth;

/// The text of a budget scope.
pub fn scope_text(scope: BudgetScope) -> T {
    match scope {
        BudgetScope::NumberDaily => T::NumberDaily,
        BudgetScope::TenantMonthly => T::TenantMonthly,
        BudgetScope::DeploymentMonthly => T::DeploymentMonthly,
        BudgetScope::Balance => T::Balance,
    }
}

/// The budget scope whose code is `name` (`number_daily`, …).
pub fn scope_named(name: &str) -> Option<BudgetScope> {
    BudgetScope::ALL.into_iter().find(|s| s.as_str() == name)
}

/// What the number has spent in a cap's period.
pub fn spent(totals: &SpendTotals, scope: BudgetScope) -> Option<Money> {
    match scope {
        BudgetScope::NumberDaily => Some(totals.number_day),
        BudgetScope::TenantMonthly => Some(totals.tenant_month),
        BudgetScope::DeploymentMonthly => Some(totals.deployment_month),
        BudgetScope::Balance => None,
    }
}

/// Today's spend of one number against each of its caps, as bars.
pub fn cap_bars(lang: Lang, currency: &str, caps: &Caps, totals: &SpendTotals) -> Markup {
    html! {
        dl.caps {
            @for scope in BudgetScope::ALL {
                @if let Some(spent) = spent(totals, scope) {
                    dt { (scope_text(scope).get(lang)) }
                    dd {
                        @match caps.get(scope) {
                            Some(cap) => {
                                @let label = format!(
                                    "{} {} {}",
                                    format::money(lang, currency, spent),
                                    T::Of.get(lang),
                                    format::money(lang, currency, cap)
                                );
                                span.bar-line {
                                    (layout::bar(spent.micros(), cap.micros(), &label))
                                    " " span { (label) }
                                }
                            }
                            None => { (format::money(lang, currency, spent)) " (" (T::NoCap.get(lang)) ")" }
                        }
                    }
                }
            }
        }
    }
}

/// The state badges of a number: its health first (never "answering"
/// while it is failing), then its shield.
pub fn badges(lang: Lang, view: &NumberView, now_seconds: i64, health: &NumberHealth) -> Markup {
    let shield = view.shield_until_seconds.is_some_and(|until| until > now_seconds);
    html! {
        (super::health::state_badge(lang, health))
        " "
        span.badge.(if shield { "shield-on" } else { "shield-off" }) {
            (if shield { T::ShieldOn.get(lang) } else { T::ShieldOff.get(lang) })
        }
        @if let Some(scope) = view.budget_exhausted.as_deref().and_then(scope_named) {
            " "
            span.badge.exhausted { (T::BudgetExhausted.get(lang)) " " (scope_text(scope).get(lang).to_lowercase()) }
        }
    }
}

/// The ledger's totals of one number now.
pub async fn totals_of(state: &AppState, tenant: &str, number: &str) -> Option<SpendTotals> {
    let handle = state.registry.route(number)?;
    let periods = Periods::at(state.clock.now(), handle.policy.timezone);
    let query = TotalsQuery { tenant: tenant.to_owned(), number: number.to_owned(), periods };
    state.registry.ledger().totals(&query).await.ok()
}

pub async fn show(request: HttpRequest, state: PageState) -> HttpResponse {
    let Some(visit) = Visit::of(&request, &state).await else { return layout::to_sign_in() };
    let lang = visit.lang;
    let now = state.clock.now_seconds();
    let views = number_views(&state, visit.caller()).await;
    let mut sections = Vec::new();
    for tenant in &visit.tenants {
        let Ok((replies, partial)) = chart::replies_by_hour(&state, tenant, now).await else {
            return visit.unavailable(&request, T::LedgerUnavailable);
        };
        let mut cards = Vec::new();
        let mut balance = None;
        for view in views.iter().filter(|v| &v.tenant == tenant) {
            let Some(handle) = state.registry.route(&view.number) else { continue };
            let Some(totals) = totals_of(&state, tenant, &view.number).await else {
                return visit.unavailable(&request, T::LedgerUnavailable);
            };
            let Ok(health) = number_health(&state, &handle, &handle.policy, &totals, view.paused).await else {
                return visit.unavailable(&request, T::LedgerUnavailable);
            };
            balance = balance.or(totals.balance);
            let replied = replies.get(&view.number).copied().unwrap_or([0; HOURS]);
            cards.push(html! {
                article.number {
                    h3 { a href=(format!("/console/numbers/{}", view.number)) { (view.number) } }
                    p { (badges(lang, view, now, &health)) }
                    h4 { (T::SpendToday.get(lang)) }
                    (cap_bars(lang, &state.currency, &handle.policy.caps, &totals))
                    h4 { (T::Last24h.get(lang)) }
                    (chart::chart(lang, &replied))
                }
            });
        }
        sections.push(html! {
            section.tenant aria-labelledby=(format!("tenant-{tenant}")) {
                h2 #(format!("tenant-{tenant}")) { (T::Tenant.get(lang)) " " (tenant) }
                p.balance {
                    (T::Balance.get(lang)) " : "
                    @match balance {
                        Some(balance) => strong { (format::money(lang, &state.currency, balance)) },
                        None => (T::NoBalance.get(lang)),
                    }
                }
                @if partial { p.notice { (T::ChartPartial.get(lang)) } }
                @if cards.is_empty() { p { (T::NoNumbers.get(lang)) } }
                div.cards { @for card in cards { (card) } }
            }
        });
    }
    layout::page(&visit, T::Overview, html! { @for section in sections { (section) } })
}
