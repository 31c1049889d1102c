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
    g.web_hosts.extend(
        window_links
            .into_iter()
            .filter(|l| !l.is_email && !l.is_ip)
            .map(|l| l.host),
    );
    for link in links::extract(rest) {
        if !link.is_email {
            if !link.is_ip {
                g.web_hosts.push(link.host.clone());
            }
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
