//! The clap definitions of every command.

use std::path::PathBuf;

use antirelou_domain::ProviderKind;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Anti-harassment auto-reply SMS numbers for many collectives, flood-proof.
#[derive(Parser, Debug)]
#[command(name = "antirelou", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve webhooks (with no --config: a demo tenant and number, embedded ledger under ./data).
    Serve(ServeArgs),
    /// Validate a configuration and print each number's reply, segments, cost and caps.
    CheckConfig(CheckConfigArgs),
    /// Text one of our numbers as a sender would (a webhook signed as Twilio, Vonage or Plivo; OVHcloud through the operator's API), or call it (`--call`: a signed Twilio voice webhook), and print the decision.
    Send(SendArgs),
    /// Balances, top-ups and entries of the spend ledger.
    Ledger(LedgerArgs),
    /// A tenant's incidents (attacks) and their evidence bundles for a complaint.
    Evidence(EvidenceArgs),
    /// Replay a reproducible flood (flood-2017, spoofed-senders, call-flood, a TOML file) or a traffic file and report what it cost.
    Simulate(Box<SimulateArgs>),
    /// Print the admin API's OpenAPI 3.1 document (JSON), or with --markdown the endpoint table of docs/admin-api.md.
    Openapi(OpenapiArgs),
    /// Write a working configuration for one collective: questions in French or English, or flags with --non-interactive.
    Init(Box<InitArgs>),
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Where to write antirelou.toml, secrets/ and Caddyfile (default: /etc/antirelou when the package made it, else here).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Replace an existing antirelou.toml (the keys and tokens already in secrets/ are kept).
    #[arg(long)]
    pub force: bool,
    /// Ask nothing: every answer comes from the flags below.
    #[arg(long)]
    pub non_interactive: bool,
    /// The language of the questions and comments (default: from LANG).
    #[arg(long, value_enum)]
    pub lang: Option<LangArg>,
    /// Your collective's short name (lowercase letters, digits, - and _).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Your SMS provider.
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// Twilio: the account SID (AC…).
    #[arg(long)]
    pub account_sid: Option<String>,
    /// Twilio, Plivo: the auth token.
    #[arg(long)]
    pub auth_token: Option<String>,
    /// Vonage: the API key.
    #[arg(long)]
    pub api_key: Option<String>,
    /// Vonage: the API secret.
    #[arg(long)]
    pub api_secret: Option<String>,
    /// Vonage: the signature secret (signed webhooks).
    #[arg(long)]
    pub signature_secret: Option<String>,
    /// Plivo: the auth ID (MA… or SA…).
    #[arg(long)]
    pub auth_id: Option<String>,
    /// OVHcloud: the API endpoint.
    #[arg(long, default_value = "ovh-eu")]
    pub endpoint: String,
    /// OVHcloud: the application key.
    #[arg(long)]
    pub application_key: Option<String>,
    /// OVHcloud: the application secret.
    #[arg(long)]
    pub application_secret: Option<String>,
    /// OVHcloud: the consumer key.
    #[arg(long)]
    pub consumer_key: Option<String>,
    /// OVHcloud: the SMS account (sms-ab12345-1).
    #[arg(long)]
    pub service_name: Option<String>,
    /// The number that answers: 09 39 12 34 56 or +33939123456.
    #[arg(long)]
    pub number: Option<String>,
    /// The server's public address, e.g. https://sms.my-collective.org.
    #[arg(long)]
    pub public_url: Option<String>,
    /// Your reply (default: a polite, firm one in the chosen language).
    #[arg(long)]
    pub reply: Option<String>,
    /// What the provider charges per SMS sent (default 0.08; OVHcloud 0.05).
    #[arg(long)]
    pub price_per_segment: Option<String>,
    /// At most this much a day for the number (default 5.00).
    #[arg(long)]
    pub daily_cap: Option<String>,
    /// At most this much a month for the collective (default 50.00).
    #[arg(long)]
    pub monthly_cap: Option<String>,
    /// Pay replies from a prepaid balance, credited in the console.
    #[arg(long)]
    pub prepaid: bool,
    /// Where the ledger goes (default: /var/lib/antirelou with /etc/antirelou, else DIR/data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// The webhooks' address (Caddy forwards /webhooks/ to it).
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = socket_address)]
    pub listen: String,
    /// The console's address (Caddy forwards /console and /v1 to it).
    #[arg(long, default_value = "127.0.0.1:8081", value_parser = socket_address)]
    pub console_listen: String,
}

