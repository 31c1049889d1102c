//! What the message asks: lures in the subject and in the writer's own words (the first
//! [`LURE_WINDOW`] bytes, without quotes, signatures and footers; nothing for a mail
//! system's notice), passwords given for attachments, and the links written in the text.

use crate::analyze::{Gathered, Message};
use crate::attach::Class;
use crate::generic;
use crate::lists::{unwrap_redirector, Redirect};
use aho_corasick::AhoCorasick;
use healthguard_core::links;
use healthguard_core::{Checker, Finding, Signals};
use std::sync::LazyLock;

/// Hosts of known redirectors, to find them in plain text in one pass.
static REDIRECTOR_HOSTS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let hosts: Vec<&str> = include_str!("../data/redirectors.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(hosts)
        .expect("valid patterns")
});

/// Replaces known redirector URLs in plain text by their targets (or removes them when
/// they carry only a tracking id), so that the core judges where a link really goes.
fn unwrap_text_redirectors(text: &str) -> std::borrow::Cow<'_, str> {
    // Only a URL (with "://" before the host) is replaced: a host that is replaced lies past
    // the first "://", so finding none there leaves the text as it is.
    let Some(first_scheme) = text.find("://") else {
        return std::borrow::Cow::Borrowed(text);
    };
    if !REDIRECTOR_HOSTS.is_match(&text[first_scheme..]) {
        return std::borrow::Cow::Borrowed(text);
    }
    // Each URL around a redirector's host: from the scheme back to the last separator,
    // forward to the next one.
    let stop = |c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']');
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for m in REDIRECTOR_HOSTS.find_iter(text) {
        if m.start() < copied {
            continue;
        }
        let start = text[..m.start()]
            .rfind(stop)
            .map_or(0, |p| p + text[p..].chars().next().map_or(1, char::len_utf8));
        let end = text[m.end()..].find(stop).map_or(text.len(), |p| p + m.end());
        if start < copied || !text[start..m.start()].contains("://") {
            continue;
        }
        let replacement = match unwrap_redirector(&text[start..end]) {
            Redirect::Target(t) => t,
            Redirect::Opaque => String::new(),
            Redirect::NotRedirector => continue,
        };
        out.push_str(&text[copied..start]);
        out.push_str(&replacement);
        copied = end;
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

/// The text unit: subject and body lures, a password given beside an attachment, links in
/// the text (known redirectors unwrapped).
pub(crate) fn text(m: &Message, s: &mut Signals, g: &mut Gathered) {
    let mut text = String::with_capacity(m.mail.subject.len() + m.mail.text.len() + 2);
    text.push_str(&m.mail.subject);
    text.push_str("\n\n");
    text.push_str(&m.mail.text);
    let text = unwrap_text_redirectors(&text);
    // Requests are judged in what the reader reads first: the subject and the start of the
    // body without quoted lines (long newsletters and quoted threads mention every word
    // sometime). Links are taken from the whole text.
    // A mail system's notice (a bounce, a receipt) asks nothing: its words are about
    // delivery and it quotes the returned message. Its links are still judged.
    let (window, rest) = if m.mail.automatic {
        (String::new(), &text[..])
    } else {
        lure_window(&text)
    };
    let window = match strip_disclaimers(&window) {
        std::borrow::Cow::Borrowed(_) => window,
        std::borrow::Cow::Owned(w) => w,
    };
    if let Some(f) = subject_lure(m.checker, &m.mail.subject).filter(|_| !m.mail.automatic) {
        s.push(f);
    }
    // The core reads the window's first MAX_TEXT_BYTES; the rest of the judging here reuses
    // its folded form and links when that is the whole window.
    let read = m.checker.read_text(s, &window);
    let (folded, window_links) = if window.len() <= healthguard_core::MAX_TEXT_BYTES {
        (read.folded, read.links)
    } else {
        (healthguard_core::fold::fold(&window), links::extract(&window))
    };
    for (code, phrase) in generic::lures(&window, &folded) {
        let lure = code.trim_start_matches("LURE_").to_ascii_lowercase();
        s.push(Finding::new(&code, phrase).param("lure", lure));
    }
    let lockable = |a: &crate::Attachment| !matches!(a.effective_class(), Class::Image | Class::Media);
    if m.mail.attachments.iter().any(lockable) {
        if let Some(given) = generic::password_given(&window, &folded) {
            s.push(Finding::new("ATTACHMENT_PASSWORD_GIVEN", given));
        }
    }
    for l in window_links {
        if l.is_email || l.is_ip {
            g.other_hosts.push(l.host);
        } else {
            g.web_hosts.push(l.host);
        }
    }
    for link in links::extract(rest) {
        if link.is_email || link.is_ip {
            g.other_hosts.push(link.host.clone());
        } else {
            g.web_hosts.push(link.host.clone());
        }
        if !link.is_email {
            m.checker.add_link(s, link);
        }
    }
}

/// Most bytes of body text judged for lure phrases.
const LURE_WINDOW: usize = 6 * 1024;

/// A lure phrase in the subject itself (the bait is put where it is read first; a lure deep
/// in a newsletter is not). Judged on the first 300 bytes of the subject.
pub(crate) fn subject_lure(checker: &Checker, subject: &str) -> Option<Finding> {
    let mut end = subject.len().min(300);
    while !subject.is_char_boundary(end) {
        end -= 1;
    }
    let subject = subject[..end].trim();
    if subject.is_empty() {
        return None;
    }
    let folded = healthguard_core::fold::fold(subject);
    let mut requests = generic::lures(subject, &folded).into_iter();
    if let Some((code, phrase)) = requests.find(|(c, _)| !c.ends_with("_TOPIC")) {
        return Some(Finding::new("LURE_IN_SUBJECT", phrase).param("lure", code));
    }
    checker
        .first_text_lure(subject, &folded)
        .map(|(code, evidence)| Finding::new("LURE_IN_SUBJECT", evidence).param("lure", code))
}

/// The text judged for requests: the subject and the first [`LURE_WINDOW`] bytes of the
/// message's own words, without quoted `>` lines and up to where the writer stops speaking:
/// a signature separator (`-- `, RFC 3676), the start of a quoted original ("-----Original
/// Message-----", "On … wrote:") or a separator line of underscores that opens a list footer
/// or an Outlook-style quote. Returns the window and the rest of the text (links are taken
/// from both).
fn lure_window(text: &str) -> (String, &str) {
    let mut window = String::with_capacity(text.len().min(LURE_WINDOW + 256));
    let mut consumed = 0;
    for line in text.split_inclusive('\n') {
        if window.len() >= LURE_WINDOW || (consumed > 0 && ends_own_words(line)) {
            break;
        }
        consumed += line.len();
        if line.trim_start().starts_with('>') {
            continue;
        }
        window.push_str(line);
    }
    (window, &text[consumed..])
}

/// Negations before which a request is a promise not to ask ("we will never ask for your
/// password"), folded: en, pl, ro, uk, de, fr, es/pt.
const DISCLAIMER_NEGATIONS: [&str; 16] = [
    "never",
    "not",
    "t",
    "nie",
    "nigdy",
    "nu",
    "niciodata",
    "niemals",
    "nicht",
    "jamais",
    "ne",
    "nunca",
    "nao",
    "ніколи",
    "не",
    "no",
];

/// Words that may stand between the negation and the verb ("will never *ever* ask *you*",
/// "nu *vă vom* cere"), folded.
const DISCLAIMER_FILLERS: [&str; 27] = [
    "e", "you", "we", "will", "ever", "be", "to", "by", "va", "vom", "vor", "iti", "sie", "ihnen", "dich", "vous",
    "te", "le", "nous", "nie", "ne", "не", "вас", "вам", "never", "not", "t",
];

/// Verbs of asking and sending, folded: prefixes of at least four letters, whole words below.
const DISCLAIMER_VERBS: [&str; 26] = [
    "ask",
    "request",
    "send",
    "email",
    "mail",
    "call",
    "contact",
    "require",
    "solicit",
    "prosi",
    "prosz",
    "wysyl",
    "zada",
    "wymaga",
    "trimite",
    "frag",
    "aufforder",
    "verlang",
    "demand",
    "envoy",
    "pedi",
    "просим",
    "просит",
    "запиту",
    "вимага",
    "надсила",
];
const DISCLAIMER_VERB_WORDS: [&str; 4] = ["cere", "cerem", "pide", "bitten"];

/// Words before a negation that make it a condition ("if you did not request …"), folded.
const DISCLAIMER_CONDITIONS: [&str; 10] = [
    "if", "unless", "jesli", "jezeli", "daca", "wenn", "falls", "si", "якщо", "caso",
];

/// Quick test for a negation in the raw text before folding it.
static NEGATION_HINT: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build([
            "never",
            "not ",
            "n't",
            "n’t",
            "nie",
            "nigdy",
            "nu ",
            "niciodat",
            "nicht",
            "niemals",
            "jamais",
            "ne ",
            "nunca",
            "não",
            "nao ",
            "ніколи",
            "не ",
            "no ",
        ])
        .expect("valid patterns")
});

