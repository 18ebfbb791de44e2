//! Plivo Voice: the answer request of an incoming call (a `POST` form to
//! the application's `answer_url`: `CallUUID`, `From`, `To`, …) and its
//! hangup callback (to the `hangup_url`: the same with `Duration` and
//! `BillDuration`), both signed with `X-Plivo-Signature-V3` like message
//! webhooks; and the Plivo XML that answers: `<Speak>` then `<Hangup/>`, or
//! `<Hangup reason="busy"/>` first, which ends the call before it is
//! answered (Plivo bills answered calls only).
//!
//! Rendered like the official SDK's `plivoxml.ResponseElement` with a
//! `SpeakElement(text, language=…)` and a `HangupElement()`.

use antirelou_domain::ProviderKind;

use super::inbound::{is_uuid, routed_number, WebhookAuth};
use super::signature::{signature_v3, verify_signature_v3, WebhookMethod};
use crate::form::WebhookForm;
use crate::inbound::{sender_with_plus, InboundCall};
use crate::message_ids::mix;
use crate::reject::InboundError;
use crate::twilio::twiml::{push_escaped, unescape};

/// Hangup statuses (`CallStatus`) counted by name; any other is counted as `other`.
pub const HANGUP_STATUSES: [&str; 6] = ["completed", "busy", "failed", "timeout", "no-answer", "cancel"];

/// One hangup callback: the call and how long it lasted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HangupCallback {
    /// `CallUUID`: the call id of its ledger entry.
    pub call_uuid: String,
    /// `CallStatus`: one of [`HANGUP_STATUSES`], or `other`.
    pub status: &'static str,
    /// `Duration`: seconds from answer to hangup (0 for an unanswered call).
    pub duration_seconds: u32,
    /// `BillDuration`: the seconds Plivo bills.
    pub bill_duration_seconds: u32,
}

/// Verifies (`X-Plivo-Signature-V3` over `signed_url` and the form:
/// [`InboundError::BadSignature`]) and reads ([`read_call`]) an answer request.
pub fn inbound_call(
    form: &WebhookForm,
    signed_url: &str,
    signature_header: &str,
    nonce_header: &str,
    auth: &WebhookAuth<'_>,
) -> Result<InboundCall, InboundError> {
    verify(form, signed_url, signature_header, nonce_header, auth)?;
    read_call(form)
}

/// Verifies and reads ([`read_hangup`]) a hangup callback.
pub fn hangup_callback(
    form: &WebhookForm,
    signed_url: &str,
    signature_header: &str,
    nonce_header: &str,
    auth: &WebhookAuth<'_>,
) -> Result<HangupCallback, InboundError> {
    verify(form, signed_url, signature_header, nonce_header, auth)?;
    read_hangup(form)
}

fn verify(
    form: &WebhookForm,
    url: &str,
    signature: &str,
    nonce: &str,
    auth: &WebhookAuth<'_>,
) -> Result<(), InboundError> {
    verify_signature_v3(WebhookMethod::Post, url, form.pairs(), nonce, auth.auth_token, signature)
        .map_err(|_| InboundError::BadSignature)
}

/// Reads an answer request strictly (no signature check): no parameter
/// twice; `CallUUID` a UUID; `From` not empty (`+` added when its digits
/// are E.164, otherwise kept for the engine to answer `not_a_phone`); `To`
/// E.164 once `+` is added.
pub fn read_call(form: &WebhookForm) -> Result<InboundCall, InboundError> {
    if form.any_repeated().is_some() {
        return Err(InboundError::Malformed("repeated parameter"));
    }
    let call_uuid = form.get("CallUUID").filter(|id| is_uuid(id)).ok_or(InboundError::Malformed("CallUUID"))?;
    let from = form.get("From").filter(|from| !from.is_empty()).ok_or(InboundError::Malformed("From"))?;
    let to = routed_number(form)?;
    Ok(InboundCall { provider: ProviderKind::Plivo, call_id: call_uuid.to_owned(), from: sender_with_plus(from), to })
}