/// The languages `init` speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    Fr,
    En,
}

impl From<LangArg> for crate::init::Lang {
    fn from(arg: LangArg) -> crate::init::Lang {
        match arg {
            LangArg::Fr => crate::init::Lang::Fr,
            LangArg::En => crate::init::Lang::En,
        }
    }
}

#[derive(Args, Debug)]
pub struct OpenapiArgs {
    /// Print the endpoint table (Markdown) instead of the JSON document.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// TOML configuration file (ANTIRELOU__SECTION__KEY variables override it).
    #[arg(long, short, env = "ANTIRELOU_CONFIG")]
    pub config: Option<PathBuf>,
    /// Listen on this address and port instead of `server.listen`, e.g. 127.0.0.1:8090.
    #[arg(long, value_name = "ADDR", value_parser = socket_address)]
    pub listen: Option<String>,
}

/// An `IP:port` address, as `server.listen` takes it.
fn socket_address(text: &str) -> Result<String, String> {
    text.parse::<std::net::SocketAddr>()
        .map(|_| text.to_owned())
        .map_err(|_| "an IP address and a port, e.g. 127.0.0.1:8090 or 0.0.0.0:8080".to_owned())
}

#[derive(Args, Debug)]
pub struct CheckConfigArgs {
    #[arg(long, short, env = "ANTIRELOU_CONFIG", required_unless_present = "list_keys")]
    pub config: Option<PathBuf>,
    /// Print every configuration key the settings know, as `TABLE<TAB>KEY`
    /// lines, and exit (the Helm chart's values schema is checked against it).
    #[arg(long)]
    pub list_keys: bool,
}

#[derive(Args, Debug)]
pub struct SendArgs {
    /// Sign as this provider (default: the provider of the tenant serving --to; `ovh`: handed to the number through the operator's API, as its poller would).
    #[arg(long, value_enum)]
    pub provider: Option<ProviderArg>,
    /// One of our numbers (E.164), the webhook's `To`.
    #[arg(long)]
    pub to: String,
    /// The sender (E.164), the webhook's `From`.
    #[arg(long)]
    pub from: String,
    /// The message text (none with --call).
    #[arg(required_unless_present = "call", conflicts_with = "call")]
    pub text: Option<String>,
    /// Call the number instead: a signed voice webhook, as Twilio posts it for an incoming call
    /// to `/webhooks/twilio/voice`; prints the decision and what the caller hears.
    #[arg(long)]
    pub call: bool,
    /// Configuration of the server (for the tenant's token and public URL); default: the demo.
    #[arg(long, short, env = "ANTIRELOU_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where to post; default: the configured listen address (OVHcloud: the admin listener, if any).
    #[arg(long)]
    pub url: Option<String>,
    /// Reuse a provider message id (MessageSid, messageId, MessageUUID; CallSid with --call) to see how a retry is answered.
    #[arg(long, alias = "message-sid")]
    pub message_id: Option<String>,
}

/// A provider `send` can sign as (the values of `ProviderKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProviderArg {
    Twilio,
    Vonage,
    Plivo,
    Ovh,
}

impl From<ProviderArg> for ProviderKind {
    fn from(arg: ProviderArg) -> ProviderKind {
        match arg {
            ProviderArg::Twilio => ProviderKind::Twilio,
            ProviderArg::Vonage => ProviderKind::Vonage,
            ProviderArg::Plivo => ProviderKind::Plivo,
            ProviderArg::Ovh => ProviderKind::Ovh,
        }
    }
}

#[derive(Args, Debug)]
pub struct EvidenceArgs {
    #[arg(long, short, env = "ANTIRELOU_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: EvidenceCommand,
}

