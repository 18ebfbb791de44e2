//! Twilio Programmable Voice: the status callback of an incoming call (the
//! number's "Call status changes" URL), signed like every Twilio webhook.
//! When the call ends Twilio POSTs the voice webhook's fields (`CallSid`,
//! `AccountSid`, `From`, `To`, `CallStatus`, `Direction`, …) plus
//! `CallDuration` (seconds, on `completed`), `Timestamp`, `CallbackSource`
//! (`call-progress-events`) and `SequenceNumber`. What the ledger needs of
//! it: which call, on which of our numbers (`To`), and how long it lasted.

use super::signature::verify_signature;
use super::voice::{is_call_sid, SINGLE_KEYS};
use super::WebhookAuth;
use crate::form::WebhookForm;
use crate::inbound::is_e164;
use crate::reject::InboundError;

/// The longest `CallDuration` read: a day. Twilio ends calls after 4 hours;
/// ours hang up after `max_seconds`. Longer is malformed.
pub const MAX_CALL_SECONDS: u32 = 86_400;

/// How a call ended, as far as its cost goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallEnd {
    /// `completed`: answered, then hung up after `seconds`.
    Completed { seconds: u32 },
    /// `busy`, `no-answer`, `failed`, `canceled`: never answered, not billed.
    Unanswered,
    /// `queued`, `initiated`, `ringing`, `answered`, `in-progress`: the call
    /// is not over (only sent when more events are asked for); nothing to settle.
    NotOver,
}

impl CallEnd {
    /// The billed seconds of a call that is over (0 when it was not answered).
    pub fn seconds(self) -> Option<u32> {
        match self {
            CallEnd::Completed { seconds } => Some(seconds),
            CallEnd::Unanswered => Some(0),
            CallEnd::NotOver => None,
        }
    }
}

/// A verified call status callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallStatusCallback {
    /// `CallSid`: the call id the ledger recorded the answered call under.
    pub call_id: String,
    /// `To`: our number (the callback of an incoming call).
    pub to: String,
    pub end: CallEnd,
}

/// Verifies and reads one call status callback: the signature
/// ([`InboundError::BadSignature`]), the fields ([`read_call_status`]),
/// then the account ([`InboundError::AccountMismatch`]).
pub fn call_status(
    form: &WebhookForm,
    signed_url: &str,
    signature_header: &str,
    auth: &WebhookAuth<'_>,
) -> Result<CallStatusCallback, InboundError> {
    verify_signature(auth.auth_token, signed_url, form.pairs(), signature_header)
        .map_err(|_| InboundError::BadSignature)?;
    let (callback, account_sid) = read_call_status(form)?;
    if account_sid != auth.account_sid {
        return Err(InboundError::AccountMismatch);
    }
    Ok(callback)
}

/// Reads the fields strictly (no signature check), returning the callback
/// and the `AccountSid`: no voice field twice, nor `CallDuration`;
/// `CallSid` a call SID; `To` E.164; `CallStatus` one of Twilio's; and on
/// `completed`, `CallDuration` digits up to [`MAX_CALL_SECONDS`].
pub fn read_call_status(form: &WebhookForm) -> Result<(CallStatusCallback, &str), InboundError> {
    if let Some(key) = form.repeated_among(&SINGLE_KEYS) {
        return Err(InboundError::Malformed(key));
    }
    if form.repeated_among(&["CallDuration"]).is_some() {
        return Err(InboundError::Malformed("CallDuration"));
    }
    let call_sid = form.get("CallSid").filter(|sid| is_call_sid(sid)).ok_or(InboundError::Malformed("CallSid"))?;
    let account_sid = form.get("AccountSid").filter(|v| !v.is_empty()).ok_or(InboundError::Malformed("AccountSid"))?;
    let to = form.get("To").filter(|to| is_e164(to)).ok_or(InboundError::Malformed("To"))?;
    let end = match form.get("CallStatus").ok_or(InboundError::Malformed("CallStatus"))? {
        "completed" => CallEnd::Completed { seconds: duration(form.get("CallDuration"))? },
        "busy" | "no-answer" | "failed" | "canceled" => CallEnd::Unanswered,
        "queued" | "initiated" | "ringing" | "answered" | "in-progress" => CallEnd::NotOver,
        _ => return Err(InboundError::Malformed("CallStatus")),
    };
    Ok((CallStatusCallback { call_id: call_sid.to_owned(), to: to.to_owned(), end }, account_sid))
}

/// `CallDuration`: 1 to 6 digits, at most [`MAX_CALL_SECONDS`].
fn duration(text: Option<&str>) -> Result<u32, InboundError> {
    text.filter(|t| (1..=6).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|t| t.parse::<u32>().ok())
        .filter(|seconds| *seconds <= MAX_CALL_SECONDS)
        .ok_or(InboundError::Malformed("CallDuration"))
}

