//! Twilio Programmable Voice: the voice webhook of an incoming call, read
//! strictly and signed like an SMS webhook (`X-Twilio-Signature` over the
//! URL and the form), and the TwiML that answers it: `<Say>` then
//! `<Hangup/>`, or `<Reject reason="busy"/>` (a rejected call is not billed).

use antirelou_domain::ProviderKind;

use super::signature::verify_signature;
use super::twiml::push_escaped;
use super::WebhookAuth;
use crate::form::WebhookForm;
use crate::inbound::{is_e164, InboundCall};
use crate::reject::InboundError;

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

/// Fields Twilio sends at most once in a voice webhook: one of these twice is malformed.
pub const SINGLE_KEYS: [&str; 12] = [
    "CallSid",
    "AccountSid",
    "From",
    "To",
    "CallStatus",
    "ApiVersion",
    "Direction",
    "Caller",
    "Called",
    "ForwardedFrom",
    "CallerName",
    "ParentCallSid",
];

/// Verifies and reads one voice webhook: the signature
/// ([`InboundError::BadSignature`]), the fields ([`read_call`],
/// [`InboundError::Malformed`]), then the account
/// ([`InboundError::AccountMismatch`]).
pub fn inbound_call(
    form: &WebhookForm,
    signed_url: &str,
    signature_header: &str,
    auth: &WebhookAuth<'_>,
) -> Result<InboundCall, InboundError> {
    verify_signature(auth.auth_token, signed_url, form.pairs(), signature_header)
        .map_err(|_| InboundError::BadSignature)?;
    let (call, account_sid) = read_call(form)?;
    if account_sid != auth.account_sid {
        return Err(InboundError::AccountMismatch);
    }
    Ok(call)
}

/// Reads the fields strictly (no signature check), returning the call and
/// the `AccountSid`: no key of [`SINGLE_KEYS`] twice; `CallSid` is `CA`
/// then 32 lowercase hex digits; `AccountSid` and `From` are present and
/// not empty (`From` kept as given: an anonymous caller is for the engine
/// to answer `not_a_phone`); `To` is E.164.
pub fn read_call(form: &WebhookForm) -> Result<(InboundCall, &str), InboundError> {
    if let Some(key) = form.repeated_among(&SINGLE_KEYS) {
        return Err(InboundError::Malformed(key));
    }
    let call_sid = form.get("CallSid").filter(|sid| is_call_sid(sid)).ok_or(InboundError::Malformed("CallSid"))?;
    let non_empty = |key: &'static str| form.get(key).filter(|v| !v.is_empty()).ok_or(InboundError::Malformed(key));
    let account_sid = non_empty("AccountSid")?;
    let from = non_empty("From")?;
    let to = form.get("To").filter(|to| is_e164(to)).ok_or(InboundError::Malformed("To"))?;
    let call = InboundCall {
        provider: ProviderKind::Twilio,
        call_id: call_sid.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
    };
    Ok((call, account_sid))
}

/// `^CA[0-9a-f]{32}$`: the call ids Twilio issues.
pub fn is_call_sid(text: &str) -> bool {
    text.strip_prefix("CA")
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}

/// TwiML that answers a call: `text` said in `language`, then hung up.
pub fn twiml_say(text: &str, language: &str) -> String {
    let mut xml = String::with_capacity(XML_DECLARATION.len() + text.len() + language.len() + 64);
    xml.push_str(XML_DECLARATION);
    xml.push_str("<Response><Say language=\"");
    push_escaped(&mut xml, language);
    xml.push_str("\">");
    push_escaped(&mut xml, text);
    xml.push_str("</Say><Hangup /></Response>");
    xml
}

/// TwiML that refuses a call unanswered, as busy (not billed).
pub fn twiml_reject() -> String {
    format!(r#"{XML_DECLARATION}<Response><Reject reason="busy" /></Response>"#)
}

/// What a call answered with [`twiml_say`] (or the SDK's rendering) hears;
/// `None` for a rejected call.
pub fn twiml_said_text(xml: &str) -> Option<String> {
    let open = xml.find("<Say")?;
    let content = open + xml[open..].find('>')? + 1;
    let end = content + xml[content..].find("</Say>")?;
    Some(super::twiml::unescape(&xml[content..end]))
}

/// The form Twilio POSTs to a number's voice URL for an incoming call, in
/// Twilio's (alphabetical) field order; countries from the numbers, cities
/// empty. Encode with [`encode_form`](super::encode_form) and sign with
/// [`signature`](super::signature()).
pub fn voice_form(account_sid: &str, call_sid: &str, from: &str, to: &str) -> Vec<(String, String)> {
    let from_country = super::emulate::country_of(from);
    let to_country = super::emulate::country_of(to);
    [
        ("AccountSid", account_sid),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call_sid),
        ("CallStatus", "ringing"),
        ("Called", to),
        ("CalledCity", ""),
        ("CalledCountry", to_country.as_str()),
        ("CalledState", ""),
        ("CalledZip", ""),
        ("Caller", from),
        ("CallerCity", ""),
        ("CallerCountry", from_country.as_str()),
        ("CallerState", ""),
        ("CallerZip", ""),
        ("Direction", "inbound"),
        ("From", from),
        ("FromCity", ""),
        ("FromCountry", from_country.as_str()),
        ("FromState", ""),
        ("FromZip", ""),
        ("To", to),
        ("ToCity", ""),
        ("ToCountry", to_country.as_str()),
        ("ToState", ""),
        ("ToZip", ""),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value.to_owned()))
    .collect()
}

