//! The word lists and suffix sets of `data/signals.txt`, parsed once per index.

use crate::hash::Table;

/// The embedded signal file (see its header for the format).
pub(crate) const SIGNALS_TXT: &str = include_str!("../data/signals.txt");

/// What one token means.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct WordInfo {
    /// Imitates a government suffix ("gov", "govpl", "gev" …).
    pub gov: bool,
    /// Recognised when glued to a protected name ("pacjentgov").
    pub glue: bool,
    /// Never counts as an extra token ("www").
    pub ignore: bool,
    /// A protected name that is an ordinary word.
    pub generic: bool,
    /// Large generic TLD.
    pub tld_mainstream: bool,
    /// Cheap or abused TLD.
    pub tld_abused: bool,
    /// Bit set of countries (indices into `Signals::codes`) the token names.
    pub country: u32,
    /// Bit set of languages whose lure words include the token.
    pub lure: u32,
    /// Bit set of languages whose health words include the token.
    pub health: u32,
    /// Bit set of languages whose prefix words (lure words valid only right before the
    /// name) include the token.
    pub prefix: u32,
    /// Describes a care provider (`[provider]` and every generic word): before a short
    /// name it names a provider funded by the institution, not the institution.
    pub provider: bool,
}

/// Parsed signal lists.
pub(crate) struct Signals {
    words: Table<WordInfo>,
    /// `"name word"` pairs of the `[homonym NAME]` sections.
    homonyms: Table<()>,
    /// Interned country and language codes; index = bit position.
    codes: Vec<String>,
}

impl Signals {
    /// Parses the embedded file.
    pub(crate) fn embedded() -> Signals {
        Signals::parse(SIGNALS_TXT)
    }