/// The window without the sender's promises not to ask ("Australia Post will never send you
/// an e-mail asking for your password", "Nigdy nie prosimy o podanie hasła"): security
/// notices and disclaimers name exactly what phishing asks for, and are advice. A sentence
/// goes when a negation is followed by a verb of asking or sending (only pronouns and
/// auxiliaries between them), and no condition ("if you did not request this …", a threat) comes just before it. The request
/// the rest of the message makes is still read.
fn strip_disclaimers(window: &str) -> std::borrow::Cow<'_, str> {
    if !NEGATION_HINT.is_match(window) {
        return std::borrow::Cow::Borrowed(window);
    }
    let folded = healthguard_core::fold::fold(window);
    let words: Vec<(usize, &str)> = folded
        .text
        .split(' ')
        .scan(0usize, |at, w| {
            let start = *at;
            *at += w.len() + 1;
            Some((start, w))
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for (i, (at, w)) in words.iter().enumerate() {
        if !DISCLAIMER_NEGATIONS.contains(w) {
            continue;
        }
        let conditional = words[i.saturating_sub(4)..i]
            .iter()
            .any(|(_, c)| DISCLAIMER_CONDITIONS.contains(c));
        let asks = words[i + 1..]
            .iter()
            .take(4)
            .find(|(_, v)| !DISCLAIMER_FILLERS.contains(v))
            .is_some_and(|(_, v)| {
                DISCLAIMER_VERB_WORDS.contains(v) || DISCLAIMER_VERBS.iter().any(|stem| v.starts_with(stem))
            });
        if conditional || !asks {
            continue;
        }
        let origin = folded.origin_of(*at, window.len());
        let (start, end) = sentence_around(window, origin);
        if cuts.last().is_some_and(|(_, e)| *e >= start) {
            if let Some(last) = cuts.last_mut() {
                last.1 = last.1.max(end);
            }
        } else {
            cuts.push((start, end));
        }
    }
    if cuts.is_empty() {
        return std::borrow::Cow::Borrowed(window);
    }
    let mut out = String::with_capacity(window.len());
    let mut copied = 0;
    for (start, end) in cuts {
        out.push_str(&window[copied..start]);
        out.push(' ');
        copied = end;
    }
    out.push_str(&window[copied..]);
    std::borrow::Cow::Owned(out)
}

/// The sentence of `text` around byte `at`: back to the last `.`, `!`, `?` or line break,
/// forward to the next `.`, `!` or `?`, or a line break before a capital or a blank line (a
/// wrapped line continues in lower case), at most 400 bytes on.
fn sentence_around(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let start = text[..at].rfind(['.', '!', '?', '\n']).map_or(0, |p| p + 1);
    let mut end = text.len().min(at + 400);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let ahead = &text[at..end];
    let mut stop = ahead.len();
    for (i, c) in ahead.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            stop = i + 1;
            break;
        }
        if c == '\n' {
            let next = ahead[i + 1..].chars().next();
            if next.is_none_or(|n| n.is_uppercase() || n == '\n' || n == '\r') {
                stop = i;
                break;
            }
        }
    }
    (start, at + stop)
}

