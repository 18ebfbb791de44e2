//! Warnings: accepted values that are probably wrong.

use super::*;

#[test]
fn a_french_mobile_number_loads_with_a_warning_at_its_key() {
    let settings = load(&config(HEAD, PARIS, LYON)).unwrap();
    let keys: Vec<&str> = settings.warnings.iter().map(|w| w.key.as_str()).collect();
    assert_eq!(keys, ["tenants[0].numbers[0].number", "tenants[1].numbers[0].number"]);
    let warning = settings.warnings[0].to_string();
    assert!(warning.starts_with("tenants[0].numbers[0].number: +33612345678 is a French mobile number"), "{warning}");
    assert!(warning.contains("ARCEP decision 2022-1583") && warning.contains("docs/providers.md"), "{warning}");
}

#[test]
fn a_technical_platform_number_or_a_foreign_one_gets_no_warning() {
    let paris = PARIS.replace("+33612345678", "+33937123456");
    let lyon = LYON.replace("+33612345679", "+32470123456");
    let settings = load(&config(HEAD, &paris, &lyon)).unwrap();
    assert_eq!(settings.warnings, []);
}

#[test]
fn warnings_do_not_hide_problems() {
    let lyon = LYON.replace("\"0.08\"", "\"abc\"");
    assert_one_problem(&config(HEAD, PARIS, &lyon), "tenants[1].numbers[0].price_per_segment", "not a decimal");
}
