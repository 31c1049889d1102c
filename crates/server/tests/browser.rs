//! The web page in a real headless Chromium, driven through chromedriver as a person would
//! use it: paste a message, read the verdict, switch language, upload an .eml, report.
//!
//! Needs Debian's `chromium` and `chromium-driver` (scripts/install-test-deps.sh). Without
//! them the tests skip with a message, unless `CI` is set: then they fail.
//! Screenshots land in `target/tmp/screens/` for a person to look at.

mod common;

use common::webdriver::{browser_available, Browser};
use common::*;
use std::path::PathBuf;

fn screens() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screens");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn assert_no_console_errors(b: &Browser) {
    let errors: Vec<String> = b
        .console()
        .into_iter()
        .filter(|m| !m.contains("favicon"))
        .filter(|m| m.contains("Content Security Policy") || m.contains("Uncaught") || m.contains("Refused"))
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

#[test]
fn patient_checks_an_sms_switches_language_and_reports_it() {
    if !browser_available("patient_checks_an_sms_switches_language_and_reports_it") {
        return;
    }
    let s = TestServer::start("browser-sms", |_| {});
    let b = Browser::start(temp_dir("chromium-sms"), true);
    b.resize(390, 844);

    // Default language from Accept-Language (the browser runs with --lang=en-US).
    b.goto(&s.url("/"));
    b.wait_eval("return document.documentElement.lang;", "en");
    b.screenshot(&screens().join("index-phone-en.png"));
    // On a phone the Check button is on the first screen, without scrolling.
    assert_eq!(
        b.eval(
            "var r = document.getElementById('check-button').getBoundingClientRect();\
             return r.bottom <= window.innerHeight && r.top >= 0;"
        ),
        true,
        "check button below the first screen: {}",
        b.eval("return [document.getElementById('check-button').getBoundingClientRect().bottom, window.innerHeight];")
    );
    // The file field is only for e-mail.
    assert!(!b.displayed("#eml"), "the .eml field shows for an SMS");
    b.click("#kind-email");
    assert!(b.displayed("#eml"));
    b.click("#kind-sms");

    // Switch to Polish with the language links.
    b.click("nav.langs a[lang=pl]");
    b.wait_eval("return document.documentElement.lang;", "pl");
    assert!(b.text("h1").contains("Sprawdź wiadomość"));

    // The sender field is only for SMS (app.js, allowed by the CSP).
    assert!(b.displayed("#sender"));
    b.click("#kind-text");
    assert!(!b.displayed("#sender"), "app.js did not run");
    b.click("#kind-sms");
    assert!(b.displayed("#sender"));

    b.type_into("#sender", "NFZ");
    b.type_into("#text", NFZ_SMS);
    b.click("#check-button");

    // The verdict in plain words, each finding with its evidence, the official way to check.
    b.find("#verdict");
    assert_eq!(
        b.eval("return document.getElementById('verdict').dataset.verdict;"),
        "phishing"
    );
    assert!(
        b.text("#verdict-heading").contains("Oszustwo"),
        "{}",
        b.text("#verdict-heading")
    );
    let findings = b.text("#findings");
    assert!(findings.contains("nfz-zwrot-pl.com"), "{findings}");
    assert!(findings.contains("nfz.gov.pl"), "{findings}");
    let advice = b.text("#advice");
    assert!(
        advice.contains("nfz.gov.pl") || advice.contains("pacjent.gov.pl"),
        "{advice}"
    );
    assert!(
        advice.contains("8080"),
        "SMS reporting route from the registry: {advice}"
    );
    // Findings grouped by what they are about, in a fixed order, each sentence once and no
    // evidence repeated.
    assert_eq!(
        b.eval("return Array.from(document.querySelectorAll('#findings .finding-group')).map(g => g.dataset.about);"),
        serde_json::json!(["sender", "link", "request", "money", "other"])
    );
    assert_eq!(
        b.eval(
            "var m = Array.from(document.querySelectorAll('#findings .finding')).map(f => f.textContent.trim());\
             return m.length > 0 && new Set(m).size === m.length;"
        ),
        true
    );
    assert_eq!(
        b.eval(
            "var e = Array.from(document.querySelectorAll('#findings code')).map(c => c.textContent);\
             return new Set(e).size === e.length;"
        ),
        true
    );
    assert!(
        b.text("#findings [data-about=link]").contains("nfz-zwrot-pl.com"),
        "{findings}"
    );
    b.screenshot(&screens().join("result-phone-pl.png"));
    b.eval("document.getElementById('findings-heading').scrollIntoView(); return 0;");
    b.screenshot(&screens().join("result-findings-phone-pl.png"));
    eprintln!(
        "at 390 px: result page {} px, findings {} px",
        b.eval("return document.documentElement.scrollHeight;"),
        b.eval("return Math.round(document.getElementById('findings').getBoundingClientRect().height);")
    );
    b.resize(390, 2600);
    b.screenshot(&screens().join("result-phone-pl-full.png"));
    b.resize(390, 844);

    // Same result in English, then Ukrainian.
    b.click("button.lang-button[value=en]");
    b.wait_eval("return document.documentElement.lang;", "en");
    assert!(
        b.text("#verdict-heading").contains("Phishing"),
        "{}",
        b.text("#verdict-heading")
    );
    b.click("button.lang-button[value=uk]");
    b.wait_eval("return document.documentElement.lang;", "uk");
    assert_eq!(
        b.eval("return document.getElementById('verdict').dataset.verdict;"),
        "phishing"
    );
    b.click("button.lang-button[value=en]");

    b.resize(1280, 900);
    b.screenshot(&screens().join("result-desktop-en.png"));
    b.eval("document.getElementById('findings-heading').scrollIntoView(); return 0;");
    b.screenshot(&screens().join("result-findings-desktop-en.png"));
    b.resize(390, 844);

    // Report it: the id is shown, with the key and a copy button (JavaScript on).
    b.click("#report-button");
    let id = b.text("#report-id");
    assert_eq!(id.len(), 16, "{id}");
    assert!(b.try_find("button.copy").is_some(), "copy button (app.js) missing");
    b.screenshot(&screens().join("report-done-phone-en.png"));
    b.click("#status-link");
    assert!(
        b.text("#report-status").contains("Received"),
        "{}",
        b.text("#report-status")
    );
    assert_eq!(b.text("#report-id"), id);
    assert_no_console_errors(&b);
}

