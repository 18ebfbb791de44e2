//! The published Vonage `sig` vectors (tests/data/signature-vectors.json:
//! the Ruby SDK's and the Python SDK's test cases, each re-checked against
//! an official SDK), run through our implementation.

use antirelou_providers::vonage::{signature, verify_signature, SignatureError, SignatureMethod};
use serde_json::Value;

const VECTORS: &str = include_str!("data/signature-vectors.json");

struct Case {
    secret: String,
    method: SignatureMethod,
    params: Vec<(String, String)>,
    signature: String,
}

fn cases() -> Vec<Case> {
    let vectors: Value = serde_json::from_str(VECTORS).expect("vectors are JSON");
    let cases = vectors["vonage_sig"]["cases"].as_array().expect("cases is an array");
    cases
        .iter()
        .map(|case| {
            let text = |key: &str| case[key].as_str().expect(key).to_owned();
            let params = case["params"]
                .as_array()
                .expect("params")
                .iter()
                .map(|pair| (pair[0].as_str().expect("name").to_owned(), pair[1].as_str().expect("value").to_owned()))
                .collect();
            Case {
                secret: text("secret"),
                method: SignatureMethod::from_label(&text("method")).expect("a known method"),
                params,
                signature: text("signature"),
            }
        })
        .collect()
}

fn with_sig(params: &[(String, String)], sig: &str) -> Vec<(String, String)> {
    let mut params = params.to_vec();
    params.push(("sig".to_owned(), sig.to_owned()));
    params
}

#[test]
fn every_published_vonage_signature_is_reproduced_exactly() {
    let cases = cases();
    assert_eq!(cases.len(), 7, "the vector file changed; review these tests");
    for method in SignatureMethod::ALL {
        assert!(cases.iter().any(|c| c.method == method), "a vector for {method}");
    }
    for case in &cases {
        assert_eq!(signature(case.method, &case.secret, &case.params), case.signature, "{}", case.method);
    }
}

#[test]
fn every_published_signature_verifies_in_either_case() {
    for case in cases() {
        for sig in [case.signature.to_lowercase(), case.signature.to_uppercase()] {
            assert_eq!(verify_signature(case.method, &case.secret, &with_sig(&case.params, &sig)), Ok(()));
        }
    }
}

#[test]
fn a_tampered_value_wrong_secret_or_other_method_fails_every_case() {
    for case in cases() {
        let mut tampered = case.params.clone();
        tampered[0].1.push('0');
        let signed = with_sig(&case.params, &case.signature);
        assert_eq!(
            verify_signature(case.method, &case.secret, &with_sig(&tampered, &case.signature)),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify_signature(case.method, "other", &signed), Err(SignatureError::Mismatch));
        for other in SignatureMethod::ALL.into_iter().filter(|m| *m != case.method) {
            assert_eq!(verify_signature(other, &case.secret, &signed), Err(SignatureError::Mismatch), "{other}");
        }
    }
}
