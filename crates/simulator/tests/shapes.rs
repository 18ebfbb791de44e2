//! The traffic generator: the same seed gives the same traffic, and each
//! shape has the property that defines it.

use std::collections::{BTreeMap, HashMap, HashSet};

use antirelou_domain::PhoneNumber;
use antirelou_simulator::shapes::Shape;
use antirelou_simulator::{bodies, parse_traffic, write_traffic, Group, Traffic};

/// Messages per sender, for the senders of `group`.
fn per_sender(traffic: &Traffic, group: Group) -> HashMap<u32, usize> {
    let mut counts = HashMap::new();
    for m in traffic.messages.iter().filter(|m| traffic.group_of(m) == group) {
        *counts.entry(m.sender).or_default() += 1;
    }
    counts
}

fn span_micros(traffic: &Traffic, group: Group) -> (i64, i64) {
    let times: Vec<i64> =
        traffic.messages.iter().filter(|m| traffic.group_of(m) == group).map(|m| m.at_micros).collect();
    (*times.iter().min().unwrap(), *times.iter().max().unwrap())
}

const MINUTE: i64 = 60_000_000;
const HOUR: i64 = 60 * MINUTE;

#[test]
fn every_shape_is_the_same_for_a_seed_and_another_for_another_seed() {
    for shape in Shape::ALL {
        let a = shape.generate(4);
        assert_eq!(a, shape.generate(4), "{}", shape.as_str());
        let b = shape.generate(5);
        assert_ne!(a.messages, b.messages, "{}", shape.as_str());
        assert_eq!(a.name, format!("{}-seed4", shape.as_str()));
        assert_eq!(Shape::from_label(shape.as_str()), Some(shape));
        // Valid French mobiles, sorted messages, and a file that reads back the same.
        assert!(a.senders.iter().all(|s| PhoneNumber::parse(&s.from).is_ok_and(|p| p.country() == Some("FR"))));
        assert!(a.messages.windows(2).all(|w| w[0].at_micros <= w[1].at_micros));
        let mut file = Vec::new();
        write_traffic(&a, &mut file).unwrap();
        let read = parse_traffic(&file, &a.name).unwrap();
        let sorted = |t: &Traffic| {
            let mut senders: Vec<(String, Group)> = t.senders.iter().map(|s| (s.from.clone(), s.group)).collect();
            senders.sort();
            senders
        };
        assert_eq!((read.messages.len(), sorted(&read)), (a.messages.len(), sorted(&a)), "{}", shape.as_str());
        assert!(!shape.description().is_empty());
    }
}

#[test]
fn short_burst_attacks_within_thirty_minutes() {
    let t = Shape::ShortBurst.generate(1);
    let (first, last) = span_micros(&t, Group::Attack);
    assert!(last - first <= 30 * MINUTE);
    assert_eq!(
        (t.messages_of(Group::Attack), t.senders_of(Group::Attack), t.senders_of(Group::Genuine)),
        (8_000, 150, 120)
    );
    let (g_first, g_last) = span_micros(&t, Group::Genuine);
    assert!(g_last - g_first > 2 * HOUR, "genuine senders write before, during and after");
}

#[test]
fn slow_drip_stays_below_the_default_shield_trigger_for_twelve_hours() {
    let t = Shape::SlowDrip.generate(1);
    let (first, last) = span_micros(&t, Group::Attack);
    assert!(last - first > 11 * HOUR);
    let mut per_minute: BTreeMap<i64, u32> = BTreeMap::new();
    for m in &t.messages {
        *per_minute.entry(m.at_micros / MINUTE).or_default() += 1;
    }
    let busiest = per_minute.values().max().copied().unwrap();
    assert!(busiest < 60, "trigger_per_minute is 60 by default: {busiest}");
}

#[test]
fn hit_and_run_attackers_send_one_to_three_messages() {
    let t = Shape::HitAndRun.generate(1);
    let counts = per_sender(&t, Group::Attack);
    assert_eq!(counts.len(), 3_000);
    assert!(counts.values().all(|&n| (1..=3).contains(&n)));
    let lengths: HashSet<usize> = counts.values().copied().collect();
    assert_eq!(lengths, HashSet::from([1, 2, 3]));
}

