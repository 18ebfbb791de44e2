//! `docs/configuration.md` documents every declared key, under the heading
//! of its table, and no key that is not declared.

use std::collections::BTreeMap;

use crate::settings::declared_keys;

fn configuration_md() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Each heading of the document (outside code blocks) with the keys of its
/// table's rows (`| \`key\` |`).
fn sections(doc: &str) -> Vec<(String, Vec<String>)> {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_code = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if in_code {
        } else if line.starts_with('#') {
            sections.push((line.to_owned(), Vec::new()));
        } else if let Some(key) = line.strip_prefix("| `").and_then(|rest| rest.split_once("` |")).map(|(k, _)| k) {
            if let Some((_, keys)) = sections.last_mut() {
                keys.push(key.to_owned());
            }
        }
    }
    sections
}

/// The section whose heading names `heading` in backticks.
fn section<'s>(sections: &'s [(String, Vec<String>)], heading: &str) -> Option<&'s (String, Vec<String>)> {
    sections.iter().find(|(line, _)| line.contains(&format!("`{heading}`")))
}

#[test]
fn the_schema_walk_finds_every_table_and_every_provider_kind() {
    let declared = declared_keys();
    let has = |heading: &str, key: &str| declared.contains(&(heading, key));
    assert!(has("", "tenants") && has("[server]", "admin_listen") && has("[ledger]", "redis_url"));
    assert!(has("[privacy]", "sealing_key") && has("provider", "kind") && has("kind = \"ovh\"", "poll_interval"));
    assert!(has("kind = \"vonage\"", "signature_method") && has("shield", "defer_for"));
    assert!(has("[[tenants.numbers]]", "reply_once_per") && has("[[tenants]]", "numbers"));
}

#[test]
fn every_declared_key_is_documented_under_its_tables_heading() {
    let doc = configuration_md();
    let sections = sections(&doc);
    let mut missing = Vec::new();
    for (heading, key) in declared_keys() {
        if heading.is_empty() {
            // A top-level key is a table with its own heading.
            let documented = [format!("`[{key}]`"), format!("`[[{key}]]`")]
                .iter()
                .any(|h| sections.iter().any(|(line, _)| line.contains(h.as_str())));
            if !documented {
                missing.push(format!("a heading `[{key}]` or `[[{key}]]`"));
            }
            continue;
        }
        match section(&sections, heading) {
            None => missing.push(format!("a heading `{heading}` (for {key})")),
            Some((_, keys)) if !keys.iter().any(|k| k == key) => {
                missing.push(format!("a row | `{key}` | under `{heading}`"))
            }
            Some(_) => {}
        }
    }
    assert!(missing.is_empty(), "docs/configuration.md lacks:\n{}", missing.join("\n"));
}

#[test]
fn the_key_tables_document_no_key_that_is_not_declared() {
    let doc = configuration_md();
    let sections = sections(&doc);
    let mut by_heading: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (heading, key) in declared_keys() {
        by_heading.entry(heading).or_default().push(key);
    }
    let mut stale = Vec::new();
    for (heading, keys) in &by_heading {
        let Some((line, documented)) = section(&sections, heading) else { continue };
        for key in documented.iter().filter(|k| !keys.contains(&k.as_str())) {
            stale.push(format!("{line}: | `{key}` |"));
        }
    }
    assert!(stale.is_empty(), "docs/configuration.md documents keys nobody reads:\n{}", stale.join("\n"));
}
