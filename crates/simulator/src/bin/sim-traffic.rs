//! `sim-traffic`: the traffic generator and the table of many runs
//! (docs/simulator.md, "The traffic generator").
//!
//! - `sim-traffic list`: every shape, with what it is;
//! - `sim-traffic generate SHAPE|all [--seed N] [--out FILE | --out-dir DIR]`:
//!   writes traffic files (`antirelou simulate --traffic FILE`), the same
//!   for the same seed; `all` writes `DIR/<shape>-seed<N>.jsonl` for each;
//! - `sim-traffic table REPORT.json...`: one row per report.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use antirelou_simulator::{summary, write_traffic, Shape};
use clap::{Parser, Subcommand};

/// Traffic files of other shapes than flood-2017, and the table of their runs.
#[derive(Parser, Debug)]
#[command(name = "sim-traffic")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List the shapes.
    List,
    /// Write the traffic of a shape (or `all`) for a seed.
    Generate {
        /// A shape (see `list`), or `all`.
        shape: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The file to write (default: stdout); one shape only.
        #[arg(long, conflicts_with = "out_dir")]
        out: Option<PathBuf>,
        /// Write `<shape>-seed<N>.jsonl` files into this directory.
        #[arg(long)]
        out_dir: Option<PathBuf>,
    },
    /// One row per report.json (`antirelou simulate --out DIR` writes them).
    Table {
        #[arg(required = true)]
        reports: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::List => {
            for shape in Shape::ALL {
                println!("{:<20}{}", shape.as_str(), shape.description());
            }
            Ok(())
        }
        Command::Generate { shape, seed, out, out_dir } => {
            let shapes: Vec<Shape> = match shape.as_str() {
                "all" => Shape::ALL.to_vec(),
                label => vec![Shape::from_label(label)
                    .ok_or_else(|| format!("unknown shape {label:?} (see `sim-traffic list`)"))?],
            };
            match (out_dir, out) {
                (Some(dir), _) => {
                    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                    for shape in shapes {
                        let traffic = shape.generate(seed);
                        let path = dir.join(format!("{}.jsonl", traffic.name));
                        write_file(&path, &traffic)?;
                        eprintln!("wrote {} ({} messages)", path.display(), traffic.messages.len());
                    }
                    Ok(())
                }
                (None, _) if shapes.len() > 1 => Err("`all` needs --out-dir".to_owned()),
                (None, Some(path)) => write_file(&path, &shapes[0].generate(seed)),
                (None, None) => {
                    let mut stdout = BufWriter::new(std::io::stdout().lock());
                    write_traffic(&shapes[0].generate(seed), &mut stdout)
                        .and_then(|()| stdout.flush())
                        .map_err(|e| format!("stdout: {e}"))
                }
            }
        }
        Command::Table { reports } => {
            let mut values = Vec::with_capacity(reports.len());
            for path in &reports {
                let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
                values.push(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?);
            }
            print!("{}", summary::table(&values));
            Ok(())
        }
    }
}

fn write_file(path: &Path, traffic: &antirelou_simulator::Traffic) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = BufWriter::new(file);
    write_traffic(traffic, &mut out).and_then(|()| out.flush()).map_err(|e| format!("{}: {e}", path.display()))
}
