//! The HTTP API and web forms without a network: the whole axum router (body limits, JSON
//! parsing, multipart and urlencoded forms, uploads, report intake and status pages)
//! called in memory, on the real SQLite store in a temporary directory. The first byte
//! picks the route and content type, the rest is the body (or, for GET, the path and query).
#![no_main]

use axum::body::Body;
use axum::http::{header, Method, Request};
use healthguard_server::store::SqliteStore;
use healthguard_server::{router, AppState, ServeConfig};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};
use tower_service::Service;

struct World {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("runtime");
        let mut config = ServeConfig::new(
            "127.0.0.1:0".parse().expect("addr"),
            std::env::temp_dir(),
            healthguard_registry::builtin().clone(),
        );
        config.limits.check_rate = None;
        config.limits.report_rate = None;
        config.limits.max_json_bytes = 64 * 1024;
        config.limits.max_upload_bytes = 256 * 1024;
        // The real embedded store, in a directory of this process's own: reports are stored
        // and status and triage pages read them back as in production.
        let dir = std::env::temp_dir().join(format!("healthguard-fuzz-api-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("store directory");
        let store = runtime.block_on(SqliteStore::open(&dir)).expect("store");
        let state = AppState::new(&config, Arc::new(store));
        World {
            runtime,
            app: router(state),
        }
    })
}

const BOUNDARY: &str = "hgfuzz";

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let multipart = format!("multipart/form-data; boundary={BOUNDARY}");
    let (method, uri, content_type): (Method, String, Option<&str>) = match which % 10 {
        0 => (Method::POST, "/v1/check".into(), Some("application/json")),
        1 => (Method::POST, "/v1/reports".into(), Some("application/json")),
        2 => (Method::POST, "/v1/check/email?lang=pl".into(), Some("message/rfc822")),
        3 => (Method::POST, "/v1/check/email".into(), Some(&multipart)),
        4 => (Method::POST, "/check".into(), Some(&multipart)),
        5 => (Method::POST, "/check".into(), Some("application/x-www-form-urlencoded")),
        6 => (
            Method::POST,
            "/report".into(),
            Some("application/x-www-form-urlencoded"),
        ),
        7 => (Method::POST, "/report".into(), Some(&multipart)),
        8 => (Method::POST, "/v1/check".into(), None),
        _ => (Method::GET, String::from_utf8_lossy(body).into_owned(), None),
    };
    let mut builder = Request::builder().method(method.clone()).uri(uri.as_str());
    if let Some(ct) = content_type {
        builder = builder.header(header::CONTENT_TYPE, ct);
    }
    let body = if method == Method::GET {
        Body::empty()
    } else {
        Body::from(body.to_vec())
    };
    let Ok(req) = builder.body(body) else {
        return; // not a valid URI: hyper would have refused it before the router
    };
    let w = world();
    let mut app = w.app.clone();
    w.runtime.block_on(async move {
        let res = app.call(req).await.expect("infallible");
        let status = res.status();
        assert!(
            !status.is_server_error() || status.as_u16() == 503,
            "{status} for {uri}"
        );
        let bytes = axum::body::to_bytes(res.into_body(), 16 * 1024 * 1024)
            .await
            .expect("body");
        std::hint::black_box(bytes);
    });
});
