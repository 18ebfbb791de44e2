//! `antirelou`: the command line. `main` only parses and dispatches; each
//! command lives in its own module.

mod check;
mod cli;
mod config;
mod init;
mod ledger_cmd;
mod send;
mod serve;
mod simulate;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// Exit status for a configuration the service refuses (bad file, bad key,
/// unusable Redis): operators and scripts can tell it from a crash.
pub const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::CheckConfig(args) => check::run(args),
        Command::Send(args) => send::run(args),
        Command::Ledger(args) => ledger_cmd::run(args),
        Command::Simulate(args) => simulate::run(*args),
        Command::Init(args) => init::run(*args),
        Command::Openapi(args) => {
            // The document describes the API; it needs no configuration.
            let text =
                if args.markdown { antirelou_web::openapi_endpoint_table() } else { antirelou_web::openapi_json() };
            println!("{}", text.trim_end());
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
