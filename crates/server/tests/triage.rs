//! `/v1/triage` over a real socket on a real SQLite store: credentials on every route
//! (401/403), the workflow, campaigns, merges and splits, exports, redaction, the audit log.
//! The messages were written by the HealthGuard project; names and numbers are invented.

mod common;

use common::{post_json, send, TestServer};
use healthguard_server::access::{hash_password, new_api_token, Role};
use healthguard_server::store::{add_token_offline, add_user_offline};
use serde_json::{json, Value};

struct Tokens {
    viewer: String,
    analyst: String,
    admin: String,
}

fn setup(name: &str) -> (TestServer, Tokens) {
    let dir = common::temp_dir(name);
    let make = |role: Role, name: &str| {
        let (t, h) = new_api_token();
        add_token_offline(&dir, h, name, role).unwrap();
        t
    };
    let tokens = Tokens {
        viewer: make(Role::Viewer, "v"),
        analyst: make(Role::Analyst, "a"),
        admin: make(Role::Admin, "root"),
    };
    add_user_offline(&dir, "ana", Role::Analyst, &hash_password("pw").unwrap()).unwrap();
    (TestServer::start_in(dir, |_| {}), tokens)
}

fn report(s: &TestServer, text: &str, contact: Option<&str>) -> String {
    let mut body = json!({"kind": "sms", "sender": "NFZ", "text": text});
    if let Some(c) = contact {
        body["contact"] = json!(c);
        body["consent"] = json!(true);
    }
    let a = post_json(&s.url("/v1/reports"), &body);
    assert_eq!(a.status, 201, "{}", a.text());
    a.json()["id"].as_str().unwrap().to_string()
}

