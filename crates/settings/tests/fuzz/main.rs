//! Structure-aware fuzzing of the settings loaders and of number patches:
//! whatever the input, loading returns settings or problems, never panics.
//!
//! Inputs are grown from a valid configuration (every provider kind, every
//! table) by mutations that know its shape: a value replaced by one of
//! another type, a huge number, odd Unicode or a near-valid string; a key
//! removed, renamed or added; `ANTIRELOU__...` overrides with list indexes;
//! the text itself cut or spliced. Patches are JSON objects around the
//! patchable keys. Each run is bounded in cases (`ANTIRELOU_FUZZ_CASES`
//! raises it locally) and finishes in seconds.
//!
//! A panicking input is shrunk, saved under `tests/fuzz-corpus/settings/`
//! and the test fails; every saved input is replayed by
//! `every_saved_input_loads_without_panicking`.

use std::hash::{Hash, Hasher};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

mod inputs;

use antirelou_settings::{NumberPatch, Settings};
use inputs::{patch_input, settings_input, SettingsInput, ENV, VALID};
use proptest::strategy::Strategy;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use serde_json::{json, Value};

/// Loads one input, and uses the result as a caller would.
fn load_settings(input: &SettingsInput) {
    if let Ok(settings) = Settings::from_toml_str_with_env(&input.toml, input.env.clone()) {
        let _ = format!("{settings:?}");
        for (_, number) in settings.numbers() {
            let _ = number.with_patch(&NumberPatch::default()).reply_cost;
        }
        for warning in &settings.warnings {
            let _ = warning.to_string();
        }
    }
}

/// Reads one patch; an accepted one must survive its stored form and apply.
fn read_patch(value: &Value) -> Result<(), String> {
    let Ok(patch) = NumberPatch::from_json(value) else { return Ok(()) };
    let stored = serde_json::to_string(&patch).map_err(|e| e.to_string())?;
    let again: NumberPatch = serde_json::from_str(&stored).map_err(|e| format!("stored {stored}: {e}"))?;
    if again != patch {
        return Err(format!("{stored} read back as {again:?}, not {patch:?}"));
    }
    let number = base_number();
    let patched = number.with_patch(&patch);
    if patched.reply_cost != patched.price_per_segment.checked_mul(patched.reply_segments.segments).unwrap_or_default()
    {
        return Err(format!("the cost of {patch:?} was not recomputed"));
    }
    Ok(())
}

fn base_number() -> antirelou_settings::NumberSettings {
    let env: Vec<(&str, &str)> = ENV.to_vec();
    let settings = Settings::from_toml_str_with_env(VALID, env).unwrap_or_else(|e| panic!("the seed is invalid:\n{e}"));
    settings.tenants[0].numbers[0].clone()
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fuzz-corpus/settings")
}

/// Saves a failing input under the corpus, named by its content.
fn save(case: &Value) -> PathBuf {
    let text = serde_json::to_string_pretty(case).unwrap_or_default();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut hasher);
    let target = case["target"].as_str().unwrap_or("unknown");
    let path = corpus().join(format!("{target}-{:016x}.json", hasher.finish()));
    let _ = std::fs::create_dir_all(corpus());
    let _ = std::fs::write(&path, text + "\n");
    path
}

fn settings_case(input: &SettingsInput) -> Value {
    json!({"target": "settings", "toml": input.toml, "env": input.env})
}

fn patch_case(patch: &Value) -> Value {
    json!({"target": "patch", "patch": patch})
}

fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("ANTIRELOU_FUZZ_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    TestRunner::new(Config { cases, failure_persistence: None, max_shrink_iters: 4_096, ..Config::default() })
}

/// Runs `check` on each generated input; a failure is shrunk, saved and reported.
fn fuzz<S, F>(strategy: S, cases: u32, as_case: impl Fn(&S::Value) -> Value, check: F)
where
    S: Strategy,
    F: Fn(&S::Value) -> Result<(), String>,
{
    let result = runner(cases).run(&strategy, |input| match catch_unwind(AssertUnwindSafe(|| check(&input))) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(reason)) => Err(TestCaseError::fail(reason)),
        Err(_) => Err(TestCaseError::fail("panicked")),
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, input)) => {
            let path = save(&as_case(&input));
            panic!("{reason} on an input saved as {}:\n{input:?}", path.display());
        }
        Err(TestError::Abort(reason)) => panic!("fuzzing aborted: {reason}"),
    }
}

#[test]
fn mutated_configurations_load_or_list_problems_without_panicking() {
    fuzz(settings_input(), 400, settings_case, |input| {
        load_settings(input);
        Ok(())
    });
}

#[test]
fn generated_patches_are_read_or_refused_and_accepted_ones_round_trip() {
    fuzz(patch_input(), 400, patch_case, read_patch);
}

#[test]
fn the_seed_loads_so_mutations_start_from_a_valid_tree() {
    let settings = Settings::from_toml_str_with_env(VALID, ENV).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.tenants.len(), 4);
    assert_eq!(settings.warnings.len(), 1, "the French mobile number warns");
}

#[test]
fn every_saved_input_loads_without_panicking() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", corpus().display()))
        .map(|entry| entry.map(|e| e.path()).unwrap_or_default())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the corpus has seed inputs");
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let case: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let outcome = catch_unwind(AssertUnwindSafe(|| match case["target"].as_str() {
            Some("settings") => {
                let env = case["env"].as_array().map_or_else(Vec::new, |pairs| {
                    pairs
                        .iter()
                        .filter_map(|pair| Some((pair[0].as_str()?.to_owned(), pair[1].as_str()?.to_owned())))
                        .collect()
                });
                let toml = case["toml"].as_str().unwrap_or_default().to_owned();
                load_settings(&SettingsInput { toml, env });
                Ok(())
            }
            Some("patch") => read_patch(&case["patch"]),
            other => Err(format!("unknown target {other:?}")),
        }));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(reason)) => failures.push(format!("{}: {reason}", file.display())),
            Err(_) => failures.push(format!("{}: panicked", file.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
