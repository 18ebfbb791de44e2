//! What the ledger holds of the runtime controls, loaded in one go, and
//! the policies it makes: the file's settings with each number's overrides
//! and pause, and each tenant's file blocklist joined with the stored one.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use antirelou_domain::SenderKey;
use antirelou_ledger::{BlockedSender, Ledger, LedgerError};
use antirelou_settings::{NumberPatch, NumberSettings, Settings};

use crate::policy::NumberPolicy;

/// The stored controls of one number.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StoredNumber {
    /// `None`: as the file says.
    pub paused: Option<bool>,
    /// Empty when nothing overrides the file.
    pub overrides: NumberPatch,
}

/// Every runtime control in force, as of `version`.
#[derive(Clone, Debug, Default)]
pub struct ControlView {
    pub version: u64,
    pub numbers: HashMap<String, StoredNumber>,
    /// Stored blocklists by tenant (the file's are not here).
    pub blocklists: HashMap<String, Vec<BlockedSender>>,
}

impl ControlView {
    /// Reads everything stored for the numbers and tenants of `settings`.
    /// The version is read first: a change made while reading moves it
    /// past what this view says, and is read again.
    pub async fn load(ledger: &dyn Ledger, settings: &Settings) -> Result<ControlView, LedgerError> {
        let version = ledger.control_version().await?;
        let numbers: Vec<String> = settings.numbers().map(|(_, n)| n.number.as_str().to_owned()).collect();
        let mut view = ControlView { version, ..ControlView::default() };
        for stored in ledger.number_controls(&numbers).await? {
            let overrides = match stored.overrides.as_deref().map(parse_patch) {
                Some(Ok(patch)) => patch,
                Some(Err(why)) => {
                    // Refused by this version's readers: the file holds.
                    tracing::warn!(number = %stored.number, %why, "stored overrides ignored");
                    NumberPatch::default()
                }
                None => NumberPatch::default(),
            };
            view.numbers.insert(stored.number, StoredNumber { paused: stored.paused, overrides });
        }
        for tenant in &settings.tenants {
            let list = ledger.blocklist(&tenant.id).await?;
            if !list.is_empty() {
                view.blocklists.insert(tenant.id.clone(), list);
            }
        }
        Ok(view)
    }

    /// What is stored for `number` (nothing: the file holds).
    pub fn number(&self, number: &str) -> StoredNumber {
        self.numbers.get(number).cloned().unwrap_or_default()
    }

    /// Every number's policy under these controls, by number.
    pub fn policies(&self, settings: &Settings) -> HashMap<String, Arc<NumberPolicy>> {
        let mut policies = HashMap::new();
        for tenant in &settings.tenants {
            let blocklist = self.blocklists.get(&tenant.id).filter(|list| !list.is_empty()).map(|list| {
                let mut all: HashSet<SenderKey> = tenant.blocklist.iter().copied().collect();
                all.extend(list.iter().map(|b| b.sender));
                Arc::new(all)
            });
            for number in &tenant.numbers {
                let stored = self.number(number.number.as_str());
                let patched = effective(number, &stored);
                let mut policy = NumberPolicy::from_settings(settings, tenant, &patched);
                policy.paused = stored.paused.unwrap_or(number.paused);
                if let Some(blocklist) = &blocklist {
                    policy.blocklist = Arc::clone(blocklist);
                }
                policies.insert(number.number.as_str().to_owned(), Arc::new(policy));
            }
        }
        policies
    }
}

/// A number's settings with its stored overrides (the file's when none).
pub fn effective(number: &NumberSettings, stored: &StoredNumber) -> NumberSettings {
    if stored.overrides.is_empty() {
        number.clone()
    } else {
        number.with_patch(&stored.overrides)
    }
}

/// A stored patch, read (and so validated) again.
pub fn parse_patch(json: &str) -> Result<NumberPatch, String> {
    let value: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
    NumberPatch::from_json(&value)
        .map_err(|problems| problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use antirelou_domain::{Money, SenderHasher};
    use serde_json::json;

    use super::*;

    const NUMBER: &str = "+33612345678";

    #[test]
    fn a_policy_is_the_file_with_the_overrides_the_pause_and_both_blocklists() {
        let mut settings = Settings::demo(Path::new("data"));
        let hasher = SenderHasher::new(b"view-test-key");
        let from_file = hasher.key("+33700000001");
        settings.tenants[0].blocklist = vec![from_file];
        let file = ControlView::default().policies(&settings);
        let file = &file[NUMBER];
        assert!(!file.paused);
        assert_eq!(file.caps.number_daily, Some(Money::parse("5.00").unwrap()));

        let overrides = parse_patch(&json!({"reply": "Non. ".repeat(40), "daily_cap": null}).to_string()).unwrap();
        let stored = hasher.key("+33700000002");
        let mut view = ControlView { version: 3, ..ControlView::default() };
        view.numbers.insert(NUMBER.into(), StoredNumber { paused: Some(true), overrides });
        view.blocklists
            .insert("demo".into(), vec![BlockedSender { sender: stored, label: String::new(), added_micros: 0 }]);
        let policies = view.policies(&settings);
        let policy = &policies[NUMBER];
        assert!(policy.paused);
        assert_eq!(policy.caps.number_daily, None, "null: no cap");
        assert_eq!(policy.reply_cost, Money::parse("0.16").unwrap(), "200 characters: two segments at 0.08");
        assert_eq!(policy.judge.reply_cost, policy.reply_cost, "the judge pays the new reply");
        assert!(policy.blocklist.contains(&from_file) && policy.blocklist.contains(&stored));
        assert_eq!(policy.blocklist.len(), 2);
    }

    #[test]
    fn a_stored_patch_is_read_again_with_the_files_readers() {
        assert!(parse_patch(r#"{"shield": {"hold": "soon"}}"#).unwrap_err().contains("shield.hold"));
        assert!(parse_patch("not json").is_err());
    }
}
