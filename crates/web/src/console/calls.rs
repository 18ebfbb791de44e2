//! The number page's calls: how the number answers a call (the message a
//! caller hears, about how long it lasts, the most an answered call costs)
//! and today's calls, answered and refused, as the ledger's day counters
//! hold them (the whole service's, like the messages).

use antirelou_domain::voice::spoken_seconds;
use antirelou_settings::VoiceSettings;
use maud::{html, Markup};

use super::format;
use super::i18n::{Lang, T};
use crate::routes::admin::reports::DayStats;

/// The calls section of a number with `voice` (or without: it says so).
pub fn section(lang: Lang, currency: &str, voice: Option<&VoiceSettings>, today: &DayStats) -> Markup {
    let (answered, refused) = today.calls_answered_and_refused();
    let count = |n: i64, words: T| words.count(lang, u64::try_from(n).unwrap_or(0));
    html! {
        section aria-labelledby="calls" {
            h2 #calls { (T::Calls.get(lang)) }
            @if let Some(voice) = voice {
                p { (T::CallsHear.get(lang)) }
                blockquote #call-message lang=(voice.language) { (voice.say) }
                dl.figures #call-figures {
                    dt { (T::CallLength.get(lang)) }
                    dd data-figure="call-seconds" { (T::CallSeconds.count(lang, u64::from(spoken_seconds(&voice.say)))) }
                    dt { (T::CallMostCost.get(lang)) }
                    dd data-figure="call-cost" { (format::money(lang, currency, voice.call_reservation)) }
                }
            } @else {
                p #no-voice { (T::NoVoice.get(lang)) }
            }
            h3 { (T::CallsToday.get(lang)) }
            p #calls-today {
                (count(answered, T::CallsAnswered)) ", " (count(refused, T::CallsRefused)) "."
            }
            p.hint { (T::CallsRefusedWhy.get(lang)) }
        }
    }
}
