//! A number's health on the console: the badge of its state (never
//! "answering" while it is failing) on the overview and the number's page,
//! and on the number's page what is wrong, since when, and what to do.
//! The health itself is the API's (`routes::admin::health`), the same on
//! every server.

use antirelou_engine::health::{HealthState, NumberHealth};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::{html, Markup};

use super::i18n::{Lang, T};
use crate::routes::admin::health::HealthView;

/// The word of a state.
fn state_word(state: HealthState) -> T {
    match state {
        HealthState::Answering => T::Answering,
        HealthState::Shielded => T::HealthShielded,
        HealthState::Paused => T::Paused,
        HealthState::OutOfMoney => T::HealthOutOfMoney,
        HealthState::Failing => T::HealthFailing,
    }
}

/// The badge of a number's state (`health-failing` is red).
pub fn state_badge(lang: Lang, health: &NumberHealth) -> Markup {
    html! {
        span.badge.(format!("health-{}", health.state.as_str())) data-health=(health.state.as_str()) {
            (state_word(health.state).get(lang))
        }
    }
}

/// An instant in the ledger's timezone, day and time.
pub fn local(at_micros: i64, timezone: Tz) -> String {
    DateTime::<Utc>::from_timestamp_micros(at_micros)
        .map(|t| t.with_timezone(&timezone).format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default()
}

/// What the number page says of the number's health: the state since
/// when, each reason in words (what is wrong, what to do).
pub fn section(lang: Lang, health: &NumberHealth, view: &HealthView, timezone: Tz) -> Markup {
    let failing = health.state == HealthState::Failing;
    html! {
        section #health aria-labelledby="health-title" .(if failing { "notice error" } else { "" }) {
            h2 #health-title { (T::HealthTitle.get(lang)) }
            p {
                (state_badge(lang, health)) " "
                (T::HealthSince.get(lang)) " " (local(health.since_micros, timezone))
            }
            @if !view.reasons.is_empty() {
                ul.reasons {
                    @for reason in &view.reasons {
                        li data-reason=(reason.code) { (reason.text) }
                    }
                }
            }
        }
    }
}
