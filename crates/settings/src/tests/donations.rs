//! `tenants[].donations` and `donation_url`: each platform's keys and
//! defaults, and the rules across keys (prepaid, one entry per platform, one
//! tenant per organisation, euros for HelloAsso).

use antirelou_domain::DonationSource;

use super::*;
use crate::DonationSettings;

const HELLOASSO: &str = r#"{ kind = "helloasso", organization_slug = "collectif-paris", client_id = "9fdc22226bf24ff99b875f4a7c503715", client_secret = { env = "HA_SECRET" } }"#;
const OPENCOLLECTIVE: &str =
    r#"{ kind = "opencollective", collective_slug = "collectif-paris", token = { env = "OC_TOKEN" } }"#;
const SECRETS: [(&str, &str); 2] = [("HA_SECRET", "helloasso-secret"), ("OC_TOKEN", "oc-personal-token")];

/// Paris with `extra` lines added to its tenant table.
fn paris_with(extra: &str) -> String {
    PARIS.replacen("id = \"paris\"\n", &format!("id = \"paris\"\n{extra}\n"), 1)
}

fn lyon_with(extra: &str) -> String {
    LYON.replacen("id = \"lyon\"\n", &format!("id = \"lyon\"\n{extra}\n"), 1)
}

/// An inline table with one more key.
fn with_key(table: &str, key: &str) -> String {
    format!("{}, {key} }}", table.trim_end().trim_end_matches('}').trim_end())
}

fn donations_problems(text: &str) -> Vec<Problem> {
    match load_env(text, &SECRETS) {
        Ok(_) => panic!("expected problems:\n{text}"),
        Err(SettingsError::Invalid(problems)) => problems,
        Err(other) => panic!("{other:?}"),
    }
}

#[test]
fn both_platforms_read_their_keys_and_defaults() {
    let paris = paris_with(&format!(
        "prepaid = true\ndonation_url = \"https://www.helloasso.com/associations/collectif-paris\"\n\
         donations = [{}, {}]",
        with_key(HELLOASSO, "form_slugs = [\"sms-anti-relou\"]"),
        with_key(OPENCOLLECTIVE, "api_base = \"http://127.0.0.1:9000/\"")
    ));
    let settings = load_env(&config(HEAD, &paris, LYON), &SECRETS).unwrap();
    let tenant = &settings.tenants[0];
    assert_eq!(tenant.donation_url.as_deref(), Some("https://www.helloasso.com/associations/collectif-paris"));
    let DonationSettings::HelloAsso { organization_slug, client_id, client_secret, api_base, form_slugs } =
        &tenant.donations[0]
    else {
        panic!("{:?}", tenant.donations);
    };
    assert_eq!(
        (organization_slug.as_str(), client_id.as_str()),
        ("collectif-paris", "9fdc22226bf24ff99b875f4a7c503715")
    );
    assert_eq!((client_secret.expose(), api_base.as_str()), ("helloasso-secret", "https://api.helloasso.com"));
    assert_eq!(form_slugs, &["sms-anti-relou"]);
    let oc = &tenant.donations[1];
    assert_eq!(
        (oc.source(), oc.account_slug(), oc.api_base()),
        (DonationSource::OpenCollective, "collectif-paris", "http://127.0.0.1:9000")
    );
    assert!(!format!("{oc:?}").contains("oc-personal-token"), "secrets never print");
    // Without the keys: no donations, no page.
    assert!(settings.tenants[1].donations.is_empty() && settings.tenants[1].donation_url.is_none());
}

#[test]
fn donations_on_a_tenant_that_is_not_prepaid_are_refused_with_how_to_fix_it() {
    let paris = paris_with(&format!("donations = [{HELLOASSO}]"));
    let problems = donations_problems(&config(HEAD, &paris, LYON));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].key, "tenants[0].donations");
    assert!(problems[0].reason.contains("set prepaid = true"), "{}", problems[0].reason);
}

#[test]
fn one_entry_per_platform_and_one_tenant_per_organisation() {
    let paris = paris_with(&format!("prepaid = true\ndonations = [{HELLOASSO}, {HELLOASSO}]"));
    let problems = donations_problems(&config(HEAD, &paris, LYON));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].key, "tenants[0].donations[1].kind");
    assert!(problems[0].reason.contains("one entry per platform"));

    let paris = paris_with(&format!("prepaid = true\ndonations = [{HELLOASSO}]"));
    let lyon = lyon_with(&format!("prepaid = true\ndonations = [{HELLOASSO}, {OPENCOLLECTIVE}]"));
    let problems = donations_problems(&config(HEAD, &paris, &lyon));
    assert_eq!(problems.len(), 1, "the same Open Collective slug is another platform's: {problems:#?}");
    assert_eq!(problems[0].key, "tenants[1].donations[0].organization_slug");
    assert!(problems[0].reason.contains("tenants[0].donations[0].organization_slug"), "{}", problems[0].reason);
    assert!(problems[0].reason.contains("two tenants"));
}

#[test]
fn helloasso_needs_a_ledger_in_euros() {
    let head = HEAD.replace("[privacy]", "[ledger]\ncurrency = \"CHF\"\n\n[privacy]");
    let paris = paris_with(&format!("prepaid = true\ndonations = [{OPENCOLLECTIVE}, {HELLOASSO}]"));
    let problems = donations_problems(&config(&head, &paris, LYON));
    assert_eq!(problems.len(), 1, "Open Collective may pay in any currency: {problems:#?}");
    assert_eq!(problems[0].key, "tenants[0].donations[1].kind");
    assert!(problems[0].reason.contains("ledger.currency = \"EUR\""));
}

#[test]
fn misshapen_donations_name_their_key() {
    let cases = [
        ("donations = \"helloasso\"", "tenants[0].donations", "expected a list of tables"),
        ("donations = [{ kind = \"paypal\" }]", "tenants[0].donations[0].kind", "\"helloasso\" or \"opencollective\""),
        (
            "donations = [{ kind = \"opencollective\", collective_slug = \"Collectif Paris\", token = \"t\" }]",
            "tenants[0].donations[0].collective_slug",
            "expected a slug",
        ),
        (
            "donations = [{ kind = \"opencollective\", collective_slug = \"c\", token = \"t\", client_id = \"x\" }]",
            "tenants[0].donations[0].client_id",
            "unknown key",
        ),
        ("donation_url = \"collectif.example.org\"", "tenants[0].donation_url", "http:// or https://"),
    ];
    for (line, key, reason) in cases {
        let paris = paris_with(&format!("prepaid = true\n{line}"));
        let problems = donations_problems(&config(HEAD, &paris, LYON));
        assert_eq!(problems.len(), 1, "{line}: {problems:#?}");
        assert_eq!(problems[0].key, key, "{line}");
        assert!(problems[0].reason.contains(reason), "{line}: {}", problems[0].reason);
    }
}