#[test]
fn email_upload_and_report_without_javascript() {
    if !browser_available("email_upload_and_report_without_javascript") {
        return;
    }
    let s = TestServer::start("browser-eml", |_| {});
    let dir = temp_dir("eml");
    let eml = dir.join("cnas.eml");
    std::fs::write(&eml, CNAS_PHISH_EML).unwrap();
    let b = Browser::start(temp_dir("chromium-nojs"), false);
    b.resize(390, 844);

    b.goto(&s.url("/?lang=ro"));
    b.wait_eval("return document.documentElement.lang;", "ro");
    b.click("#kind-email");
    b.type_into("#eml", eml.to_str().unwrap());
    b.click("#check-button");
    b.find("#verdict");

    assert_eq!(
        b.eval("return document.getElementById('verdict').dataset.verdict;"),
        "phishing"
    );
    let findings = b.text("#findings");
    assert!(findings.contains("cnas-pias.com"), "{findings}");
    assert!(
        b.try_find("#findings .finding-group[data-about=sender]").is_some(),
        "no sender group: {findings}"
    );
    assert!(
        !b.text("#advice").contains("cnas-pias.com"),
        "advice must not use the message's contacts"
    );
    b.screenshot(&screens().join("email-result-phone-ro.png"));

    // Contact without consent: a clear error, what was typed is kept.
    b.type_into("#contact", "farmacie@example.ro");
    b.click("#report-button");
    assert!(
        b.text("#report-error").contains("acordul"),
        "{}",
        b.text("#report-error")
    );
    b.click("#consent");
    b.click("#report-button");
    let id = b.text("#report-id");
    assert_eq!(id.len(), 16, "{id}");
    assert!(
        b.try_find("button.copy").is_none(),
        "JavaScript should be off in this test"
    );
    let status_url = b
        .eval("return document.getElementById('status-link').getAttribute('href');")
        .as_str()
        .unwrap()
        .to_string();
    let api = get(&s.url(&status_url.replace("/reports/", "/v1/reports/")));
    assert_eq!(api.json()["kind"], "email");
}

