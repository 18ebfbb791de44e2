//! Every parser we fuzz, as a function of raw bytes (the format of its
//! corpus files), so generated inputs and saved ones run the same code.

use antirelou_domain::SenderKey;
use antirelou_providers::form::WebhookForm;
use antirelou_providers::vonage::{self, ConcatAssembler, ConcatLimits, SignatureMethod};
use antirelou_providers::{plivo, twilio};

use super::corpus::fields;

pub const TWILIO_URL: &str = "https://sms.example.org/webhooks/twilio";
pub const TWILIO_TOKEN: &str = "fuzz-twilio-token";
pub const TWILIO_ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
pub const VONAGE_SECRET: &str = "fuzz-vonage-secret";
pub const VONAGE_KEY: &str = "abcd1234";
pub const VONAGE_NOW: i64 = 1_760_000_000;
pub const PLIVO_URL: &str = "https://sms.example.org/webhooks/plivo";
pub const PLIVO_TOKEN: &str = "fuzz-plivo-token";

/// A parser run on the raw bytes of one input.
pub type Parser = fn(&[u8]);

/// The parsers and their corpus folder names.
pub const PARSERS: [(&str, Parser); 10] = [
    ("twilio_form", twilio_form),
    ("twilio_signature", twilio_signature),
    ("vonage_query", vonage_query),
    ("vonage_form", vonage_form),
    ("vonage_json", vonage_json),
    ("vonage_concat", vonage_concat),
    ("plivo_form", plivo_form),
    ("plivo_signature", plivo_signature),
    ("vonage_voice", vonage_voice),
    ("plivo_voice", plivo_voice),
];

/// The same bytes as a Vonage answer query, an answer JSON body, an event
/// JSON body and a JWT (verified over themselves).
pub fn vonage_voice(input: &[u8]) {
    let _ = vonage::read_answer("GET", None, input, b"");
    let _ = vonage::read_answer("POST", Some("application/json"), b"", input);
    let _ = vonage::read_event(Some("application/json"), input);
    let token = String::from_utf8_lossy(input);
    let _ = vonage::jwt::verify(&token, VONAGE_SECRET, VONAGE_NOW, input, VONAGE_KEY);
    let _ = vonage::jwt::bearer_token(&token);
}

/// A Plivo voice form body: read as an answer request and as a hangup callback.
pub fn plivo_voice(input: &[u8]) {
    let Ok(form) = WebhookForm::parse(input) else { return };
    let _ = plivo::voice::read_call(&form);
    let _ = plivo::voice::read_hangup(&form);
}

/// A form body: parse, read leniently and strictly, verify with a header
/// signed over the parsed pairs (so the strict read runs).
pub fn twilio_form(input: &[u8]) {
    let Ok(form) = WebhookForm::parse(input) else { return };
    let _ = form.to_inbound();
    let _ = twilio::routed_number(&form);
    let header = twilio::signature(TWILIO_TOKEN, TWILIO_URL, form.pairs());
    let auth = twilio::WebhookAuth { account_sid: TWILIO_ACCOUNT, auth_token: TWILIO_TOKEN };
    let _ = twilio::inbound(&form, TWILIO_URL, &header, &auth);
}

/// `url \n header \n form body`: verify as given (URL variants included).
pub fn twilio_signature(input: &[u8]) {
    let parts = fields(input, 3);
    let url = String::from_utf8_lossy(parts[0]);
    let header = String::from_utf8_lossy(parts[1]);
    let Ok(form) = WebhookForm::parse(parts[2]) else { return };
    let _ = twilio::verify_signature(TWILIO_TOKEN, &url, form.pairs(), &header);
    let _ = twilio::signature(&header, &url, form.pairs());
}

fn vonage_read(form: &WebhookForm) {
    let _ = vonage::routed_number(form);
    let _ = vonage::inbound::read(form);
    for method in SignatureMethod::ALL {
        let mut pairs: Vec<(String, String)> = form.pairs().iter().filter(|(k, _)| k != "sig").cloned().collect();
        let sig = vonage::signature(method, VONAGE_SECRET, &pairs);
        pairs.push(("sig".to_owned(), sig));
        let auth =
            vonage::WebhookAuth { api_key: VONAGE_KEY, signature_secret: VONAGE_SECRET, signature_method: method };
        let _ = vonage::inbound(&WebhookForm::from_pairs(pairs), &auth, VONAGE_NOW);
        let _ = vonage::inbound(form, &auth, VONAGE_NOW);
    }
}