/// Whether `line` ends what the writer says: a signature, a quoted original or a footer.
fn ends_own_words(line: &str) -> bool {
    let t = line.trim_end_matches(['\r', '\n']);
    if t == "-- " || t == "--" {
        return true;
    }
    let t = t.trim();
    if t.len() >= 20 && t.chars().all(|c| c == '_') {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    (lower.starts_with("-----") && lower.contains("original message"))
        || (lower.starts_with("on ") && lower.ends_with("wrote:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirectors_in_text_are_unwrapped() {
        let t = "Zobacz https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fnfz-zwrot.pl%2Fx&data=1 oraz\n(https://nfz.us1.list-manage.com/track/click?u=1) i https://www.nfz.gov.pl/.";
        assert_eq!(
            unwrap_text_redirectors(t),
            "Zobacz https://nfz-zwrot.pl/x oraz\n() i https://www.nfz.gov.pl/."
        );
        assert!(matches!(
            unwrap_text_redirectors("no links here"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            unwrap_text_redirectors("ąę list-manage.com ść"),
            "ąę list-manage.com ść"
        );
    }

    #[test]
    fn the_window_ends_where_the_writer_stops() {
        // Written by the project.
        let text = "Subject\n\nSee you at 5.\n> confirm your password\n-- \nAnn, confirm your password at ...\n";
        let (window, rest) = lure_window(text);
        assert_eq!(window, "Subject\n\nSee you at 5.\n");
        assert!(rest.starts_with("-- \n"));
        for stop in [
            "On Tue, 3 Mar 2026 at 10:00, Bob <b@example.org> wrote:\n",
            "-----Original Message-----\n",
            "_______________________________________________\n",
        ] {
            let t = format!("Hello\n{stop}verify your account now\n");
            assert_eq!(lure_window(&t).0, "Hello\n", "{stop}");
        }
        // A first line is always read; dashes inside a sentence do not stop it.
        assert_eq!(lure_window("-- \nverify").0, "-- \nverify");
        assert_eq!(lure_window("a -- b\nc").0, "a -- b\nc");
    }

    #[test]
    fn promises_not_to_ask_are_not_requests() {
        // Written by the project.
        for (text, kept) in [
            (
                "Your parcel arrived. Our courier will never send you an e-mail asking for your password or card details. Track it in the app.",
                "Your parcel arrived.  Track it in the app.",
            ),
            ("We do not ask for your PIN.\nHave a nice day", " \nHave a nice day"),
            ("Nigdy nie prosimy o podanie hasła. Dziękujemy", "  Dziękujemy"),
        ] {
            assert_eq!(strip_disclaimers(text), kept, "{text}");
        }
        // Conditions and other negations stay: they are the lure.
        for text in [
            "If you do not confirm your password today, your account will be closed.",
            "Payment not received, contact us to pay the fee.",
            "We could not deliver your parcel, send your card details to reschedule.",
            "Don't forget to confirm your password.",
        ] {
            assert_eq!(strip_disclaimers(text), text);
        }
        // A wrapped line continues the sentence; a line that starts with a capital does not.
        let wrapped = "We will never ask you\nfor your password\nConfirm your card here";
        assert_eq!(strip_disclaimers(wrapped), " \nConfirm your card here");
    }

    #[test]
    fn lures_in_the_subject_line() {
        // Written by the project.
        let checker = Checker::new(healthguard_registry::builtin().clone());
        let f = subject_lure(&checker, "Your mailbox is full - action required").unwrap();
        assert_eq!(f.code, "LURE_IN_SUBJECT");
        assert!(subject_lure(&checker, "Minutes of Tuesday's meeting").is_none());
        assert!(subject_lure(&checker, "").is_none());
        // Long subjects are cut on a character boundary.
        let long = "ż".repeat(400);
        assert!(subject_lure(&checker, &long).is_none());
    }
}