#[test]
fn keyboard_only_and_a_hostile_message() {
    if !browser_available("keyboard_only_and_a_hostile_message") {
        return;
    }
    let s = TestServer::start("browser-keys", |_| {});
    let b = Browser::start(temp_dir("chromium-keys"), true);
    b.resize(1280, 900);
    b.goto(&s.url("/?lang=en"));

    // Every form control has a label.
    let unlabelled = b.eval(
        "return Array.from(document.querySelectorAll('input:not([type=hidden]), textarea, select'))\
         .filter(e => !e.labels || e.labels.length === 0).map(e => e.name);",
    );
    assert_eq!(unlabelled, serde_json::json!([]));

    // The first Tab reaches the skip link.
    b.keys("\u{E004}");
    assert_eq!(b.focused_id(), "skip");

    // Keyboard only: Tab to the message, type, Tab to the button, Enter.
    let hostile =
        "NFZ: <img src=x onerror=\"window.pwned=1\"><script>window.pwned=2</script> potwierdz dane: nfz-zwrot-pl.com";
    let mut typed = false;
    for _ in 0..30 {
        b.keys("\u{E004}");
        let id = b.focused_id();
        if id == "text" && !typed {
            b.keys(hostile);
            typed = true;
        }
        if id == "check-button" {
            break;
        }
    }
    assert!(typed, "the message field is not reachable by keyboard");
    assert_eq!(
        b.focused_id(),
        "check-button",
        "the check button is not reachable by keyboard"
    );
    b.keys("\u{E007}");
    b.find("#verdict");

    // The message is shown as text, never run or rendered as HTML.
    assert_eq!(b.eval("return typeof window.pwned;"), "undefined");
    assert_eq!(
        b.eval("return document.querySelectorAll('main img, main script').length;"),
        0
    );
    b.click("details.checked summary");
    assert_eq!(b.text("pre.preview"), hostile);
    let verdict = b.eval("return document.getElementById('verdict').dataset.verdict;");
    assert!(verdict == "phishing" || verdict == "suspicious", "{verdict}");
    assert!(b.source().contains("&lt;script&gt;"));
    assert_no_console_errors(&b);
}

#[test]
fn analyst_signs_in_lists_reports_and_opens_a_campaign() {
    if !browser_available("analyst_signs_in_lists_reports_and_opens_a_campaign") {
        return;
    }
    let dir = temp_dir("browser-triage");
    healthguard_server::store::add_user_offline(
        &dir,
        "ana",
        healthguard_server::access::Role::Analyst,
        &healthguard_server::access::hash_password("analyst pw").unwrap(),
    )
    .unwrap();
    let s = TestServer::start_in(dir, |_| {});
    let hostile = "NFZ: zwrot 120 zl <script>alert(1)</script> na https://nfz-zwrot-pl.example/odbierz teraz";
    let a = post_json(
        &s.url("/v1/reports"),
        &serde_json::json!({"kind": "sms", "sender": "NFZ", "text": hostile}),
    );
    let id = a.json()["id"].as_str().unwrap().to_string();
    // No JavaScript: the UI must work without it.
    let b = Browser::start(temp_dir("chromium-triage"), false);
    b.resize(1280, 800);
    b.goto(&s.url("/triage"));
    b.find("#login-form");
    b.type_into("#user", "ana");
    b.type_into("#password", "analyst pw");
    b.click("#login-submit");
    b.find("#reports");
    assert!(b.text("#signed-in").contains("ana"));
    assert!(b.text("#reports").contains(&id));
    b.screenshot(&screens().join("triage-reports.png"));
    b.click(&format!("#reports a[href='/triage/reports/{id}']"));
    let message = b.text("#message");
    assert!(
        message.contains("<script>alert(1)</script>"),
        "shown as text: {message}"
    );
    assert!(message.contains("hxxps://nfz-zwrot-pl[.]example/odbierz"), "{message}");
    assert_eq!(
        b.eval("return document.querySelectorAll('#message a, #message script').length;"),
        0
    );
    b.click(&format!("a[href='/triage/campaigns/C-{id}']"));
    b.find("#indicators");
    assert!(b.text("#indicators").contains("nfz-zwrot-pl[.]example"));
    assert!(b.text("#timeline").contains(&id));
    b.screenshot(&screens().join("triage-campaign.png"));
    b.click("#logout");
    b.find("#login-form");
    s.stop();
}
