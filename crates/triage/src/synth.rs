//! Synthetic reports for measuring the grouping: a few campaign templates, each with its
//! own rotating infrastructure (new domains and numbers appear as a campaign goes on), its
//! wording varied sentence by sentence, and per-victim details (names after salutations,
//! amounts, dates, case numbers, the victim's own number). Deterministic for a seed.
//!
//! Template syntax: `{a|b|c}` picks one alternative (they nest), `{$var}` is a per-report
//! value. All domains are made up under ordinary suffixes, phone numbers are random, names
//! come from a short list of common first and last names: none is a registry fact.

use crate::Report;

/// A generated report and the campaign it was generated from.
#[derive(Debug, Clone)]
pub struct Synthetic {
    /// The report.
    pub report: Report,
    /// Index of its template in [`TEMPLATES`] (the ground truth).
    pub campaign: usize,
    /// The personal data written into it (names, the victim's number and address,
    /// identifiers, accounts, the reporter's contact): none may leave in an export.
    pub personal: Vec<String>,
}

/// A campaign template.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    /// Short name.
    pub name: &'static str,
    /// Claimed institution.
    pub institution: &'static str,
    /// `sms` or `email`.
    pub kind: &'static str,
    /// SMS sender or e-mail display name (alternatives allowed).
    pub sender: &'static str,
    /// Stems of the campaign's domains.
    pub stems: &'static [&'static str],
    /// Sentences of the message.
    pub text: &'static [&'static str],
    /// Share of reports that bring a new domain (or number) rather than a known one.
    pub rotation: f64,
    /// Share of reports.
    pub weight: u32,
}

