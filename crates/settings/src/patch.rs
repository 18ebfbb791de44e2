//! [`NumberPatch`]: runtime changes to a number (the admin API's `PATCH`),
//! read from JSON with the same readers as the file, so a patch gets the
//! same messages at the same key paths (`reply: too long: 11 segments…`,
//! `shield.hold: not a duration…`), every problem at once.
//!
//! A patch is stored as the JSON it serialises to (the ledger backend keeps
//! it so that every replica applies it and it survives restarts); reading it
//! back validates it again.

use antirelou_domain::segments;
use antirelou_domain::Money;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::check::{Check, Origin};
use crate::env::Env;
use crate::error::Problem;
use crate::node::Node;
use crate::number::{
    countries, reply_cost, reply_text, AllowedCountries, NumberSettings, DEFAULT_MAX_REPLIES_PER_MINUTE,
};
use crate::read::{positive, positive_typed_money};
use crate::shield::ShieldPatch;
use crate::table::Table;

/// The keys of a number that a patch may change, each `None` when kept.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NumberPatch {
    pub reply: Option<String>,
    /// `Some(None)` removes the cap (`"daily_cap": null`).
    pub daily_cap: Option<Option<Money>>,
    /// `null` restores the default.
    pub max_replies_per_minute: Option<u32>,
    pub allowed_countries: Option<AllowedCountries>,
    /// Every `shield` key; `null` restores a key's default.
    pub shield: ShieldPatch,
}

impl NumberPatch {
    /// Reads a patch such as `{"reply": "…", "daily_cap": null, "shield": {"hold": "2h"}}`.
    /// Values are written as in the configuration file; `null` is the key
    /// left out of the file (its default, or no cap), and is refused for
    /// `reply` and `allowed_countries`, which have no default in a patch.
    pub fn from_json(value: &Value) -> Result<NumberPatch, Vec<Problem>> {
        let env = Env::default();
        let mut check = Check::new(&env, Origin::File);
        let Node::Table(entries) = Node::from_json(value) else {
            return Err(vec![Problem::new("", "expected a JSON object such as {\"daily_cap\": \"5.00\"}")]);
        };
        let mut table = Table::open(&check, String::new(), "patch", entries);
        let patch = read(&mut table, &mut check);
        table.finish(&mut check);
        let (problems, _) = check.finish();
        match patch {
            Some(patch) if problems.is_empty() => Ok(patch),
            _ if problems.is_empty() => Err(vec![Problem::new("", "invalid patch")]),
            _ => Err(problems),
        }
    }

    /// The patch as JSON, in the form [`NumberPatch::from_json`] reads.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        if let Some(reply) = &self.reply {
            out.insert("reply".to_owned(), reply.to_json());
        }
        if let Some(cap) = &self.daily_cap {
            out.insert("daily_cap".to_owned(), cap.to_json());
        }
        if let Some(max) = &self.max_replies_per_minute {
            out.insert("max_replies_per_minute".to_owned(), max.to_json());
        }
        if let Some(countries) = &self.allowed_countries {
            out.insert("allowed_countries".to_owned(), countries.to_json());
        }
        if !self.shield.is_empty() {
            let mut shield = Map::new();
            self.shield.write(&mut shield);
            out.insert("shield".to_owned(), Value::Object(shield));
        }
        Value::Object(out)
    }

    /// Whether the patch changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == NumberPatch::default()
    }

    /// This patch followed by `later`: `later`'s values win, key by key.
    pub fn then(&self, later: &NumberPatch) -> NumberPatch {
        NumberPatch {
            reply: later.reply.clone().or_else(|| self.reply.clone()),
            daily_cap: later.daily_cap.or(self.daily_cap),
            max_replies_per_minute: later.max_replies_per_minute.or(self.max_replies_per_minute),
            allowed_countries: later.allowed_countries.clone().or_else(|| self.allowed_countries.clone()),
            shield: self.shield.then(&later.shield),
        }
    }
}

impl NumberSettings {
    /// These settings with `patch` applied; the reply's segments and cost
    /// are computed again.
    pub fn with_patch(&self, patch: &NumberPatch) -> NumberSettings {
        let mut number = self.clone();
        if let Some(reply) = &patch.reply {
            number.reply = reply.clone();
        }
        if let Some(cap) = patch.daily_cap {
            number.daily_cap = cap;
        }
        if let Some(max) = patch.max_replies_per_minute {
            number.max_replies_per_minute = max;
        }
        if let Some(countries) = &patch.allowed_countries {
            number.allowed_countries = countries.clone();
        }
        patch.shield.apply(&mut number.shield);
        number.reply_segments = segments::count(&number.reply);
        number.reply_cost = reply_cost(number.price_per_segment, &number.reply_segments);
        number
    }
}

impl Serialize for NumberPatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for NumberPatch {
    /// Validates again: a stored patch is accepted only if it still is valid.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<NumberPatch, D::Error> {
        let value = Value::deserialize(deserializer)?;
        NumberPatch::from_json(&value).map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
            serde::de::Error::custom(lines.join("; "))
        })
    }
}

/// A patched value as JSON, in the form the file's reader accepts.
pub(crate) trait PatchValue {
    fn to_json(&self) -> Value;
}

impl PatchValue for String {
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl PatchValue for u32 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

/// Durations too: the readers take whole seconds.
impl PatchValue for u64 {
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

/// Money as an exact decimal string, never a float.
impl PatchValue for Money {
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }
}

impl PatchValue for AllowedCountries {
    fn to_json(&self) -> Value {
        match self {
            AllowedCountries::Any => Value::from(vec!["*"]),
            AllowedCountries::Only(codes) => Value::from(codes.clone()),
        }
    }
}

impl<T: PatchValue> PatchValue for Option<T> {
    fn to_json(&self) -> Value {
        self.as_ref().map_or(Value::Null, T::to_json)
    }
}

/// Reads the patchable keys `table` has.
fn read(table: &mut Table, check: &mut Check<'_>) -> Option<NumberPatch> {
    let reply = if table.has("reply") { table.required(check, "reply", reply_text).map(Some) } else { Some(None) };
    let daily_cap = if table.has("daily_cap") {
        table.optional(check, "daily_cap", positive_typed_money).map(Some)
    } else {
        Some(None)
    };
    let max_replies_per_minute = if table.has("max_replies_per_minute") {
        table.or(check, "max_replies_per_minute", DEFAULT_MAX_REPLIES_PER_MINUTE, positive::<u32>).map(Some)
    } else {
        Some(None)
    };
    let allowed_countries = if table.has("allowed_countries") {
        table.required(check, "allowed_countries", countries()).map(Some)
    } else {
        Some(None)
    };
    let shield = table.section::<ShieldPatchTable>(check, "shield").map(|shield| shield.0);
    Some(NumberPatch {
        reply: reply?,
        daily_cap: daily_cap?,
        max_replies_per_minute: max_replies_per_minute?,
        allowed_countries: allowed_countries?,
        shield: shield?,
    })
}

/// [`ShieldPatch`] read as the nested `shield` table (`shield.hold: ...`).
struct ShieldPatchTable(ShieldPatch);

impl crate::schema::Section for ShieldPatchTable {
    const HEADING: &'static str = "shield";

    fn read(table: &mut Table, check: &mut Check<'_>) -> Option<Self> {
        ShieldPatch::read(table, check).map(ShieldPatchTable)
    }
}
