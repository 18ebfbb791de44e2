//! `ANTIRELOU__...` environment overrides.

use super::*;

#[test]
fn environment_overrides_replace_file_values_and_money_stays_exact() {
    let _guard = PROCESS_ENV.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Edition 2021: set_var is safe; no other test touches the process environment.
    std::env::set_var("ANTIRELOU__SERVER__LISTEN", "0.0.0.0:9000");
    std::env::set_var("ANTIRELOU__LEDGER__MONTHLY_CAP", "100.00");
    for (var, value) in TEST_ENV {
        std::env::set_var(var, value);
    }
    let result = Settings::from_toml_str(&config(HEAD, PARIS, LYON));
    for var in
        ["ANTIRELOU__SERVER__LISTEN", "ANTIRELOU__LEDGER__MONTHLY_CAP"].into_iter().chain(TEST_ENV.map(|(v, _)| v))
    {
        std::env::remove_var(var);
    }
    let settings = result.unwrap();
    assert_eq!(settings.server.listen, "0.0.0.0:9000");
    assert_eq!(settings.ledger.monthly_cap, Some(Money::from_micros(100_000_000)));
}

#[test]
fn environment_overrides_reach_sections_list_entries_and_the_backend() {
    let settings = load_env(
        &config(HEAD, PARIS, LYON),
        &[
            ("ANTIRELOU__LEDGER__BACKEND", "redis"),
            ("ANTIRELOU__LEDGER__REDIS_URL", "redis://redis:6379/0"),
            ("ANTIRELOU__SERVER__DECISION_TIMEOUT_MS", "1500"),
            ("ANTIRELOU__LOG__FORMAT", "json"),
            ("ANTIRELOU__TENANTS__1__NUMBERS__0__PAUSED", "true"),
            ("ANTIRELOU__TENANTS__1__NUMBERS__0__DAILY_CAP", "2.50"),
            ("ANTIRELOU__TENANTS__0__NUMBERS__0__ALLOWED_COUNTRIES", "FR,BE"),
            ("ANTIRELOU__TENANTS__0__PROVIDER__AUTH_TOKEN", "overridden-token"),
        ],
    )
    .unwrap();
    assert!(
        matches!(&settings.ledger.backend, LedgerBackend::Redis { url: Some(url), .. } if url == "redis://redis:6379/0")
    );
    assert_eq!(settings.server.decision_timeout_ms, 1_500);
    assert_eq!(settings.log.format, LogFormat::Json);
    assert_eq!(settings.tenants.len(), 2);
    let lyon = &settings.tenants[1].numbers[0];
    assert!(lyon.paused);
    assert_eq!(lyon.daily_cap, Some(Money::from_micros(2_500_000)));
    let paris = &settings.tenants[0];
    assert_eq!(paris.numbers[0].allowed_countries, AllowedCountries::Only(vec!["FR".into(), "BE".into()]));
    let ProviderSettings::Twilio { auth_token, account_sid, .. } = &paris.provider else {
        panic!("expected twilio, got {:?}", paris.provider);
    };
    assert_eq!((auth_token.expose(), account_sid.as_str()), ("overridden-token", "AC0123456789abcdef0123456789abcdef"));
}

#[test]
fn a_misspelt_override_names_its_variable() {
    let error = load_env(&config(HEAD, PARIS, LYON), &[("ANTIRELOU__SERVER__LISTN", "0.0.0.0:1")]).unwrap_err();
    assert_eq!(
        error.problems(),
        [Problem::new(
            "server.listn",
            "unknown key (did you mean \"listen\"?), set by environment variable ANTIRELOU__SERVER__LISTN"
        )]
    );
    let error = load_env(&config(HEAD, PARIS, LYON), &[("ANTIRELOU__TENANTS__3__ID", "marseille")]).unwrap_err();
    assert_eq!(error.problems()[0].key, "tenants[2]");
    assert!(error.problems()[0].reason.contains("past the end"), "{error}");
    let error = load_env(&config(HEAD, PARIS, LYON), &[("ANTIRELOU__SERVER____LISTEN", "x")]).unwrap_err();
    assert_eq!(error.problems()[0].key, "ANTIRELOU__SERVER____LISTEN");
}
