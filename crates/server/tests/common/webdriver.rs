//! A minimal W3C WebDriver client for Debian's chromedriver and headless Chromium: enough to
//! open pages, type, click, upload files, read text and take screenshots. Nothing is
//! downloaded; traffic stays on 127.0.0.1.

use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where Debian installs the browser and its driver.
pub const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Whether the browser tests can run; panics when they must (CI set) but cannot.
pub fn browser_available(test: &str) -> bool {
    let present = Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists();
    if present {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("{test}: CI is set but {CHROMIUM} or {CHROMEDRIVER} is missing; run scripts/install-test-deps.sh");
    }
    eprintln!(
        "SKIPPED {test}: chromium and chromium-driver are not installed (run scripts/install-test-deps.sh; \
         with CI set this test fails instead of skipping)"
    );
    false
}

/// A chromedriver process and one browser session.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    _profile: PathBuf,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile.
    pub fn start(profile: PathBuf, javascript: bool) -> Browser {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = agent
                .get(&format!("{base}/status"))
                .call()
                .ok()
                .and_then(|mut r| r.body_mut().read_json::<Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == true);
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::create_dir_all(&profile).unwrap();
        let mut prefs = json!({});
        if !javascript {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let caps = json!({
            "capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--lang=en-US",
                        format!("--user-data-dir={}", profile.display()),
                    ],
                    "prefs": prefs,
                },
                "goog:loggingPrefs": {"browser": "ALL"},
            }}
        });
        let mut res = agent
            .post(&format!("{base}/session"))
            .header("content-type", "application/json")
            .send(caps.to_string())
            .expect("new session");
        let v: Value = res.body_mut().read_json().unwrap();
        let session = v["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Browser {
            driver,
            base,
            session,
            agent,
            _profile: profile,
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let res = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, body) => self
                .agent
                .post(&url)
                .header("content-type", "application/json")
                .send(body.unwrap_or(json!({})).to_string()),
        };
        let mut res = res.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status();
        let v: Value = res.body_mut().with_config().limit(64 << 20).read_json().unwrap();
        assert!(status.is_success(), "{method} {path}: {status} {}", v["value"]);
        v["value"].clone()
    }

    /// Opens a URL.
    pub fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    /// The current URL.
    pub fn url(&self) -> String {
        self.call("GET", "/url", None).as_str().unwrap().to_string()
    }

    /// Sets the window size (CSS pixels).
    pub fn resize(&self, width: u32, height: u32) {
        self.call("POST", "/window/rect", Some(json!({"width": width, "height": height})));
    }

    /// The element matching a CSS selector (waits up to 10 s for it).
    pub fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            assert!(Instant::now() < deadline, "no element {css:?} on {}", self.url());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The element matching a CSS selector, if there is one now.
    pub fn try_find(&self, css: &str) -> Option<String> {
        let url = format!("{}/session/{}/element", self.base, self.session);
        let mut res = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(json!({"using": "css selector", "value": css}).to_string())
            .unwrap();
        let ok = res.status().is_success();
        let v: Value = res.body_mut().read_json().unwrap();
        ok.then(|| v["value"][ELEMENT].as_str().unwrap().to_string())
    }

    /// Types into an element (a file input takes a path).
    pub fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/value"), Some(json!({ "text": text })));
    }

    /// Clicks an element.
    pub fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    /// The visible text of an element.
    pub fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.call("GET", &format!("/element/{e}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Whether an element is displayed.
    pub fn displayed(&self, css: &str) -> bool {
        let e = self.find(css);
        self.call("GET", &format!("/element/{e}/displayed"), None) == json!(true)
    }

    /// Runs a script and returns its value.
    pub fn eval(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({"script": script, "args": []})))
    }

    /// Waits (up to 10 s) until a script returns `expected`; clicks that submit a form
    /// return before the next page has loaded.
    pub fn wait_eval(&self, script: &str, expected: impl Into<Value>) {
        let expected = expected.into();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.eval(script);
            if got == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{script} gave {got}, not {expected}, on {}",
                self.url()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Presses keys (WebDriver key codes, e.g. "\u{E004}" for Tab) on the focused element.
    pub fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.call(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
    }

    /// The id of the focused element.
    pub fn focused_id(&self) -> String {
        self.eval("return document.activeElement ? (document.activeElement.id || document.activeElement.className || document.activeElement.tagName) : '';")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The page source.
    pub fn source(&self) -> String {
        self.call("GET", "/source", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Saves a PNG screenshot of the window.
    pub fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let b64 = self.call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap())
            .unwrap();
        std::fs::write(path, png).unwrap();
    }

    /// Console messages logged by the page (errors such as CSP violations included).
    pub fn console(&self) -> Vec<String> {
        let url = format!("{}/session/{}/se/log", self.base, self.session);
        let res = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(json!({"type": "browser"}).to_string());
        match res {
            Ok(mut r) if r.status().is_success() => {
                let v: Value = r.body_mut().read_json().unwrap_or_default();
                v["value"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|m| m["message"].as_str().unwrap_or("").to_string())
                            .collect()
                    })
                    .unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self
            .agent
            .delete(&format!("{}/session/{}", self.base, self.session))
            .call();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
