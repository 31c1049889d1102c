//! `/triage` over a real socket: sign-in, session cookie, CSRF on every form, roles,
//! hostile content escaped and defanged. The messages were written by the HealthGuard project.

mod common;

use common::{post_json, Answer, TestServer};
use healthguard_server::access::{hash_password, Role};
use healthguard_server::store::add_user_offline;
use serde_json::json;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

fn answer(mut res: ureq::http::Response<ureq::Body>) -> Answer {
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let body = res.body_mut().read_to_vec().unwrap_or_default();
    Answer { status, headers, body }
}

fn get(s: &TestServer, path: &str, cookie: &str) -> Answer {
    let mut req = agent().get(&s.url(path));
    if !cookie.is_empty() {
        req = req.header("cookie", cookie);
    }
    answer(req.call().unwrap())
}

fn post_form(s: &TestServer, path: &str, cookie: &str, form: &[(&str, &str)]) -> Answer {
    let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", urlenc(v))).collect();
    let mut req = agent()
        .post(&s.url(path))
        .header("content-type", "application/x-www-form-urlencoded");
    if !cookie.is_empty() {
        req = req.header("cookie", cookie);
    }
    answer(req.send(body.join("&").as_bytes()).unwrap())
}

fn urlenc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `hg_triage=…` from a Set-Cookie header.
fn cookie_of(a: &Answer) -> String {
    let set = a.header("set-cookie").expect("a session cookie");
    set.split(';').next().unwrap().to_string()
}

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

fn sign_in(s: &TestServer, user: &str, password: &str) -> (String, String) {
    let form = get(s, "/triage/login", "");
    let pre = cookie_of(&form);
    let csrf = field(&form.text(), "csrf");
    let a = post_form(
        s,
        "/triage/login",
        &pre,
        &[("csrf", &csrf), ("user", user), ("password", password)],
    );
    assert_eq!(a.status, 303, "{}", a.text());
    let cookie = cookie_of(&a);
    assert_ne!(cookie, pre, "a new session id at sign-in");
    let page = get(s, "/triage/reports", &cookie);
    assert_eq!(page.status, 200);
    (cookie, field(&page.text(), "csrf"))
}

const HOSTILE: &str = "NFZ: zwrot 120 zl <script>alert(1)</script><img src=x onerror=alert(2)> na https://nfz-zwrot-pl.example/odbierz teraz";

