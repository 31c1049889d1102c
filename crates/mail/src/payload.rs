//! What the message carries besides words: forms asking for a password, attachments
//! (typed by content, archives listed) and bodies that are only pictures.

use crate::analyze::{Gathered, Message};
use crate::attach::Class;
use crate::parse::{letters_seen, FEW_LETTERS};
use healthguard_core::links;
use healthguard_core::{Finding, Signals};

/// Forms that ask for a password inside the message (forms alone are common in
/// newsletters: search boxes, subscriptions).
pub(crate) fn forms(m: &Message, s: &mut Signals, _: &mut Gathered) {
    if let Some(action) = m.mail.forms.first().filter(|_| m.mail.password_fields > 0) {
        let target = links::parse_one(action.trim()).filter(|l| !l.is_email);
        let evidence = target
            .as_ref()
            .map(|l| healthguard_domains::to_unicode(&l.host))
            .unwrap_or_else(|| "(form)".to_string());
        s.push(Finding::new("HTML_FORM", evidence).param("password_fields", m.mail.password_fields.to_string()));
        if let Some(l) = target {
            m.checker.add_link(s, l);
        }
    }
}

/// Attachments: executables, scripts, shortcuts, macros, HTML, disk images, archives (and
/// what they hold), double extensions, a type that contradicts the name.
pub(crate) fn attachments(m: &Message, s: &mut Signals, _: &mut Gathered) {
    let mut password_in_body: Option<bool> = None;
    for a in &m.mail.attachments {
        let label = a.label();
        if let Some(f) = class_finding(a.effective_class(), &label, a.content.format) {
            s.push(f);
        }
        if a.double_extension {
            s.push(Finding::new("ATTACHMENT_DOUBLE_EXTENSION", label.clone()));
        }
        if a.type_mismatch() {
            s.push(Finding::new("ATTACHMENT_TYPE_MISMATCH", label.clone()).param("format", a.content.format));
        }
        if let Some(info) = &a.archive {
            if info.encrypted {
                let given = *password_in_body.get_or_insert_with(|| mentions_password(&m.mail.text));
                s.push(
                    Finding::new("ATTACHMENT_ENCRYPTED_ARCHIVE", label.clone())
                        .param("password_in_body", if given { "yes" } else { "no" }),
                );
            }
            for (path, class) in &info.risky {
                if let Some(f) = class_finding(*class, &format!("{label} → {path}"), "") {
                    s.push(f);
                }
                if crate::attach::double_extension(path) {
                    s.push(Finding::new("ATTACHMENT_DOUBLE_EXTENSION", format!("{label} → {path}")));
                }
            }
        }
    }
}

/// A body that is only pictures: nothing for a text filter, or a reader, to check.
pub(crate) fn image_only(m: &Message, s: &mut Signals, _: &mut Gathered) {
    let letters = m.mail.html_view_letters.unwrap_or_else(|| letters_seen(&m.mail.text));
    if m.mail.images > 0 && letters < FEW_LETTERS && m.mail.attachments.iter().all(|a| !a.content.class.is_risky()) {
        s.push(Finding::new(
            "IMAGE_ONLY_BODY",
            format!("{} image(s), {letters} letters of text", m.mail.images),
        ));
    }
}

fn class_finding(class: Class, label: &str, format: &str) -> Option<Finding> {
    let f = match class {
        Class::Executable => Finding::new("ATTACHMENT_EXECUTABLE", label),
        Class::Script => Finding::new("ATTACHMENT_SCRIPT", label),
        Class::Shortcut => Finding::new("ATTACHMENT_SHORTCUT", label),
        Class::MacroDocument => Finding::new("ATTACHMENT_MACRO", label),
        Class::Html => Finding::new("ATTACHMENT_HTML", label),
        Class::DiskImage => Finding::new("ATTACHMENT_DISK_IMAGE", label),
        Class::Archive => Finding::new("ATTACHMENT_ARCHIVE", label),
        _ => return None,
    };
    Some(if format.is_empty() {
        f
    } else {
        f.param("format", format)
    })
}

/// Whether the text gives a password (for an encrypted attachment), in any language.
fn mentions_password(text: &str) -> bool {
    const WORDS: [&str; 10] = [
        "password",
        "passwort",
        "hasło",
        "haslo",
        "parola",
        "parolă",
        "пароль",
        "kod do pliku",
        "pass:",
        "pwd",
    ];
    let lower = text.to_lowercase();
    WORDS.iter().any(|w| lower.contains(w))
}
