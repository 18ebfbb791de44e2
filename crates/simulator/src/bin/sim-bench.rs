//! Helpers of `benches/run.sh` (not a user tool):
//!
//! - `sim-bench config --out FILE [--tenants T] [--numbers-per-tenant N]
//!   [--listen ADDR] [--redis URL --key-prefix P | --ledger-path PATH] [--unlimited]`:
//!   a deployment configuration (numbers `+33937TTNNNN`...). `--unlimited`:
//!   no caps, no rate limit, no shield (the candidate-reply path).
//! - `sim-bench requests --config FILE --kind repeat|distinct --count N
//!   [--senders K] --out FILE`: pre-signed webhooks for the first number of
//!   FILE, one per line as `signature<TAB>body`, for `benches/wrk/*.lua`.
//!   `repeat`: K senders in turn (a repeat-sender flood, distinct MessageSids);
//!   `distinct`: every message from a new sender.
//! - `sim-bench evalsha-args --sha SHA --prefix P`: the arguments of one
//!   `EVALSHA` of the ledger's decide script, one per line (empty lines are
//!   empty arguments), as the Redis ledger sends it for a new sender with
//!   no caps; `__rand_int__` makes the message id and sender fresh.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;

use antirelou_domain::{Clock, Money, Periods, SenderHasher, SystemClock};
use antirelou_ledger::redis::layout::KeySpace;
use antirelou_ledger::redis::script::decide_layout;
use antirelou_ledger::{Caps, EntryKind, ReplyRequest};
use antirelou_providers::twilio;
use antirelou_settings::{ProviderSettings, Settings};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(command) = args.next() else {
        eprintln!("usage: sim-bench config|requests|evalsha-args [--key value]...");
        return ExitCode::from(2);
    };
    let mut options: HashMap<String, String> = HashMap::new();
    let mut flags = Vec::new();
    let rest: Vec<String> = args.collect();
    let mut i = 0;
    while i < rest.len() {
        let key = rest[i].trim_start_matches("--").to_owned();
        match rest.get(i + 1).filter(|v| !v.starts_with("--")) {
            Some(value) => {
                options.insert(key, value.clone());
                i += 2;
            }
            None => {
                flags.push(key);
                i += 1;
            }
        }
    }
    let result = match command.as_str() {
        "config" => config(&options, flags.iter().any(|f| f == "unlimited")),
        "requests" => requests(&options),
        "evalsha-args" => evalsha_args(&options),
        other => Err(format!("unknown command {other}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sim-bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn get<T: std::str::FromStr>(options: &HashMap<String, String>, key: &str, default: T) -> Result<T, String> {
    match options.get(key) {
        None => Ok(default),
        Some(v) => v.parse().map_err(|_| format!("--{key}: cannot parse {v:?}")),
    }
}

fn required<'a>(options: &'a HashMap<String, String>, key: &str) -> Result<&'a str, String> {
    options.get(key).map(String::as_str).ok_or_else(|| format!("--{key} is required"))
}

fn config(options: &HashMap<String, String>, unlimited: bool) -> Result<(), String> {
    let out = required(options, "out")?;
    let tenants: u32 = get(options, "tenants", 1)?;
    let per_tenant: u32 = get(options, "numbers-per-tenant", 1)?;
    let listen = options.get("listen").map_or("127.0.0.1:8080", String::as_str);
    let ledger = match (options.get("redis"), options.get("ledger-path")) {
        (Some(url), _) => format!(
            "backend = \"redis\"\nredis_url = \"{url}\"\nkey_prefix = \"{}\"\nredis_response_timeout_ms = 2000",
            options.get("key-prefix").map_or("antirelou-bench", String::as_str)
        ),
        (None, Some(path)) => format!("backend = \"embedded\"\npath = {}", toml_string(path)),
        (None, None) => return Err("--redis URL or --ledger-path PATH".to_owned()),
    };
    let mut text = format!(
        "[server]\nlisten = \"{listen}\"\npublic_url = \"http://{listen}\"\nmailbox_capacity = 4096\n\
         max_connections_per_ip = 0\n\n\
         [ledger]\n{ledger}\ncurrency = \"EUR\"\ntimezone = \"Europe/Paris\"\n\n\
         [privacy]\nsender_key = \"benchmark-sender-key-0123456789-abcdef\"\n\
         sealing_key = \"benchmark-sealing-key-0123456789-abcdef\"\n\n[log]\nlevel = \"warn\"\n"
    );
    let limits = if unlimited {
        "max_replies_per_minute = 100000000\n\
         shield = { trigger_per_minute = 100000000, new_senders_per_minute = 100000000, trigger_per_hour = 100000000, new_senders_per_hour = 100000000, hold = \"1m\", trickle_per_hour = 10 }\n"
    } else {
        "daily_cap = \"20.00\"\n"
    };
    for t in 0..tenants {
        let _ = write!(
            text,
            "\n[[tenants]]\nid = \"t{t:03}\"\n{}provider = {{ kind = \"twilio\", account_sid = \"AC{t:032}\", auth_token = \"bench-token-{t:03}\" }}\n",
            if unlimited { "" } else { "monthly_cap = \"100.00\"\n" }
        );
        for n in 0..per_tenant {
            // The 09 37 range a platform's numbers belong in (docs/providers.md):
            // French mobile numbers would each log a startup warning.
            let number = 33_937_000_000u64 + u64::from(t) * 10_000 + u64::from(n);
            let _ = write!(
                text,
                "\n[[tenants.numbers]]\nnumber = \"+{number}\"\nreply = \"{}\"\nprice_per_segment = \"0.16\"\n{limits}",
                antirelou_simulator::setup::SIM_REPLY
            );
        }
    }
    // The file must be one the server accepts.
    Settings::from_toml_str_with_env(&text, std::iter::empty::<(String, String)>()).map_err(|e| e.to_string())?;
    std::fs::write(out, text).map_err(|e| format!("{out}: {e}"))
}

