// Temporary analysis helper (not committed): dumps a built-in scenario as JSONL.
use antirelou_simulator::{Scenario, ScenarioSpec};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed: u64 = args[1].parse().unwrap();
    let spec = ScenarioSpec::flood_2017();
    let s = Scenario::generate(&spec, seed).unwrap();
    for m in &s.messages {
        let sender = s.senders[m.sender as usize];
        println!(
            "{{\"t\":{},\"from\":\"{}\",\"g\":{}}}",
            antirelou_domain::micros::to_seconds(m.offset_micros),
            sender.e164(),
            sender.genuine
        );
    }
}
