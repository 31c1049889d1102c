//! The API and the form posts over a real socket, as a client would use them.

mod common;

use common::*;
use healthguard_core::{Catalog, Checker, Input};
use healthguard_server::RateLimit;
use serde_json::json;
use std::time::Duration;

/// A caller script written for the tests: "the accident", money for treatment now.
const CALL_SCRIPT: &str =
    "Pani syn miał wypadek i jest w szpitalu. Potrzebne są pieniądze na leczenie, 20 000 zł, jeszcze dziś.";

#[test]
fn healthz_and_security_headers() {
    let s = TestServer::start("healthz", |_| {});
    let a = get(&s.url("/healthz"));
    assert_eq!(a.status, 200);
    assert_eq!(a.json()["status"], "ok");
    assert_eq!(a.json()["storage"], true);
    for path in ["/healthz", "/", "/v1/institutions", "/nope"] {
        let a = get(&s.url(path));
        let csp = a.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(a.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(a.header("referrer-policy"), Some("no-referrer"), "{path}");
    }
    let missing = get(&s.url("/nope"));
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"], "not_found");
}

#[test]
fn check_answers_the_cli_json_for_every_kind() {
    let s = TestServer::start("check", |_| {});
    let checker = Checker::new(healthguard_registry::builtin().clone());
    let catalog = Catalog::builtin();
    let expect =
        |input: Input, lang| serde_json::to_value(checker.report(&checker.check(input), &catalog, lang)).unwrap();

    let a = post_json(
        &s.url("/v1/check"),
        &json!({"kind": "sms", "sender": "NFZ", "text": NFZ_SMS}),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    assert!(a.header("content-type").unwrap().starts_with("application/json"));
    let got = a.json();
    assert_eq!(got["verdict"], "phishing");
    assert_eq!(got["institution"], "pl.nfz");
    assert_eq!(got["language"], "pl");
    assert_eq!(
        got,
        expect(
            Input::Sms {
                sender: Some("NFZ"),
                text: NFZ_SMS
            },
            None
        )
    );

    let a = post_json(
        &s.url("/v1/check"),
        &json!({"kind": "sms", "sender": "NFZ", "text": NFZ_SMS, "lang": "uk"}),
    );
    assert_eq!(a.json()["language"], "uk");

    let cases = [
        (
            json!({"kind": "url", "url": "https://nfz-zwrot-pl.com/x"}),
            Input::Url("https://nfz-zwrot-pl.com/x"),
        ),
        (
            json!({"kind": "phone", "number": "+48 22 572 60 00"}),
            Input::Phone("+48 22 572 60 00"),
        ),
        (json!({"kind": "text", "text": NFZ_SMS}), Input::Text(NFZ_SMS)),
        (
            json!({"kind": "call", "number": "+48 512 345 678", "text": CALL_SCRIPT}),
            Input::Call {
                number: Some("+48 512 345 678"),
                text: CALL_SCRIPT,
            },
        ),
    ];
    for (body, input) in cases {
        let a = post_json(&s.url("/v1/check"), &body);
        assert_eq!(a.status, 200, "{body}: {}", a.text());
        assert_eq!(a.json(), expect(input, None), "{body}");
    }

    let a = post_json(
        &s.url("/v1/check"),
        &json!({"kind": "email", "raw": CNAS_PHISH_EML, "lang": "ro"}),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    let got = a.json();
    assert_eq!(got["kind"], "email");
    assert_eq!(got["verdict"], "phishing", "{got:#}");
    assert_eq!(got["institution"], "ro.cnas");
    // Contacts come from the registry, never from the message.
    let advice = got["advice"].to_string();
    assert!(!advice.contains("cnas-pias.com"), "{advice}");
}

#[test]
fn email_upload_raw_and_multipart() {
    let s = TestServer::start("upload", |_| {});
    let a = post(
        &s.url("/v1/check/email?lang=en"),
        "message/rfc822",
        CNAS_PHISH_EML.as_bytes(),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["verdict"], "phishing");
    assert_eq!(a.json()["language"], "en");

    let (ct, body) = multipart(&[], &[("file", "cnas.eml", CNAS_PHISH_EML.as_bytes())]);
    let a = post(&s.url("/v1/check/email"), &ct, &body);
    assert_eq!(a.status, 200, "{}", a.text());
    assert_eq!(a.json()["verdict"], "phishing");

    // Not UTF-8: still a verdict (uploads are bytes).
    let mut latin1 =
        b"From: NFZ <a@nfz-zwrot.pl>\r\nSubject: Zwrot\r\n\r\nPotwierd\xbc dane: https://nfz-zwrot.pl\r\n".to_vec();
    latin1.extend(std::iter::repeat_n(0xff, 10));
    let a = post(&s.url("/v1/check/email"), "application/octet-stream", &latin1);
    assert_eq!(a.status, 200, "{}", a.text());

    let a = post(&s.url("/v1/check/email"), "message/rfc822", b"   ");
    assert_eq!(a.status, 400);
    let (ct, body) = multipart(&[("x", "y")], &[]);
    let a = post(&s.url("/v1/check/email"), &ct, &body);
    assert_eq!(a.status, 400);
    assert!(a.json()["message"].as_str().unwrap().contains("file"));
    let a = post(
        &s.url("/v1/check/email?lang=nl"),
        "message/rfc822",
        CNAS_PHISH_EML.as_bytes(),
    );
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error"], "unsupported_language");
}

#[test]
fn bad_input_gets_clear_json_errors() {
    let s = TestServer::start("bad-input", |c| {
        c.limits.max_json_bytes = 4096;
        c.limits.max_upload_bytes = 8192;
    });
    let url = s.url("/v1/check");
    let cases: &[(&str, &[u8], u16, &str)] = &[
        ("application/json", b"{\"kind\":\"sms\",", 400, "invalid_json"),
        ("application/json", b"not json", 400, "invalid_json"),
        (
            "application/json",
            b"{\"kind\":\"sms\",\"text\":\"\xff\xfe\"}",
            400,
            "invalid_utf8",
        ),
        (
            "application/json",
            b"{\"kind\":\"fax\",\"text\":\"x\"}",
            400,
            "invalid_request",
        ),
        ("application/json", b"{\"kind\":\"sms\"}", 400, "invalid_request"),
        ("application/json", b"[1,2]", 400, "invalid_request"),
        (
            "application/json",
            b"{\"kind\":\"url\",\"url\":\"not a url\"}",
            400,
            "invalid_request",
        ),
        (
            "application/json",
            b"{\"kind\":\"text\",\"text\":\"  \"}",
            400,
            "invalid_request",
        ),
        (
            "application/json",
            b"{\"kind\":\"sms\",\"sender\":\"NFZ\",\"text\":\"\"}",
            400,
            "invalid_request",
        ),
        (
            "application/json",
            b"{\"kind\":\"sms\",\"text\":\"x\",\"lang\":\"nl\"}",
            400,
            "unsupported_language",
        ),
        (
            "text/plain",
            b"{\"kind\":\"sms\",\"text\":\"x\"}",
            415,
            "unsupported_media_type",
        ),
    ];
    for (ct, body, status, code) in cases {
        let a = post(&url, ct, body);
        assert_eq!(a.status, *status, "{}: {}", String::from_utf8_lossy(body), a.text());
        let j = a.json();
        assert_eq!(j["error"], *code, "{j}");
        assert!(j["message"].as_str().unwrap().len() > 10, "{j}");
    }

    // Too large, by Content-Length (the server answers before reading the body).
    let big = format!("{{\"kind\":\"text\",\"text\":\"{}\"}}", "a".repeat(10_000));
    let a = raw(
        s.addr,
        format!(
            "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{big}",
            big.len()
        )
        .into_bytes(),
    );
    assert_eq!(a.status, 413, "{}", a.text());
    assert_eq!(a.json()["error"], "payload_too_large");
    assert!(a.json()["message"].as_str().unwrap().contains("4096"));

    // Too large, chunked (no length announced).
    let chunk = "a".repeat(3000);
    let mut req = "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_string();
    for _ in 0..4 {
        req.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    req.push_str("0\r\n\r\n");
    let a = raw(s.addr, req.into_bytes());
    assert_eq!(a.status, 413, "{}", a.text());
    assert_eq!(a.json()["error"], "payload_too_large");

    // Upload over its limit, raw and as a form.
    let a = post(&s.url("/v1/check/email"), "message/rfc822", &vec![b'a'; 9000]);
    assert_eq!(a.status, 413, "{}", a.text());
    assert_eq!(a.json()["error"], "payload_too_large");
    let (ct, body) = multipart(&[], &[("file", "big.eml", &vec![b'a'; 9000])]);
    let a = post(&s.url("/v1/check/email"), &ct, &body);
    assert_eq!(a.status, 413, "{}", a.text());

    // Hostile but well-formed input never crashes the server.
    for text in [
        "\u{0}\u{202e}",
        &"ą".repeat(600),
        &"http://".repeat(200),
        "<script>alert(1)</script>",
    ] {
        let a = post_json(&url, &json!({"kind": "sms", "sender": text, "text": text}));
        assert_eq!(a.status, 200, "{}", a.text());
    }
    assert_eq!(get(&s.url("/healthz")).status, 200);
}

#[test]
fn slow_requests_time_out() {
    let s = TestServer::start("timeout", |c| c.limits.request_timeout = Duration::from_millis(400));
    // Announces 100 bytes, sends 10, then stalls.
    let a = raw(
        s.addr,
        b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"kind\":\"s".to_vec(),
    );
    assert_eq!(a.status, 408, "{}", a.text());
    assert_eq!(a.json()["error"], "timeout");
}

#[test]
fn rate_limit_per_client() {
    let s = TestServer::start("ratelimit", |c| {
        c.limits.check_rate = Some(RateLimit {
            per_second: 0.5,
            burst: 3.0,
        });
        c.limits.report_rate = Some(RateLimit {
            per_second: 0.5,
            burst: 1.0,
        });
    });
    let body = json!({"kind": "text", "text": "hello"});
    for _ in 0..3 {
        assert_eq!(post_json(&s.url("/v1/check"), &body).status, 200);
    }
    let a = post_json(&s.url("/v1/check"), &body);
    assert_eq!(a.status, 429);
    assert_eq!(a.json()["error"], "rate_limited");
    assert!(a.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // The web form gets a page, in the asked language.
    let a = post(
        &s.url("/check?lang=pl"),
        "application/x-www-form-urlencoded",
        b"lang=pl&kind=text&text=x",
    );
    assert_eq!(a.status, 429);
    assert!(a.header("content-type").unwrap().starts_with("text/html"));
    assert!(a.text().contains("Za dużo zapytań"), "{}", a.text());
    // Reports have their own bucket; health and metrics are not limited.
    let r = json!({"kind": "text", "text": "hello"});
    assert_eq!(post_json(&s.url("/v1/reports"), &r).status, 201);
    assert_eq!(post_json(&s.url("/v1/reports"), &r).status, 429);
    for _ in 0..10 {
        assert_eq!(get(&s.url("/healthz")).status, 200);
    }
    let m = get(&s.url("/metrics")).text();
    assert!(m.contains("healthguard_rate_limited_total 3"), "{m}");
}

#[test]
fn reports_are_durable_and_keyed_by_token() {
    let s = TestServer::start("reports", |_| {});
    let a = post_json(
        &s.url("/v1/reports"),
        &json!({"kind": "sms", "sender": "NFZ", "text": NFZ_SMS, "contact": "jan@example.pl", "consent": true, "lang": "pl"}),
    );
    assert_eq!(a.status, 201, "{}", a.text());
    let j = a.json();
    let id = j["id"].as_str().unwrap().to_string();
    let token = j["token"].as_str().unwrap().to_string();
    assert_eq!(j["status"], "received");
    assert_eq!(j["verdict"], "phishing");
    assert_eq!(id.len(), 16);
    assert!(token.len() >= 43);

    let st = get(&s.url(&format!("/v1/reports/{id}?token={token}")));
    assert_eq!(st.status, 200, "{}", st.text());
    let st = st.json();
    assert_eq!(st["id"], id.as_str());
    assert_eq!(st["status"], "received");
    assert_eq!(st["verdict"], "phishing");
    assert_eq!(st["institution"], "pl.nfz");
    assert!(st["created_at"].as_str().unwrap().ends_with('Z'));
    // The status never shows the message or the contact.
    assert!(!st.to_string().contains("jan@example.pl"));

    // Wrong, missing or malformed keys.
    let other = get(&s.url(&format!("/v1/reports/{id}?token=AAAA{}", &token[4..])));
    assert_eq!(other.status, 404);
    assert_eq!(get(&s.url(&format!("/v1/reports/{id}"))).status, 400);
    assert_eq!(
        get(&s.url(&format!("/v1/reports/0000000000000000?token={token}"))).status,
        404
    );
    assert_eq!(get(&s.url("/v1/reports/..%2F..%2Fetc?token=x")).status, 404);

    // Contact without consent is refused, with a clear message.
    let a = post_json(
        &s.url("/v1/reports"),
        &json!({"kind": "text", "text": "x", "contact": "jan@example.pl"}),
    );
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["error"], "consent_required");
    // An empty message is not a report.
    let a = post_json(&s.url("/v1/reports"), &json!({"kind": "text", "text": "  "}));
    assert_eq!(a.status, 400);
    // An e-mail report.
    let a = post_json(&s.url("/v1/reports"), &json!({"kind": "email", "raw": CNAS_PHISH_EML}));
    assert_eq!(a.status, 201);

    // What is stored: the token's hash, never the token; the contact only with consent.
    let dir = s.dir.clone();
    s.stop();
    let db = std::fs::read(dir.join("healthguard.db")).unwrap();
    let wal = std::fs::read(dir.join("healthguard.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!contains(bytes, token.as_bytes()), "the token is stored in clear");
    }
    assert!(contains(&db, b"jan@example.pl") || contains(&wal, b"jan@example.pl"));

    // A restart on the same data keeps everything.
    let s = TestServer::start_in(dir, |_| {});
    let st = get(&s.url(&format!("/v1/reports/{id}?token={token}")));
    assert_eq!(st.status, 200);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn registry_endpoints() {
    let s = TestServer::start("registry", |_| {});
    let a = get(&s.url("/v1/institutions?lang=pl"));
    assert_eq!(a.status, 200);
    let j = a.json();
    assert!(j["version"].is_string());
    let list = j["institutions"].as_array().unwrap();
    let nfz = list.iter().find(|i| i["id"] == "pl.nfz").unwrap();
    assert_eq!(nfz["name"], "Narodowy Fundusz Zdrowia");
    assert!(nfz["domains"].as_array().unwrap().iter().any(|d| d == "nfz.gov.pl"));
    assert!(list.iter().any(|i| i["id"] == "ro.cnas"));

    let one = get(&s.url("/v1/institutions/ro.cnas")).json();
    assert_eq!(one["id"], "ro.cnas");
    for field in ["domains", "emails", "phones", "reporting", "policies", "advisories"] {
        assert!(one[field].is_array(), "{field}");
    }
    assert!(!one["policies"].as_array().unwrap().is_empty());
    assert_eq!(get(&s.url("/v1/institutions/xx.none")).status, 404);
    let adv = get(&s.url("/v1/advisories")).json();
    assert!(adv["advisories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["institution"] == "ro.cnas"));
    assert_eq!(get(&s.url("/v1/institutions?lang=xx")).status, 400);
}

#[test]
fn openapi_describes_every_route() {
    let s = TestServer::start("openapi", |_| {});
    let doc = get(&s.url("/openapi.json")).json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/check",
        "/v1/check/email",
        "/v1/reports",
        "/v1/reports/{id}",
        "/v1/institutions",
        "/v1/institutions/{id}",
        "/v1/advisories",
        "/healthz",
        "/metrics",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} missing from /openapi.json");
    }
    // The documented verdict has exactly the fields the API answers.
    let schema = &doc["components"]["schemas"]["Report"]["properties"];
    let answer = post_json(
        &s.url("/v1/check"),
        &json!({"kind": "sms", "sender": "NFZ", "text": NFZ_SMS}),
    )
    .json();
    let mut documented: Vec<&String> = schema.as_object().unwrap().keys().collect();
    let mut answered: Vec<&String> = answer.as_object().unwrap().keys().collect();
    documented.sort();
    answered.sort();
    assert_eq!(documented, answered);
    let finding = &doc["components"]["schemas"]["Finding"]["properties"];
    for key in answer["findings"][0].as_object().unwrap().keys() {
        assert!(finding[key].is_object(), "finding field {key} undocumented");
    }
    let request = doc["components"]["schemas"]["WireMessage"].to_string();
    for kind in ["sms", "email", "url", "phone", "text"] {
        assert!(
            request.contains(&format!("\"{kind}\"")),
            "kind {kind} undocumented: {request}"
        );
    }
}

#[test]
fn metrics_count_requests_latency_and_verdicts() {
    let s = TestServer::start("metrics", |_| {});
    for _ in 0..3 {
        post_json(
            &s.url("/v1/check"),
            &json!({"kind": "sms", "sender": "NFZ", "text": NFZ_SMS}),
        );
    }
    post_json(&s.url("/v1/check"), &json!({"kind": "text", "text": "Dzień dobry"}));
    post_json(&s.url("/v1/reports"), &json!({"kind": "text", "text": "x"}));
    let a = get(&s.url("/metrics"));
    assert_eq!(a.status, 200);
    assert!(a.header("content-type").unwrap().starts_with("text/plain"));
    let m = a.text();
    assert!(
        m.contains("healthguard_http_requests_total{route=\"/v1/check\",method=\"POST\",status=\"200\"} 4"),
        "{m}"
    );
    assert!(m.contains("# TYPE healthguard_http_request_duration_seconds histogram"));
    assert!(
        m.contains("healthguard_http_request_duration_seconds_bucket{route=\"/v1/check\",le=\"+Inf\"} 4"),
        "{m}"
    );
    assert!(m.contains("healthguard_http_request_duration_seconds_count{route=\"/v1/check\"} 4"));
    assert!(
        m.contains("healthguard_verdicts_total{kind=\"sms\",verdict=\"phishing\"} 3"),
        "{m}"
    );
    assert!(m.contains("healthguard_reports_total{outcome=\"stored\"} 1"), "{m}");
}

#[test]
fn web_form_works_without_javascript_and_escapes_everything() {
    let s = TestServer::start("web", |_| {});
    // The page, language from Accept-Language.
    let a = get_with(&s.url("/"), &[("accept-language", "ro-RO,ro;q=0.9,en;q=0.8")]);
    assert_eq!(a.status, 200);
    let page = a.text();
    assert!(page.contains("<html lang=\"ro\">"));
    assert!(page.contains("Verificați un mesaj"));
    assert!(!page.contains("<script>"), "no inline script");
    assert!(page.contains("<script src=\"/assets/app.js\" defer></script>"));
    assert!(get(&s.url("/?lang=uk")).text().contains("<html lang=\"uk\">"));
    assert!(get_with(&s.url("/"), &[("accept-language", "nl")])
        .text()
        .contains("<html lang=\"en\">"));

    // A plain url-encoded form post (what a browser without JavaScript sends, minus the file).
    let hostile = "NFZ: <script>alert(1)</script><img src=x onerror=alert(2)> \"quoted\" 'single' potwierdź dane: nfz-zwrot-pl.com";
    let body = format!("lang=pl&kind=sms&sender={}&text={}", enc("NFZ<b>"), enc(hostile));
    let a = post(&s.url("/check"), "application/x-www-form-urlencoded", body.as_bytes());
    assert_eq!(a.status, 200, "{}", a.text());
    let page = a.text();
    assert!(page.contains("Oszustwo"), "verdict in Polish");
    assert!(page.contains("nfz.gov.pl"), "official domain from the registry");
    assert!(!page.contains("<script>alert"), "message rendered as HTML");
    assert!(!page.contains("<img src=x"), "message rendered as HTML");
    assert!(!page.contains("NFZ<b>"), "sender rendered as HTML");
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "escaped text shown"
    );
    assert!(!page.contains("href=\"http://nfz-zwrot") && !page.contains("href=\"https://nfz-zwrot"));
    assert!(page.contains("id=\"report-form\""));

    // Multipart with an .eml file, as the page sends it.
    let (ct, body) = multipart(
        &[("lang", "en"), ("kind", "sms"), ("text", "")],
        &[("eml", "cnas.eml", CNAS_PHISH_EML.as_bytes())],
    );
    let a = post(&s.url("/check"), &ct, &body);
    assert_eq!(a.status, 200, "{}", a.text());
    let page = a.text();
    assert!(page.contains("data-verdict=\"phishing\""), "{page}");
    assert!(page.contains("name=\"raw_b64\""));

    // Nothing to check: the form again, with a message and what was typed.
    let a = post(
        &s.url("/check"),
        "application/x-www-form-urlencoded",
        b"lang=en&kind=text&text=+++",
    );
    assert_eq!(a.status, 400);
    assert!(a.text().contains("There is nothing to check"));

    // Report from the page: consent missing, then filed.
    let body = format!(
        "lang=en&kind=sms&sender=NFZ&text={}&contact=jan%40example.pl",
        enc(NFZ_SMS)
    );
    let a = post(&s.url("/report"), "application/x-www-form-urlencoded", body.as_bytes());
    assert_eq!(a.status, 400);
    assert!(a.text().contains("did not tick the consent box"));
    assert!(a.text().contains("value=\"jan@example.pl\""));
    let body = format!("{body}&consent=yes");
    let a = post(&s.url("/report"), "application/x-www-form-urlencoded", body.as_bytes());
    assert_eq!(a.status, 200, "{}", a.text());
    let page = a.text();
    let id = between(&page, "id=\"report-id\" class=\"big\">", "<");
    let token = between(&page, "id=\"report-token\"", "</code>");
    let token = token.rsplit('>').next().unwrap();
    assert_eq!(id.len(), 16);
    let st = get(&s.url(&format!("/reports/{id}?token={token}&lang=en")));
    assert_eq!(st.status, 200);
    assert!(st.text().contains("Received: waiting for the security team."));
    let api = get(&s.url(&format!("/v1/reports/{id}?token={token}")));
    assert_eq!(api.json()["status"], "received");
    let st = get(&s.url(&format!("/reports/{id}?token=wrong&lang=en")));
    assert_eq!(st.status, 404);

    // Assets are served by the binary.
    let css = get(&s.url("/assets/style.css"));
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    let js = get(&s.url("/assets/app.js"));
    assert!(js.header("content-type").unwrap().starts_with("text/javascript"));
    assert_eq!(get(&s.url("/assets/other.js")).status, 404);
    for asset in [css.text(), js.text()] {
        assert!(
            !asset.contains("http://") && !asset.contains("https://"),
            "external resource in an asset"
        );
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn between<'a>(hay: &'a str, start: &str, end: &str) -> &'a str {
    let from = hay.find(start).unwrap_or_else(|| panic!("{start:?} not in page")) + start.len();
    let to = hay[from..].find(end).unwrap() + from;
    &hay[from..to]
}

#[test]
fn arbitrary_bytes_never_cause_a_server_error() {
    let s = TestServer::start("fuzz", |c| {
        c.limits.check_rate = None;
        c.limits.report_rate = None;
        c.limits.max_json_bytes = 64 * 1024;
        c.limits.max_upload_bytes = 64 * 1024;
    });
    // A small deterministic generator: the same bodies on every run.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces: [&[u8]; 12] = [
        b"{\"kind\":\"sms\",\"text\":\"",
        b"\"kind\":\"email\",\"raw\":",
        b"--x\r\nContent-Disposition: form-data; name=\"eml\"; filename=\"a.eml\"\r\n\r\n",
        b"From: NFZ <a@nfz-zwrot.pl>\r\n",
        b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n",
        b"raw_b64=%FF%FE&kind=email&",
        b"https://nfz.gov.pl.evil.example/",
        b"\xff\xfe\x00\xc3(",
        "potwierdź dane PESEL ".as_bytes(),
        b"}}]]\"\\u0000\\ud800",
        b"&lang=pl&consent=yes&contact=",
        b"=?utf-8?b?w4Q=?= ",
    ];
    let targets = [
        ("/v1/check", "application/json"),
        ("/v1/reports", "application/json"),
        ("/v1/check/email", "message/rfc822"),
        ("/v1/check/email", "multipart/form-data; boundary=x"),
        ("/check", "application/x-www-form-urlencoded"),
        ("/check", "multipart/form-data; boundary=x"),
        ("/report", "application/x-www-form-urlencoded"),
    ];
    for round in 0..300 {
        let mut body = Vec::new();
        for _ in 0..(next() % 12) {
            let r = next();
            if r % 3 == 0 {
                body.extend((0..(r % 200)).map(|_| next() as u8));
            } else {
                body.extend_from_slice(pieces[(r % pieces.len() as u64) as usize]);
            }
        }
        let (path, ct) = targets[round % targets.len()];
        let a = post(&s.url(path), ct, &body);
        assert!(
            a.status < 500,
            "{path} answered {} to {:?}: {}",
            a.status,
            String::from_utf8_lossy(&body),
            a.text()
        );
    }
    assert_eq!(get(&s.url("/healthz")).status, 200);
    assert!(!get(&s.url("/metrics")).text().contains("status=\"500\""));
}

#[test]
fn web_upload_over_the_limit_is_a_page() {
    let s = TestServer::start("web-limit", |c| c.limits.max_upload_bytes = 8192);
    let (ct, body) = multipart(&[("lang", "pl")], &[("eml", "big.eml", &vec![b'a'; 9000])]);
    let a = post(&s.url("/check?lang=pl"), &ct, &body);
    assert_eq!(a.status, 413);
    assert!(a.header("content-type").unwrap().starts_with("text/html"));
    assert!(a.text().contains("za duży"), "{}", a.text());
}

#[test]
fn slow_headers_and_idle_connections_are_cut() {
    use std::io::{Read, Write};
    let s = TestServer::start("slow-headers", |c| c.limits.header_timeout = Duration::from_millis(300));
    let closed_within = |stream: &mut std::net::TcpStream| {
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let start = std::time::Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => return start.elapsed(),
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return start.elapsed(),
                Err(e) => panic!("the connection stayed open: {e}"),
            }
        }
    };
    // Headers that never end.
    let mut stream = std::net::TcpStream::connect(s.addr).unwrap();
    stream.write_all(b"POST /v1/check HTTP/1.1\r\nHost: x\r\n").unwrap();
    assert!(closed_within(&mut stream) < Duration::from_secs(3));
    // A kept-alive connection left idle after a request.
    let mut stream = std::net::TcpStream::connect(s.addr).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    assert!(closed_within(&mut stream) < Duration::from_secs(3));
    // The server still answers.
    assert_eq!(get(&s.url("/healthz")).status, 200);
}

#[test]
fn an_official_mail_that_cannot_be_authenticated_is_worded_as_such_on_api_and_page() {
    let s = TestServer::start("unconfirmed", |_| {});
    let mail = include_bytes!("../../mail/tests/fixtures/official_nfz_signed.eml");
    let a = post(&s.url("/v1/check/email?lang=en"), "message/rfc822", mail);
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    assert_eq!(v["basis"], "sender_unconfirmed", "{v:#}");
    assert_eq!(v["headline"], "Cannot confirm the sender");
    assert!(!v["summary"].as_str().unwrap().contains("Several signs"), "{v:#}");

    let (ct, body) = multipart(
        &[("lang", "en"), ("kind", "email")],
        &[("eml", "nfz.eml", mail.as_slice())],
    );
    let a = post(&s.url("/check"), &ct, &body);
    assert_eq!(a.status, 200, "{}", a.text());
    let page = a.text();
    assert!(page.contains("Cannot confirm the sender"), "{page}");
    assert!(!page.contains("Several signs point"), "{page}");
}

#[test]
fn the_page_and_api_give_tappable_numbers_and_fold_secondary_routes() {
    let s = TestServer::start("contacts", |_| {});
    let sms = "NFZ: masz zwrot 312 zł, potwierdź dane: nfz-zwrot-pl.com";
    let a = post_json(
        &s.url("/v1/check"),
        &json!({"kind": "sms", "sender": "NFZ", "text": sms, "lang": "en"}),
    );
    assert_eq!(a.status, 200, "{}", a.text());
    let v = a.json();
    let first = &v["advice"]["report_to"][0];
    assert_eq!(
        (first["kind"].as_str(), first["primary"].as_bool()),
        (Some("sms"), Some(true)),
        "{v:#}"
    );
    assert_eq!(first["href"], format!("sms:{}", first["value"].as_str().unwrap()));
    let nfz = v["advice"]["official_contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"] == "+48800190590")
        .cloned()
        .expect("NFZ's line");
    assert_eq!(
        (nfz["display"].as_str(), nfz["href"].as_str()),
        (Some("+48 800 190 590"), Some("tel:+48800190590"))
    );

    let body = format!("lang=en&kind=sms&sender=NFZ&text={}", enc(sms));
    let page = post(&s.url("/check"), "application/x-www-form-urlencoded", body.as_bytes()).text();
    assert!(
        page.contains("<a href=\"tel:+48800190590\">+48 800 190 590</a>"),
        "{page}"
    );
    let primary = between(&page, "id=\"report-to\"", "</ul>");
    assert!(primary.contains("href=\"sms:"), "{primary}");
    assert_eq!(primary.matches("<li>").count(), 1, "{primary}");
    assert!(
        page.contains("<details class=\"report-also\" id=\"report-also\">"),
        "{page}"
    );
    // Marks as in the JSON: every unconfirmed contact is marked, the others are not.
    let official = between(&page, "id=\"official-contacts\"", "</ul>");
    let marked = v["advice"]["official_contacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["unconfirmed"] == true)
        .count();
    assert_eq!(official.matches("(unconfirmed)").count(), marked, "{official}");
    assert!(marked > 0, "the registry has a medium-confidence NFZ line");
}

#[test]
fn the_about_page_says_who_runs_it_and_what_is_kept() {
    let s = TestServer::start("about", |_| {});
    // Every page links to it, in the page's language.
    assert!(get(&s.url("/?lang=pl"))
        .text()
        .contains("<a href=\"/about?lang=pl\">O tej stronie i prywatności</a>"));
    for (lang, words) in [
        ("en", "It is not stored"),
        ("pl", "Nie jest zapisywana"),
        ("ro", "Nu este stocat"),
        ("uk", "Воно не зберігається"),
    ] {
        let page = get(&s.url(&format!("/about?lang={lang}")));
        assert_eq!(page.status, 200);
        let text = page.text();
        assert!(text.contains(&format!("<html lang=\"{lang}\">")), "{text}");
        assert!(text.contains(words), "{lang}: {text}");
    }
}
