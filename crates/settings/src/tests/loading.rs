//! Valid configurations: defaults, secrets, hashing, countries, shield.

use super::*;

#[test]
fn a_minimal_config_gets_every_default() {
    let settings = load(&config(HEAD, PARIS, LYON)).unwrap();
    assert_eq!(settings.server.listen, "0.0.0.0:8080");
    assert_eq!(settings.server.public_url, "https://sms.example.org");
    assert_eq!(settings.server.decision_timeout_ms, 2_000);
    assert_eq!(settings.server.mailbox_capacity, 1_024);
    assert_eq!(settings.server.arbiters, 0);
    assert_eq!(settings.server.shutdown_timeout_seconds, 30);
    assert!(settings.server.operator_token.is_none());
    assert!(
        matches!(&settings.ledger.backend, LedgerBackend::Embedded { path } if path == Path::new("data/ledger.sqlite3"))
    );
    assert_eq!(settings.ledger.currency, "EUR");
    assert_eq!(settings.ledger.timezone, chrono_tz::Europe::Paris);
    assert_eq!(settings.ledger.monthly_cap, None);
    assert_eq!((settings.log.format, settings.log.level.as_str()), (LogFormat::Pretty, "info"));
    assert_eq!(settings.number_count(), 2);

    let paris = settings.tenant("paris").unwrap();
    assert!(!paris.prepaid && paris.monthly_cap.is_none() && paris.alert_webhook.is_none());
    assert!(paris.blocklist.is_empty() && paris.admin_token.is_none());
    let number = &paris.numbers[0];
    assert!(!number.paused);
    assert_eq!(number.inbound_price, Money::ZERO);
    assert_eq!(number.daily_cap, None);
    assert_eq!(number.reply_once_per_seconds, 30 * 86_400);
    assert_eq!(number.max_replies_per_minute, 30);
    assert_eq!(number.allowed_countries, AllowedCountries::Only(vec!["FR".into()]));
    assert_eq!(number.shield.policy(), crate::DEFAULT_SHIELD);
    assert_eq!(number.shield.defer_for_seconds, 45 * 60);
    assert_eq!(number.reply_cost, Money::parse("0.08").unwrap());

    let lyon_number = antirelou_domain::PhoneNumber::parse("+33612345679").unwrap();
    assert_eq!(settings.find_number(&lyon_number).map(|(t, _)| t.id.as_str()), Some("lyon"));
}

#[test]
fn integer_money_is_whole_units() {
    let paris = format!("{PARIS}daily_cap = 5\n");
    let settings = load(&config(HEAD, &paris, LYON)).unwrap();
    assert_eq!(settings.tenants[0].numbers[0].daily_cap, Some(Money::parse("5").unwrap()));
}

#[test]
fn secrets_come_from_the_environment_and_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("sender-key");
    std::fs::write(&key_file, "a-sender-key-read-from-a-file-0123456789\n").unwrap();
    let head = HEAD.replace("{ env = \"TEST_SENDER_KEY\" }", &format!("{{ file = {:?} }}", key_file.to_str().unwrap()));
    let settings = load(&config(&head, PARIS, LYON)).unwrap();
    assert_eq!(settings.privacy.sender_key.expose(), "a-sender-key-read-from-a-file-0123456789");
    let ProviderSettings::Twilio { auth_token, .. } = &settings.tenants[0].provider else {
        panic!("expected twilio, got {:?}", settings.tenants[0].provider);
    };
    assert_eq!(auth_token.expose(), "paris-token");

    let debug = format!("{settings:?}");
    for secret in ["a-sender-key-read-from-a-file", "paris-token", "lyon-token", TEST_ENV[1].1] {
        assert!(!debug.contains(secret), "{secret} leaked into {debug}");
    }
}

#[test]
fn redis_gets_its_defaults() {
    let head = format!("{HEAD}\n[ledger]\nbackend = \"redis\"\nredis_url = \"redis://127.0.0.1:6379/0\"\n");
    let settings = load(&config(&head, PARIS, LYON)).unwrap();
    let LedgerBackend::Redis {
        url,
        sentinels,
        replicas_to_ack,
        key_prefix,
        connect_timeout_ms,
        response_timeout_ms,
        ..
    } = &settings.ledger.backend
    else {
        panic!("expected redis, got {:?}", settings.ledger.backend);
    };
    assert_eq!(url.as_deref(), Some("redis://127.0.0.1:6379/0"));
    assert!(sentinels.is_empty() && replicas_to_ack.is_none());
    assert_eq!((key_prefix.as_str(), *connect_timeout_ms, *response_timeout_ms), ("antirelou", 1_000, 500));
}

