use proptest::prelude::*;

use super::*;

const DAY: i32 = 20_000;

fn at(day: i32, hour: u8, minute: u8) -> LocalHour {
    LocalHour { day, hour, minute }
}

fn input(at: LocalHour, last_hour: u32, day_replies: Option<u64>) -> PressureInput {
    PressureInput {
        at,
        new_senders_last_hour: last_hour,
        unsynced_new_senders: 0,
        day_replies,
        traffic_factor: 4,
        money_margin_percent: 20,
    }
}

fn counts(day: i32, hour: u8, new_senders: u32) -> BaselineCounts {
    BaselineCounts { day, hour, new_senders, messages: new_senders * 3 / 2, returns: 0 }
}

#[test]
fn a_new_number_expects_a_few_senders_by_day_and_fewer_by_night() {
    let prior = NumberBaseline::prior(DAY);
    assert_eq!(prior.ordinary_day(), 8.0 * 0.5 + 16.0 * 3.0);
    assert_eq!((prior.ordinary_hour(3), prior.ordinary_hour(20)), (0.5, 3.0));
    assert_eq!(prior.elapsed_permille(at(DAY, 0, 0)), 0);
    assert_eq!(prior.elapsed_permille(at(DAY, 8, 0)), 4 * 1_000 / 52);
    assert_eq!(prior.elapsed_permille(at(DAY, 23, 59)), 998);
}

#[test]
fn a_baseline_costs_far_less_than_a_kibibyte_and_reads_back() {
    let mut baseline = NumberBaseline::prior(DAY);
    baseline.add(&counts(DAY, 9, 7));
    let bytes = baseline.encode();
    assert_eq!(bytes.len(), ENCODED_BYTES);
    const { assert!(ENCODED_BYTES <= 1_024) };
    assert_eq!(NumberBaseline::decode(&bytes), Some(baseline));
    assert_eq!(NumberBaseline::decode(&bytes[1..]), None, "a short record is not read");
    let mut other_format = bytes.clone();
    other_format[0] = 9;
    assert_eq!(NumberBaseline::decode(&other_format), None);
}

#[test]
fn a_day_is_learned_when_the_next_starts_a_seventh_of_the_way_and_bounded() {
    let mut baseline = NumberBaseline::prior(DAY);
    baseline.add(&counts(DAY, 10, 10)); // 3 → bounded to 2 × 3 + 4 = 10
    baseline.add(&counts(DAY, 11, 3));
    baseline.add(&counts(DAY, 12, 400)); // an attack's hour: bounded too
    assert_eq!(baseline.today_new_senders(), 413);
    baseline.add(&counts(DAY + 1, 9, 1));
    assert_eq!((baseline.day, baseline.days_learned), (DAY + 1, 1));
    assert_eq!(baseline.ordinary_hour(10), 4.0, "3 + (10 - 3) / 7");
    assert_eq!(baseline.ordinary_hour(11), 3.0);
    assert_eq!(baseline.ordinary_hour(12), 4.0, "the attack's hour moves no more than a busy one");
    assert!(baseline.ordinary_hour(20) < 3.0, "an hour without senders lowers its ordinary");
    assert_eq!(baseline.today_new_senders(), 1);
    // Counts of a day already learned are dropped.
    baseline.add(&counts(DAY, 10, 50));
    assert_eq!(baseline.today_new_senders(), 1);
}

#[test]
fn messages_per_sender_and_returns_are_learned_too() {
    let mut baseline = NumberBaseline::prior(DAY);
    baseline.add(&BaselineCounts { day: DAY, hour: 20, new_senders: 10, messages: 20, returns: 5 });
    baseline.roll_to(DAY + 1);
    // 2 messages a sender (24/16 → 32/16), half a return (0 → 8/16): a seventh of the way, in sixteenths.
    assert_eq!(baseline.messages_per_sender(), 25.0 / 16.0);
    assert_eq!(baseline.returns_per_sender(), 1.0 / 16.0);
}

#[test]
fn a_silent_month_is_learned_as_at_most_two_weeks_of_empty_days() {
    let mut baseline = NumberBaseline::prior(DAY);
    baseline.roll_to(DAY + 30);
    assert_eq!((baseline.day, baseline.days_learned), (DAY + 30, MAX_DAYS_FOLDED as u16));
    assert!(baseline.ordinary_day() < 52.0 / 4.0);
}

#[test]
fn an_ordinary_day_is_never_under_pressure() {
    let baseline = NumberBaseline::prior(DAY);
    let mut synced = baseline.clone();
    // 50 senders between 08:00 and midnight, 3 or 4 an hour; cap for 125 replies.
    for hour in 8..24u8 {
        for minute in [0, 30, 59] {
            let last_hour = 4;
            assert_eq!(synced.pressure(&input(at(DAY, hour, minute), last_hour, Some(125))), None, "{hour}:{minute}");
        }
        synced.add(&counts(DAY, hour, if hour % 4 == 0 { 2 } else { 3 }));
    }
}

