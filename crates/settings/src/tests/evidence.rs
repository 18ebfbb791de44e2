//! `tenants[].evidence` and `privacy.evidence_signing_key`.

use super::*;

const RECIPIENT: &str = "age13l0059r36gh4k22hszqf245uy35r9w5el7ntaxcx6yu3zaet5fys98dckn";
const SIGNING_KEY: &str = "q2V4KY7r8n0Qm3w5T1ZbJ6cXfL9dHs4pA0uGiEoRkMY=";

fn with_evidence(evidence: &str, signing_key: Option<&str>) -> String {
    let head = match signing_key {
        Some(key) => format!("{HEAD}evidence_signing_key = \"{key}\"\n"),
        None => HEAD.to_owned(),
    };
    let paris = PARIS.replace("[[tenants.numbers]]", &format!("evidence = {evidence}\n\n[[tenants.numbers]]"));
    config(&head, &paris, LYON)
}

#[test]
fn evidence_is_kept_only_for_a_tenant_that_configures_it_with_its_defaults() {
    let settings = load(&with_evidence(&format!("{{ recipient = \"{RECIPIENT}\" }}"), Some(SIGNING_KEY))).unwrap();
    let evidence = settings.tenants[0].evidence.as_ref().expect("paris keeps evidence");
    assert_eq!(evidence.recipient.as_str(), RECIPIENT);
    assert_eq!(evidence.retention_seconds, 90 * 86_400);
    assert_eq!(evidence.bodies_per_sender, 3);
    assert!(settings.tenants[1].evidence.is_none(), "lyon keeps nothing");
    assert!(settings.privacy.evidence_signer.is_some());
    assert!(load(&config(HEAD, PARIS, LYON)).unwrap().privacy.evidence_signer.is_none());
}

#[test]
fn evidence_keys_are_read_with_their_units() {
    let text = format!("{{ recipient = \"{RECIPIENT}\", retention = \"30d\", bodies_per_sender = 0 }}");
    let settings = load(&with_evidence(&text, Some(SIGNING_KEY))).unwrap();
    let evidence = settings.tenants[0].evidence.as_ref().unwrap();
    assert_eq!((evidence.retention_seconds, evidence.bodies_per_sender), (30 * 86_400, 0));
}

#[test]
fn a_tenant_with_evidence_needs_the_deployments_signing_key() {
    assert_one_problem(
        &with_evidence(&format!("{{ recipient = \"{RECIPIENT}\" }}"), None),
        "privacy.evidence_signing_key",
        "required once a tenant keeps evidence (tenants[0].evidence)",
    );
}

#[test]
fn bad_evidence_values_are_problems_at_their_keys() {
    let bad = with_evidence(
        "{ recipient = \"AGE-SECRET-KEY-1XYZ\", retention = \"2h\", bodies_per_sender = 11 }",
        Some("c2hvcnQ="),
    );
    let found = problems(&bad);
    let keys: Vec<&str> = found.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "privacy.evidence_signing_key",
            "tenants[0].evidence.recipient",
            "tenants[0].evidence.retention",
            "tenants[0].evidence.bodies_per_sender"
        ],
        "{found:?}"
    );
    assert!(found[0].reason.contains("5 bytes once decoded, expected 32"), "{found:?}");
    assert!(found[1].reason.contains("age-keygen"), "{found:?}");
    assert!(found[2].reason.contains("between 1d and 366d"), "{found:?}");
    assert!(found[3].reason.contains("at most 10"), "{found:?}");
    assert_one_problem(
        &with_evidence("{ retention = \"30d\" }", Some(SIGNING_KEY)),
        "tenants[0].evidence.recipient",
        "required",
    );
}
