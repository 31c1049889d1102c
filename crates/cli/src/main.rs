//! The `healthguard` binary: a thin edge over the core. Parses arguments, reads files and
//! standard input, prints, and sets the exit code in one place.

mod args;
mod check;
mod eval;
mod eval_email;
mod learn;
mod mailbox;
mod metrics;
mod registry_cmd;
mod scan;
mod serve;
mod triage;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

/// Exit code when the input or the registry could not be used.
pub const EXIT_INPUT_ERROR: u8 = 3;
/// Exit code for a bad command line.
pub const EXIT_USAGE: u8 = 64;

/// A bad command line found after parsing (an unknown language code): exit 64.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Writes to standard output; a closed pipe (`healthguard … | head`) ends the output quietly.
pub fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Scan(args) => scan::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Registry(cmd) => registry_cmd::run(cmd),
        Command::Eval(cmd) => eval::run(cmd),
        Command::Learn(args) => learn::run(args),
        Command::Triage(cmd) => triage::run(cmd),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("healthguard: {e:#}");
            let usage = e.downcast_ref::<UsageError>().is_some();
            ExitCode::from(if usage { EXIT_USAGE } else { EXIT_INPUT_ERROR })
        }
    }
}
