//! `tenants[].provider`: one variant per provider kind, with its own keys.

use antirelou_domain::ProviderKind;
use antirelou_providers::vonage::SignatureMethod;

use super::*;

/// Paris with `provider` replaced.
fn paris_with(provider: &str) -> String {
    let line = PARIS.lines().find(|l| l.starts_with("provider = ")).unwrap();
    PARIS.replace(line, &format!("provider = {provider}"))
}

fn provider(text: &str, env: &[(&str, &str)]) -> Result<ProviderSettings, SettingsError> {
    load_env(&config(HEAD, &paris_with(text), LYON), env).map(|s| s.tenants[0].provider.clone())
}

#[test]
fn every_kind_reads_its_keys_and_defaults() {
    let twilio = provider(
        r#"{ kind = "twilio", account_sid = "AC0123456789abcdef0123456789abcdef", auth_token = "t", api_base = "http://127.0.0.1:9000/" }"#,
        &[],
    )
    .unwrap();
    assert_eq!((twilio.kind(), twilio.api_base()), (ProviderKind::Twilio, "http://127.0.0.1:9000"));

    let vonage = provider(
        r#"{ kind = "vonage", api_key = "a1b2c3d4", api_secret = { env = "V" }, signature_secret = { env = "VS" } }"#,
        &[("V", "vonage-secret"), ("VS", "vonage-signature-secret")],
    )
    .unwrap();
    let ProviderSettings::Vonage { api_key, api_secret, signature_secret, signature_method, api_base } = &vonage else {
        panic!("expected vonage, got {vonage:?}");
    };
    assert_eq!((api_key.as_str(), api_secret.expose()), ("a1b2c3d4", "vonage-secret"));
    assert_eq!(signature_secret.expose(), "vonage-signature-secret");
    assert_eq!((*signature_method, api_base.as_str()), (SignatureMethod::Md5Hash, "https://rest.nexmo.com"));

    let plivo =
        provider(r#"{ kind = "plivo", auth_id = "MANWVLYTK4ZWU1YTY4QA", auth_token = { env = "P" } }"#, &[("P", "p")])
            .unwrap();
    assert_eq!((plivo.kind(), plivo.api_base()), (ProviderKind::Plivo, "https://api.plivo.com"));

    let ovh = r#"{ kind = "ovh", application_key = "k1l2m3", application_secret = "as", consumer_key = "ck", service_name = "sms-ab12345-1" }"#;
    let settings = provider(ovh, &[]).unwrap();
    let ProviderSettings::Ovh { endpoint, poll_interval_seconds, api_base: None, .. } = &settings else {
        panic!("expected ovh without api_base, got {settings:?}");
    };
    assert_eq!((endpoint.as_str(), *poll_interval_seconds), ("ovh-eu", 5));
    assert_eq!(settings.api_base(), "https://eu.api.ovh.com/1.0");
    let ovh_ca = ovh.replace("kind = \"ovh\"", "kind = \"ovh\", endpoint = \"ovh-ca\", poll_interval = \"2s\"");
    assert_eq!(provider(&ovh_ca, &[]).unwrap().api_base(), "https://ca.api.ovh.com/1.0");
    let local = ovh.replace("kind = \"ovh\"", "kind = \"ovh\", api_base = \"http://127.0.0.1:9001/1.0\"");
    assert_eq!(provider(&local, &[]).unwrap().api_base(), "http://127.0.0.1:9001/1.0");
}

#[test]
fn a_key_of_another_kind_is_unknown_with_a_suggestion_from_this_kind() {
    let error = provider(
        r#"{ kind = "plivo", auth_id = "MANWVLYTK4ZWU1YTY4QA", auth_tokn = "p", account_sid = "AC0123456789abcdef0123456789abcdef" }"#,
        &[],
    )
    .unwrap_err();
    assert_eq!(
        error.problems(),
        [
            Problem::new("tenants[0].provider.account_sid", "unknown key"),
            Problem::new("tenants[0].provider.auth_tokn", "unknown key (did you mean \"auth_token\"?)"),
            Problem::new("tenants[0].provider.auth_token", "required"),
        ]
    );
}

#[test]
fn every_problem_of_a_provider_is_reported_at_once() {
    let error = provider(
        r#"{ kind = "ovh", endpoint = "ovh-asia", application_key = "k", application_secret = "s", consumer_key = "c", service_name = "ab12345", poll_interval = "500ms" }"#,
        &[],
    )
    .unwrap_err();
    let keys: Vec<&str> = error.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["tenants[0].provider.endpoint", "tenants[0].provider.service_name", "tenants[0].provider.poll_interval"],
        "{error}"
    );
    let error = provider(r#"{ kind = "ovh", poll_interval = "0s" }"#, &[]).unwrap_err();
    assert!(error.to_string().contains("poll_interval: must be at least 1s"), "{error}");
}

#[test]
fn an_unknown_or_missing_kind_lists_the_kinds() {
    let error = provider(r#"{ kind = "sinch", account_sid = "x" }"#, &[]).unwrap_err();
    assert_eq!(
        error.problems(),
        [Problem::new(
            "tenants[0].provider.kind",
            "expected \"twilio\", \"vonage\", \"plivo\" or \"ovh\", got \"sinch\""
        )]
    );
    assert_one_problem(
        &config(HEAD, &paris_with("{ auth_token = \"t\" }"), LYON),
        "tenants[0].provider.kind",
        "required",
    );
    let missing = PARIS.lines().filter(|l| !l.starts_with("provider = ")).collect::<Vec<_>>().join("\n");
    assert_one_problem(&config(HEAD, &missing, LYON), "tenants[0].provider", "required, e.g. { kind = \"twilio\"");
}

#[test]
fn a_vonage_signature_method_is_one_of_vonages() {
    let vonage = |method: &str| {
        provider(
            &format!(
                r#"{{ kind = "vonage", api_key = "k", api_secret = "s", signature_secret = "ss", signature_method = "{method}" }}"#
            ),
            &[],
        )
    };
    let ProviderSettings::Vonage { signature_method, .. } = vonage("sha512").unwrap() else { panic!("vonage") };
    assert_eq!(signature_method, SignatureMethod::Sha512);
    let error = vonage("SHA-256").unwrap_err();
    assert_eq!(error.problems()[0].key, "tenants[0].provider.signature_method");
    assert!(error.problems()[0].reason.contains("\"sha256\""), "{error}");
}

#[test]
fn provider_secrets_never_print() {
    let settings = load_env(
        &config(
            HEAD,
            &paris_with(
                r#"{ kind = "vonage", api_key = "k", api_secret = { env = "V" }, signature_secret = { env = "VS" } }"#,
            ),
            LYON,
        ),
        &[("V", "vonage-api-secret-value"), ("VS", "vonage-signature-secret-value")],
    )
    .unwrap();
    let debug = format!("{settings:?}");
    assert!(!debug.contains("vonage-api-secret-value") && !debug.contains("vonage-signature-secret-value"));
}