/// The templates: six phishing campaigns in three languages and two channels, and genuine
/// notices that only name official sites (reported by mistake; they must stay apart).
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "nfz-refund-sms",
        institution: "pl.nfz",
        kind: "sms",
        sender: "{NFZ|NFZ-INFO|Zwrot NFZ}",
        stems: &["nfz-zwrot", "zwrot-nfz", "nfz-nadplata", "pacjent-zwrot"],
        text: &[
            "NFZ: {masz|przysluguje Ci|czeka na Ciebie} zwrot {nadplaty skladki|kosztow leczenia|za leki} w kwocie {$amount} zl.",
            "{Potwierdz dane|Odbierz srodki|Zweryfikuj rachunek} {na|pod adresem} {$link}",
            "{Termin mija|Wazne do|Oferta wygasa} {$date}. {Wiecej na nfz.gov.pl|Informacje: www.nfz.gov.pl|}",
        ],
        rotation: 0.6,
        weight: 3,
    },
    Template {
        name: "ikp-blocked-email",
        institution: "pl.ikp",
        kind: "email",
        sender: "{Internetowe Konto Pacjenta|IKP Pomoc|Pacjent.gov.pl}",
        stems: &["ikp-konto", "pacjent-login", "konto-ikp", "ikp-weryfikacja"],
        text: &[
            "{Szanowny Panie|Szanowna Pani|Dzien dobry} {$name},",
            "{informujemy|uprzejmie informujemy}, ze Panstwa konto w {Internetowym Koncie Pacjenta|serwisie pacjent.gov.pl} zostalo {zawieszone|zablokowane} z powodu {braku aktualizacji danych|nieudanych prob logowania}.",
            "Aby {przywrocic dostep|odblokowac konto}, prosimy o {zalogowanie sie|weryfikacje tozsamosci} {w ciagu 24 godzin|do dnia {$date}} pod adresem {$link}",
            "{Numer zgloszenia|Nr sprawy}: {$case}. {Twoj numer {$victim_phone} zostanie powiadomiony.|Dane konta: PESEL {$pesel}.|}",
            "{Z powazaniem|Pozdrawiamy}, {Zespol IKP|Dzial Obslugi Pacjenta}",
        ],
        rotation: 0.5,
        weight: 2,
    },
    Template {
        name: "cnas-card-sms",
        institution: "ro.cnas",
        kind: "sms",
        sender: "{CNAS|CNAS-INFO|CardSanatate}",
        stems: &["cnas-card", "card-sanatate", "cnas-actualizare", "asigurat-cnas"],
        text: &[
            "CNAS: {Cardul de sanatate|Cardul dvs. de asigurat} {a expirat|va fi dezactivat} {pe|la data de} {$date}.",
            "{Actualizati|Reinnoiti} {datele|cardul} {aici|acum} {$link} {, taxa {$amount} lei|}",
        ],
        rotation: 0.7,
        weight: 3,
    },
    Template {
        name: "cnas-refund-email",
        institution: "ro.cnas",
        kind: "email",
        sender: "{CNAS Rambursari|Casa Nationala de Asigurari de Sanatate}",
        stems: &["cnas-rambursare", "rambursari-cnas", "cnas-plati"],
        text: &[
            "{Stimate domnule|Stimata doamna|Buna ziua} {$name},",
            "{va informam|va aducem la cunostinta} ca aveti de primit o rambursare de {$amount} lei pentru {serviciile medicale|consultatiile} din {perioada|luna} {$date}.",
            "Pentru a {primi|incasa} suma {pe cardul dvs|in contul {$iban}}, {completati|accesati} formularul {de mai jos|urmator}: {$link}",
            "Cod referinta: {$case}. {Va multumim|Cu stima}, {Departamentul Plati|Echipa CNAS}",
        ],
        rotation: 0.5,
        weight: 2,
    },
    Template {
        name: "erecepta-callback-sms",
        institution: "pl.e-recepta",
        kind: "sms",
        sender: "{$phone}",
        stems: &[],
        text: &[
            "{Pilne|Wazne}: {system e-recepty|Centrum e-Zdrowia} {wykryl|odnotowal} {nieprawidlowosci|blad} w Twojej {e-recepcie|dokumentacji}.",
            "{Zadzwon|Skontaktuj sie} {pilnie|niezwlocznie} pod numer {$phone}, {nr sprawy|kod} {$case}.",
        ],
        rotation: 0.5,
        weight: 2,
    },
    Template {
        name: "erecepta-fee-en",
        institution: "pl.e-recepta",
        kind: "sms",
        sender: "{eRecepta|ePrescription}",
        stems: &["erecepta-pay", "prescription-fee", "erx-payment"],
        text: &[
            "{Dear|Hello} {$name}, your e-prescription {$case} is {on hold|pending} due to an {unpaid fee|incomplete payment} of {$amount} PLN.",
            "{Pay|Settle it} {now|today} at {$link} to {avoid cancellation|release it}.",
        ],
        rotation: 0.7,
        weight: 2,
    },
    Template {
        name: "genuine-reminder",
        institution: "pl.nfz",
        kind: "sms",
        sender: "{NFZ|IKP}",
        stems: &[],
        text: &[
            "{Przypominamy|Informujemy} o {wizycie|terminie badania} {$date}.",
            "{Szczegoly|Informacje} w Internetowym Koncie Pacjenta: {pacjent.gov.pl|https://pacjent.gov.pl} lub na nfz.gov.pl",
        ],
        rotation: 0.0,
        weight: 1,
    },
];

const FIRST: &[&str] = &[
    "Jan", "Anna", "Piotr", "Maria", "Tomasz", "Ewa", "Ion", "Elena", "Andrei", "Ioana", "John", "Mary",
];
const LAST: &[&str] = &[
    "Kowalski",
    "Nowak",
    "Wisniewska",
    "Wojcik",
    "Popescu",
    "Ionescu",
    "Dumitru",
    "Smith",
    "Taylor",
];
const TLDS: &[&str] = &["pl", "com", "info", "online", "net", "site", "ro", "xyz"];

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
    fn pick<'a>(&mut self, v: &[&'a str]) -> &'a str {
        v[self.below(v.len())]
    }
}

/// One campaign's infrastructure as it grows.
struct Infra {
    domains: Vec<String>,
    phones: Vec<String>,
}

/// Per-report values.
struct Vars {
    name: String,
    link: String,
    phone: String,
    victim_phone: String,
    pesel: String,
    iban: String,
    amount: String,
    date: String,
    case: String,
}

