//! `feeds update` end to end: a local HTTP server started here serves feed bodies written
//! by this test; nothing leaves the machine.

use healthguard_feeds::update::{fetch_https, update};
use healthguard_feeds::{load_dir, store, Config, Official};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Path → (status, body).
type Routes = Arc<Mutex<HashMap<String, (u16, Vec<u8>)>>>;

/// Serves `routes` on a loopback port until the test ends.
fn server(routes: Routes) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request = String::new();
            if reader.read_line(&mut request).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, body) = routes
                .lock()
                .unwrap()
                .get(&path)
                .cloned()
                .unwrap_or((404, b"not found".to_vec()));
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    port
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("healthguard-feeds-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config(port: u16) -> Config {
    Config::parse(&format!(
        r#"
        [[feed]]
        name = "cert-pl"
        title = "CERT Polska's warning list"
        url = "http://127.0.0.1:{port}/domains.json"
        format = "cert-pl-json"
        min_entries = 3

        [[feed]]
        name = "phish-urls"
        title = "Test URL feed"
        url = "http://127.0.0.1:{port}/urls.txt"
        format = "urls"
        min_entries = 1
        max_bytes = 4096
        "#
    ))
    .unwrap()
}

/// Registry domains of the built-in registry, to slip into a feed.
fn registry_domains() -> Vec<String> {
    healthguard_registry::builtin()
        .institutions
        .iter()
        .flat_map(|i| i.domains.iter().map(|d| d.name.clone()))
        .take(5)
        .collect()
}

fn cert_json(domains: &[String]) -> Vec<u8> {
    let records: Vec<String> = domains
        .iter()
        .enumerate()
        .map(|(i, d)| {
            format!(r#"{{"RegisterPositionId": {i}, "DomainAddress": "{d}", "InsertDate": "2026-11-01T10:00:00", "DeleteDate": null}}"#)
        })
        .collect();
    format!("[{}]", records.join(",")).into_bytes()
}

#[test]
fn update_stores_validated_feeds_and_keeps_the_last_good_copy() {
    let official = Official::from_registry(healthguard_registry::builtin());
    let registry = registry_domains();
    assert!(registry.len() >= 3);
    let mut listed: Vec<String> = [
        "nfz-zwrot-pacjent.example",
        "Płatność-NFZ.example",
        "e-recepta-pl.example",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    listed.extend(registry.iter().cloned());
    listed.push(format!("WWW.{}", registry[0].to_uppercase()));
    let routes = Arc::new(Mutex::new(HashMap::new()));
    routes
        .lock()
        .unwrap()
        .insert("/domains.json".to_string(), (200, cert_json(&listed)));
    routes.lock().unwrap().insert(
        "/urls.txt".to_string(),
        (
            200,
            format!("https://login.bank-pl.example/x\nhttps://{}/ok\n", registry[1]).into_bytes(),
        ),
    );
    let port = server(routes.clone());
    let dir = temp_dir("update");
    let config = config(port);

    let outcomes = update(&config, &dir, &official, 1_796_297_477, &fetch_https);
    let cert = outcomes[0].result.as_ref().expect("cert-pl stored");
    assert_eq!(cert.meta.hosts, 3);
    assert_eq!(cert.meta.dropped_registry, registry.len() + 1);
    assert!(outcomes[1].result.is_ok(), "{:?}", outcomes[1].result);

    let loaded = load_dir(&dir, official.clone()).unwrap();
    assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
    let hit = loaded.index.lookup("secure.nfz-zwrot-pacjent.example").unwrap();
    assert_eq!(hit.feed, "CERT Polska's warning list");
    assert!(loaded.index.lookup("płatność-nfz.example").is_some());
    assert_eq!(
        loaded.index.lookup("login.bank-pl.example").unwrap().feed,
        "Test URL feed"
    );
    for d in &registry {
        assert_eq!(loaded.index.lookup(d), None, "registry domain {d} listed");
        assert_eq!(loaded.index.lookup(&format!("www.{d}")), None);
    }

    // A broken update (an error page, a server error, a body too large, no server) keeps
    // the last good copy byte for byte.
    let cert_file = store::path_of(&dir, "cert-pl");
    let urls_file = store::path_of(&dir, "phish-urls");
    let before = (std::fs::read(&cert_file).unwrap(), std::fs::read(&urls_file).unwrap());
    routes
        .lock()
        .unwrap()
        .insert("/domains.json".to_string(), (200, b"<html>maintenance</html>".to_vec()));
    routes
        .lock()
        .unwrap()
        .insert("/urls.txt".to_string(), (200, vec![b'a'; 5000]));
    let outcomes = update(&config, &dir, &official, 1_796_300_000, &fetch_https);
    assert!(outcomes.iter().all(|o| o.result.is_err()), "{outcomes:?}");
    routes
        .lock()
        .unwrap()
        .insert("/domains.json".to_string(), (503, b"busy".to_vec()));
    assert!(update(&config, &dir, &official, 1_796_300_000, &fetch_https)[0]
        .result
        .is_err());
    routes
        .lock()
        .unwrap()
        .insert("/domains.json".to_string(), (200, cert_json(&listed[..2])));
    let too_few = update(&config, &dir, &official, 1_796_300_000, &fetch_https);
    assert!(too_few[0].result.as_ref().unwrap_err().contains("fewer"), "{too_few:?}");
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert!(
        update(&self::config(closed), &dir, &official, 1_796_300_000, &fetch_https)
            .iter()
            .all(|o| o.result.is_err())
    );
    assert_eq!(
        before,
        (std::fs::read(&cert_file).unwrap(), std::fs::read(&urls_file).unwrap())
    );
    let meta = store::read_meta(&cert_file).unwrap();
    assert_eq!(meta.fetched, 1_796_297_477);
    assert_eq!(meta.source, format!("http://127.0.0.1:{port}/domains.json"));
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn stored_feeds_that_are_damaged_are_skipped_and_registry_domains_dropped_on_load() {
    let dir = temp_dir("damaged");
    std::fs::create_dir_all(&dir).unwrap();
    let registry = registry_domains();
    // A file written by hand (or by an older HealthGuard) that lists a registry domain.
    let body = format!(
        "# healthguard feed 1\n# name: hand\n# title: Hand list\n# hosts: 2\nevil.example\n{}\n",
        registry[0]
    );
    std::fs::write(dir.join("hand.feed"), body).unwrap();
    std::fs::write(
        dir.join("broken.feed"),
        "# healthguard feed 1\n# name: broken\n# title: B\n# hosts: 9\nx.example\n",
    )
    .unwrap();
    std::fs::write(dir.join("junk.feed"), [0xff, 0xfe, 0x00]).unwrap();
    let loaded = load_dir(&dir, Official::from_registry(healthguard_registry::builtin())).unwrap();
    assert_eq!(loaded.feeds.len(), 1);
    assert_eq!(loaded.problems.len(), 2);
    assert!(loaded.index.lookup("evil.example").is_some());
    assert_eq!(loaded.index.lookup(&registry[0]), None);
    let _ = std::fs::remove_dir_all(&dir);
}
