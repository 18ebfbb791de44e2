//! Structure-aware fuzzing of every inbound parser, on stable Rust with
//! `proptest`: valid webhooks of each provider with mutated fields, moved
//! key/value boundaries (re-splits), repeated keys, odd percent-encoding,
//! huge values and arbitrary Unicode. No input may panic; one that does is
//! saved under `tests/fuzz-corpus/<parser>/` and the test fails. Every saved
//! input is replayed. Bounded: a few hundred cases per parser, seconds.

mod fuzz {
    pub mod corpus;
    pub mod parsers;
}

use antirelou_providers::form::{encode_form, WebhookForm};
use antirelou_providers::vonage::{self, SignatureMethod};
use antirelou_providers::{is_e164, plivo, twilio, InboundError};
use proptest::prelude::*;
use proptest::test_runner::Config;

use fuzz::corpus;
use fuzz::parsers::{self, *};

/// Cases per property: enough to cover every mutation kind many times,
/// small enough to run in seconds in a debug build.
const CASES: u32 = 256;

fn config() -> Config {
    Config { cases: CASES, failure_persistence: None, ..Config::default() }
}

/// One change to a webhook's pairs or to its encoded bytes.
#[derive(Clone, Debug)]
enum Mutation {
    SetValue(usize, String),
    SetKey(usize, String),
    /// Moves the boundary between pair `i`'s value and pair `i + 1`'s key by
    /// `shift` bytes (positive: the value takes the start of the next key).
    Resplit(usize, i8),
    Duplicate(usize),
    Remove(usize),
    Huge(usize, usize),
    RawInsert(usize, Vec<u8>),
    Truncate(usize),
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[+0-9]{0,20}", "(%[0-9A-Fa-fZz]{0,2}|[&=+]|é|😀|\\\\u0000)*", "[a-zA-Z0-9-]{0,40}",]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), text()).prop_map(|(i, v)| Mutation::SetValue(i, v)),
        (any::<usize>(), text()).prop_map(|(i, k)| Mutation::SetKey(i, k)),
        (any::<usize>(), any::<i8>()).prop_map(|(i, s)| Mutation::Resplit(i, s)),
        any::<usize>().prop_map(Mutation::Duplicate),
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), 0usize..200_000).prop_map(|(i, n)| Mutation::Huge(i, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 0..8)).prop_map(|(i, b)| Mutation::RawInsert(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(mutation(), 0..4)
}

/// Applies pair mutations, encodes, then applies byte mutations.
fn apply(mut pairs: Vec<(String, String)>, mutations: &[Mutation]) -> Vec<u8> {
    let mut raw: Vec<(usize, Vec<u8>)> = Vec::new();
    let mut truncate = None;
    for mutation in mutations {
        let len = pairs.len().max(1);
        match mutation.clone() {
            Mutation::SetValue(i, v) if !pairs.is_empty() => pairs[i % len].1 = v,
            Mutation::SetKey(i, k) if !pairs.is_empty() => pairs[i % len].0 = k,
            Mutation::Resplit(i, shift) if pairs.len() > 1 => resplit(&mut pairs, i % (len - 1), shift),
            Mutation::Duplicate(i) if !pairs.is_empty() => {
                let pair = pairs[i % len].clone();
                pairs.push(pair);
            }
            Mutation::Remove(i) if !pairs.is_empty() => {
                pairs.remove(i % len);
            }
            Mutation::Huge(i, n) if !pairs.is_empty() => pairs[i % len].1 = "9".repeat(n),
            Mutation::RawInsert(at, bytes) => raw.push((at, bytes)),
            Mutation::Truncate(at) => truncate = Some(at),
            _ => {}
        }
    }
    let mut bytes = encode_form(&pairs).into_bytes();
    for (at, insert) in raw {
        let at = at % (bytes.len() + 1);
        bytes.splice(at..at, insert);
    }
    if let Some(at) = truncate {
        bytes.truncate(at % (bytes.len() + 1));
    }
    bytes
}

/// Moves the boundary between `pairs[i].1` and `pairs[i + 1].0`, on char boundaries.
fn resplit(pairs: &mut [(String, String)], i: usize, shift: i8) {
    let moved = usize::from(shift.unsigned_abs());
    if shift > 0 {
        let key = &pairs[i + 1].0;
        let cut = key.char_indices().map(|(at, _)| at).chain([key.len()]).take(moved + 1).last().unwrap_or(0);
        let head = key[..cut].to_owned();
        pairs[i + 1].0 = key[cut..].to_owned();
        pairs[i].1.push_str(&head);
    } else {
        let value = &pairs[i].1;
        let starts: Vec<usize> = value.char_indices().map(|(at, _)| at).collect();
        let cut = starts.len().saturating_sub(moved);
        let cut = starts.get(cut).copied().unwrap_or(value.len());
        let tail = value[cut..].to_owned();
        pairs[i].1.truncate(cut);
        pairs[i + 1].0.insert_str(0, &tail);
    }
}

fn twilio_pairs(seed: u128, body: &str) -> Vec<(String, String)> {
    twilio::inbound_form(TWILIO_ACCOUNT, &twilio::message_sid_from(seed), "+33612345678", "+33939000001", body)
}

fn vonage_pairs(method: SignatureMethod, seed: u128, body: &str) -> Vec<(String, String)> {
    let id = vonage::emulate::message_id_from(seed);
    let nonce = vonage::emulate::nonce_from(seed);
    let sms = vonage::emulate::EmulatedSms {
        api_key: VONAGE_KEY,
        message_id: &id,
        from: "+33612345678",
        to: "+33939000001",
        text: body,
        timestamp: VONAGE_NOW,
        nonce: &nonce,
    };
    vonage::emulate::signed_params(&sms, method, VONAGE_SECRET)
}

fn plivo_pairs(seed: u128, body: &str) -> Vec<(String, String)> {
    plivo::emulate::inbound_form("+33612345678", "+33939000001", body, &plivo::emulate::message_uuid_from(seed))
}

fn method() -> impl Strategy<Value = SignatureMethod> {
    prop::sample::select(SignatureMethod::ALL.to_vec())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn twilio_form_never_panics_on_mutated_webhooks(seed: u128, body in text(), mutations in mutations()) {
        let input = apply(twilio_pairs(seed, &body), &mutations);
        prop_assert_eq!(corpus::run("twilio_form", &input, parsers::twilio_form), Ok(()));
    }

    #[test]
    fn twilio_signature_never_panics_on_odd_urls_and_headers(url in text(), header in text(), seed: u128, mutations in mutations()) {
        let body = apply(twilio_pairs(seed, "x"), &mutations);
        let input = [url.replace('\n', "").as_bytes(), b"\n", header.replace('\n', "").as_bytes(), b"\n", &body].concat();
        prop_assert_eq!(corpus::run("twilio_signature", &input, parsers::twilio_signature), Ok(()));
    }

    #[test]
    fn a_re_split_twilio_webhook_never_yields_a_new_payable_message(seed: u128, body in text(), splits in prop::collection::vec((any::<usize>(), any::<i8>()), 1..3)) {
        let auth = twilio::WebhookAuth { account_sid: TWILIO_ACCOUNT, auth_token: TWILIO_TOKEN };
        let mut original = twilio_pairs(seed, &body);
        original.sort();
        let header = twilio::signature(TWILIO_TOKEN, TWILIO_URL, &original);
        let genuine = twilio::inbound(&WebhookForm::from_pairs(original.clone()), TWILIO_URL, &header, &auth).expect("genuine");
        let mut pairs = original.clone();
        for (i, shift) in splits {
            let at = i % (pairs.len() - 1);
            resplit(&mut pairs, at, shift);
        }
        let form = WebhookForm::from_pairs(pairs);
        if let Ok(sms) = twilio::inbound(&form, TWILIO_URL, &header, &auth) {
            prop_assert_eq!(&sms.message_id, &genuine.message_id, "the same message: a duplicate");
            prop_assert_eq!(&sms.to, &genuine.to);
            prop_assert!(sms.from == genuine.from || !is_e164(&sms.from), "a new sender is never a phone number");
        }
    }

    #[test]
    fn vonage_get_post_and_json_never_panic_on_mutated_webhooks(method in method(), seed: u128, body in text(), mutations in mutations()) {
        let input = apply(vonage_pairs(method, seed, &body), &mutations);
        prop_assert_eq!(corpus::run("vonage_query", &input, parsers::vonage_query), Ok(()));
        prop_assert_eq!(corpus::run("vonage_form", &input, parsers::vonage_form), Ok(()));
        let json = WebhookForm::parse(&input).map(|form| vonage::emulate::to_json(form.pairs())).unwrap_or_default();
        prop_assert_eq!(corpus::run("vonage_json", json.as_bytes(), parsers::vonage_json), Ok(()));
    }

    #[test]
    fn vonage_json_never_panics_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..512)) {
        prop_assert_eq!(corpus::run("vonage_json", &input, parsers::vonage_json), Ok(()));
    }

    #[test]
    fn a_valid_vonage_webhook_survives_any_encoding_and_a_mutated_one_is_never_misread(method in method(), seed: u128, body in text(), value in text()) {
        let auth = vonage::WebhookAuth { api_key: VONAGE_KEY, signature_secret: VONAGE_SECRET, signature_method: method };
        let pairs = vonage_pairs(method, seed, &body);
        let form = WebhookForm::parse(encode_form(&pairs).as_bytes()).expect("our encoding parses");
        prop_assert!(vonage::inbound(&form, &auth, VONAGE_NOW).is_ok());
        let json = vonage::parse_json(vonage::emulate::to_json(&pairs).as_bytes()).expect("our JSON parses");
        prop_assert!(vonage::inbound(&json, &auth, VONAGE_NOW).is_ok());
        let mut tampered = pairs.clone();
        if let Some(text) = tampered.iter_mut().find(|(k, _)| k == "text") {
            if text.1.replace(['&', '='], "_") != value.replace(['&', '='], "_") {
                text.1 = value;
                let form = WebhookForm::from_pairs(tampered);
                prop_assert_eq!(vonage::inbound(&form, &auth, VONAGE_NOW), Err(InboundError::BadSignature));
            }
        }
    }

    #[test]
    fn the_concat_assembler_never_panics_and_stays_bounded(ops in prop::collection::vec(any::<u8>(), 0..600)) {
        prop_assert_eq!(corpus::run("vonage_concat", &ops, parsers::vonage_concat), Ok(()));
    }

    #[test]
    fn plivo_form_never_panics_on_mutated_webhooks(seed: u128, body in text(), mutations in mutations()) {
        let input = apply(plivo_pairs(seed, &body), &mutations);
        prop_assert_eq!(corpus::run("plivo_form", &input, parsers::plivo_form), Ok(()));
    }

    #[test]
    fn plivo_signature_never_panics_on_odd_urls_headers_and_nonces(url in text(), header in text(), nonce in text(), seed: u128, mutations in mutations()) {
        let body = apply(plivo_pairs(seed, "x"), &mutations);
        let line = |s: &str| s.replace('\n', "");
        let input = [line(&url).as_bytes(), b"\n", line(&header).as_bytes(), b"\n", line(&nonce).as_bytes(), b"\n", &body].concat();
        prop_assert_eq!(corpus::run("plivo_signature", &input, parsers::plivo_signature), Ok(()));
    }

    #[test]
    fn a_signed_plivo_webhook_verifies_after_encoding_and_any_change_is_refused(seed: u128, body in text(), value in text()) {
        let auth = plivo::WebhookAuth { auth_token: PLIVO_TOKEN };
        let pairs = plivo_pairs(seed, &body);
        let (signature, nonce) = plivo::emulate::signed_headers(PLIVO_URL, &pairs, "12345", PLIVO_TOKEN);
        let form = WebhookForm::parse(encode_form(&pairs).as_bytes()).expect("our encoding parses");
        prop_assert!(plivo::inbound(&form, PLIVO_URL, &signature, &nonce, &auth).is_ok());
        if value != body {
            let mut tampered = pairs;
            tampered[3].1 = value;
            let form = WebhookForm::from_pairs(tampered);
            prop_assert_eq!(plivo::inbound(&form, PLIVO_URL, &signature, &nonce, &auth), Err(InboundError::BadSignature));
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn vonage_voice_requests_and_tokens_never_panic_on_arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..512)) {
        prop_assert_eq!(corpus::run("vonage_voice", &input, parsers::vonage_voice), Ok(()));
    }

    #[test]
    fn plivo_voice_forms_never_panic_on_mutated_requests(seed: u128, mutations in mutations()) {
        let pairs = plivo::voice::hangup_form("+33612345678", "+33939000001", &plivo::voice::call_uuid_from(seed), 12, 12);
        let input = apply(pairs, &mutations);
        prop_assert_eq!(corpus::run("plivo_voice", &input, parsers::plivo_voice), Ok(()));
    }
}

#[test]
fn every_saved_input_replays_without_a_panic() {
    let mut replayed = 0;
    for (parser, parse) in parsers::PARSERS {
        for (path, input) in corpus::saved_inputs(parser) {
            assert_eq!(corpus::run(parser, &input, parse), Ok(()), "{}", path.display());
            replayed += 1;
        }
    }
    assert!(replayed >= parsers::PARSERS.len(), "the seed corpus has at least one input per parser: {replayed}");
}

#[test]
fn a_panicking_parser_is_caught_and_its_input_saved() {
    let input = b"fuzz-harness-self-test";
    let verdict = corpus::run("harness_self_test", input, |_| panic!("deliberate"));
    let saved = corpus::folder("harness_self_test");
    let files = corpus::saved_inputs("harness_self_test");
    std::fs::remove_dir_all(&saved).expect("the self-test folder is removable");
    assert!(verdict.is_err_and(|message| message.contains("tests/fuzz-corpus/harness_self_test/crash-")));
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].1, input);
}