#[test]
fn insistent_genuine_senders_send_three_to_six_messages() {
    let t = Shape::InsistentGenuine.generate(1);
    let counts = per_sender(&t, Group::Genuine);
    assert_eq!(counts.len(), 200);
    assert!(counts.values().all(|&n| (3..=6).contains(&n)));
    assert_eq!(counts.values().copied().collect::<HashSet<_>>(), HashSet::from([3, 4, 5, 6]));
    assert_eq!(t.messages_of(Group::Attack), 10_000);
}

#[test]
fn campaign_attackers_paste_a_campaign_text_exactly() {
    let t = Shape::Campaign.generate(1);
    let attack_bodies: HashSet<&str> =
        t.messages.iter().filter(|m| t.group_of(m) == Group::Attack).map(|m| t.body_of(m)).collect();
    assert_eq!(attack_bodies, bodies::CAMPAIGN_TEXTS.into_iter().collect());
    assert!(per_sender(&t, Group::Attack).values().all(|&n| (1..=2).contains(&n)));
    assert_eq!(t.senders_of(Group::Attack), 2_500);
    let genuine: Vec<&str> =
        t.messages.iter().filter(|m| t.group_of(m) == Group::Genuine).map(|m| t.body_of(m)).collect();
    assert!(genuine.iter().all(|b| !bodies::CAMPAIGN_TEXTS.contains(b)));
}

#[test]
fn sequential_block_attackers_are_three_blocks_of_consecutive_numbers() {
    let t = Shape::SequentialBlock.generate(1);
    let mut numbers: Vec<u64> = t
        .senders
        .iter()
        .filter(|s| s.group == Group::Attack)
        .map(|s| s.from.trim_start_matches('+').parse().unwrap())
        .collect();
    numbers.sort_unstable();
    let runs: Vec<&[u64]> = numbers.chunk_by(|a, b| b - a == 1).collect();
    assert_eq!(runs.len(), 3, "three blocks");
    assert!(runs.iter().all(|run| run.len() == 500), "of 500 sequential numbers each");
    assert!(per_sender(&t, Group::Attack).values().all(|&n| (1..=4).contains(&n)));
}

#[test]
fn multi_day_floods_four_evenings_and_brings_attackers_back() {
    let t = Shape::MultiDay.generate(1);
    let day_of = |at: i64| (at - t.start_micros()) / (24 * HOUR);
    let mut attack_per_day: BTreeMap<i64, u64> = BTreeMap::new();
    let mut attackers_per_day: BTreeMap<i64, HashSet<u32>> = BTreeMap::new();
    for m in t.messages.iter().filter(|m| t.group_of(m) == Group::Attack) {
        *attack_per_day.entry(day_of(m.at_micros)).or_default() += 1;
        attackers_per_day.entry(day_of(m.at_micros)).or_default().insert(m.sender);
    }
    assert_eq!(attack_per_day.into_iter().collect::<Vec<_>>(), vec![(0, 500), (1, 1_500), (2, 4_000), (3, 12_000)]);
    let back = attackers_per_day[&0].intersection(&attackers_per_day[&3]).count();
    assert!(back >= 25, "the first night's regulars come back on the last: {back}");
    let genuine_days: HashSet<i64> =
        t.messages.iter().filter(|m| t.group_of(m) == Group::Genuine).map(|m| day_of(m.at_micros)).collect();
    assert_eq!(genuine_days, HashSet::from([0, 1, 2, 3]));
}

#[test]
fn an_ordinary_day_has_no_attack() {
    let t = Shape::OrdinaryDay.generate(1);
    assert_eq!(t.senders_of(Group::Attack), 0);
    assert_eq!(t.senders_of(Group::Genuine), 50);
    let (first, last) = span_micros(&t, Group::Genuine);
    assert!(last - first > 8 * HOUR);
}

