//! Runs the server the way `healthguard serve` will:
//!
//! ```sh
//! cargo run --release --example serve -p healthguard-server -- --listen 127.0.0.1:8080 --data ./hg-data
//! ```
//!
//! Flags: `--listen ADDR` (default 127.0.0.1:8080), `--data DIR` (default ./healthguard-data),
//! `--no-rate-limit` (for benchmarks on one machine), `--workers N`,
//! `--trust-authserv-id ID` (trust Authentication-Results added by your MTA with this id).

use healthguard_server::{serve, MailAuth, ServeConfig};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut listen = "127.0.0.1:8080".to_string();
    let mut data = "healthguard-data".to_string();
    let mut rate_limit = true;
    let mut workers = None;
    let mut authserv_id = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next().unwrap_or_else(|| {
                eprintln!("{name} needs a value");
                std::process::exit(64)
            })
        };
        match arg.as_str() {
            "--listen" => listen = value("--listen"),
            "--data" => data = value("--data"),
            "--no-rate-limit" => rate_limit = false,
            "--workers" => workers = value("--workers").parse().ok(),
            "--trust-authserv-id" => authserv_id = Some(value("--trust-authserv-id")),
            "-h" | "--help" => {
                println!("serve [--listen ADDR] [--data DIR] [--no-rate-limit] [--workers N] [--trust-authserv-id ID]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}; see --help");
                return ExitCode::from(64);
            }
        }
    }
    let listen = match listen.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("--listen {listen:?}: {e}");
            return ExitCode::from(64);
        }
    };
    let mut config = ServeConfig::new(listen, data.into(), healthguard_registry::builtin().clone());
    if !rate_limit {
        config.limits.check_rate = None;
        config.limits.report_rate = None;
    }
    config.workers = workers;
    if let Some(authserv_id) = authserv_id {
        config.mail_auth = MailAuth::TrustedHeaders {
            authserv_id,
            trusted_arc_sealers: Vec::new(),
        };
    }
    match serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(3)
        }
    }
}
