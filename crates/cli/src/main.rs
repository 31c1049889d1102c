//! The `healthguard` binary: a thin edge over the core. Parses arguments, reads files and
//! standard input, prints, and sets the exit code in one place.

mod args;
mod check;
mod eval;
mod eval_email;
mod eval_messages;
mod feeds;
mod learn;
mod mailbox;
mod metrics;
mod milter;
mod registry_cmd;
mod scan;
mod serve;
mod triage;
mod users;

use args::{Cli, Command};
use clap::{CommandFactory, FromArgMatches};
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

/// `healthguard man`: the man page generated from the argument definitions.
fn man_page() -> anyhow::Result<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut out)?;
    write_stdout(&String::from_utf8_lossy(&out))?;
    Ok(0)
}

/// `healthguard completions SHELL`: completions generated from the argument definitions.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "healthguard", &mut out);
    write_stdout(&String::from_utf8_lossy(&out))?;
    Ok(0)
}

fn main() -> ExitCode {
    // `--version` names the built-in registry's data version beside the program's.
    let version: &'static str = Box::leak(
        format!(
            "{} (registry {})",
            env!("CARGO_PKG_VERSION"),
            healthguard_registry::builtin().version
        )
        .into_boxed_str(),
    );
    let parsed = Cli::command()
        .version(version)
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
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
        Command::Milter(args) => milter::run(args),
        Command::Man => man_page(),
        Command::Completions { shell } => completions(shell),
        Command::Registry(cmd) => registry_cmd::run(cmd),
        Command::Eval(cmd) => eval::run(cmd),
        Command::Learn(args) => learn::run(args),
        Command::Feeds(cmd) => feeds::run(cmd),
        Command::Triage(cmd) => triage::run(cmd),
        Command::Users(cmd) => users::users(cmd),
        Command::Tokens(cmd) => users::tokens(cmd),
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