/// Reads a hangup callback strictly: no parameter twice; `CallUUID` a
/// UUID; `Duration` and `BillDuration` whole seconds; `CallStatus` as given.
pub fn read_hangup(form: &WebhookForm) -> Result<HangupCallback, InboundError> {
    if form.any_repeated().is_some() {
        return Err(InboundError::Malformed("repeated parameter"));
    }
    let call_uuid = form.get("CallUUID").filter(|id| is_uuid(id)).ok_or(InboundError::Malformed("CallUUID"))?;
    let seconds = |key: &'static str| {
        form.get(key)
            .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|text| text.parse::<u32>().ok())
            .ok_or(InboundError::Malformed(key))
    };
    let status = form.get("CallStatus").unwrap_or_default();
    Ok(HangupCallback {
        call_uuid: call_uuid.to_owned(),
        status: HANGUP_STATUSES.into_iter().find(|known| *known == status).unwrap_or("other"),
        duration_seconds: seconds("Duration")?,
        bill_duration_seconds: seconds("BillDuration")?,
    })
}

/// Plivo XML that answers a call: `text` said in `language`, then hung up.
pub fn xml_speak(text: &str, language: &str) -> String {
    let mut xml = String::with_capacity(64 + text.len() + language.len());
    xml.push_str("<Response><Speak language=\"");
    push_escaped(&mut xml, language);
    xml.push_str("\">");
    push_escaped(&mut xml, text);
    xml.push_str("</Speak><Hangup/></Response>");
    xml
}

/// Plivo XML that ends a call before it is answered, as busy.
pub fn xml_refuse() -> String {
    r#"<Response><Hangup reason="busy"/></Response>"#.to_owned()
}

/// What a call answered with [`xml_speak`] (or the SDK's rendering) hears;
/// `None` when the XML has no `<Speak>`.
pub fn xml_said_text(xml: &str) -> Option<String> {
    let open = xml.find("<Speak")?;
    let content = open + xml[open..].find('>')? + 1;
    let end = content + xml[content..].find("</Speak>")?;
    Some(unescape(&xml[content..end]))
}

/// The form Plivo POSTs to the `answer_url` for an incoming call, numbers
/// without `+`. Sign it with [`signed_headers`](super::emulate::signed_headers).
pub fn answer_form(from: &str, to: &str, call_uuid: &str) -> Vec<(String, String)> {
    pairs(&[
        ("From", from.trim_start_matches('+')),
        ("To", to.trim_start_matches('+')),
        ("CallUUID", call_uuid),
        ("Direction", "inbound"),
        ("CallStatus", "ringing"),
        ("Event", "StartApp"),
        ("CallerName", ""),
        ("BillRate", "0.00850"),
        ("ALegUUID", call_uuid),
        ("ALegRequestUUID", call_uuid),
        ("STIRAttestation", "Not Applicable"),
    ])
}

/// The form Plivo POSTs to the `hangup_url` when the call ends.
pub fn hangup_form(from: &str, to: &str, call_uuid: &str, duration: u32, bill_duration: u32) -> Vec<(String, String)> {
    let (duration, bill_duration) = (duration.to_string(), bill_duration.to_string());
    pairs(&[
        ("From", from.trim_start_matches('+')),
        ("To", to.trim_start_matches('+')),
        ("CallUUID", call_uuid),
        ("Direction", "inbound"),
        ("CallStatus", "completed"),
        ("Event", "Hangup"),
        ("Duration", &duration),
        ("BillDuration", &bill_duration),
        ("BillRate", "0.00850"),
        ("HangupCause", "NORMAL_CLEARING"),
        ("HangupSource", "Plivo"),
        ("ALegUUID", call_uuid),
    ])
}

/// A fresh-looking `CallUUID` (lowercase UUID), distinct for distinct seeds.
pub fn call_uuid_from(seed: u128) -> String {
    let x = mix(seed ^ (1 << 127));
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        x >> 96,
        (x >> 80) & 0xffff,
        (x >> 64) & 0xffff,
        (x >> 48) & 0xffff,
        x & 0xffff_ffff_ffff
    )
}