/// A valid PESEL for a random birth date.
fn pesel(rng: &mut Rng) -> String {
    let body = format!(
        "{:02}{:02}{:02}{}",
        40 + rng.below(50),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.digits(4)
    );
    let w = [1u32, 3, 7, 9, 1, 3, 7, 9, 1, 3];
    let sum: u32 = body
        .chars()
        .filter_map(|c| c.to_digit(10))
        .zip(w)
        .map(|(d, w)| d * w)
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// A Romanian IBAN with a valid check number (bank code and account random).
fn iban(rng: &mut Rng) -> String {
    let bban = format!("RNCB{}", rng.digits(16));
    let rearranged = format!("{bban}RO00");
    let mut rem = 0u32;
    for c in rearranged.chars() {
        let v = c.to_digit(36).unwrap_or(0);
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    format!("RO{:02}{bban}", 98 - rem)
}

/// Expands `{a|b}` and `{$var}`.
fn expand(s: &str, rng: &mut Rng, vars: &Vars) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let (mut depth, mut end) = (1, after.len());
        for (i, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let inner = &after[..end];
        rest = after.get(end + 1..).unwrap_or_default();
        if let Some(var) = inner.strip_prefix('$') {
            out.push_str(match var {
                "name" => &vars.name,
                "link" => &vars.link,
                "phone" => &vars.phone,
                "victim_phone" => &vars.victim_phone,
                "pesel" => &vars.pesel,
                "iban" => &vars.iban,
                "amount" => &vars.amount,
                "date" => &vars.date,
                _ => &vars.case,
            });
            continue;
        }
        // Top-level alternatives.
        let (mut alts, mut depth, mut start) = (Vec::new(), 0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                '|' if depth == 0 => {
                    alts.push(&inner[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        alts.push(&inner[start..]);
        let chosen = alts[rng.below(alts.len())];
        out.push_str(&expand(chosen, rng, vars));
    }
    out.push_str(rest);
    out
}

fn new_domain(t: &Template, rng: &mut Rng) -> String {
    format!(
        "{}-{}{}.{}",
        rng.pick(t.stems),
        rng.pick(&["pl", "online", "info", "24", "serwis", "portal"]),
        rng.digits(2),
        rng.pick(TLDS)
    )
}

fn new_phone(t: &Template, rng: &mut Rng) -> String {
    if t.institution.starts_with("ro.") {
        format!(
            "+40 7{}{} {} {}",
            2 + rng.below(8),
            rng.digits(1),
            rng.digits(3),
            rng.digits(3)
        )
    } else {
        format!(
            "+48 {}{} {} {}",
            rng.pick(&["5", "6", "7"]),
            rng.digits(2),
            rng.digits(3),
            rng.digits(3)
        )
    }
}

/// `n` reports from [`TEMPLATES`], in time order, for `seed`.
pub fn generate(n: usize, seed: u64) -> Vec<Synthetic> {
    generate_with(n, seed, None)
}

/// As [`generate`], with every template's [`Template::rotation`] replaced by `rotation`
/// when given (1.0: every report brings new infrastructure, only the text can group it).
pub fn generate_with(n: usize, seed: u64, rotation: Option<f64>) -> Vec<Synthetic> {
    let mut rng = Rng(seed);
    let total: u32 = TEMPLATES.iter().map(|t| t.weight).sum();
    let mut infra: Vec<Infra> = TEMPLATES
        .iter()
        .map(|_| Infra {
            domains: Vec::new(),
            phones: Vec::new(),
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let mut pick = rng.below(total as usize) as u32;
        let ix = TEMPLATES
            .iter()
            .position(|t| {
                if pick < t.weight {
                    true
                } else {
                    pick -= t.weight;
                    false
                }
            })
            .unwrap_or(0);
        let t = &TEMPLATES[ix];
        let inf = &mut infra[ix];
        let rotation = rotation.unwrap_or(t.rotation);
        if !t.stems.is_empty() && (inf.domains.is_empty() || rng.chance(rotation)) {
            inf.domains.push(new_domain(t, &mut rng));
        }
        if inf.phones.is_empty() || rng.chance(rotation) {
            inf.phones.push(new_phone(t, &mut rng));
        }
        // With full rotation the newest domain is used: nothing is shared.
        let domain = match inf.domains.len() {
            0 => String::new(),
            n if rotation >= 1.0 => inf.domains[n - 1].clone(),
            n => inf.domains[rng.below(n)].clone(),
        };
        let path = rng.pick(&["", "/login", "/zwrot", "/pay", "/verify", "/card"]);
        let link = match rng.below(3) {
            0 => format!("https://{domain}{path}?id={}", rng.digits(6)),
            1 => format!("{domain}{path}"),
            _ => format!("http://www.{domain}{path}"),
        };
        let name = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
        let vars = Vars {
            name: name.clone(),
            link,
            phone: if rotation >= 1.0 {
                inf.phones.last().cloned().unwrap_or_default()
            } else {
                inf.phones[rng.below(inf.phones.len())].clone()
            },
            victim_phone: new_phone(t, &mut rng),
            pesel: pesel(&mut rng),
            iban: iban(&mut rng),
            amount: format!("{},{:02}", 20 + rng.below(900), rng.below(100)),
            date: format!("{:02}.{:02}.2026", 1 + rng.below(28), 1 + rng.below(12)),
            case: format!("{}/{}/2026", rng.pick(&["ZW", "NFZ", "RX", "C"]), rng.digits(5)),
        };
        let body: Vec<String> = t.text.iter().map(|s| expand(s, &mut rng, &vars)).collect();
        let sender = expand(t.sender, &mut rng, &vars);
        let contact = rng.chance(0.3).then(|| format!("reporter{k}@mail.example"));
        let mut personal = vec![
            name.clone(),
            vars.victim_phone.clone(),
            vars.pesel.clone(),
            vars.iban.clone(),
        ];
        personal.extend(contact.clone());
        let (message, sms_sender) = if t.kind == "email" {
            let victim = format!("{}@mail.example", name.to_lowercase().replace(' ', "."));
            personal.push(victim.clone());
            let local = rng.pick(&["kontakt", "noreply", "powiadomienia", "info", "plati"]);
            let from_domain = if domain.is_empty() {
                "mail.example".to_string()
            } else {
                domain.clone()
            };
            let raw = format!(
                "From: \"{sender}\" <{local}@{from_domain}>\r\nTo: {name} <{victim}>\r\nSubject: {}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
                expand("{Wazne|Pilne|Important|Notificare}: {$case}", &mut rng, &vars),
                body.join("\r\n")
            );
            (raw.into_bytes(), None)
        } else {
            (body.join(" ").into_bytes(), Some(sender))
        };
        out.push(Synthetic {
            report: Report {
                id: format!("s{k:06}"),
                created_at_ms: 1_780_000_000_000 + k as i64 * 60_000,
                kind: t.kind.to_string(),
                institution: Some(t.institution.to_string()),
                sender: sms_sender,
                message,
                contact,
            },
            campaign: ix,
            personal,
        });
    }
    out
}

/// How well a grouping matches the templates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Reports.
    pub reports: usize,
    /// Reports in the campaign that holds most of their template's reports, when that
    /// campaign's majority is their template.
    pub in_campaign: usize,
    /// Reports in a campaign whose majority is another template.
    pub wrong: usize,
    /// Campaigns found.
    pub campaigns: usize,
}

impl Score {
    /// Share in their campaign.
    pub fn in_campaign_rate(&self) -> f64 {
        self.in_campaign as f64 / self.reports.max(1) as f64
    }
    /// Share in a wrong campaign.
    pub fn wrong_rate(&self) -> f64 {
        self.wrong as f64 / self.reports.max(1) as f64
    }
}

/// Scores `assigned` (the campaign id given to each of `reports`, in order).
pub fn score(reports: &[Synthetic], assigned: &[String]) -> Score {
    use std::collections::HashMap;
    let mut counts: HashMap<(&str, usize), usize> = HashMap::new();
    for (r, c) in reports.iter().zip(assigned) {
        *counts.entry((c.as_str(), r.campaign)).or_default() += 1;
    }
    // Majority template of each campaign, and the largest campaign of each template.
    let mut majority: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut home: HashMap<usize, (usize, &str)> = HashMap::new();
    for (&(c, t), &n) in &counts {
        let m = majority.entry(c).or_insert((t, 0));
        if n > m.1 || (n == m.1 && t < m.0) {
            *m = (t, n);
        }
        let h = home.entry(t).or_insert((0, c));
        if n > h.0 || (n == h.0 && c < h.1) {
            *h = (n, c);
        }
    }
    let mut s = Score {
        reports: reports.len(),
        in_campaign: 0,
        wrong: 0,
        campaigns: majority.len(),
    };
    for (r, c) in reports.iter().zip(assigned) {
        let m = majority.get(c.as_str()).map(|m| m.0);
        if m != Some(r.campaign) {
            s.wrong += 1;
        } else if home.get(&r.campaign).map(|h| h.1) == Some(c.as_str()) {
            s.in_campaign += 1;
        }
    }
    s
}

/// Groups `reports` with a fresh [`crate::Grouper`] and scores the result (campaign ids
/// as they stand after the last report, merges included).
pub fn evaluate(reports: &[Synthetic], official: &crate::Official) -> Score {
    let mut g = crate::Grouper::new(official.clone());
    for r in reports {
        g.add(&r.report);
    }
    let assigned: Vec<String> = reports
        .iter()
        .map(|r| g.campaign_of(&r.report.id).map(|c| c.id.clone()).unwrap_or_default())
        .collect();
    score(reports, &assigned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_varied() {
        let a = generate(200, 7);
        let b = generate(200, 7);
        assert_eq!(
            a.iter().map(|s| &s.report).collect::<Vec<_>>(),
            b.iter().map(|s| &s.report).collect::<Vec<_>>()
        );
        let texts: std::collections::HashSet<&[u8]> = a.iter().map(|s| s.report.message.as_slice()).collect();
        assert!(texts.len() > 190, "wording and values vary");
        for t in 0..TEMPLATES.len() {
            assert!(a.iter().any(|s| s.campaign == t), "template {t} used");
        }
        assert!(
            a.iter()
                .all(|s| !String::from_utf8_lossy(&s.report.message).contains('{')),
            "all expanded"
        );
    }

    #[test]
    fn generated_identifiers_pass_their_checksums() {
        let mut rng = Rng(1);
        for _ in 0..50 {
            assert!(crate::redact::pesel_ok(&pesel(&mut rng)));
            assert!(crate::redact::iban_ok(&iban(&mut rng)));
        }
    }

    #[test]
    fn scoring() {
        let r = generate(4, 1);
        let names: Vec<String> = r.iter().map(|s| format!("C-{}", s.campaign)).collect();
        let s = score(&r, &names);
        assert_eq!((s.in_campaign, s.wrong), (4, 0));
        let all_one = vec!["C-x".to_string(); 4];
        let distinct = r
            .iter()
            .map(|s| s.campaign)
            .collect::<std::collections::HashSet<_>>()
            .len();
        assert_eq!(
            score(&r, &all_one).wrong,
            4 - r.iter().filter(|s| s.campaign == majority_of(&r)).count()
        );
        assert!(distinct >= 1);
    }

    fn majority_of(r: &[Synthetic]) -> usize {
        let mut c = [0usize; 16];
        for s in r {
            c[s.campaign] += 1;
        }
        (0..16).max_by_key(|&i| (c[i], std::cmp::Reverse(i))).unwrap_or(0)
    }

    #[test]
    fn grouping_meets_the_goal() {
        let official = crate::Official::from_registry(healthguard_registry::builtin());
        let reports = generate(3000, 2026);
        let s = evaluate(&reports, &official);
        assert!(s.in_campaign_rate() >= 0.95, "{s:?}");
        assert!(s.wrong_rate() <= 0.01, "{s:?}");
    }

    #[test]
    fn text_alone_groups_when_nothing_else_is_shared() {
        let official = crate::Official::from_registry(healthguard_registry::builtin());
        let s = evaluate(&generate_with(3000, 2026, Some(1.0)), &official);
        assert!(s.in_campaign_rate() >= 0.95, "{s:?}");
        assert!(s.wrong_rate() <= 0.01, "{s:?}");
    }
}
