//! Every example file shipped in the repository validates without a
//! warning, and says the truth.

use antirelou_domain::ProviderKind;

use super::*;

#[test]
fn every_shipped_example_validates() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", examples.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "expected example files in {}", examples.display());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let env = example_env(&text);
        let settings = Settings::load_with_env(&file, env)
            .unwrap_or_else(|e| panic!("{} does not validate:\n{e}", file.display()));
        assert!(settings.number_count() >= 2, "{} should show several numbers", file.display());
        assert_eq!(settings.warnings, [], "{} should set an example without warnings", file.display());
    }
}

/// A plausible value for every `{ env = "NAME" }` secret, different for
/// each variable (tokens and keys must be).
fn example_env(text: &str) -> Vec<(String, String)> {
    referenced_variables(text).into_iter().map(|name| (name.clone(), format!("an-example-secret-for-{name}"))).collect()
}

/// Names in `env = "NAME"`.
fn referenced_variables(text: &str) -> Vec<String> {
    text.split("env = \"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

#[test]
fn the_main_example_says_the_truth_about_its_replies() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/antirelou.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let settings = Settings::load_with_env(&file, example_env(&text)).unwrap();
    let segments: Vec<(String, u32, String)> = settings
        .numbers()
        .map(|(_, n)| (n.reply_segments.encoding.to_string(), n.reply_segments.segments, n.reply_cost.to_string()))
        .collect();
    let expected = [("GSM-7", 1, "0.08"), ("GSM-7", 1, "0.08"), ("GSM-7", 2, "0.16"), ("UCS-2", 1, "0.08")];
    let expected: Vec<(String, u32, String)> =
        expected.iter().map(|(e, s, c)| (e.to_string(), *s, c.to_string())).collect();
    assert_eq!(segments, expected);
    assert_eq!(settings.tenants[1].numbers[0].reply_segments.units, 230);
    assert!(settings.tenants[1].prepaid);
    assert_eq!(settings.tenants[0].blocklist.len(), 2);
}

#[test]
fn the_providers_example_has_one_tenant_per_provider_kind() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/providers.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let settings = Settings::load_with_env(&file, example_env(&text)).unwrap();
    let kinds: Vec<ProviderKind> = settings.tenants.iter().map(|t| t.provider.kind()).collect();
    assert_eq!(kinds, ProviderKind::ALL);
}
