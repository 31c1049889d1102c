//! The SMS, pasted-text, link and phone-number checks of the core, then the report in
//! every language. The first byte picks the kind; an SMS's sender is the first line.
#![no_main]

use healthguard_core::{Catalog, Checker, Input};
use healthguard_registry::Lang;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn checker() -> &'static Checker {
    static C: OnceLock<Checker> = OnceLock::new();
    C.get_or_init(|| Checker::new(healthguard_registry::builtin().clone()))
}

fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(Catalog::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let input = match kind % 5 {
        0 => Input::Text(&text),
        1 => {
            let (sender, body) = text.split_once('\n').unwrap_or(("", &text));
            Input::Sms {
                sender: (!sender.is_empty()).then_some(sender),
                text: body,
            }
        }
        2 => Input::Sms {
            sender: None,
            text: &text,
        },
        3 => Input::Url(&text),
        _ => Input::Phone(&text),
    };
    let analysis = checker().check(input);
    let lang = Lang::ALL[usize::from(kind / 5) % Lang::ALL.len()];
    let _ = std::hint::black_box(checker().report(&analysis, catalog(), Some(lang)));
});
