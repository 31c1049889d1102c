//! `healthguard users add` and `healthguard tokens create`: analyst access to the triage UI
//! and API, written straight into the server's store (a running server sees them at once).

use crate::args::{RoleArg, TokensCommand, UsersCommand};
use crate::{write_stdout, UsageError};
use anyhow::{Context as _, Result};
use healthguard_server::access::{self, Role};
use healthguard_server::store::{self, StoreError};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

fn role(r: RoleArg) -> Role {
    match r {
        RoleArg::Viewer => Role::Viewer,
        RoleArg::Analyst => Role::Analyst,
        RoleArg::Admin => Role::Admin,
    }
}

/// A store refusal is the user's mistake (exit 64), anything else an error.
fn store_error(e: StoreError) -> anyhow::Error {
    match e {
        StoreError::Refused(m) => UsageError(m).into(),
        e => anyhow::Error::new(e),
    }
}

/// Runs `healthguard users …`.
pub fn users(cmd: UsersCommand) -> Result<u8> {
    match cmd {
        UsersCommand::Add {
            name,
            role: r,
            store: at,
            password_file,
        } => {
            if !access::valid_name(&name) {
                return Err(UsageError(format!(
                    "{name:?} is not a valid user name (1-64 letters, digits, '.', '_', '-', '@')"
                ))
                .into());
            }
            let password = match &password_file {
                Some(path) => read_password_file(path)?,
                None => prompt_password(&name)?,
            };
            if password.is_empty() {
                return Err(UsageError("the password is empty; refusing to add the user".into()).into());
            }
            let hash =
                access::hash_password(&password).map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
            let db = at.database();
            store::add_user_offline(db.clone(), &name, role(r), &hash).map_err(store_error)?;
            eprintln!("healthguard: added {} {name} to {}", role(r).name(), db.describe());
            Ok(0)
        }
    }
}

/// Runs `healthguard tokens …`.
pub fn tokens(cmd: TokensCommand) -> Result<u8> {
    match cmd {
        TokensCommand::Create {
            store: at,
            role: r,
            name,
        } => {
            let (token, hash) = access::new_api_token();
            store::add_token_offline(at.database(), hash, &name, role(r)).map_err(store_error)?;
            eprintln!(
                "healthguard: {} token {name:?} created; it is shown once, keep it secret (Authorization: Bearer …)",
                role(r).name()
            );
            write_stdout(&format!("{token}\n"))?;
            Ok(0)
        }
    }
}

/// The first line of a file, without its line ending.
fn read_password_file(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_string())
}

/// Asks twice on the terminal, without echo (`stty -echo`); refuses without a terminal.
fn prompt_password(name: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(UsageError("no terminal to ask for the password: give --password-file FILE".into()).into());
    }
    let echo = |on: bool| {
        let _ = std::process::Command::new("stty")
            .arg(if on { "echo" } else { "-echo" })
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    let ask = |prompt: &str| -> Result<String> {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        echo(false);
        let mut line = String::new();
        let read = stdin.lock().read_line(&mut line);
        echo(true);
        eprintln!();
        read.context("cannot read the password")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    };
    let first = ask(&format!("Password for {name}: "))?;
    let again = ask("Again: ")?;
    if first != again {
        return Err(UsageError("the two passwords differ".into()).into());
    }
    Ok(first)
}
