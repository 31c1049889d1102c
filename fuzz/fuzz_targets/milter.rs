//! The milter's packet reader and session: a whole conversation read from memory (no
//! socket) by the same code that serves a connection. Even first byte: the rest is raw
//! milter packets as an MTA would send them. Odd first byte: the rest is an e-mail,
//! framed into a well-formed conversation (negotiation, envelope, one packet per header,
//! body chunks, end of message), so the session's header and body handling and the check
//! behind it are reached too.
#![no_main]

use healthguard_core::Checker;
use healthguard_milter::{serve_io, Config, Shared, State};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

struct World {
    runtime: tokio::runtime::Runtime,
    shared: Arc<Shared>,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let checker = Arc::new(Checker::new(healthguard_registry::builtin().clone()));
        let config = Config::parse("trust_authres = \"mx.przychodnia-sloneczna.pl\"\nmax_message_bytes = 1000000\n")
            .expect("config");
        let state = State::new(checker, config).expect("state");
        World {
            runtime,
            shared: Arc::new(Shared::new(state, 1)),
        }
    })
}

fn packet(out: &mut Vec<u8>, cmd: u8, data: &[u8]) {
    out.extend_from_slice(&((data.len() + 1) as u32).to_be_bytes());
    out.push(cmd);
    out.extend_from_slice(data);
}

/// A conversation carrying `raw` as one message.
fn conversation(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut optneg = 6u32.to_be_bytes().to_vec();
    optneg.extend_from_slice(&0x1ffu32.to_be_bytes());
    optneg.extend_from_slice(&0u32.to_be_bytes());
    packet(&mut out, b'O', &optneg);
    packet(&mut out, b'C', b"client.example\x004\x00\x19198.51.100.7\0");
    packet(&mut out, b'H', b"client.example\0");
    packet(&mut out, b'M', b"<bounce@example.org>\0");
    packet(&mut out, b'R', b"<pacjent@przychodnia-sloneczna.pl>\0");
    let end = raw.windows(2).position(|w| w == b"\n\n").map_or(raw.len(), |p| p + 1);
    let (head, body) = raw.split_at(end);
    for line in head.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|b| *b == b':').unwrap_or(line.len());
        let mut data = line[..colon].to_vec();
        data.push(0);
        data.extend_from_slice(line.get(colon + 1..).unwrap_or_default().trim_ascii_start());
        data.push(0);
        packet(&mut out, b'L', &data);
    }
    packet(&mut out, b'N', b"");
    for chunk in body.chunks(4096) {
        packet(&mut out, b'B', chunk);
    }
    packet(&mut out, b'E', b"");
    packet(&mut out, b'Q', b"");
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode % 2 == 0 {
        rest.to_vec()
    } else {
        conversation(rest)
    };
    let w = world();
    let shared = Arc::clone(&w.shared);
    w.runtime.block_on(async move {
        let io = tokio::io::join(&bytes[..], tokio::io::sink());
        // An error is the protocol refusing bad bytes: fine. A panic or a hang is not.
        let _ = serve_io(io, shared).await;
    });
});
