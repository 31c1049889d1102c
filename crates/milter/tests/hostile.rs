//! The bad-input table of SECURITY.md, milter rows: hostile packet streams read by the same
//! code that serves a connection ([`serve_io`]), from memory. A packet larger than the
//! reader's bound is refused from its length alone; garbage ends the conversation with an
//! error; an oversized message fails open (accepted unchecked) and is counted.

use healthguard_core::Checker;
use healthguard_milter::{serve_io, Config, Shared, State};
use std::sync::{Arc, OnceLock};

fn checker() -> Arc<Checker> {
    static C: OnceLock<Arc<Checker>> = OnceLock::new();
    C.get_or_init(|| Arc::new(Checker::new(healthguard_registry::builtin().clone())))
        .clone()
}

fn shared(config: &str) -> Arc<Shared> {
    let state = State::new(checker(), Config::parse(config).unwrap()).unwrap();
    Arc::new(Shared::new(state, 1))
}

fn packet(out: &mut Vec<u8>, cmd: u8, data: &[u8]) {
    out.extend_from_slice(&((data.len() + 1) as u32).to_be_bytes());
    out.push(cmd);
    out.extend_from_slice(data);
}

fn start() -> Vec<u8> {
    let mut out = Vec::new();
    let mut optneg = 6u32.to_be_bytes().to_vec();
    optneg.extend_from_slice(&0x1ffu32.to_be_bytes());
    optneg.extend_from_slice(&0u32.to_be_bytes());
    packet(&mut out, b'O', &optneg);
    packet(&mut out, b'C', b"client.example\x004\x00\x19198.51.100.7\0");
    packet(&mut out, b'H', b"client.example\0");
    packet(&mut out, b'M', b"<a@example.org>\0");
    packet(&mut out, b'R', b"<b@przychodnia-sloneczna.pl>\0");
    out
}

/// Runs a conversation from memory; the replies and whether it ended cleanly.
fn converse(shared: &Arc<Shared>, input: Vec<u8>) -> (Vec<u8>, bool) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shared = Arc::clone(shared);
    rt.block_on(async move {
        let mut replies = Vec::new();
        let io = tokio::io::join(&input[..], &mut replies);
        let ok = serve_io(io, shared).await.is_ok();
        (replies, ok)
    })
}

#[test]
fn a_packet_declaring_4_gb_is_refused_from_its_length() {
    let s = shared("");
    let mut input = start();
    input.extend_from_slice(&u32::MAX.to_be_bytes());
    input.push(b'B');
    input.extend_from_slice(&[b'x'; 1000]);
    let (_, ok) = converse(&s, input);
    assert!(!ok, "an oversized packet ends the conversation");
}

#[test]
fn garbage_and_truncated_packets_end_the_conversation() {
    let s = shared("");
    for input in [
        vec![0xff; 10_000],
        vec![0; 10_000],
        {
            let mut v = start();
            v.extend_from_slice(&[0, 0, 0, 9, b'L', b'x']);
            v
        },
        {
            let mut v = start();
            packet(&mut v, b'L', b"no-nul-terminators");
            packet(&mut v, b'Z', b"unknown command");
            v
        },
        {
            let mut v = Vec::new();
            packet(&mut v, b'O', b"short");
            v
        },
    ] {
        let (_, _ok) = converse(&s, input);
    }
    // The shared state still serves a proper conversation afterwards.
    let mut v = start();
    packet(&mut v, b'L', b"From\0a@example.org\0");
    packet(&mut v, b'N', b"");
    packet(&mut v, b'B', b"hello\r\n");
    packet(&mut v, b'E', b"");
    packet(&mut v, b'Q', b"");
    let (replies, ok) = converse(&s, v);
    assert!(ok);
    assert!(!replies.is_empty());
}

#[test]
fn header_of_1_mb_and_an_oversized_message_fail_open() {
    let s = shared("max_message_bytes = 100000\n");
    let mut v = start();
    let mut h = b"Subject\0".to_vec();
    h.extend(std::iter::repeat_n(b'x', 1000 * 1000));
    h.push(0);
    packet(&mut v, b'L', &h);
    packet(&mut v, b'N', b"");
    for _ in 0..40 {
        packet(&mut v, b'B', &[b'y'; 60_000]);
    }
    packet(&mut v, b'E', b"");
    packet(&mut v, b'Q', b"");
    let (replies, ok) = converse(&s, v);
    assert!(ok, "the conversation completes");
    // The last reply is an accept (fail open), not a rejection or a tempfail.
    assert!(
        replies
            .windows(5)
            .any(|w| w == [0, 0, 0, 1, b'a'] || w == [0, 0, 0, 1, b'c']),
        "{:?}",
        &replies[replies.len().saturating_sub(20)..]
    );
    assert_eq!(s.stats.snapshot().failures[2], 1, "the oversized message is counted");
}