#[test]
fn a_steady_attack_under_every_trigger_is_money_pressure_within_hours() {
    let mut baseline = NumberBaseline::prior(DAY);
    // 30 new senders an hour from midnight: 720 a day for 125 replies.
    let mut first = None;
    for hour in 0..24u8 {
        let pressure =
            baseline.pressure(&PressureInput { traffic_factor: 0, ..input(at(DAY, hour, 0), 30, Some(125)) });
        if pressure.is_some() && first.is_none() {
            first = Some((hour, pressure));
        }
        baseline.add(&counts(DAY, hour, 30));
    }
    assert_eq!(first, Some((1, Some(Pressure::Money))), "after the first hour: 30 > 125 × 20 %");
    // Without a cap there is no money to run out of.
    assert_eq!(baseline.pressure(&input(at(DAY, 23, 0), 0, None)), None);
}

#[test]
fn far_more_new_senders_than_the_ordinary_hour_is_traffic_pressure() {
    let baseline = NumberBaseline::prior(DAY);
    // 4 × 3 + 8 = 20 by day; 4 × 0.5 + 8 = 10 at night.
    assert_eq!(baseline.pressure(&input(at(DAY, 20, 0), 20, None)), None);
    assert_eq!(baseline.pressure(&input(at(DAY, 20, 0), 21, None)), Some(Pressure::Traffic));
    assert_eq!(baseline.pressure(&input(at(DAY, 4, 0), 11, None)), Some(Pressure::Traffic));
    let off = PressureInput { traffic_factor: 0, ..input(at(DAY, 4, 0), 500, None) };
    assert_eq!(baseline.pressure(&off), None, "factor 0 turns the traffic rule off");
}

#[test]
fn a_number_whose_traffic_doubles_in_a_month_is_followed_not_pressed() {
    let mut baseline = NumberBaseline::prior(DAY);
    for d in 0..30 {
        let day = DAY + d;
        // 40 senders a day growing to 80, from 08:00 to midnight.
        let daily = 40.0 * 2f64.powf(f64::from(d) / 29.0);
        let hourly = (daily / 16.0).round() as u32;
        for hour in 0..24u8 {
            let now = hourly * u32::from(hour >= 8);
            // A busy hour: twice the day's average.
            let pressure = baseline.pressure(&input(at(day, hour, 30), 2 * now, Some(125)));
            assert_eq!(pressure, None, "day {d} {hour}:30");
            baseline.add(&counts(day, hour, now));
        }
    }
    assert!(baseline.ordinary_hour(20) > 3.5, "the ordinary hour grew with the number: {}", baseline.ordinary_hour(20));
}

proptest! {
    #[test]
    fn replicas_counts_merge_to_the_same_baseline_in_any_order(
        parts in proptest::collection::vec((0i32..3, 0u8..24, 0u32..50, 0u32..100, 0u32..20), 0..40),
        seed in any::<u64>(),
    ) {
        let parts: Vec<BaselineCounts> = parts
            .into_iter()
            .map(|(d, hour, new_senders, messages, returns)| BaselineCounts { day: DAY + d, hour, new_senders, messages, returns })
            .collect();
        // Counts reach the ledger day by day (a replica syncs every minute),
        // in any order within a day.
        let mut sorted = parts.clone();
        sorted.sort_by_key(|c| c.day);
        let mut state = seed;
        let mut keyed: Vec<(i32, u64, BaselineCounts)> = sorted
            .iter()
            .map(|c| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (c.day, state, *c)
            })
            .collect();
        keyed.sort_by_key(|(day, key, _)| (*day, *key));
        let shuffled: Vec<BaselineCounts> = keyed.into_iter().map(|(_, _, c)| c).collect();
        let merge = |list: &[BaselineCounts]| {
            let mut b = NumberBaseline::prior(DAY);
            for c in list {
                b.add(c);
            }
            b.roll_to(DAY + 3);
            b
        };
        prop_assert_eq!(merge(&sorted), merge(&shuffled));
    }

    #[test]
    fn any_baseline_reads_back_and_stays_within_its_bounds(
        parts in proptest::collection::vec((0i32..40, 0u8..24, 0u32..100_000, 0u32..100_000, 0u32..100_000), 0..60),
    ) {
        let mut b = NumberBaseline::prior(DAY);
        for (d, hour, new_senders, messages, returns) in parts {
            b.add(&BaselineCounts { day: DAY + d, hour, new_senders, messages, returns });
        }
        prop_assert_eq!(NumberBaseline::decode(&b.encode()), Some(b.clone()));
        prop_assert!(b.elapsed_permille(at(b.day, 23, 59)) <= 1_000);
        for hour in 0..HOURS {
            // A learned day moves an hour a seventh of the way to at most twice it plus four senders.
            prop_assert!(b.ordinary_hour(hour) <= 8.0 * (8.0f64 / 7.0).powi(i32::from(b.days_learned)));
        }
    }
}