/// A GET query string.
pub fn vonage_query(input: &[u8]) {
    if let Ok(form) = vonage::parse_request("GET", None, input, b"") {
        vonage_read(&form);
    }
}

/// A POST form body.
pub fn vonage_form(input: &[u8]) {
    if let Ok(form) = vonage::parse_request("POST", Some("application/x-www-form-urlencoded"), b"", input) {
        vonage_read(&form);
    }
}

/// A POST JSON body.
pub fn vonage_json(input: &[u8]) {
    if let Ok(form) = vonage::parse_request("POST", Some("application/json"), b"", input) {
        vonage_read(&form);
    }
}

/// Operations, 6 bytes each: reference, total, part, message id, sender,
/// time step (ms × 16; a multiple of 5 also hands over overdue messages).
/// Small limits so eviction, expiry and hand-overs happen.
pub fn vonage_concat(input: &[u8]) {
    let limits = ConcatLimits {
        max_messages: 5,
        max_parts: 9,
        max_parts_per_number: 7,
        max_bytes: 9 * 200,
        max_parts_per_message: 6,
        ttl_ms: 2_000,
    };
    let mut assembler = ConcatAssembler::new(limits);
    let mut now_ms = 0u64;
    for op in input.chunks(6) {
        let byte = |i: usize| op.get(i).copied().unwrap_or(0);
        now_ms += u64::from(byte(5)) * 16;
        let total = byte(1) % 8;
        let part = vonage::ConcatPart {
            reference: format!("{}", byte(0) % 4),
            total: total.max(1),
            part: (byte(2) % 8).clamp(1, total.max(1)),
            sms: antirelou_providers::InboundSms {
                provider: antirelou_domain::ProviderKind::Vonage,
                message_id: format!("ID{}", byte(3) % 16),
                from: "+33612345678".to_owned(),
                to: "+33939000001".to_owned(),
                body: format!("p{}", byte(2)),
            },
        };
        let _ = assembler.accept(part, SenderKey::from_bytes([byte(4) % 3; 32]), now_ms);
        if byte(5) % 5 == 0 {
            for handed in assembler.overdue(now_ms, 500) {
                assert!(handed.message_id.starts_with("ID"), "handed over with a part's id");
            }
        }
        assert!(assembler.parts_held() <= limits.max_parts, "parts bound");
        assert!(assembler.bytes_held() <= limits.max_bytes, "bytes bound");
        assert!(assembler.messages_held() <= limits.max_messages, "messages bound");
    }
}

/// A POST form body, verified with a signature made over it.
pub fn plivo_form(input: &[u8]) {
    let Ok(form) = WebhookForm::parse(input) else { return };
    let _ = plivo::routed_number(&form);
    let _ = plivo::inbound::read(&form);
    let (signature, nonce) = plivo::emulate::signed_headers(PLIVO_URL, form.pairs(), "12345", PLIVO_TOKEN);
    let _ = plivo::inbound(&form, PLIVO_URL, &signature, &nonce, &plivo::WebhookAuth { auth_token: PLIVO_TOKEN });
}

/// `url \n header \n nonce \n form body`, as GET and POST.
pub fn plivo_signature(input: &[u8]) {
    let parts = fields(input, 4);
    let url = String::from_utf8_lossy(parts[0]);
    let header = String::from_utf8_lossy(parts[1]);
    let nonce = String::from_utf8_lossy(parts[2]);
    let Ok(form) = WebhookForm::parse(parts[3]) else { return };
    for method in [plivo::WebhookMethod::Get, plivo::WebhookMethod::Post] {
        let _ = plivo::verify_signature_v3(method, &url, form.pairs(), &nonce, PLIVO_TOKEN, &header);
        let _ = plivo::signature::signed_text(method, &url, form.pairs(), &nonce);
    }
}
