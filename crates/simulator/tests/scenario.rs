//! The generator: deterministic for a seed, exact totals, valid senders.

use std::collections::{HashMap, HashSet};

use antirelou_domain::PhoneNumber;
use antirelou_simulator::{bodies, AttackSenders, Group, Scenario, ScenarioSpec};

#[test]
fn the_same_seed_gives_the_same_scenario_and_another_seed_another() {
    let spec = ScenarioSpec::flood_2017();
    let a = Scenario::generate(&spec, 7).unwrap();
    let b = Scenario::generate(&spec, 7).unwrap();
    let c = Scenario::generate(&spec, 8).unwrap();
    assert_eq!(a, b);
    assert_ne!(a.messages, c.messages);
    assert_ne!(a.senders, c.senders);
    assert_eq!(a.message_sid(3), b.message_sid(3));
    assert_ne!(a.message_sid(3), c.message_sid(3));
}

#[test]
fn flood_2017_has_the_exact_totals_of_the_reference_flood() {
    let scenario = Scenario::generate(&ScenarioSpec::flood_2017(), 1).unwrap();
    assert_eq!(scenario.attack_messages(), 20_000);
    assert_eq!(scenario.attackers(), 400);
    assert_eq!(scenario.genuine_senders(), 300);
    let genuine = scenario.genuine_messages();
    assert!((300..=600).contains(&genuine), "{genuine}");

    let mut per_sender: HashMap<u32, u64> = HashMap::new();
    for m in &scenario.messages {
        *per_sender.entry(m.sender).or_default() += 1;
    }
    assert_eq!(per_sender.len(), 700, "every sender sends");
    let mut attack: Vec<u64> =
        per_sender.iter().filter(|(s, _)| !scenario.senders[**s as usize].genuine).map(|(_, n)| *n).collect();
    attack.sort_unstable_by(|a, b| b.cmp(a));
    assert!(attack[0] >= 1_000, "a few numbers send thousands: {:?}", &attack[..5]);
    assert!(attack[200] <= 20, "most send a handful: {}", attack[200]);
    for (sender, count) in &per_sender {
        if scenario.senders[*sender as usize].genuine {
            assert!((1..=2).contains(count));
        }
    }

    let duration_micros = scenario.spec.duration_seconds as i64 * 1_000_000;
    assert!(scenario.messages.windows(2).all(|w| w[0].offset_micros <= w[1].offset_micros), "sorted by time");
    assert!(scenario.messages.iter().all(|m| (0..duration_micros).contains(&m.offset_micros)));
    // Interleaved: genuine messages come throughout the window, not in a block.
    let genuine_times: Vec<i64> =
        scenario.messages.iter().filter(|m| scenario.sender_of(m).genuine).map(|m| m.offset_micros).collect();
    assert!(genuine_times[0] < duration_micros / 10 && *genuine_times.last().unwrap() > duration_micros * 9 / 10);
}

#[test]
fn senders_are_distinct_french_mobiles() {
    let scenario = Scenario::generate(&ScenarioSpec::flood_2017(), 3).unwrap();
    let numbers: HashSet<u64> = scenario.senders.iter().map(|s| s.number).collect();
    assert_eq!(numbers.len(), scenario.senders.len());
    for sender in &scenario.senders {
        let e164 = sender.e164();
        let parsed = PhoneNumber::parse(&e164).unwrap();
        assert_eq!(parsed.country(), Some("FR"), "{e164}");
        assert!(e164.starts_with("+336") || e164.starts_with("+337"), "{e164}");
    }
}

#[test]
fn spoofed_senders_sends_every_attack_message_from_a_new_number() {
    let scenario = Scenario::generate(&ScenarioSpec::spoofed_senders(), 1).unwrap();
    assert_eq!(scenario.attack_messages(), 20_000);
    assert_eq!(scenario.attackers(), 20_000);
    let attackers: HashSet<u32> =
        scenario.messages.iter().filter(|m| !scenario.sender_of(m).genuine).map(|m| m.sender).collect();
    assert_eq!(attackers.len(), 20_000);
}

