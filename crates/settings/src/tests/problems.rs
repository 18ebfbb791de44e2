//! Every kind of mistake is a problem at its exact key, all at once.

use super::*;

#[test]
fn bad_money_is_a_problem_at_its_key() {
    let lyon = LYON.replace("\"0.08\"", "\"abc\"");
    assert_one_problem(
        &config(HEAD, PARIS, &lyon),
        "tenants[1].numbers[0].price_per_segment",
        "not a decimal number: \"abc\"",
    );
    let message = SettingsError::Invalid(problems(&config(HEAD, PARIS, &lyon))).to_string();
    assert_eq!(message, "tenants[1].numbers[0].price_per_segment: not a decimal number: \"abc\"");
}

#[test]
fn negative_money_is_refused() {
    let paris = format!("{PARIS}daily_cap = \"-1\"\n");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].numbers[0].daily_cap", "negative");
    let paris = format!("{PARIS}inbound_price = -2\n");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].numbers[0].inbound_price", "negative");
}

#[test]
fn money_with_more_than_six_decimals_is_refused() {
    let paris = PARIS.replace("\"0.08\"", "\"0.0000001\"");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].numbers[0].price_per_segment", "more than 6 decimals");
}

#[test]
fn float_money_asks_for_a_quoted_string() {
    let paris = PARIS.replace("\"0.08\"", "0.08");
    assert_one_problem(
        &config(HEAD, &paris, LYON),
        "tenants[0].numbers[0].price_per_segment",
        "quoted decimal string such as \"0.08\"",
    );
}

#[test]
fn caps_must_be_more_than_zero() {
    let head = format!("{HEAD}\n[ledger]\nmonthly_cap = \"0\"\n");
    assert_one_problem(&config(&head, PARIS, LYON), "ledger.monthly_cap", "more than zero");
}

#[test]
fn a_number_that_is_not_e164_is_refused() {
    let paris = PARIS.replace("\"+33612345678\"", "\"06 12 34 56 78\"");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].numbers[0].number", "not an E.164 number");
}

#[test]
fn a_number_configured_twice_across_tenants_is_refused() {
    let lyon = LYON.replace("+33612345679", "+33612345678");
    assert_one_problem(
        &config(HEAD, PARIS, &lyon),
        "tenants[1].numbers[0].number",
        "+33612345678 is already configured at tenants[0].numbers[0].number",
    );
}

#[test]
fn a_tenant_id_used_twice_is_refused() {
    let lyon = LYON.replace("\"lyon\"", "\"paris\"");
    assert_one_problem(&config(HEAD, PARIS, &lyon), "tenants[1].id", "\"paris\" is already the id of tenants[0]");
    let lyon = LYON.replace("\"lyon\"", "\"Lyon!\"");
    assert_one_problem(&config(HEAD, PARIS, &lyon), "tenants[1].id", "lowercase letters");
}

#[test]
fn a_misspelt_key_is_reported_with_a_suggestion() {
    let paris = PARIS.replace("price_per_segment", "price_per_segmnt");
    let problems = problems(&config(HEAD, &paris, LYON));
    assert_eq!(
        problems,
        [
            Problem::new("tenants[0].numbers[0].price_per_segmnt", "unknown key (did you mean \"price_per_segment\"?)"),
            Problem::new("tenants[0].numbers[0].price_per_segment", "required"),
        ]
    );
    let head = format!("{HEAD}\n[sever]\nlisten = \"0.0.0.0:80\"\n");
    assert_one_problem(&config(&head, PARIS, LYON), "sever", "did you mean \"server\"?");
    let paris = PARIS.replace("kind = \"twilio\"", "knd = \"twilio\", kind = \"twilio\"");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].provider.knd", "did you mean \"kind\"?");
}

#[test]
fn an_unknown_timezone_is_refused() {
    let head = format!("{HEAD}\n[ledger]\ntimezone = \"Europe/Pariss\"\n");
    assert_one_problem(&config(&head, PARIS, LYON), "ledger.timezone", "unknown time zone \"Europe/Pariss\"");
}

#[test]
fn an_empty_reply_is_refused() {
    let paris = PARIS.replace("\"Non, c'est non.\"", "\"  \"");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].numbers[0].reply", "must not be empty");
    let paris = PARIS.replace("\"Non, c'est non.\"", &format!("\"{}\"", "ô".repeat(700)));
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].numbers[0].reply", "at most 10");
}

