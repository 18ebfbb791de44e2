//! The published `X-Twilio-Signature` vectors (tests/data), each already
//! re-checked against the official SDK, run through our implementation.

use antirelou_providers::twilio::{signature, verify_signature, SignatureError};
use serde_json::Value;

const VECTORS: &str = include_str!("data/signature-vectors.json");

struct Case {
    token: String,
    url: String,
    params: Vec<(String, String)>,
    signature: String,
    /// `Some(valid)`: the SDK's verdict; `None`: an exact signature over `url`.
    valid: Option<bool>,
    label: String,
}

fn twilio_cases() -> Vec<Case> {
    let vectors: Value = serde_json::from_str(VECTORS).expect("vectors are JSON");
    let cases = vectors["twilio_x_twilio_signature"]["cases"].as_array().expect("cases is an array");
    cases
        .iter()
        .map(|case| {
            let text = |key: &str| case[key].as_str().expect(key).to_owned();
            let params = case["params"]
                .as_array()
                .expect("params is an array")
                .iter()
                .map(|pair| {
                    let text = |i: usize| pair[i].as_str().expect("param is a string").to_owned();
                    (text(0), text(1))
                })
                .collect();
            Case {
                token: text("token"),
                url: text("url"),
                params,
                signature: text("signature"),
                valid: case["valid"].as_bool(),
                label: format!("{} {}", text("url"), case["note"].as_str().unwrap_or("")),
            }
        })
        .collect()
}

fn tampered(params: &[(String, String)]) -> Vec<(String, String)> {
    let mut params = params.to_vec();
    params[0].1.push('0');
    params
}

#[test]
fn every_published_twilio_case_verifies() {
    let cases = twilio_cases();
    assert_eq!(cases.len(), 7, "the vector file changed; review these tests");
    for case in &cases {
        let verdict = verify_signature(&case.token, &case.url, &case.params, &case.signature);
        let expected = if case.valid.unwrap_or(true) { Ok(()) } else { Err(SignatureError::Mismatch) };
        assert_eq!(verdict, expected, "{}", case.label);
    }
}

#[test]
fn every_exact_published_signature_is_reproduced() {
    let exact: Vec<Case> = twilio_cases().into_iter().filter(|c| c.valid.is_none()).collect();
    assert!(exact.len() >= 5);
    for case in &exact {
        assert_eq!(signature(&case.token, &case.url, &case.params), case.signature, "{}", case.label);
    }
}

#[test]
fn port_cases_cover_with_without_and_accepted_by_the_sdk() {
    let cases = twilio_cases();
    assert!(cases.iter().any(|c| c.url.contains(":443/") && c.valid.is_none()));
    assert!(cases.iter().any(|c| c.url.contains(":80/") && c.valid.is_none()));
    assert!(cases.iter().any(|c| c.url.contains(":1234/") && c.valid == Some(true)));
    // The valid-by-SDK case is the no-port signature presented to a URL with a port.
    let accepted = cases.iter().find(|c| c.valid == Some(true)).expect("one such case");
    let without_port = accepted.url.replace(":1234", "");
    assert_eq!(signature(&accepted.token, &without_port, &accepted.params), accepted.signature);
}

#[test]
fn repeated_key_case_sorts_values_too() {
    let case = twilio_cases()
        .into_iter()
        .find(|c| c.params.iter().filter(|(k, _)| k == "Digits").count() > 1)
        .expect("a repeated-key case");
    assert_eq!(signature(&case.token, &case.url, &case.params), case.signature);
    let mut reordered = case.params.clone();
    reordered.reverse();
    assert_eq!(verify_signature(&case.token, &case.url, &reordered, &case.signature), Ok(()));
}

#[test]
fn twilio_docs_example_is_0_kctr6() {
    let params: Vec<(String, String)> = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+12349013030"),
        ("Digits", "1234"),
        ("From", "+12349013030"),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    assert_eq!(signature("12345", url, &params), "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
    assert_eq!(verify_signature("12345", url, &params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="), Ok(()));
}

#[test]
fn tampered_param_fails_every_case() {
    for case in twilio_cases() {
        assert_eq!(
            verify_signature(&case.token, &case.url, &tampered(&case.params), &case.signature),
            Err(SignatureError::Mismatch),
            "{}",
            case.label
        );
    }
}

#[test]
fn added_or_dropped_param_fails_every_case() {
    for case in twilio_cases() {
        let mut added = case.params.clone();
        added.push(("Extra".to_owned(), String::new()));
        let dropped = &case.params[1..];
        for params in [added.as_slice(), dropped] {
            assert_eq!(
                verify_signature(&case.token, &case.url, params, &case.signature),
                Err(SignatureError::Mismatch),
                "{}",
                case.label
            );
        }
    }
}

#[test]
fn tampered_url_fails_every_case() {
    for case in twilio_cases() {
        for url in [
            case.url.replace("foo=1", "foo=2"),
            case.url.replace("mycompany.com", "mycompany.org"),
            case.url.replace("myapp.php", "MyApp.php"),
            case.url.replacen("http", "xhttp", 1),
        ] {
            assert_eq!(
                verify_signature(&case.token, &url, &case.params, &case.signature),
                Err(SignatureError::Mismatch),
                "{url}"
            );
        }
    }
}

#[test]
fn wrong_token_fails_every_case() {
    for case in twilio_cases() {
        for token in ["12346", "", "123456", " 12345"] {
            assert_eq!(
                verify_signature(token, &case.url, &case.params, &case.signature),
                Err(SignatureError::Mismatch),
                "{token:?} {}",
                case.label
            );
        }
    }
}

#[test]
fn missing_header_is_reported_as_missing() {
    for case in twilio_cases() {
        assert_eq!(verify_signature(&case.token, &case.url, &case.params, ""), Err(SignatureError::Missing));
    }
}
