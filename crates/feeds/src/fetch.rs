//! Downloads over HTTPS (ureq with rustls), with a size limit and a timeout.

use std::time::Duration;

/// How long one download may take, connection to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(120);

/// A download that did not give a body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The URL is not one HealthGuard fetches.
    #[error("{0}")]
    Url(String),
    /// Connection, TLS, HTTP status or body problems.
    #[error("download failed: {0}")]
    Http(String),
}

/// Checks that `url` is `https://`, or `http://` to a loopback host (a local mirror or a
/// test server): feeds decide verdicts, so they are not taken over plain HTTP from afar.
pub fn check_url(url: &str) -> Result<url::Url, FetchError> {
    let parsed = url::Url::parse(url).map_err(|e| FetchError::Url(format!("bad url {url:?}: {e}")))?;
    let loopback = match parsed.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if loopback => Ok(parsed),
        _ => Err(FetchError::Url(format!(
            "url {url:?} must be https:// (http:// only to a loopback host)"
        ))),
    }
}

/// Downloads `url` (2xx only, redirects followed, never from HTTPS down to HTTP), refusing
/// bodies larger than `max_bytes`.
pub fn download(url: &str, max_bytes: u64, timeout: Duration) -> Result<Vec<u8>, FetchError> {
    let parsed = check_url(url)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .https_only(parsed.scheme() == "https")
        .user_agent(concat!("healthguard-feeds/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| FetchError::Http(e.to_string()))?;
    response
        .body_mut()
        .with_config()
        .limit(max_bytes)
        .read_to_vec()
        .map_err(|e| FetchError::Http(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_http() {
        assert!(check_url("https://hole.example/domains.txt").is_ok());
        assert!(check_url("http://127.0.0.1:8080/list.txt").is_ok());
        assert!(check_url("http://localhost/list.txt").is_ok());
        for bad in [
            "http://feeds.example/list.txt",
            "ftp://x.example/",
            "file:///etc/hosts",
            "not a url",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