#[test]
fn a_secret_from_an_unset_variable_names_the_key_and_the_variable() {
    let problems = Settings::from_toml_str_with_env(&config(HEAD, PARIS, LYON), TEST_ENV.into_iter().take(2))
        .unwrap_err()
        .problems()
        .to_vec();
    assert_eq!(
        problems,
        [Problem::new("tenants[0].provider.auth_token", "environment variable TEST_TWILIO_TOKEN is not set")]
    );
}

#[test]
fn a_secret_from_a_missing_file_names_the_key_and_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("sender-key");
    let head = HEAD.replace("{ env = \"TEST_SENDER_KEY\" }", &format!("{{ file = {:?} }}", missing.to_str().unwrap()));
    assert_one_problem(
        &config(&head, PARIS, LYON),
        "privacy.sender_key",
        &format!("cannot read secret file {:?}", missing.to_str().unwrap()),
    );
}

#[test]
fn a_short_sender_key_is_refused() {
    let problems = Settings::from_toml_str_with_env(
        &config(HEAD, PARIS, LYON),
        [("TEST_SENDER_KEY", "short"), ("TEST_SEALING_KEY", TEST_ENV[1].1), ("TEST_TWILIO_TOKEN", "t")],
    )
    .unwrap_err();
    assert_eq!(problems.problems()[0].key, "privacy.sender_key");
    assert!(problems.problems()[0].reason.contains("at least 32 bytes"));
}

#[test]
fn redis_without_a_url_or_with_a_url_and_sentinels_is_refused() {
    let head = format!("{HEAD}\n[ledger]\nbackend = \"redis\"\n");
    assert_one_problem(&config(&head, PARIS, LYON), "ledger.redis_url", "required");
    let head = format!("{HEAD}\n[ledger]\nbackend = \"redis\"\nredis_url = \"http://redis\"\n");
    assert_one_problem(&config(&head, PARIS, LYON), "ledger.redis_url", "redis://");
    let sentinels = "redis_sentinels = [\"10.0.0.1:26379\"]";
    let head = format!("{HEAD}\n[ledger]\nbackend = \"redis\"\nredis_url = \"redis://r:6379\"\n{sentinels}\n");
    assert_one_problem(&config(&head, PARIS, LYON), "ledger.redis_sentinels", "not both");
    let head = format!("{HEAD}\n[ledger]\nbackend = \"redis\"\n{sentinels}\n");
    assert_one_problem(&config(&head, PARIS, LYON), "ledger.redis_master_name", "required with redis_sentinels");
    let head = format!("{HEAD}\n[ledger]\nbackend = \"postgres\"\n");
    assert_one_problem(&config(&head, PARIS, LYON), "ledger.backend", "\"embedded\" or \"redis\"");
}

#[test]
fn every_problem_is_reported_at_once() {
    let head = format!("{HEAD}\n[ledger]\ntimezone = \"Mars/Olympus\"\n");
    let paris = PARIS.replace("\"0.08\"", "0.08");
    let lyon = LYON.replace("+33612345679", "+33612345678");
    let problems = problems(&config(&head, &paris, &lyon));
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        ["ledger.timezone", "tenants[0].numbers[0].price_per_segment", "tenants[1].numbers[0].number"],
        "{problems:#?}"
    );
}

#[test]
fn no_tenant_or_no_number_is_refused() {
    assert_one_problem(HEAD, "tenants", "at least one tenant");
    let paris = PARIS.split("[[tenants.numbers]]").next().unwrap();
    assert_one_problem(&config(HEAD, paris, LYON), "tenants[0].numbers", "at least one number");
}

#[test]
fn a_value_of_the_wrong_shape_is_a_problem_at_its_key() {
    let head = format!("{HEAD}\n[ledger]\ntimezone = [\"Europe/Paris\"]\n");
    assert_one_problem(&config(&head, PARIS, LYON), "ledger.timezone", "expected a string, got a list");
    let problems = problems(&format!("tenants = \"paris\"\n{HEAD}"));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].key, "tenants");
    assert!(problems[0].reason.contains("expected a list of tables ([[tenants]])"), "{problems:#?}");
}

#[test]
fn a_table_of_the_wrong_shape_is_reported_at_its_dotted_key() {
    let paris = format!("{PARIS}shield = \"big\"\n");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].numbers[0].shield", "expected a table");
    let paris = PARIS.replace("provider = {", "provider = \"twilio\"\n# {");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].provider", "expected a table such as { kind =");
}
