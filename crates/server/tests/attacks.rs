//! Attacks on the public surfaces (web page, /v1 API, report status page), over raw sockets
//! and in headless Chromium: cross-site request forgery, open redirects, header injection,
//! the Content-Security-Policy of every answer, and stored or reflected script through every
//! field a reporter controls (subject, sender, body, attachment names, headers, contact).
//!
//! The browser tests need Debian's `chromium` and `chromium-driver`; without them they skip
//! with a message, unless `CI` is set (then they fail), as `browser.rs` does.

mod common;

use common::webdriver::{browser_available, Browser};
use common::*;
use healthguard_server::CONTENT_SECURITY_POLICY;
use std::net::SocketAddr;

/// A form POST over a raw socket with extra header lines.
fn form(addr: SocketAddr, path: &str, body: &str, extra: &str) -> Answer {
    raw(
        addr,
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn get_raw(addr: SocketAddr, target: &str, extra: &str) -> Answer {
    raw(
        addr,
        format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\r\n").into_bytes(),
    )
}

fn json_raw(addr: SocketAddr, path: &str, body: &str, extra: &str) -> Answer {
    raw(
        addr,
        format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

const SMS_FORM: &str = "kind=sms&sender=NFZ&text=NFZ%3A+zwrot+312+zl%2C+potwierdz+dane%3A+nfz-zwrot-pl.com&lang=en";

#[test]
fn cross_site_posts_are_refused_and_same_site_ones_pass() {
    let s = TestServer::start("csrf", |c| {
        c.limits.check_rate = None;
        c.limits.report_rate = None;
    });
    let report_json = r#"{"kind":"sms","sender":"NFZ","text":"NFZ: zwrot, nfz-zwrot-pl.com"}"#;
    let other_site = [
        "Origin: https://evil.example\r\n".to_string(),
        "Origin: null\r\n".to_string(),
        format!("Origin: http://{}.evil.example\r\n", s.addr),
        "Sec-Fetch-Site: cross-site\r\n".to_string(),
        "Sec-Fetch-Site: same-site\r\n".to_string(),
        // A browser's Sec-Fetch-Site wins over an Origin that looks right.
        format!("Sec-Fetch-Site: cross-site\r\nOrigin: http://{}\r\n", s.addr),
    ];
    for extra in &other_site {
        for (path, json) in [
            ("/report", false),
            ("/check", false),
            ("/v1/reports", true),
            ("/v1/check", true),
        ] {
            let a = if json {
                json_raw(s.addr, path, report_json, extra)
            } else {
                form(s.addr, path, SMS_FORM, extra)
            };
            assert_eq!(a.status, 403, "{path} with {extra:?}: {}", a.text());
            assert!(a.text().contains("cross_site"), "{}", a.text());
        }
    }
    // Nothing was stored by the refused reports.
    let stored = |s: &TestServer| {
        let metrics = get(&s.url("/metrics")).text();
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("healthguard_reports_total{outcome=\"stored\"} "))
            .map(|n| n.trim().parse::<u64>().unwrap())
            .unwrap_or_else(|| panic!("no stored-reports counter: {metrics}"))
    };
    assert_eq!(stored(&s), 0);

    // The site's own page (a browser says same-origin, or its Origin is this host), a URL
    // typed by the user, and clients that send neither header are served.
    let same = [
        "Sec-Fetch-Site: same-origin\r\n".to_string(),
        "Sec-Fetch-Site: none\r\n".to_string(),
        format!("Origin: http://{}\r\n", s.addr),
        String::new(),
    ];
    for extra in &same {
        let a = form(s.addr, "/report", SMS_FORM, extra);
        assert_eq!(a.status, 200, "{extra:?}: {}", a.text());
        let a = json_raw(s.addr, "/v1/reports", report_json, extra);
        assert!(a.status == 200 || a.status == 201, "{extra:?}: {}", a.text());
    }
    assert_eq!(stored(&s), 2 * same.len() as u64);
    // Reading stays open to everyone (GET is never state-changing here).
    let a = get_raw(s.addr, "/", "Sec-Fetch-Site: cross-site\r\n");
    assert_eq!(a.status, 200);
}

#[test]
fn no_answer_redirects_anywhere() {
    let s = TestServer::start("redirects", |_| {});
    let targets = [
        "//evil.example/",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "/?next=https://evil.example/",
        "/?redirect=//evil.example&return_to=https://evil.example",
        "/about?next=https://evil.example",
        "/reports/abcdefabcdefabcd?token=x&next=https://evil.example",
        "/assets/..%2F..%2Fevil",
        "/https://evil.example",
        "/v1/institutions?redirect_uri=https://evil.example",
    ];
    for t in targets {
        let a = get_raw(s.addr, t, "");
        assert!(!(300..400).contains(&a.status), "{t}: {}", a.status);
        assert_eq!(a.header("location"), None, "{t}");
        assert!(!a.text().contains("http-equiv=\"refresh\""), "{t}");
    }
    let a = form(
        s.addr,
        "/report",
        &format!("{SMS_FORM}&next=https%3A%2F%2Fevil.example"),
        "",
    );
    assert_eq!(a.status, 200);
    assert_eq!(a.header("location"), None);
}

#[test]
fn cr_lf_in_fields_never_reaches_a_header() {
    let s = TestServer::start("headers", |c| {
        c.limits.check_rate = None;
        c.limits.report_rate = None;
    });
    let injected = |a: &Answer| {
        a.headers.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case("x-injected") || k.eq_ignore_ascii_case("set-cookie") || v.contains("injected")
        })
    };
    let answers = [
        get_raw(s.addr, "/?lang=en%0d%0aSet-Cookie:%20a=injected", ""),
        get_raw(s.addr, "/?lang=%0d%0aX-Injected:%201", ""),
        get_raw(s.addr, "/reports/abc%0d%0aX-Injected:%201?token=%0d%0aX-Injected:1", ""),
        get_raw(s.addr, "/v1/reports/abc%0D%0AX-Injected:1?token=x", ""),
        get_raw(s.addr, "/", "Accept-Language: en\r\n"),
        form(
            s.addr,
            "/check",
            "kind=sms&sender=NFZ%0d%0aX-Injected%3A+1&text=a%0d%0a%0d%0aX-Injected%3A+1&lang=en%0d%0aX-Injected%3A+1",
            "",
        ),
        form(
            s.addr,
            "/report",
            "kind=sms&sender=NFZ%0d%0aSet-Cookie%3A+a%3Dinjected&text=nfz-zwrot-pl.com&contact=a%40b.pl%0d%0aX-Injected%3A+1&consent=yes",
            "",
        ),
        json_raw(
            s.addr,
            "/v1/check",
            r#"{"kind":"sms","sender":"NFZ\r\nX-Injected: 1","text":"zwrot\r\n\r\nX-Injected: 1","lang":"en"}"#,
            "",
        ),
        json_raw(
            s.addr,
            "/v1/check",
            r#"{"kind":"email","raw":"From: a@b.pl\r\nSubject: x\r\nX-Injected: 1\r\n\r\nhi"}"#,
            "",
        ),
        json_raw(
            s.addr,
            "/v1/reports",
            r#"{"kind":"sms","sender":"NFZ\r\nSet-Cookie: a=injected","text":"x","contact":"a@b.pl\r\nX-Injected: 1","consent":true}"#,
            "",
        ),
    ];
    for a in &answers {
        assert!(!injected(a), "{:?}", a.headers);
        assert!(a.status < 500, "{}", a.status);
    }
    // An uploaded e-mail whose attachment name and headers carry CR/LF.
    let eml = "From: =?utf-8?q?NFZ=0D=0AX-Injected=3A_1?= <a@nfz-zwrot-pl.com>\r\nSubject: =?utf-8?q?a=0D=0ASet-Cookie=3A_a=3Dinjected?=\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n\
Content-Type: application/pdf; name=\"a\r\n X-Injected: 1.pdf\"\r\nContent-Disposition: attachment; filename=\"x%0d%0aX-Injected: 1.pdf\"\r\n\r\nJVBERi0=\r\n--b--\r\n";
    let (ct, body) = multipart(
        &[("kind", "email"), ("lang", "en")],
        &[("eml", "a\r\nX-Injected: 1.eml", eml.as_bytes())],
    );
    for path in ["/check", "/v1/check/email"] {
        let a = post(&s.url(path), &ct, &body);
        assert!(a.status < 500, "{path}: {}", a.status);
        assert!(!injected(&a), "{path}: {:?}", a.headers);
    }
}

/// The policy is the strict one, whole, on every answer: HTML pages, errors, JSON, assets.
#[test]
fn every_answer_carries_the_strict_content_security_policy() {
    for forbidden in ["unsafe-inline", "unsafe-eval", "*", "data:", "http:", "https:"] {
        assert!(!CONTENT_SECURITY_POLICY.contains(forbidden), "{forbidden}");
    }
    for required in [
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(CONTENT_SECURITY_POLICY.contains(required), "{required}");
    }
    let s = TestServer::start("csp", |c| {
        c.limits.max_upload_bytes = 4096;
        c.limits.report_rate = None;
    });
    let big = "a".repeat(5000);
    let answers = [
        ("/", get_raw(s.addr, "/", "")),
        ("/?lang=pl", get_raw(s.addr, "/?lang=pl", "")),
        ("/about", get_raw(s.addr, "/about", "")),
        ("/assets/app.js", get_raw(s.addr, "/assets/app.js", "")),
        ("/nope", get_raw(s.addr, "/nope", "")),
        (
            "/reports/unknown",
            get_raw(s.addr, "/reports/abcdefabcdefabcd?token=nope", ""),
        ),
        (
            "/reports/bad",
            get_raw(s.addr, "/reports/%3Cscript%3E?token=%3Cscript%3E", ""),
        ),
        ("POST /check", form(s.addr, "/check", SMS_FORM, "")),
        ("POST /check empty", form(s.addr, "/check", "kind=sms&text=", "")),
        (
            "POST /check too big",
            form(s.addr, "/check", &format!("kind=text&text={big}"), ""),
        ),
        ("POST /report", form(s.addr, "/report", SMS_FORM, "")),
        (
            "POST /report no consent",
            form(s.addr, "/report", &format!("{SMS_FORM}&contact=a%40b.pl"), ""),
        ),
        (
            "cross-site",
            form(s.addr, "/report", SMS_FORM, "Origin: https://evil.example\r\n"),
        ),
        (
            "/v1/check",
            json_raw(s.addr, "/v1/check", r#"{"kind":"url","url":"nfz.gov.pl"}"#, ""),
        ),
        ("/healthz", get_raw(s.addr, "/healthz", "")),
        ("/openapi.json", get_raw(s.addr, "/openapi.json", "")),
    ];
    let mut html = 0;
    for (what, a) in &answers {
        assert_eq!(
            a.header("content-security-policy"),
            Some(CONTENT_SECURITY_POLICY),
            "{what}"
        );
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"), "{what}");
        assert_eq!(a.header("x-frame-options"), Some("DENY"), "{what}");
        if a.header("content-type").is_some_and(|t| t.starts_with("text/html")) {
            html += 1;
            // No inline script or style that the policy would have to allow.
            let page = a.text();
            assert!(
                !page.contains("<script>") && !page.contains(" onload=") && !page.contains(" style="),
                "{what}"
            );
        }
    }
    assert!(html >= 9, "{html} HTML answers");
}

/// One e-mail with script in every field a sender controls.
const HOSTILE_EML: &str = "From: \"<img id=injected src=x onerror=window.pwned=1>NFZ\" <zwrot@nfz-zwrot-pl.com>\r\n\
To: pacjent@example.pl\r\n\
Subject: <script>window.pwned=2</script><svg class=xss onload=window.pwned=3> zwrot NFZ\r\n\
Reply-To: \"<iframe class=xss src=javascript:window.pwned=4>\" <a@nfz-zwrot-pl.com>\r\n\
X-Mailer: <img class=xss src=x onerror=window.pwned=5>\r\n\
Message-ID: <\"><script>window.pwned=6</script>@nfz-zwrot-pl.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
\r\n\
--b1\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>NFZ: masz zwrot 312 zl</p><script>window.pwned=7</script><img class=xss src=x onerror=window.pwned=8>\
<a href=\"javascript:window.pwned=9\" class=xss>potwierdz dane</a> <a href=\"https://nfz-zwrot-pl.com/\">nfz.gov.pl</a>\r\n\
--b1\r\n\
Content-Type: application/octet-stream; name=\"<img class=xss src=x onerror=window.pwned=10>.pdf.exe\"\r\n\
Content-Disposition: attachment; filename=\"\\\"><script>window.pwned=11</script>.pdf.exe\"\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA=\r\n\
--b1--\r\n";

/// No script ran and no element of the payloads exists in the page.
fn assert_inert(b: &Browser, where_: &str) {
    assert_eq!(
        b.eval("return typeof window.pwned;"),
        "undefined",
        "{where_}: a payload ran"
    );
    assert_eq!(
        b.eval("return document.querySelectorAll('#injected, .xss, [onerror], [onload], iframe, object, embed, main script').length;"),
        0,
        "{where_}: an injected element exists"
    );
    assert_eq!(
        b.eval("return Array.from(document.querySelectorAll('a[href]')).filter(a => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')).length;"),
        0,
        "{where_}: a javascript: link"
    );
}

#[test]
fn script_in_every_field_of_an_uploaded_email_stays_text_on_every_page() {
    if !browser_available("script_in_every_field_of_an_uploaded_email_stays_text_on_every_page") {
        return;
    }
    let s = TestServer::start("xss-eml", |_| {});
    let dir = temp_dir("xss-eml");
    let eml = dir.join("<img class=xss src=x onerror=window.pwned=12>.eml");
    std::fs::write(&eml, HOSTILE_EML).unwrap();
    let b = Browser::start(temp_dir("chromium-xss-eml"), true);
    b.goto(&s.url("/?lang=en"));
    b.click("#kind-email");
    b.type_into("#eml", eml.to_str().unwrap());
    b.click("#check-button");
    b.find("#verdict");
    assert_inert(&b, "verdict page");
    let verdict = b.eval("return document.getElementById('verdict').dataset.verdict;");
    assert_eq!(verdict, "phishing");
    // The payloads are shown as text where the page quotes them.
    assert!(b.source().contains("&lt;"), "nothing of the message quoted?");

    // Report it with a hostile contact: the receipt and the status page stay inert.
    b.type_into("#contact", "<img class=xss src=x onerror=window.pwned=13>@example.pl");
    b.click("#consent");
    b.click("#report-button");
    let id = b.text("#report-id");
    assert_eq!(id.len(), 16, "{id}");
    assert_inert(&b, "receipt page");
    b.click("#status-link");
    b.find("main");
    assert!(b.url().contains("/reports/"), "{}", b.url());
    assert_inert(&b, "status page");
}

#[test]
fn script_in_sms_sender_text_and_query_stays_text() {
    if !browser_available("script_in_sms_sender_text_and_query_stays_text") {
        return;
    }
    let s = TestServer::start("xss-sms", |_| {});
    let b = Browser::start(temp_dir("chromium-xss-sms"), true);
    // Reflected through the query string and the path.
    for path in [
        "/?lang=%22%3E%3Cscript%3Ewindow.pwned%3D1%3C%2Fscript%3E",
        "/?lang=en&kind=%22%3E%3Cimg%20class%3Dxss%20src%3Dx%20onerror%3Dwindow.pwned%3D2%3E",
        "/reports/%3Cscript%3Ewindow.pwned%3D3%3C%2Fscript%3E?token=%22%3E%3Cimg%20class%3Dxss%20src%3Dx%20onerror%3Dwindow.pwned%3D4%3E",
        "/about?lang=%3Csvg%20class%3Dxss%20onload%3Dwindow.pwned%3D5%3E",
    ] {
        b.goto(&s.url(path));
        b.find("body");
        assert_inert(&b, path);
    }
    // Stored through the SMS sender and text, shown again after a language switch.
    b.goto(&s.url("/?lang=en"));
    b.click("#kind-sms");
    b.type_into("#sender", "<img class=xss src=x onerror=window.pwned=6>");
    b.type_into(
        "#text",
        "NFZ </textarea><script>window.pwned=7</script><svg class=xss onload=window.pwned=8> zwrot: nfz-zwrot-pl.com \"><a class=xss href=javascript:window.pwned=9>x</a>",
    );
    b.click("#check-button");
    b.find("#verdict");
    assert_inert(&b, "SMS verdict");
    b.click("button.lang-button[lang=pl]");
    b.find("#verdict");
    assert_inert(&b, "SMS verdict in Polish");
    b.click("#report-button");
    b.find("#report-id");
    assert_inert(&b, "SMS receipt");
    b.click("#status-link");
    b.find("main");
    assert_inert(&b, "SMS status page");
}