    /// Parses text in the signal-file format. Unknown sections are ignored.
    pub(crate) fn parse(text: &str) -> Signals {
        let mut s = Signals {
            words: Table::default(),
            homonyms: Table::default(),
            codes: Vec::new(),
        };
        let mut section = String::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if let Some(sec) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = sec.trim().to_ascii_lowercase();
                continue;
            }
            let word = line.to_ascii_lowercase();
            let mut parts = section.split_whitespace();
            let kind = parts.next().unwrap_or("");
            let arg = parts.next().unwrap_or("");
            if kind == "homonym" {
                s.homonyms.entry_or(format!("{arg} {word}").as_bytes(), || ());
                continue;
            }
            let bit = if arg.is_empty() { 0 } else { s.code_bit(arg) };
            let info = s.words.entry_or(word.as_bytes(), WordInfo::default);
            match (kind, arg) {
                ("gov", _) => info.gov = true,
                ("glue", _) => info.glue = true,
                ("ignore", _) => info.ignore = true,
                ("generic", _) => {
                    info.generic = true;
                    info.provider = true;
                }
                ("provider", _) => info.provider = true,
                ("tld", "mainstream") => info.tld_mainstream = true,
                ("tld", "abused") => info.tld_abused = true,
                ("country", _) => info.country |= bit,
                ("lure", _) => info.lure |= bit,
                ("health", _) => info.health |= bit,
                ("prefix", _) => info.prefix |= bit,
                _ => {}
            }
        }
        s
    }

    /// Bit for a country or language code, interning it (at most 32 codes).
    fn code_bit(&mut self, code: &str) -> u32 {
        let code = code.to_ascii_lowercase();
        let idx = match self.codes.iter().position(|c| *c == code) {
            Some(i) => i,
            None => {
                if self.codes.len() >= 32 {
                    return 0;
                }
                self.codes.push(code);
                self.codes.len() - 1
            }
        };
        1u32 << idx
    }

    /// Bit for a code already seen in the file (0 when unknown).
    pub(crate) fn bit(&self, code: &str) -> u32 {
        self.codes.iter().position(|c| c == code).map_or(0, |i| 1u32 << i)
    }

    /// A table of the gov-like words only.
    pub(crate) fn gov_words(&self) -> Table<()> {
        let mut t = Table::default();
        for (w, info) in self.words.iter() {
            if info.gov {
                t.entry_or(w, || ());
            }
        }
        t
    }

    /// A table of the words that may be glued to a protected name: every gov-like, country,
    /// lure, health and `[glue]` word of two letters or more.
    pub(crate) fn glue_words(&self) -> Table<()> {
        let mut t = Table::default();
        for (w, i) in self.words.iter() {
            let signal = i.gov || i.glue || i.country != 0 || i.lure != 0 || i.health != 0;
            // Prefix words ("e") are glued separately, only in front of long names.
            if signal && w.len() >= 2 {
                t.entry_or(w, || ());
            }
        }
        t
    }

    /// True when `word` next to the protected `name` shows another organisation of that
    /// name (`[homonym NAME]`).
    pub(crate) fn homonym(&self, name: &str, word: &str) -> bool {
        let mut key = crate::buf::Buf::new();
        key.push_bytes(name.as_bytes())
            && key.push(b' ')
            && key.push_bytes(word.as_bytes())
            && self.homonyms.contains(key.as_bytes())
    }

    /// True when the token is listed in any section.
    pub(crate) fn listed(&self, token: &str) -> bool {
        self.words.contains(token.as_bytes())
    }

    /// What a token means (all-false when it is not listed).
    #[inline]
    pub(crate) fn get(&self, token: &str) -> WordInfo {
        self.words.get(token.as_bytes()).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_file_is_well_formed() {
        assert!(SIGNALS_TXT.starts_with("# "), "header comment first");
        let known = [
            "gov", "glue", "country", "lure", "prefix", "health", "generic", "ignore", "tld", "provider", "homonym",
        ];
        for line in SIGNALS_TXT.lines() {
            let line = line.split('#').next().unwrap().trim();
            if line.is_empty() {
                continue;
            }
            if let Some(sec) = line.strip_prefix('[') {
                let kind = sec.trim_end_matches(']').split_whitespace().next().unwrap();
                assert!(known.contains(&kind), "unknown section {line}");
                continue;
            }
            assert!(
                line.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "entry {line:?} must be a lower-case ASCII token"
            );
        }
    }

    #[test]
    fn sections_are_read() {
        let s = Signals::embedded();
        assert!(s.get("gov").gov && s.get("gev").gov && s.get("govpl").gov);
        assert!(s.get("zwrot").lure & s.bit("pl") != 0);
        assert!(s.get("e").prefix & s.bit("pl") != 0 && s.get("e").lure == 0);
        assert!(s.get("rambursare").lure & s.bit("ro") != 0);
        assert!(s.get("refund").lure & s.bit("en") != 0);
        assert!(s.get("pias").health & s.bit("ro") != 0);
        assert_eq!(s.get("apteka").health, 0, "ordinary medical words are not signals");
        assert!(s.get("pl").country & s.bit("pl") != 0);
        assert!(s.get("pacjent").generic && s.get("gabinet").generic);
        assert!(s.get("www").ignore);
        assert!(s.get("com").tld_mainstream && s.get("top").tld_abused);
        assert!(!s.get("cz").tld_abused && !s.get("cz").tld_mainstream);
        let glue = s.glue_words();
        assert!(glue.contains(b"govpl") && glue.contains(b"zwrot") && glue.contains(b"www"));
        assert!(!glue.contains(b"e") && !glue.contains(b"stomatologiczny"));
        assert!(s.get("rehabilitacja").provider && s.get("pacjent").provider && !s.get("zwrot").provider);
        assert!(s.homonym("cez", "energy") && !s.homonym("nfz", "energy") && !s.homonym("cez", "info"));
        assert!(glue.contains(b"my") && glue.contains(b"portal") && !glue.contains(b"info"));
        assert_eq!(s.bit("cez"), 0, "homonym names are not codes");
        let none = s.get("stomatologiczny");
        assert!(!none.gov && none.lure == 0 && none.health == 0 && none.country == 0);
    }
}