/// `signature_v3` for a POST of `form` to `url` (the emulators sign with it).
pub fn sign(url: &str, form: &[(String, String)], nonce: &str, auth_token: &str) -> String {
    signature_v3(WebhookMethod::Post, url, form, nonce, auth_token).unwrap_or_default()
}

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(key, value)| ((*key).to_owned(), (*value).to_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://sms.example.org/webhooks/plivo/voice";
    const TOKEN: &str = "plivo-auth-token";
    const AUTH: WebhookAuth<'static> = WebhookAuth { auth_token: TOKEN };

    fn signed(form: &[(String, String)], url: &str) -> (String, String) {
        (sign(url, form, "12345678901234567890", TOKEN), "12345678901234567890".to_owned())
    }

    #[test]
    fn a_signed_answer_request_becomes_an_inbound_call() {
        let form = answer_form("+33612345678", "+33939000001", &call_uuid_from(1));
        let (signature, nonce) = signed(&form, URL);
        let call =
            inbound_call(&WebhookForm::from_pairs(form.clone()), URL, &signature, &nonce, &AUTH).expect("genuine");
        assert_eq!(
            (call.call_id.as_str(), call.from.as_str(), call.to.as_str(), call.provider),
            (call_uuid_from(1).as_str(), "+33612345678", "+33939000001", ProviderKind::Plivo)
        );
        let forms = WebhookForm::from_pairs(form);
        assert_eq!(inbound_call(&forms, URL, "", &nonce, &AUTH), Err(InboundError::BadSignature));
        assert_eq!(
            inbound_call(&forms, URL, &signature, &nonce, &WebhookAuth { auth_token: "lyon" }),
            Err(InboundError::BadSignature)
        );
        assert_eq!(
            inbound_call(&forms, &format!("{URL}/hangup"), &signature, &nonce, &AUTH),
            Err(InboundError::BadSignature)
        );
    }

    #[test]
    fn answer_fields_are_read_strictly() {
        let with = |key: &str, value: &str| {
            let form: Vec<_> = answer_form("+33612345678", "+33939000001", &call_uuid_from(2))
                .into_iter()
                .map(|(k, v)| if k == key { (k, value.to_owned()) } else { (k, v) })
                .collect();
            read_call(&WebhookForm::from_pairs(form))
        };
        assert_eq!(with("CallUUID", "abc"), Err(InboundError::Malformed("CallUUID")));
        assert_eq!(with("From", ""), Err(InboundError::Malformed("From")));
        assert_eq!(with("To", "0612"), Err(InboundError::Malformed("To")));
        assert_eq!(with("From", "anonymous").unwrap().from, "anonymous", "the engine answers not_a_phone");
        let mut doubled = answer_form("+33612345678", "+33939000001", &call_uuid_from(2));
        doubled.push(("From".to_owned(), "33700000000".to_owned()));
        assert_eq!(read_call(&WebhookForm::from_pairs(doubled)), Err(InboundError::Malformed("repeated parameter")));
    }

    #[test]
    fn a_hangup_callback_carries_the_durations() {
        let url = format!("{URL}/hangup");
        let form = hangup_form("+33612345678", "+33939000001", &call_uuid_from(3), 17, 17);
        let (signature, nonce) = signed(&form, &url);
        let hangup = hangup_callback(&WebhookForm::from_pairs(form.clone()), &url, &signature, &nonce, &AUTH).unwrap();
        assert_eq!(
            hangup,
            HangupCallback {
                call_uuid: call_uuid_from(3),
                status: "completed",
                duration_seconds: 17,
                bill_duration_seconds: 17
            }
        );
        for (key, bad) in [("Duration", ""), ("Duration", "-3"), ("BillDuration", "1.5")] {
            let form: Vec<_> = form
                .iter()
                .map(|(k, v)| if k == key { (k.clone(), bad.to_owned()) } else { (k.clone(), v.clone()) })
                .collect();
            assert_eq!(read_hangup(&WebhookForm::from_pairs(form)), Err(InboundError::Malformed(key)), "{key}={bad}");
        }
    }

    #[test]
    fn an_answer_speaks_then_hangs_up_and_a_refusal_hangs_up_first_as_busy() {
        assert_eq!(
            xml_speak("Non, c'est non & <stop>", "fr-FR"),
            "<Response><Speak language=\"fr-FR\">Non, c&apos;est non &amp; &lt;stop&gt;</Speak><Hangup/></Response>"
        );
        assert_eq!(xml_said_text(&xml_speak("Non & <stop>", "fr-FR")).as_deref(), Some("Non & <stop>"));
        assert_eq!(xml_refuse(), r#"<Response><Hangup reason="busy"/></Response>"#);
        assert_eq!(xml_said_text(&xml_refuse()), None);
    }
}