/// A fresh-looking CallSid: "CA" + 32 lowercase hex chars from `seed` (distinct seeds never collide).
pub fn call_sid_from(seed: u128) -> String {
    format!("CA{:032x}", crate::message_ids::mix(seed))
}

#[cfg(test)]
mod tests {
    use super::super::signature;
    use super::*;

    const URL: &str = "https://sms.example.org/webhooks/twilio/voice";
    const TOKEN: &str = "paris-auth-token";
    const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
    const AUTH: WebhookAuth<'static> = WebhookAuth { account_sid: ACCOUNT, auth_token: TOKEN };

    fn genuine() -> Vec<(String, String)> {
        voice_form(ACCOUNT, &call_sid_from(1), "+33612345678", "+33939000001")
    }

    #[test]
    fn a_signed_voice_webhook_becomes_an_inbound_call() {
        let pairs = genuine();
        let form = WebhookForm::from_pairs(pairs.clone());
        let call = inbound_call(&form, URL, &signature(TOKEN, URL, &pairs), &AUTH).expect("genuine");
        assert_eq!(
            (call.call_id.as_str(), call.from.as_str(), call.to.as_str()),
            (call_sid_from(1).as_str(), "+33612345678", "+33939000001")
        );
        assert_eq!(inbound_call(&form, URL, "", &AUTH), Err(InboundError::BadSignature));
        let lyon = WebhookAuth { account_sid: "AC99999999999999999999999999999999", ..AUTH };
        assert_eq!(inbound_call(&form, URL, &signature(TOKEN, URL, &pairs), &lyon), Err(InboundError::AccountMismatch));
    }

    #[test]
    fn call_sids_and_numbers_are_read_strictly() {
        assert!(is_call_sid(&call_sid_from(7)));
        for bad in ["CA1", "SM0123456789abcdef0123456789abcdef", "CA0123456789ABCDEF0123456789ABCDEF", ""] {
            assert!(!is_call_sid(bad), "{bad}");
        }
        let with = |key: &str, value: &str| {
            let pairs: Vec<_> =
                genuine().into_iter().map(|(k, v)| if k == key { (k, value.to_owned()) } else { (k, v) }).collect();
            read_call(&WebhookForm::from_pairs(pairs)).map(|(call, _)| call)
        };
        assert_eq!(with("CallSid", "CA1").unwrap_err(), InboundError::Malformed("CallSid"));
        assert_eq!(with("To", "33939000001").unwrap_err(), InboundError::Malformed("To"));
        assert_eq!(with("From", "").unwrap_err(), InboundError::Malformed("From"));
        assert_eq!(with("From", "anonymous").unwrap().from, "anonymous", "the engine answers not_a_phone");
        let mut doubled = genuine();
        doubled.push(("From".to_owned(), "+33700000000".to_owned()));
        assert_eq!(read_call(&WebhookForm::from_pairs(doubled)).unwrap_err(), InboundError::Malformed("From"));
    }

    #[test]
    fn an_answer_says_the_text_in_its_language_then_hangs_up() {
        assert_eq!(
            twiml_say("Non, c'est non & <stop>", "fr-FR"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say language=\"fr-FR\">Non, c&apos;est non &amp; &lt;stop&gt;</Say><Hangup /></Response>"
        );
        assert_eq!(
            twiml_said_text(&twiml_say("Non, c'est non & <stop>", "fr-FR")).as_deref(),
            Some("Non, c'est non & <stop>")
        );
        assert!(!twiml_say("</Say><Dial>+33600000000</Dial><Say>", "fr-FR").contains("<Dial>"));
    }

    #[test]
    fn a_refusal_rejects_as_busy_and_says_nothing() {
        assert_eq!(
            twiml_reject(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Reject reason=\"busy\" /></Response>"
        );
        assert_eq!(twiml_said_text(&twiml_reject()), None);
    }
}
