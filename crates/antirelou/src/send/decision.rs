//! What `send` prints after the webhook's answer: the decision on a line of
//! its own, `decision: OUTCOME` (the outcome label of
//! `antirelou_inbound_total`), then a sentence for the sender's side: what
//! they receive, now or maybe later, and why not.

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
        Outcome::Shielded => "no reply: the shield is on and this sender will not be answered \
                              (judged a flooder, or too many senders are already waiting)"
            .to_owned(),
        Outcome::Paused => "no reply: the number is paused by its collective".to_owned(),
        Outcome::Blocked => "no reply: the sender is on the collective's block list".to_owned(),
        Outcome::OptedOut => "no reply: the sender asked to receive nothing more (STOP)".to_owned(),
        Outcome::NotAPhone => "no reply: the sender is not a phone number (a name or a short code)".to_owned(),
        Outcome::RepeatSender => format!(
            "no reply: this sender already got the reply, and gets at most one every {}",
            duration(number.reply_once_per_seconds)
        ),
        Outcome::CountryNotAllowed => format!(
            "no reply: the number only answers senders from {} (allowed_countries)",
            countries(&number.allowed_countries)
        ),
        Outcome::BudgetExhausted => "no reply: a cap or the prepaid balance would be crossed \
                                     (see antirelou ledger balances)"
            .to_owned(),
        Outcome::RateLimited => format!(
            "no reply: the number already sent its {} replies of this minute (max_replies_per_minute)",
            number.max_replies_per_minute
        ),
        Outcome::Overloaded => "no reply: the server was too busy to decide in time".to_owned(),
        Outcome::LedgerUnavailable => "no reply: the ledger did not answer, and nothing is paid without it".to_owned(),
    };
    format!("decision: {outcome}\n{sentence}\n")
}

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