#[test]
fn a_share_of_foreign_attackers_can_be_asked_for() {
    let spec =
        ScenarioSpec { foreign_share: 0.5, attackers: AttackSenders::Numbers(200), ..ScenarioSpec::flood_2017() };
    let scenario = Scenario::generate(&spec, 1).unwrap();
    let foreign = scenario.senders.iter().filter(|s| !s.genuine && s.e164().starts_with("+32")).count();
    assert!((60..=140).contains(&foreign), "{foreign}");
    assert!(scenario.senders.iter().filter(|s| s.genuine).all(|s| s.e164().starts_with("+33")));
}

#[test]
fn the_example_scenario_file_loads() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/lyon-spoofed.toml");
    let resolved = antirelou_simulator::ScenarioFile::resolve(path).unwrap();
    assert_eq!(resolved.spec.name, "lyon-spoofed");
    assert_eq!(resolved.seed, Some(2024));
    assert_eq!(resolved.spec.attackers, AttackSenders::EveryMessage);
    assert_eq!(resolved.spec.duration_seconds, 7_200);
    assert_eq!(resolved.setup.daily_cap, Some(antirelou_domain::Money::parse("10.00").unwrap()));
    // The simulated configuration it makes passes the real validator.
    resolved.setup.settings(std::path::Path::new("ledger.sqlite3")).unwrap();
    let scenario = Scenario::generate(&resolved.spec, 2024).unwrap();
    assert_eq!(scenario.attack_messages(), 8_000);
}

#[test]
fn the_traffic_of_a_scenario_keeps_its_messages_and_writes_what_people_write() {
    let scenario = Scenario::generate(&ScenarioSpec::flood_2017(), 1).unwrap();
    let traffic = scenario.traffic();
    assert_eq!(traffic.messages.len(), scenario.messages.len());
    for (i, (m, t)) in scenario.messages.iter().zip(&traffic.messages).enumerate() {
        assert_eq!(scenario.start_micros() + m.offset_micros, t.at_micros);
        assert_eq!(scenario.sender_of(m).e164(), traffic.sender_of(t).from);
        assert_eq!(scenario.sender_of(m).genuine, traffic.group_of(t) == Group::Genuine);
        assert_eq!(t.line as usize, i + 1);
        assert_eq!(scenario.message_sid(i), traffic.message_sid(i), "the same message ids");
    }
    assert_eq!((traffic.name.as_str(), traffic.seed, traffic.duration_seconds), ("flood-2017", Some(1), 14_400));

    // Attackers paste a handful of templates; genuine senders write varied texts.
    let bodies = |group: Group| -> Vec<&str> {
        traffic.messages.iter().filter(|m| traffic.group_of(m) == group).map(|m| traffic.body_of(m)).collect()
    };
    let attack = bodies(Group::Attack);
    let pasted = attack.iter().filter(|b| bodies::ATTACK_TEMPLATES.contains(b)).count();
    assert!(pasted * 5 > attack.len() * 2, "about half are exact pastes: {pasted} of {}", attack.len());
    let distinct_attack: HashSet<&str> = attack.iter().copied().collect();
    assert!(distinct_attack.len() * 4 < attack.len(), "{} distinct attack texts", distinct_attack.len());
    let genuine = bodies(Group::Genuine);
    let distinct_genuine: HashSet<&str> = genuine.iter().copied().collect();
    assert!(distinct_genuine.len() * 3 > genuine.len(), "{} distinct of {}", distinct_genuine.len(), genuine.len());
    assert!(genuine.iter().chain(&attack).all(|b| !b.is_empty() && !b.eq_ignore_ascii_case("stop")));

    assert_eq!(traffic, Scenario::generate(&ScenarioSpec::flood_2017(), 1).unwrap().traffic(), "same seed, same texts");
    let other = Scenario::generate(&ScenarioSpec::flood_2017(), 2).unwrap().traffic();
    assert_ne!(traffic.bodies, other.bodies);
}