fn requests(options: &HashMap<String, String>) -> Result<(), String> {
    let settings = Settings::load(std::path::Path::new(required(options, "config")?)).map_err(|e| e.to_string())?;
    let (tenant, number) = settings.numbers().next().ok_or("the configuration has no number")?;
    let ProviderSettings::Twilio { account_sid, auth_token, .. } = &tenant.provider else {
        return Err(format!(
            "tenant {} uses {}: requests are signed as Twilio only",
            tenant.id,
            tenant.provider.kind()
        ));
    };
    let signed_url = format!("{}/webhooks/twilio", settings.server.public_url.trim_end_matches('/'));
    let count: u64 = get(options, "count", 100_000)?;
    let senders: u64 = get(options, "senders", 50)?;
    let distinct = match required(options, "kind")? {
        "repeat" => false,
        "distinct" => true,
        other => return Err(format!("--kind repeat|distinct, not {other}")),
    };
    let seed: u64 = get(options, "seed", 1)?;
    let out = required(options, "out")?;
    let mut text = String::with_capacity(count as usize * 600);
    for i in 0..count {
        let k = if distinct { i } else { i % senders.max(1) };
        // 7919 is prime to 10^8: distinct k, distinct mobile number.
        let from = format!("+{}", 33_600_000_000u64 + (k * 7_919 + seed) % 100_000_000);
        let sid = twilio::message_sid_from((u128::from(seed) << 64) | u128::from(i));
        let pairs = twilio::inbound_form(account_sid, &sid, &from, number.number.as_str(), &format!("msg {i}"));
        let signature = twilio::signature(auth_token.expose(), &signed_url, &pairs);
        let _ = writeln!(text, "{signature}\t{}", twilio::encode_form(&pairs));
    }
    std::fs::write(out, text).map_err(|e| format!("{out}: {e}"))
}

fn evalsha_args(options: &HashMap<String, String>) -> Result<(), String> {
    let sha = required(options, "sha")?;
    let prefix = options.get("prefix").map_or("antirelou-bench", String::as_str);
    let keyspace = KeySpace::new(prefix).map_err(|e| e.to_string())?;
    let clock = SystemClock;
    let sender = SenderHasher::new(b"sim-bench").key("+33700000000");
    let request = ReplyRequest {
        tenant: "t000".into(),
        number: "+33937000000".into(),
        message_id: "SM__rand_int__".into(),
        sender,
        cost: Money::from_micros(160_000),
        kind: EntryKind::Reply,
        now_micros: clock.now_micros(),
        periods: Periods::at(clock.now(), chrono_tz::Europe::Paris),
        reply_once_per_seconds: 30 * 86_400,
        caps: Caps::default(),
        prepaid: false,
        max_replies_per_minute: Some(100_000_000),
        deferred: None,
    };
    // The layout is the ledger's own; only the sender is made fresh per call.
    let (keys, args) = decide_layout(&keyspace, &request);
    let hex = sender.to_hex();
    let mut line = vec!["EVALSHA".to_owned(), sha.to_owned(), keys.len().to_string()];
    line.extend(keys.into_iter().map(|k| k.replace(&hex, "__rand_int__")));
    line.extend(args);
    println!("{}", line.join("\n"));
    Ok(())
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
