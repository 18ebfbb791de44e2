//! Keys and tokens: long, random, private, and each used once.

use super::*;

fn with_env(text: &str, sender_key: &str, sealing_key: &str) -> Result<Settings, SettingsError> {
    Settings::from_toml_str_with_env(
        text,
        [("TEST_SENDER_KEY", sender_key), ("TEST_SEALING_KEY", sealing_key), ("TEST_TWILIO_TOKEN", "paris-token")],
    )
}

#[test]
fn a_repetitive_key_is_refused_with_its_reason() {
    let error = with_env(&config(HEAD, PARIS, LYON), &"a".repeat(40), TEST_ENV[1].1).unwrap_err();
    assert_eq!(error.problems().len(), 1, "{error}");
    assert_eq!(error.problems()[0].key, "privacy.sender_key");
    assert!(error.problems()[0].reason.starts_with("too weak: only 1 distinct characters"), "{error}");
}

#[test]
fn a_short_sealing_key_is_refused_and_a_missing_one_is_required() {
    let error = with_env(&config(HEAD, PARIS, LYON), TEST_ENV[0].1, "0123456789abcdef").unwrap_err();
    assert_eq!(error.problems()[0].key, "privacy.sealing_key");
    assert!(error.problems()[0].reason.contains("at least 32 bytes are required, got 16"), "{error}");
    let head = HEAD.replace("sealing_key = { env = \"TEST_SEALING_KEY\" }\n", "");
    assert_one_problem(&config(&head, PARIS, LYON), "privacy.sealing_key", "required");
}

#[test]
fn the_sealing_key_must_differ_from_the_sender_key() {
    let error = with_env(&config(HEAD, PARIS, LYON), TEST_ENV[0].1, TEST_ENV[0].1).unwrap_err();
    assert_eq!(
        error.problems(),
        [Problem::new(
            "privacy.sealing_key",
            "the same key as privacy.sender_key: each key must be different (generate one with `openssl rand -base64 32`)"
        )]
    );
}

#[test]
fn the_public_demo_keys_are_refused_in_an_operators_file() {
    let error = with_env(&config(HEAD, PARIS, LYON), crate::DEMO_SENDER_KEY, crate::DEMO_SEALING_KEY).unwrap_err();
    let keys: Vec<&str> = error.problems().iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["privacy.sender_key", "privacy.sealing_key"]);
    for problem in error.problems() {
        assert!(problem.reason.contains("built-in demo"), "{problem}");
        assert!(problem.reason.contains("openssl rand -base64 32"), "{problem}");
    }
}

#[test]
fn two_tenants_with_the_same_admin_token_are_refused_naming_both_keys() {
    let token = "a-shared-admin-token-0123456789";
    let paris = PARIS.replace("id = \"paris\"", &format!("id = \"paris\"\nadmin_token = \"{token}\""));
    let lyon = LYON.replace("id = \"lyon\"", &format!("id = \"lyon\"\nadmin_token = \"{token}\""));
    let problems = problems(&config(HEAD, &paris, &lyon));
    assert_eq!(
        problems,
        [Problem::new(
            "tenants[1].admin_token",
            "the same token as tenants[0].admin_token: every admin_token and the operator_token must be different"
        )]
    );
    assert!(!SettingsError::Invalid(problems).to_string().contains(token));
}

#[test]
fn an_admin_token_equal_to_the_operator_token_is_refused() {
    let head = HEAD.replace("[server]\n", "[server]\noperator_token = { env = \"TEST_OPERATOR_TOKEN\" }\n");
    let paris = PARIS.replace("id = \"paris\"", "id = \"paris\"\nadmin_token = { env = \"TEST_ADMIN_TOKEN\" }");
    let token = "the-same-token-for-two-roles";
    let error = load_env(&config(&head, &paris, LYON), &[("TEST_OPERATOR_TOKEN", token), ("TEST_ADMIN_TOKEN", token)])
        .unwrap_err();
    assert_eq!(error.problems().len(), 1, "{error}");
    assert_eq!(error.problems()[0].key, "tenants[0].admin_token");
    assert!(error.problems()[0].reason.starts_with("the same token as server.operator_token"), "{error}");
    assert!(!error.to_string().contains(token));

    let settings = load_env(
        &config(&head, &paris, LYON),
        &[("TEST_OPERATOR_TOKEN", token), ("TEST_ADMIN_TOKEN", "another-token-0123")],
    )
    .unwrap();
    assert_eq!(settings.server.operator_token.unwrap().expose(), token);
}

#[test]
fn repetitive_admin_and_operator_tokens_are_refused_like_keys_without_printing_them() {
    let head = HEAD.replace("[server]\n", "[server]\noperator_token = \"abababababababababababab\"\n");
    let paris = PARIS.replace("id = \"paris\"", "id = \"paris\"\nadmin_token = \"aaaaaaaaaaaaaaaaaaaaaaaa\"");
    let problems = problems(&config(&head, &paris, LYON));
    let weak = |key: &str, distinct: usize| {
        Problem::new(
            key,
            format!(
                "too weak: only {distinct} distinct characters, a token must be random (generate one with \
                 `openssl rand -base64 24`)"
            ),
        )
    };
    assert_eq!(problems, [weak("server.operator_token", 2), weak("tenants[0].admin_token", 1)]);
    assert!(!SettingsError::Invalid(problems).to_string().contains("aaaaaaaa"));
    let random = PARIS.replace("id = \"paris\"", "id = \"paris\"\nadmin_token = \"q8Zr-T1mW3xKp0Vb\"");
    assert!(load_env(&config(HEAD, &random, LYON), &[]).is_ok(), "sixteen random characters are enough");
}
