//! What `send` prints after the webhook's answer: the decision on a line of
//! its own, `decision: OUTCOME` (the outcome label of
//! `antirelou_inbound_total`, or of `antirelou_calls_total` for a call),
//! then a sentence for the sender's side: what they receive, now or maybe
//! later, and why not; for a call, what the caller hears or that the call
//! is rejected.

use antirelou_domain::voice::spoken_seconds;
use antirelou_domain::{segments, Outcome};
use antirelou_settings::{AllowedCountries, NumberSettings};

/// The lines for `outcome` of a message to `number`. `inline` is the reply
/// the webhook's answer carried (Twilio, Plivo); `None` for providers whose
/// replies leave through their send API (Vonage, OVHcloud) or when the
/// answer had none.
pub fn lines(outcome: Option<Outcome>, number: &NumberSettings, inline: Option<&str>, through_api: bool) -> String {
    let Some(outcome) = outcome else {
        let what = match inline {
            Some(reply) => format!("the sender receives this reply now {}:\n{reply}", reply_facts(reply)),
            None => "no reply now".to_owned(),
        };
        return format!(
            "decision: unknown (the server's /metrics did not answer; the decision is counted there in \
             antirelou_inbound_total)\n{what}\n"
        );
    };
    let sentence = match outcome {
        Outcome::Replied => {
            let reply = inline.unwrap_or(&number.reply);
            let how = if through_api { ", sent through the provider's API" } else { "" };
            format!("the sender receives this reply now {}{how}:\n{reply}", reply_facts(reply))
        }
        Outcome::Duplicate => match inline {
            Some(reply) => format!(
                "the provider sent this message before (same message id): answered as the first time, \
                 paid once:\n{reply}"
            ),
            None => "the provider sent this message before (same message id): answered as the first time, \
                     nothing more is paid"
                .to_owned(),
        },
        Outcome::Deferred => format!(
            "no reply now; judged within {}: the shield is on, and if the sender looks genuine and money is \
             left, the reply is sent later through the provider's API",
            duration(number.shield.defer_for_seconds)
        ),
        refused => format!("no reply: {}", refusal(refused, number, "sender")),
    };
    format!("decision: {outcome}\n{sentence}\n")
}

/// Why `outcome` (a refusal) gives the `who` (`sender` or `caller`) no answer.
fn refusal(outcome: Outcome, number: &NumberSettings, who: &str) -> String {
    match outcome {
        Outcome::Shielded if who == "caller" => {
            "the shield is on: a caller cannot be answered later, so no new one is while it is".to_owned()
        }
        Outcome::Shielded => format!(
            "the shield is on and this {who} will not be answered (judged a flooder, or too many {who}s are \
             already waiting)"
        ),
        Outcome::Replied | Outcome::Duplicate | Outcome::Deferred => format!("{who} answered ({outcome})"),
        Outcome::Paused => "the number is paused by its collective".to_owned(),
        Outcome::Blocked => format!("the {who} is on the collective's block list"),
        Outcome::OptedOut => format!("the {who} asked to receive nothing more (STOP)"),
        Outcome::NotAPhone => format!("the {who} is not a phone number (a name or a short code)"),
        Outcome::RepeatSender if who == "caller" => format!(
            "this caller already got an answer (a reply or an answered call), and gets at most one every {}",
            duration(number.reply_once_per_seconds)
        ),
        Outcome::RepeatSender => format!(
            "this sender already got the reply, and gets at most one every {}",
            duration(number.reply_once_per_seconds)
        ),
        Outcome::CountryNotAllowed => {
            format!("the number only answers {who}s from {} (allowed_countries)", countries(&number.allowed_countries))
        }
        Outcome::BudgetExhausted => "a cap or the prepaid balance would be crossed \
                                     (see antirelou ledger balances)"
            .to_owned(),
        Outcome::RateLimited => format!(
            "the number already sent its {} replies of this minute (max_replies_per_minute)",
            number.max_replies_per_minute
        ),
        Outcome::Overloaded => "the server was too busy to decide in time".to_owned(),
        Outcome::LedgerUnavailable => "the ledger did not answer, and nothing is paid without it".to_owned(),
    }
}

/// The lines for a call to `number` decided `label` (an outcome label of
/// `antirelou_calls_total`, `no_voice` included; `None` when unknown).
/// `said` is what the call heard (the TwiML's `<Say>`), `None` when it was
/// rejected.
pub fn call_lines(label: Option<&str>, number: &NumberSettings, said: Option<&str>) -> String {
    let sentence = match (said, label.and_then(Outcome::from_label)) {
        (Some(text), _) => {
            let seconds = spoken_seconds(text);
            let most = number.voice.as_ref().map_or_else(String::new, |voice| {
                format!(
                    ", hung up after {} s at most, {} reserved per answered call",
                    voice.max_seconds, voice.call_reservation
                )
            });
            format!("the caller hears this message (about {seconds} s{most}), then the call ends:\n{text}")
        }
        (None, Some(outcome)) => format!("{CALL_REJECTED}: {}", refusal(outcome, number, "caller")),
        (None, None) if label == Some(NO_VOICE) => {
            format!("{CALL_REJECTED}: the number has no voice, it answers no call")
        }
        (None, None) => CALL_REJECTED.to_owned(),
    };
    let label = label.unwrap_or(
        "unknown (the server did not say, and its /metrics did not answer; calls are counted in antirelou_calls_total)",
    );
    format!("decision: {label}\n{sentence}\n")
}

/// The `antirelou_calls_total` outcome of a call to a number without `voice`.
const NO_VOICE: &str = "no_voice";

const CALL_REJECTED: &str = "the call is rejected as busy, unanswered (the provider does not bill it)";

/// `(1 segment, GSM-7)`, `(3 segments, UCS-2)`.
fn reply_facts(reply: &str) -> String {
    let count = segments::count(reply);
    let plural = if count.segments == 1 { "" } else { "s" };
    format!("({} segment{plural}, {})", count.segments, count.encoding)
}

fn countries(allowed: &AllowedCountries) -> String {
    match allowed {
        AllowedCountries::Any => "anywhere".to_owned(),
        AllowedCountries::Only(list) => list.join(", "),
    }
}

/// `45 min`, `1 h 30 min`, `30 days`, `1 day`.
fn duration(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, (seconds % 86_400) / 3_600, (seconds % 3_600) / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (1, 0, 0) => "1 day".to_owned(),
        (d, 0, 0) => format!("{d} days"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration(45 * 60), "45 min");
        assert_eq!(duration(90 * 60), "1 h 30 min");
        assert_eq!(duration(3_600), "1 h");
        assert_eq!(duration(30 * 86_400), "30 days");
        assert_eq!(duration(86_400), "1 day");
        assert_eq!(duration(30), "30 s");
    }
}