fn call(s: &TestServer, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> common::Answer {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(a) = &auth {
        headers.push(("authorization", a.as_str()));
    }
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    send(method, &s.url(path), &headers, body.as_bytes())
}

const SMS_A: &str = "Szanowna Pani Anna Kowalska, NFZ: nalezy sie zwrot 312,40 zl. Potwierdz dane na https://nfz-zwrot-pl.example/odbierz do 24h. PESEL 44051401458";
const SMS_B: &str = "NFZ: Twoj zwrot 97 zl czeka, wejdz na https://nfz-zwrot-pl.example/x teraz";
const SMS_C: &str = "Paczka zatrzymana, doplata 2 zl na https://kurier-doplata.example/p";

#[test]
fn every_route_needs_credentials_and_the_right_role() {
    let (s, t) = setup("triage-auth");
    let id = report(&s, SMS_A, None);
    let c = format!("C-{id}");
    // (method, path, body, lowest role)
    let routes: Vec<(&str, String, Option<Value>, Role)> = vec![
        ("GET", "/v1/triage/reports".into(), None, Role::Viewer),
        ("GET", format!("/v1/triage/reports/{id}"), None, Role::Viewer),
        ("GET", format!("/v1/triage/reports/{id}?reveal=true"), None, Role::Admin),
        (
            "POST",
            format!("/v1/triage/reports/{id}"),
            Some(json!({"note": "x"})),
            Role::Analyst,
        ),
        ("GET", "/v1/triage/campaigns".into(), None, Role::Viewer),
        ("GET", format!("/v1/triage/campaigns/{c}"), None, Role::Viewer),
        (
            "POST",
            format!("/v1/triage/campaigns/{c}/merge"),
            Some(json!({"with": "C-nope"})),
            Role::Analyst,
        ),
        (
            "POST",
            format!("/v1/triage/campaigns/{c}/split"),
            Some(json!({"reports": ["x"]})),
            Role::Analyst,
        ),
        (
            "GET",
            format!("/v1/triage/campaigns/{c}/export?format=domains"),
            None,
            Role::Viewer,
        ),
        ("GET", "/v1/triage/export?format=stix".into(), None, Role::Viewer),
        ("GET", "/v1/triage/audit".into(), None, Role::Admin),
    ];
    for (method, path, body, need) in &routes {
        let none = call(&s, method, path, None, body.clone());
        assert_eq!(none.status, 401, "{method} {path} without credentials");
        assert_eq!(none.json()["error"], "unauthorized");
        let bad = call(&s, method, path, Some("hgt_not-a-token"), body.clone());
        assert_eq!(bad.status, 401, "{method} {path} with an unknown token");
        for (role, token) in [
            (Role::Viewer, &t.viewer),
            (Role::Analyst, &t.analyst),
            (Role::Admin, &t.admin),
        ] {
            let a = call(&s, method, path, Some(token), body.clone());
            if role < *need {
                assert_eq!(a.status, 403, "{method} {path} as {role:?}");
                assert_eq!(a.json()["error"], "forbidden");
            } else {
                assert!(
                    a.status != 401 && a.status != 403,
                    "{method} {path} as {role:?}: {}",
                    a.status
                );
            }
        }
    }
    s.stop();
}

#[test]
fn workflow_campaigns_exports_redaction_and_audit() {
    let (s, t) = setup("triage-flow");
    let a = report(&s, SMS_A, Some("reporter@example.org"));
    let b = report(&s, SMS_B, None);
    let c = report(&s, SMS_C, None);
    let viewer = Some(t.viewer.as_str());
    let analyst = Some(t.analyst.as_str());

    // Campaigns, grouped at intake.
    let list = call(&s, "GET", "/v1/triage/campaigns", viewer, None).json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    let first = &items[0];
    assert_eq!(first["id"], format!("C-{a}"));
    assert_eq!(first["reports"], 2);
    assert_eq!(first["channels"]["sms"], 2);
    assert_eq!(first["institution"], "pl.nfz");
    assert!(first["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["value"] == "nfz-zwrot-pl.example" && i["count"] == 2));
    let one = call(&s, "GET", &format!("/v1/triage/campaigns/C-{a}"), viewer, None).json();
    assert_eq!(one["report_ids"], json!([a, b]));

    // The report, redacted by default; an admin reveals.
    let r = call(&s, "GET", &format!("/v1/triage/reports/{a}"), viewer, None);
    assert_eq!(r.status, 200);
    let text = r.text();
    assert!(!text.contains("44051401458"), "PESEL redacted: {text}");
    assert!(!text.contains("Kowalska"), "name after a salutation redacted: {text}");
    assert!(
        !text.contains("reporter@example.org"),
        "reporter's contact never shown: {text}"
    );
    assert!(text.contains("nfz-zwrot-pl.example"), "the criminals' link stays");
    let revealed = call(
        &s,
        "GET",
        &format!("/v1/triage/reports/{a}?reveal=true"),
        Some(&t.admin),
        None,
    );
    assert!(revealed.text().contains("44051401458"));
    assert_eq!(revealed.json()["contact"], "reporter@example.org");

    // The list: filters and search.
    let all = call(&s, "GET", "/v1/triage/reports?per_page=2", viewer, None).json();
    assert_eq!(all["total"], 3);
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let q = call(&s, "GET", "/v1/triage/reports?q=kurier", viewer, None).json();
    assert_eq!(q["items"][0]["id"], c.as_str());
    let camp = call(&s, "GET", &format!("/v1/triage/reports?campaign=C-{a}"), viewer, None).json();
    assert_eq!(camp["total"], 2);
    assert_eq!(
        call(&s, "GET", "/v1/triage/reports?status=bogus", viewer, None).status,
        400
    );
    assert_eq!(
        call(&s, "GET", "/v1/triage/reports?since=2020-99-01", viewer, None).status,
        400
    );

    // The workflow, and what the reporter then sees.
    let post = |id: &str, body: Value| call(&s, "POST", &format!("/v1/triage/reports/{id}"), analyst, Some(body));
    assert_eq!(
        post(
            &a,
            json!({"status": "triaged", "assignee": "ana", "note": "first look"})
        )
        .status,
        204
    );
    assert_eq!(post(&a, json!({"status": "confirmed_phishing"})).status, 204);
    assert_eq!(post(&a, json!({"status": "new"})).status, 409);
    assert_eq!(post(&a, json!({"assignee": "nobody"})).status, 409);
    assert_eq!(post(&a, json!({"colour": "red"})).status, 400);
    assert_eq!(post("ZZZZZZZZZZZZZZZZ", json!({"note": "x"})).status, 404);
    let r = call(&s, "GET", &format!("/v1/triage/reports/{a}"), viewer, None).json();
    assert_eq!(r["status"], "confirmed_phishing");
    assert_eq!(r["assignee"], "ana");
    assert_eq!(r["notes"][0]["author"], "token:a");
    let confirmed = call(&s, "GET", "/v1/triage/reports?status=confirmed_phishing", viewer, None).json();
    assert_eq!(confirmed["total"], 1);

    // Exports: per campaign and for everything confirmed (only the first campaign is).
    let d = call(
        &s,
        "GET",
        &format!("/v1/triage/campaigns/C-{a}/export?format=domains"),
        viewer,
        None,
    );
    assert_eq!(d.status, 200);
    assert!(d.text().contains("nfz-zwrot-pl.example"));
    assert!(!d.text().contains("nfz.gov.pl"));
    let stix = call(&s, "GET", "/v1/triage/export?format=stix", viewer, None);
    assert_eq!(stix.json()["type"], "bundle");
    assert!(stix.text().contains("nfz-zwrot-pl.example") && !stix.text().contains("kurier-doplata"));
    for f in ["misp", "arf", "hosts", "rpz", "adblock"] {
        let e = call(
            &s,
            "GET",
            &format!("/v1/triage/campaigns/C-{a}/export?format={f}"),
            viewer,
            None,
        );
        assert_eq!(e.status, 200, "{f}");
        assert!(
            !e.text().contains("44051401458") && !e.text().contains("reporter@example.org"),
            "{f}"
        );
    }
    assert_eq!(
        call(&s, "GET", "/v1/triage/export?format=pdf", viewer, None).status,
        400
    );

    // Merge and split.
    let m = call(
        &s,
        "POST",
        &format!("/v1/triage/campaigns/C-{c}/merge"),
        analyst,
        Some(json!({"with": format!("C-{a}")})),
    );
    assert_eq!(m.json()["id"], format!("C-{a}"), "the older survives");
    assert_eq!(
        call(&s, "GET", "/v1/triage/campaigns", viewer, None).json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let sp = call(
        &s,
        "POST",
        &format!("/v1/triage/campaigns/C-{a}/split"),
        analyst,
        Some(json!({"reports": [c]})),
    );
    assert_eq!(sp.json()["id"], format!("C-{c}"));
    assert_eq!(
        call(&s, "GET", "/v1/triage/campaigns", viewer, None).json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Everything above is in the audit log, newest first.
    let log = call(&s, "GET", "/v1/triage/audit?limit=1000", Some(&t.admin), None).json();
    let entries = log["items"].as_array().unwrap();
    let has = |actor: &str, action: &str, object: &str| {
        entries
            .iter()
            .any(|e| e["actor"] == actor && e["action"] == action && e["object"] == object)
    };
    assert!(has("token:v", "view", &a));
    assert!(has("token:root", "reveal", &a));
    assert!(has("token:a", "status", &a));
    assert!(has("token:a", "note", &a));
    assert!(has("token:a", "assign", &a));
    assert!(has("token:v", "export", "confirmed"));
    assert!(has("token:v", "export", &format!("C-{a}")));
    assert!(has("token:a", "merge", &format!("C-{c}")));
    assert!(has("token:a", "split", &format!("C-{a}")));
    assert!(has("token:v", "list", "campaigns"));

    // The grouping survives a restart as it was left.
    let dir = s.dir.clone();
    s.stop();
    let s = TestServer::start_in(dir, |_| {});
    let list = call(&s, "GET", "/v1/triage/campaigns", Some(&t.viewer), None).json();
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![format!("C-{a}"), format!("C-{c}")]);
    s.stop();
}

#[test]
fn confirmed_campaigns_are_published_as_a_feed_only_when_the_operator_says_so() {
    let dir = common::temp_dir("triage-feed");
    let (t, h) = new_api_token();
    add_token_offline(&dir, h, "a", Role::Analyst).unwrap();
    let s = TestServer::start_in(dir, |c| c.publish_feed = true);
    let a = report(&s, SMS_A, None);
    report(&s, SMS_C, None);
    let feed = |file: &str| send("GET", &s.url(&format!("/feeds/confirmed/{file}")), &[], b"");

    // Nothing is confirmed yet: the feed is empty of hosts.
    let before = feed("domains.txt");
    assert_eq!(before.status, 200);
    assert!(!before.text().contains("nfz-zwrot-pl.example"), "{}", before.text());

    let auth = format!("Bearer {t}");
    let confirm = send(
        "POST",
        &s.url(&format!("/v1/triage/reports/{a}")),
        &[("content-type", "application/json"), ("authorization", &auth)],
        json!({"status": "confirmed_phishing"}).to_string().as_bytes(),
    );
    assert_eq!(confirm.status, 204, "{}", confirm.text());
    for file in ["domains.txt", "hosts.txt", "rpz.zone", "adblock.txt"] {
        let f = feed(file);
        assert_eq!(f.status, 200, "{file}");
        let text = f.text();
        assert!(text.contains("nfz-zwrot-pl.example"), "{file}: {text}");
        assert!(
            !text.contains("kurier-doplata"),
            "unconfirmed campaign left out: {file}"
        );
        assert!(!text.contains("nfz.gov.pl"), "never a registry domain: {file}");
        assert!(!text.contains("44051401458"), "no personal data: {file}");
    }
    assert_eq!(feed("stix.json").status, 404);
    assert_eq!(feed("../audit").status, 404);
    s.stop();

    // Off by default.
    let quiet = TestServer::start("triage-feed-off", |_| {});
    assert_eq!(
        send("GET", &quiet.url("/feeds/confirmed/domains.txt"), &[], b"").status,
        404
    );
    quiet.stop();
}

#[test]
fn the_reporter_reads_the_outcome_in_plain_words() {
    let (s, t) = setup("triage-outcome");
    let filed = post_json(
        &s.url("/v1/reports"),
        &json!({"kind": "sms", "sender": "NFZ", "text": SMS_B}),
    );
    assert_eq!(filed.status, 201, "{}", filed.text());
    let (id, token) = (
        filed.json()["id"].as_str().unwrap().to_string(),
        filed.json()["token"].as_str().unwrap().to_string(),
    );
    let page = |lang: &str| common::get(&s.url(&format!("/reports/{id}?token={token}&lang={lang}"))).text();
    assert!(page("en").contains("Received: waiting for the security team."));
    let set = |status: &str| {
        call(
            &s,
            "POST",
            &format!("/v1/triage/reports/{id}"),
            Some(&t.analyst),
            Some(json!({ "status": status })),
        )
        .status
    };
    assert_eq!(set("triaged"), 204);
    assert!(page("en").contains("Being looked at"), "{}", page("en"));
    assert_eq!(set("confirmed_phishing"), 204);
    let pl = page("pl");
    assert!(
        pl.contains("Potwierdzone: zespół bezpieczeństwa uznał wiadomość za próbę oszustwa."),
        "{pl}"
    );
    assert!(!pl.contains("confirmed_phishing</dd>"), "{pl}");
    assert!(page("ro").contains("Confirmat: echipa de securitate"));
}
