//! The behaviour every [`Ledger`] backend must show, written once. Each
//! backend's tests expand [`ledger_conformance_suite!`](crate::ledger_conformance_suite)
//! with a factory that returns a fresh, empty ledger.
//!
//! - [`decisions`]: the "may I reply" operation: dedupe, sender memory,
//!   caps to the micro, rates, the shield trickle, concurrency.
//! - [`money`]: inbound charges, top-ups, balances, entries and their pages.
//! - [`queue`]: the deferred-reply queue (pacing, one payment per judgement) and leases.
//! - [`reports`]: alert claims (once across callers, kept bounded) and per-day counters.
//! - [`baselines`]: numbers' baselines, written only over the version read.
//! - [`control`]: runtime controls (pause, overrides, blocklists, audit pages).
//! - [`evidence`]: incidents (opened once, joined, counted per slot) and sealed parts.
//! - [`health`]: each number's health: problems and failing episodes with their first instant, states with their `since`.
//! - [`donations`]: donations credited once, refunds debited once, the list.
//! - [`calls`]: answered calls settled once at their real duration.
//!
//! Compiled for tests and the `test-support` feature only.

pub mod baselines;
pub mod calls;
pub mod control;
pub mod decisions;
pub mod donations;
pub mod evidence;
pub mod health;
pub mod money;
pub mod queue;
pub mod reports;

pub use baselines::*;
pub use calls::*;
pub use control::*;
pub use decisions::*;
pub use donations::*;
pub use evidence::*;
pub use health::*;
pub use money::*;
pub use queue::*;
pub use reports::*;

use std::sync::Arc;

use antirelou_domain::{Money, Periods, SenderHasher};
use chrono::{TimeZone, Utc};

use crate::model::{Caps, EntryFilter, EntryKind, InboundBatch, ReplyRequest, ReplyVerdict, TotalsQuery};
use crate::Ledger;

/// 2026-11-28 12:00:00 UTC, a fixed instant for reproducible periods.
pub const NOON_MICROS: i64 = 1_795_867_200_000_000;

/// A reply request at [`NOON_MICROS`] costing 0.08, with no cap.
pub fn request(tenant: &str, number: &str, message_id: &str, sender: &str) -> ReplyRequest {
    request_at(tenant, number, message_id, sender, NOON_MICROS)
}

pub fn request_at(tenant: &str, number: &str, message_id: &str, sender: &str, now_micros: i64) -> ReplyRequest {
    let now = Utc.timestamp_micros(now_micros).single().unwrap_or_default();
    ReplyRequest {
        tenant: Arc::from(tenant),
        number: Arc::from(number),
        message_id: message_id.to_owned(),
        sender: SenderHasher::new(b"conformance-key").key(sender),
        cost: Money::from_micros(80_000),
        kind: EntryKind::Reply,
        now_micros,
        periods: Periods::at(now, chrono_tz::Europe::Paris),
        reply_once_per_seconds: 30 * 86_400,
        caps: Caps::default(),
        prepaid: false,
        max_replies_per_minute: None,
        deferred: None,
    }
}

/// Inbound messages `ids` of paris/+33612345678 at `now_micros`, 0.01 each.
pub fn inbound(ids: &[&str], now_micros: i64) -> InboundBatch {
    let probe = request_at("paris", "+33612345678", "x", "+1", now_micros);
    InboundBatch {
        tenant: Arc::from("paris"),
        number: Arc::from("+33612345678"),
        message_ids: ids.iter().map(|id| (*id).to_owned()).collect(),
        unit_price: Money::from_micros(10_000),
        prepaid: false,
        now_micros,
        periods: probe.periods,
    }
}

pub(crate) fn replied(v: &ReplyVerdict) -> bool {
    matches!(v, ReplyVerdict::Replied { .. })
}

pub(crate) async fn number_day_spend(ledger: &dyn Ledger, r: &ReplyRequest) -> Money {
    ledger
        .totals(&TotalsQuery { tenant: r.tenant.to_string(), number: r.number.to_string(), periods: r.periods.clone() })
        .await
        .map(|t| t.number_day)
        .unwrap_or(Money::from_micros(-1))
}

/// Every entry matching `filter`, following the cursor page after page.
pub async fn all_entries(ledger: &dyn Ledger, filter: &EntryFilter) -> Vec<crate::Entry> {
    let mut filter = filter.clone();
    let mut found = Vec::new();
    loop {
        let page = ledger.entries(&filter).await.expect("entries page");
        found.extend(page.entries);
        match page.next {
            Some(next) => filter.after = Some(next),
            None => return found,
        }
    }
}

