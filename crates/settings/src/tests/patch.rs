//! `NumberPatch`: runtime changes of a number, checked like the file.

use serde_json::json;

use crate::NumberPatch;

use super::*;

fn number() -> crate::NumberSettings {
    load(&config(HEAD, &format!("{PARIS}daily_cap = \"5.00\"\n"), LYON)).unwrap().tenants[0].numbers[0].clone()
}

fn patch_problems(value: serde_json::Value) -> Vec<String> {
    NumberPatch::from_json(&value).unwrap_err().iter().map(Problem::to_string).collect()
}

#[test]
fn a_patch_changes_only_its_keys_and_recomputes_the_cost() {
    let number = number();
    let long_reply = "ô".repeat(100);
    let patch = NumberPatch::from_json(&json!({
        "reply": format!("  {long_reply} "),
        "max_replies_per_minute": "12",
        "allowed_countries": ["fr", "be"],
        "shield": {"hold": "2h", "defer_for": 600},
    }))
    .unwrap();
    let patched = number.with_patch(&patch);
    assert_eq!(patched.reply, long_reply);
    assert_eq!((patched.reply_segments.segments, patched.reply_cost), (2, Money::parse("0.16").unwrap()));
    assert_eq!(patched.max_replies_per_minute, 12);
    assert_eq!(patched.allowed_countries, AllowedCountries::Only(vec!["FR".into(), "BE".into()]));
    assert_eq!((patched.shield.hold_seconds, patched.shield.defer_for_seconds), (7_200, 600));
    assert_eq!(patched.shield.trigger_per_minute, number.shield.trigger_per_minute);
    assert_eq!((patched.daily_cap, patched.price_per_segment), (number.daily_cap, number.price_per_segment));
    assert_eq!((&patched.number, patched.reply_once_per_seconds), (&number.number, number.reply_once_per_seconds));
}

#[test]
fn null_removes_the_daily_cap_and_restores_defaults() {
    let number = number();
    let raised = number.with_patch(&NumberPatch::from_json(&json!({"max_replies_per_minute": 99})).unwrap());
    let patch =
        NumberPatch::from_json(&json!({"daily_cap": null, "max_replies_per_minute": null, "shield": {"hold": null}}))
            .unwrap();
    assert_eq!(patch.daily_cap, Some(None));
    let patched = raised.with_patch(&patch);
    assert_eq!(patched.daily_cap, None);
    assert_eq!(patched.max_replies_per_minute, crate::DEFAULT_MAX_REPLIES_PER_MINUTE);
    assert_eq!(patched.shield.hold_seconds, crate::DEFAULT_SHIELD.hold_seconds);
    let capped = patched.with_patch(&NumberPatch::from_json(&json!({"daily_cap": "2.50"})).unwrap());
    assert_eq!(capped.daily_cap, Some(Money::parse("2.50").unwrap()));
}

#[test]
fn a_bad_patch_gets_the_files_messages_every_problem_at_once() {
    let problems = patch_problems(json!({
        "reply": "ô".repeat(671),
        "daily_cap": 0.5,
        "max_replies_per_minute": 0,
        "allowed_countries": ["FR", "France"],
        "shield": {"hold": "forever", "defer_for": "30s", "trigger_per_minut": 5},
        "paused": true,
    }));
    assert_eq!(
        problems,
        [
            "paused: unknown key",
            "reply: too long: 11 segments (UCS-2, 671 units), at most 10 are allowed",
            "daily_cap: money must be exact: write it as a quoted decimal string such as \"0.5\", not the float 0.5",
            "max_replies_per_minute: must be more than zero",
            "allowed_countries[1]: expected an ISO 3166 alpha-2 country code such as \"FR\", got \"France\"",
            "shield.trigger_per_minut: unknown key (did you mean \"trigger_per_minute\"?)",
            "shield.hold: not a duration (use a number and a unit s, m, h or d, e.g. \"30d\"): \"forever\"",
            "shield.defer_for: must be at least 1m, got 30 seconds",
        ]
    );
    assert_eq!(patch_problems(json!({"reply": null})), ["reply: required"]);
    assert_eq!(patch_problems(json!(["reply"])), ["expected a JSON object such as {\"daily_cap\": \"5.00\"}"]);
    assert_eq!(patch_problems(json!({"shield": 3})), ["shield: expected a table, got the integer 3"]);
}

#[test]
fn a_patch_round_trips_through_its_stored_json() {
    let patch = NumberPatch::from_json(&json!({
        "reply": "Non.",
        "daily_cap": null,
        "allowed_countries": ["*"],
        "shield": {"trickle_per_hour": 0, "hold": "1h30m"},
    }))
    .unwrap();
    let stored = serde_json::to_string(&patch).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stored).unwrap(),
        json!({"reply": "Non.", "daily_cap": null, "allowed_countries": ["*"], "shield": {"hold": 5400, "trickle_per_hour": 0}})
    );
    let read: NumberPatch = serde_json::from_str(&stored).unwrap();
    assert_eq!(read, patch);
    let money = NumberPatch::from_json(&json!({"daily_cap": "0.0075"})).unwrap();
    assert_eq!(money.to_json(), json!({"daily_cap": "0.0075"}));
    let error = serde_json::from_str::<NumberPatch>(r#"{"daily_cap": "-1"}"#).unwrap_err();
    assert!(error.to_string().contains("daily_cap: negative amounts are not allowed"), "{error}");
}

#[test]
fn a_later_patch_wins_key_by_key() {
    let first = NumberPatch::from_json(&json!({"reply": "A", "daily_cap": "1", "shield": {"hold": 60}})).unwrap();
    let later = NumberPatch::from_json(&json!({"daily_cap": null, "shield": {"trickle_per_hour": 3}})).unwrap();
    let both = first.then(&later);
    assert_eq!(both.to_json(), json!({"reply": "A", "daily_cap": null, "shield": {"hold": 60, "trickle_per_hour": 3}}));
    assert!(NumberPatch::from_json(&json!({})).unwrap().is_empty());
    assert!(!both.is_empty());
}