#[test]
fn a_redis_master_found_through_sentinel_is_read_with_its_password() {
    let head = format!(
        "{HEAD}\n[ledger]\nbackend = \"redis\"\nredis_sentinels = [\"10.0.0.1:26379\", \"10.0.0.2:26379\"]\n\
         redis_master_name = \"antirelou\"\nredis_password = {{ env = \"TEST_REDIS_PASSWORD\" }}\n"
    );
    let settings = load_env(&config(&head, PARIS, LYON), &[("TEST_REDIS_PASSWORD", "redis-secret")]).unwrap();
    let LedgerBackend::Redis { url, sentinels, master_name, password, replicas_to_ack, ack_timeout_ms, .. } =
        &settings.ledger.backend
    else {
        panic!("expected redis, got {:?}", settings.ledger.backend);
    };
    assert_eq!(url, &None);
    assert_eq!(sentinels, &["10.0.0.1:26379", "10.0.0.2:26379"]);
    assert_eq!(master_name.as_deref(), Some("antirelou"));
    assert_eq!(password.as_ref().map(|p| p.expose()), Some("redis-secret"));
    assert_eq!((*replicas_to_ack, *ack_timeout_ms), (None, 100));
    assert!(!format!("{:?}", settings.ledger).contains("redis-secret"));
}

#[test]
fn broken_toml_is_a_parse_error_and_a_missing_file_a_read_error() {
    let error = load("[server\nlisten = 1").unwrap_err();
    assert!(matches!(&error, SettingsError::Parse(text) if text.contains("line 1")), "{error}");
    let error = Settings::load(Path::new("/nonexistent/antirelou.toml")).unwrap_err();
    assert!(matches!(error, SettingsError::Read { .. }), "{error}");
}

#[test]
fn the_blocklist_is_hashed_and_the_clear_numbers_are_kept_nowhere() {
    let paris = PARIS.replace("id = \"paris\"", "id = \"paris\"\nblocklist = [\"+33700000000\", \"+32470123456\"]");
    let settings = load(&config(HEAD, &paris, LYON)).unwrap();
    let hasher = SenderHasher::new(TEST_ENV[0].1.as_bytes());
    assert_eq!(settings.tenants[0].blocklist, [hasher.key("+33700000000"), hasher.key("+32470123456")]);
    let debug = format!("{settings:?}");
    for clear in ["+33700000000", "33700000000", "+32470123456"] {
        assert!(!debug.contains(clear), "{clear} is in {debug}");
    }

    let paris = PARIS.replace("id = \"paris\"", "id = \"paris\"\nblocklist = [\"+33700000000\", \"0700000000\"]");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].blocklist[1]", "not an E.164 number");
}

#[test]
fn allowed_countries_default_to_the_numbers_own_country() {
    let with = |line: &str| {
        let paris = format!("{PARIS}{line}\n");
        load(&config(HEAD, &paris, LYON)).map(|s| s.tenants[0].numbers[0].allowed_countries.clone())
    };
    let own = with("").unwrap();
    assert_eq!(own, AllowedCountries::Only(vec!["FR".into()]));
    assert!(own.allows(Some("FR")) && !own.allows(Some("BE")) && !own.allows(None));
    assert_eq!(with("allowed_countries = [\"*\"]").unwrap(), AllowedCountries::Any);
    assert_eq!(
        with("allowed_countries = [\"fr\", \"BE\"]").unwrap(),
        AllowedCountries::Only(vec!["FR".into(), "BE".into()])
    );

    let problem = |line: &str| with(line).unwrap_err().problems().to_vec();
    assert_eq!(problem("allowed_countries = []")[0].key, "tenants[0].numbers[0].allowed_countries");
    assert_eq!(problem("allowed_countries = [\"*\", \"FR\"]")[0].key, "tenants[0].numbers[0].allowed_countries");
    assert_eq!(
        problem("allowed_countries = [\"FR\", \"France\"]")[0].key,
        "tenants[0].numbers[0].allowed_countries[1]"
    );
}

#[test]
fn shield_settings_have_defaults_and_trickle_may_be_zero() {
    let paris = format!("{PARIS}shield = {{ hold = \"2h\", trickle_per_hour = 0 }}\n");
    let settings = load(&config(HEAD, &paris, LYON)).unwrap();
    let shield = &settings.tenants[0].numbers[0].shield;
    assert_eq!((shield.trigger_per_minute, shield.new_senders_per_minute), (60, 10));
    assert_eq!((shield.trigger_per_hour, shield.new_senders_per_hour), (600, 40));
    assert_eq!((shield.hold_seconds, shield.trickle_per_hour), (7_200, 0));
    assert_eq!((shield.pace_percent_per_hour, shield.flood_messages, shield.defer_for_seconds), (25, 5, 2_700));

    let paris = format!("{PARIS}shield = {{ hold = \"forever\" }}\n");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].numbers[0].shield.hold", "not a duration");
    let paris = format!("{PARIS}shield = {{ trigger_per_minute = 0 }}\n");
    assert_one_problem(
        &config(HEAD, &paris, LYON),
        "tenants[0].numbers[0].shield.trigger_per_minute",
        "more than zero",
    );
    let paris = format!("{PARIS}max_replies_per_minute = 0\n");
    assert_one_problem(&config(HEAD, &paris, LYON), "tenants[0].numbers[0].max_replies_per_minute", "more than zero");
}