/// The form Twilio POSTs to a number's call status URL when the incoming
/// call `call_sid` ends with `status` (`completed`, `busy`, …) after
/// `seconds` (sent only for `completed`), in Twilio's (alphabetical) field
/// order: the voice webhook's fields ([`voice_form`](super::voice_form))
/// plus `CallDuration`, `CallbackSource`, `SequenceNumber` and `Timestamp`.
pub fn call_status_form(
    account_sid: &str,
    call_sid: &str,
    from: &str,
    to: &str,
    status: &str,
    seconds: u32,
) -> Vec<(String, String)> {
    let mut form: Vec<(String, String)> = super::voice_form(account_sid, call_sid, from, to)
        .into_iter()
        .map(|(key, value)| if key == "CallStatus" { (key, status.to_owned()) } else { (key, value) })
        .collect();
    if status == "completed" {
        form.push(("CallDuration".to_owned(), seconds.to_string()));
    }
    form.push(("CallbackSource".to_owned(), "call-progress-events".to_owned()));
    form.push(("SequenceNumber".to_owned(), "0".to_owned()));
    form.push(("Timestamp".to_owned(), "Mon, 07 Dec 2026 12:00:14 +0000".to_owned()));
    form.sort_by(|a, b| a.0.cmp(&b.0));
    form
}

#[cfg(test)]
mod tests {
    use super::super::{call_sid_from, signature};
    use super::*;

    const URL: &str = "https://sms.example.org/webhooks/twilio/voice/status";
    const TOKEN: &str = "paris-auth-token";
    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
    const AUTH: WebhookAuth<'static> = WebhookAuth { account_sid: ACCOUNT, auth_token: TOKEN };

    fn form(status: &str, seconds: u32) -> Vec<(String, String)> {
        call_status_form(ACCOUNT, &call_sid_from(1), "+33700000001", "+33939000001", status, seconds)
    }

    fn read(pairs: Vec<(String, String)>) -> Result<CallStatusCallback, InboundError> {
        read_call_status(&WebhookForm::from_pairs(pairs)).map(|(callback, _)| callback)
    }

    #[test]
    fn a_signed_completed_call_says_how_long_it_lasted_on_which_number() {
        let pairs = form("completed", 14);
        let signed = WebhookForm::from_pairs(pairs.clone());
        let callback = call_status(&signed, URL, &signature(TOKEN, URL, &pairs), &AUTH).expect("genuine");
        assert_eq!(callback.call_id, call_sid_from(1));
        assert_eq!((callback.to.as_str(), callback.end), ("+33939000001", CallEnd::Completed { seconds: 14 }));
        assert_eq!(callback.end.seconds(), Some(14));
        assert_eq!(call_status(&signed, URL, "forged", &AUTH), Err(InboundError::BadSignature));
        let lyon = WebhookAuth { account_sid: "AC99999999999999999999999999999999", ..AUTH };
        assert_eq!(
            call_status(&signed, URL, &signature(TOKEN, URL, &pairs), &lyon),
            Err(InboundError::AccountMismatch)
        );
    }

    #[test]
    fn a_call_that_was_not_answered_lasted_nothing_and_one_not_over_is_not_settled() {
        for status in ["busy", "no-answer", "failed", "canceled"] {
            assert_eq!(read(form(status, 0)).unwrap().end.seconds(), Some(0), "{status}");
        }
        for status in ["ringing", "in-progress", "answered"] {
            assert_eq!(read(form(status, 0)).unwrap().end, CallEnd::NotOver, "{status}");
        }
        assert_eq!(read(form("lost", 0)).unwrap_err(), InboundError::Malformed("CallStatus"));
    }

    #[test]
    fn durations_are_read_strictly() {
        let with = |key: &str, value: &str| {
            read(
                form("completed", 14)
                    .into_iter()
                    .map(|(k, v)| if k == key { (k, value.to_owned()) } else { (k, v) })
                    .collect(),
            )
        };
        for bad in ["", "-1", "1.5", "86401", "9999999", "1e3", " 14"] {
            assert_eq!(with("CallDuration", bad).unwrap_err(), InboundError::Malformed("CallDuration"), "{bad:?}");
        }
        assert_eq!(with("CallDuration", "86400").unwrap().end, CallEnd::Completed { seconds: MAX_CALL_SECONDS });
        let missing: Vec<_> = form("completed", 14).into_iter().filter(|(k, _)| k != "CallDuration").collect();
        assert_eq!(read(missing).unwrap_err(), InboundError::Malformed("CallDuration"));
        let mut doubled = form("completed", 14);
        doubled.push(("CallDuration".to_owned(), "1".to_owned()));
        assert_eq!(read(doubled).unwrap_err(), InboundError::Malformed("CallDuration"));
        assert_eq!(with("To", "33939000001").unwrap_err(), InboundError::Malformed("To"));
        assert_eq!(with("CallSid", "CA1").unwrap_err(), InboundError::Malformed("CallSid"));
    }
}