#[test]
fn indistinguishable_senders_each_write_once_random_words() {
    let t = Shape::Indistinguishable.generate(1);
    assert_eq!(t.senders_of(Group::Attack), 8_000);
    assert_eq!(t.senders_of(Group::Genuine), 300);
    assert_eq!(t.messages.len(), 8_300, "one message per sender");
    let templates: Vec<&str> = bodies::ATTACK_TEMPLATES.into_iter().chain(bodies::CAMPAIGN_TEXTS).collect();
    assert!(t.messages.iter().all(|m| !templates.contains(&t.body_of(m))));
    // The same text distribution: average word counts of both groups within 10 %.
    let words = |g: Group| {
        let list: Vec<usize> =
            t.messages.iter().filter(|m| t.group_of(m) == g).map(|m| t.body_of(m).split(' ').count()).collect();
        list.iter().sum::<usize>() as f64 / list.len() as f64
    };
    assert!((words(Group::Attack) / words(Group::Genuine) - 1.0).abs() < 0.1);
}

#[test]
fn flood_2017_as_a_shape_is_the_built_in_scenario() {
    let shape = Shape::Flood2017.generate(2);
    let scenario =
        antirelou_simulator::Scenario::generate(&antirelou_simulator::ScenarioSpec::flood_2017(), 2).unwrap();
    let traffic = scenario.traffic();
    assert_eq!(shape.messages, traffic.messages);
    assert_eq!(shape.name, "flood-2017-seed2");
}

/// New senders of `traffic` in each sliding window of `window` micros (by minute).
fn busiest_new_senders(traffic: &Traffic, window: i64) -> u32 {
    let mut firsts: Vec<i64> = Vec::new();
    let mut seen = HashSet::new();
    for m in &traffic.messages {
        if seen.insert(m.sender) {
            firsts.push(m.at_micros);
        }
    }
    let mut busiest = 0;
    let mut start = 0;
    for end in 0..firsts.len() {
        while firsts[end] - firsts[start] >= window {
            start += 1;
        }
        busiest = busiest.max((end - start + 1) as u32);
    }
    busiest
}

#[test]
fn steady_attacks_stay_under_every_fixed_trigger_day_and_night_for_days() {
    for (shape, days, per_hour, genuine_per_day) in [(Shape::SteadyAttack, 3, 28, 50), (Shape::SlowDays, 5, 12, 40)] {
        let t = shape.generate(1);
        let (first, last) = span_micros(&t, Group::Attack);
        assert!(last - first > (days * 24 - 1) * HOUR, "{}", shape.as_str());
        assert_eq!(t.senders_of(Group::Attack), (days * 24 * per_hour) as u64);
        assert_eq!(t.senders_of(Group::Genuine), (days * genuine_per_day) as u64);
        // The default triggers: 10 new senders a minute, 40 an hour, 60 messages a minute.
        assert!(busiest_new_senders(&t, HOUR) <= 40, "{}: {}", shape.as_str(), busiest_new_senders(&t, HOUR));
        assert!(busiest_new_senders(&t, MINUTE) <= 10);
        let night: u64 = t
            .messages
            .iter()
            .filter(|m| t.group_of(m) == Group::Attack && (m.at_micros - t.start_micros()) % (24 * HOUR) < 6 * HOUR)
            .count() as u64;
        assert!(night > 0, "the attack goes on at night");
    }
}

#[test]
fn drip_and_wave_is_a_slow_attack_all_day_with_a_wave_in_the_evening() {
    let t = Shape::DripAndWave.generate(1);
    let in_wave = |m: &&antirelou_simulator::TrafficMessage| {
        let offset = m.at_micros - t.start_micros();
        t.group_of(m) == Group::Attack && (20 * HOUR..21 * HOUR).contains(&offset)
    };
    assert!(t.messages.iter().filter(in_wave).count() >= 5_000);
    assert_eq!(t.senders_of(Group::Attack), 24 * 20 + 200);
    assert_eq!(t.senders_of(Group::Genuine), 60);
}

#[test]
fn a_growing_number_doubles_its_genuine_senders_in_a_month_without_an_attack() {
    let t = Shape::GrowingNumber.generate(1);
    assert_eq!(t.senders_of(Group::Attack), 0);
    let mut per_day: BTreeMap<i64, HashSet<u32>> = BTreeMap::new();
    for m in &t.messages {
        per_day.entry((m.at_micros - t.start_micros()) / (24 * HOUR)).or_default().insert(m.sender);
    }
    assert_eq!(per_day.len(), 30);
    let (first, last) = (per_day[&0].len(), per_day[&29].len());
    assert!(first <= 32 && last >= 58, "{first} then {last}");
}