#[test]
fn sign_in_sessions_csrf_roles_and_hostile_content() {
    let dir = common::temp_dir("triage-web");
    add_user_offline(&dir, "ana", Role::Analyst, &hash_password("analyst pw").unwrap()).unwrap();
    add_user_offline(&dir, "vic", Role::Viewer, &hash_password("viewer pw").unwrap()).unwrap();
    let s = TestServer::start_in(dir, |_| {});
    let a = post_json(
        &s.url("/v1/reports"),
        &json!({"kind": "sms", "sender": "NFZ", "text": HOSTILE}),
    );
    let id = a.json()["id"].as_str().unwrap().to_string();

    // Nothing without a session.
    for path in [
        "/triage/reports",
        &format!("/triage/reports/{id}"),
        "/triage/campaigns",
        &format!("/triage/campaigns/C-{id}"),
        "/triage/export?format=stix",
    ] {
        assert_eq!(get(&s, path, "").status, 401, "{path}");
        assert_eq!(get(&s, path, "hg_triage=forged").status, 401, "{path}");
    }
    assert_eq!(
        post_form(&s, &format!("/triage/reports/{id}"), "", &[("note", "x")]).status,
        401
    );

    // The sign-in form: its cookie, its CSRF token, the headers.
    let form = get(&s, "/triage/login", "");
    assert_eq!(form.status, 200);
    let set = form.header("set-cookie").unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/triage"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "no TLS here: {set}");
    assert!(form
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'self'"));
    let pre = cookie_of(&form);
    let csrf = field(&form.text(), "csrf");
    assert!(csrf.len() >= 40, "a random CSRF token: {csrf}");
    let login = |cookie: &str, csrf: &str, pw: &str| {
        post_form(
            &s,
            "/triage/login",
            cookie,
            &[("csrf", csrf), ("user", "ana"), ("password", pw)],
        )
    };
    assert_eq!(
        login(&pre, "wrong", "analyst pw").status,
        403,
        "CSRF checked at sign-in"
    );
    let form = get(&s, "/triage/login", "");
    let (pre, csrf) = (cookie_of(&form), field(&form.text(), "csrf"));
    assert_eq!(login(&pre, &csrf, "bad pw").status, 401);
    let form = get(&s, "/triage/login", "");
    let (pre, csrf) = (cookie_of(&form), field(&form.text(), "csrf"));
    let ok = login(&pre, &csrf, "analyst pw");
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/triage/reports"));
    let cookie = cookie_of(&ok);
    assert_eq!(
        get(&s, "/triage/reports", &pre).status,
        401,
        "the pre-sign-in id gives nothing"
    );

    // The list, the report: escaped, defanged.
    let list = get(&s, "/triage/reports", &cookie);
    assert_eq!(list.status, 200);
    assert!(list.text().contains(&id));
    let csrf = field(&list.text(), "csrf");
    let page = get(&s, &format!("/triage/reports/{id}"), &cookie).text();
    assert!(
        !page.contains("<script>alert") && !page.contains("<img src=x"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"),
        "{page}"
    );
    assert!(page.contains("hxxps://nfz-zwrot-pl[.]example/odbierz"), "{page}");
    assert!(!page.contains("https://nfz-zwrot"), "{page}");

    // Changes need the session's CSRF token.
    let change = |csrf: &str| {
        post_form(
            &s,
            &format!("/triage/reports/{id}"),
            &cookie,
            &[
                ("csrf", csrf),
                ("status", "triaged"),
                ("assignee", "ana"),
                ("note", "<b>bold</b>"),
            ],
        )
    };
    assert_eq!(change("").status, 403);
    assert_eq!(change("not-it").status, 403);
    let done = change(&csrf);
    assert_eq!(done.status, 303, "{}", done.text());
    let page = get(&s, &format!("/triage/reports/{id}"), &cookie).text();
    assert!(page.contains("<dd id=\"status\">triaged</dd>"), "{page}");
    assert!(
        page.contains("&lt;b&gt;bold") || page.contains("&#60;b&#62;bold"),
        "notes escaped"
    );

    // The campaign page: indicators defanged, export links work with the session.
    let camp = get(&s, &format!("/triage/campaigns/C-{id}"), &cookie);
    assert_eq!(camp.status, 200);
    assert!(camp.text().contains("nfz-zwrot-pl[.]example"));
    assert!(camp.text().contains("merge-form"));
    let e = get(&s, &format!("/triage/campaigns/C-{id}/export?format=domains"), &cookie);
    assert_eq!(e.status, 200);
    assert!(e.text().contains("nfz-zwrot-pl.example"));
    let st = post_form(
        &s,
        &format!("/triage/campaigns/C-{id}/status"),
        &cookie,
        &[("csrf", &csrf), ("status", "confirmed_phishing")],
    );
    assert_eq!(st.status, 303);
    assert!(get(&s, &format!("/triage/reports/{id}"), &cookie)
        .text()
        .contains("confirmed_phishing"));
    assert_eq!(
        post_form(
            &s,
            &format!("/triage/campaigns/C-{id}/merge"),
            &cookie,
            &[("with", "C-x")]
        )
        .status,
        403
    );
    assert_eq!(get(&s, "/triage/campaigns", &cookie).status, 200);

    // A viewer reads but cannot change nor reveal.
    let (vcookie, vcsrf) = sign_in(&s, "vic", "viewer pw");
    assert!(!get(&s, &format!("/triage/reports/{id}"), &vcookie)
        .text()
        .contains("change-form"));
    assert_eq!(
        post_form(
            &s,
            &format!("/triage/reports/{id}"),
            &vcookie,
            &[("csrf", &vcsrf), ("note", "x")]
        )
        .status,
        403
    );
    assert_eq!(get(&s, &format!("/triage/reports/{id}?reveal=1"), &vcookie).status, 403);

    // Sign-out ends the session.
    assert_eq!(
        post_form(&s, "/triage/logout", &cookie, &[("csrf", "nope")]).status,
        403
    );
    assert_eq!(post_form(&s, "/triage/logout", &cookie, &[("csrf", &csrf)]).status, 303);
    assert_eq!(get(&s, "/triage/reports", &cookie).status, 401);
    s.stop();
}
