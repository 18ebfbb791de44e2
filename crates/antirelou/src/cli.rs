//! The clap definitions of every command.

use std::path::PathBuf;

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
    /// Post one correctly signed webhook to a running server and print the reply.
    Send(SendArgs),
    /// Balances, top-ups and entries of the spend ledger.
    Ledger(LedgerArgs),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// TOML configuration file (ANTIRELOU__SECTION__KEY variables override it).
    #[arg(long, short, env = "ANTIRELOU_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CheckConfigArgs {
    #[arg(long, short, env = "ANTIRELOU_CONFIG")]
    pub config: PathBuf,
}

#[derive(Args, Debug)]
pub struct SendArgs {
    /// One of our numbers (E.164), the webhook's `To`.
    #[arg(long)]
    pub to: String,
    /// The sender (E.164), the webhook's `From`.
    #[arg(long)]
    pub from: String,
    /// The message text.
    pub text: String,
    /// Configuration of the server (for the tenant's token and public URL); default: the demo.
    #[arg(long, short, env = "ANTIRELOU_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where to post; default: the configured listen address.
    #[arg(long)]
    pub url: Option<String>,
    /// Reuse a MessageSid (to see how a provider retry is answered).
    #[arg(long)]
    pub message_sid: Option<String>,
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
        /// A decimal amount in the ledger currency, e.g. 25.00.
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