#[derive(Subcommand, Debug)]
pub enum EvidenceCommand {
    /// The tenant's incidents, newest first: when, how many messages, senders and flooders, what was spent.
    List {
        #[arg(long)]
        tenant: String,
        /// At most this many (1 to 100).
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Write one incident's evidence bundle (a ZIP: report.html, timeline.csv, senders.csv.age, signed manifest).
    Export {
        #[arg(long)]
        tenant: String,
        /// The incident's id (from `evidence list`).
        #[arg(long)]
        incident: u64,
        /// Where to write the ZIP (refused if it exists).
        #[arg(long, short)]
        output: PathBuf,
    },
}

#[derive(Args, Debug)]
pub struct LedgerArgs {
    #[arg(long, short, env = "ANTIRELOU_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Spend this day/month and prepaid balance, per tenant and number.
    Balances,
    /// Credit a tenant's prepaid balance.
    TopUp {
        #[arg(long)]
        tenant: String,
        /// An amount in the ledger currency, with either decimal mark: 25.00, 5,50.
        #[arg(long)]
        amount: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Export entries for reconciliation with the provider's invoice.
    Entries {
        #[arg(long)]
        tenant: Option<String>,
        /// Only entries at or after this instant (RFC 3339 or YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
        /// Only entries before this instant (RFC 3339 or YYYY-MM-DD, UTC).
        #[arg(long)]
        until: Option<String>,
        #[arg(long, value_enum, default_value_t = EntriesFormat::Csv)]
        format: EntriesFormat,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EntriesFormat {
    Csv,
    Json,
}

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// `flood-2017`, `spoofed-senders`, `call-flood` (the same flood by telephone: calls to the
    /// number's voice, against a naive answering machine), or a scenario TOML file (see
    /// docs/simulator.md). With --traffic, only the file's `[number]` table is used.
    #[arg(long, default_value = "flood-2017")]
    pub scenario: String,
    /// Replay this traffic file (one JSON object per line: at, from, to, body, group) instead of
    /// generating a scenario; a malformed line exits 2 naming it.
    #[arg(long, conflicts_with_all = ["seed", "attackers", "messages", "genuine", "duration"])]
    pub traffic: Option<PathBuf>,
    /// Seed of the generator: the same seed gives the same messages and economics. Default: the file's, else 1.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Attacker numbers, or `every-message` (a new number per attack message).
    #[arg(long)]
    pub attackers: Option<String>,
    /// Attack messages.
    #[arg(long)]
    pub messages: Option<u32>,
    /// Genuine senders (each sends one or two messages).
    #[arg(long)]
    pub genuine: Option<u32>,
    /// Scenario duration, e.g. `4h`, `20m`.
    #[arg(long)]
    pub duration: Option<String>,
    /// Price per SMS segment of the simulated number, e.g. `0.16` (for calls: per minute, e.g. `0.02`).
    #[arg(long)]
    pub price: Option<String>,
    /// Daily cap of the simulated number (`none` for no cap).
    #[arg(long)]
    pub daily_cap: Option<String>,
    /// Monthly cap of the simulated tenant (`none` for no cap).
    #[arg(long)]
    pub monthly_cap: Option<String>,
    /// In-process ledger: `redis://HOST:PORT/DB` (random key prefix); default: SQLite in a temporary directory.
    #[arg(long)]
    pub ledger: Option<String>,
    /// Drive a running server at this base URL (e.g. `http://127.0.0.1:8080`) instead of in-process.
    #[arg(long, requires = "config")]
    pub target: Option<String>,
    /// The target server's configuration (tokens, public URL, numbers, prices).
    #[arg(long, short)]
    pub config: Option<PathBuf>,
    /// The number to flood (default: the first of --config).
    #[arg(long, conflicts_with = "all_numbers")]
    pub number: Option<String>,
    /// Spread the messages over every number of --config.
    #[arg(long)]
    pub all_numbers: bool,
    /// Requests in flight at once (HTTP mode).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Replay at X times real time (HTTP mode; default: as fast as possible).
    #[arg(long, conflicts_with = "rate")]
    pub speed: Option<f64>,
    /// Send at this many messages per second, evenly spaced (HTTP mode).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Write report.json and spend.svg into this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print report.json on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Never show the progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_values_are_the_provider_kinds() {
        for arg in ProviderArg::value_variants() {
            let name = arg.to_possible_value().expect("every value is visible");
            assert_eq!(name.get_name(), ProviderKind::from(*arg).as_str());
        }
        assert_eq!(ProviderArg::value_variants().len(), ProviderKind::ALL.len());
    }
}