/// Expands to one `#[tokio::test]` per conformance check. `$factory` is an
/// async fn returning `(guard, Arc<dyn Ledger>)`; the guard lives for the test.
#[macro_export]
macro_rules! ledger_conformance_suite {
    ($factory:path) => {
        $crate::ledger_conformance_suite!(@tests $factory;
            first_message_replies_then_sender_is_remembered,
            an_answered_call_is_an_entry_of_kind_call_and_shares_the_senders_one_answer,
            same_message_id_is_paid_once_and_answered_alike,
            a_message_id_is_forgotten_after_its_ttl,
            how_a_message_was_decided_can_be_asked_afterwards,
            an_opted_out_sender_is_never_answered_again,
            sender_memory_expires_after_reply_once_per,
            number_daily_cap_holds_to_the_micro_and_resets_next_day,
            a_reply_that_exactly_reaches_a_cap_is_paid,
            tenant_and_deployment_monthly_caps_hold,
            global_reply_rate_limits_per_minute,
            a_shield_end_is_shared_and_keeps_the_later_end,
            free_prepaid_reply_creates_no_balance_and_zero_memory_remembers_nobody,
            prepaid_balance_gates_replies_and_never_goes_negative,
            inbound_charges_count_against_caps,
            an_inbound_message_id_is_charged_once_whatever_replays_it,
            entries_add_up_to_totals_and_filter_by_tenant,
            bad_top_ups_are_refused_and_change_nothing,
            the_last_top_up_is_kept_per_tenant_and_a_refused_one_changes_nothing,
            a_balance_can_not_overflow,
            entries_filter_by_time_window_then_limit,
            entries_come_in_pages_that_join_up_exactly,
            the_write_probe_succeeds_on_a_healthy_ledger,
            a_deferred_sender_is_queued_once_and_its_messages_counted,
            marks_count_deferred_senders_by_fingerprint_and_block_per_hour,
            a_deferred_reply_is_paid_once_from_its_slots_allowance,
            a_deferred_reply_needs_its_sender_still_pending,
            a_flooder_ended_by_its_judgement_is_refused_until_then,
            a_full_queue_defers_nobody_more,
            a_lease_has_one_holder_until_released_or_expired,
            an_alert_is_claimed_once_and_kept_newest_first,
            kept_alerts_are_bounded,
            day_counters_add_up_per_tenant_and_day,
            a_baseline_is_written_only_over_the_version_read,
            a_baseline_above_a_kibibyte_is_refused,
            pause_and_overrides_are_stored_per_number_with_a_rising_version,
            a_full_audit_trail_refuses_changes_and_never_drops_a_record,
            a_blocklist_keeps_hashes_labels_and_dates_per_tenant,
            a_full_blocklist_refuses_a_new_sender_and_writes_nothing,
            audit_records_come_newest_first_in_pages_per_tenant,
            a_signed_out_session_is_refused_until_it_would_have_expired,
            a_session_generation_rises_with_every_token_change_and_removal_and_never_comes_back,
            an_incident_is_opened_once_per_shield_episode_and_joined_meanwhile,
            incident_activity_adds_up_in_its_slots_and_totals,
            sealed_parts_are_replaced_whole_bounded_per_incident_and_expire,
            a_donation_is_credited_once_whatever_replays_it,
            the_same_payment_id_of_another_source_or_tenant_is_another_donation,
            a_refund_debits_what_was_credited_once,
            a_refund_of_money_already_spent_takes_the_balance_to_zero_not_below,
            a_refund_before_its_credit_blocks_the_credit,
            bad_donations_are_refused_and_change_nothing,
            donations_are_listed_newest_first_per_tenant,
            a_failing_episode_keeps_its_first_instant_until_every_problem_is_over,
            a_failure_soon_after_the_same_link_worked_is_excused,
            a_noted_state_keeps_its_since_until_it_changes,
            a_call_settled_at_its_real_duration_gives_back_the_rest_of_its_reservation_once,
            a_call_never_answered_gives_back_its_whole_reservation,
            a_duration_beyond_the_reservation_is_charged_the_reservation_and_flagged,
            a_settlement_of_an_unknown_call_changes_nothing_and_says_so,
            a_call_settled_the_next_day_gives_back_to_the_day_it_was_counted_in
        );
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn concurrent_decisions_never_pay_twice_or_cross_a_cap() {
            let (_guard, ledger) = $factory().await;
            $crate::conformance::concurrent_decisions_never_pay_twice_or_cross_a_cap(ledger).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn concurrent_settlements_settle_each_call_once() {
            let (_guard, ledger) = $factory().await;
            $crate::conformance::concurrent_settlements_settle_each_call_once(ledger).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn concurrent_notifications_never_credit_twice() {
            let (_guard, ledger) = $factory().await;
            $crate::conformance::concurrent_notifications_never_credit_twice(ledger).await;
        }
    };
    (@tests $factory:path; $($check:ident),*) => {
        $(
            #[tokio::test]
            async fn $check() {
                let (_guard, ledger) = $factory().await;
                $crate::conformance::$check(&*ledger).await;
            }
        )*
    };
}
