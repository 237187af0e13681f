//! How ccetl reaches any server: the one place reqwest clients are configured, for token and API
//! calls alike (rustls with the `ring` provider, timeouts, our user agent, and no redirects, which
//! would carry credentials or a token to wherever the server points), the one way their errors
//! are described, and which base URLs are acceptable (https, or plain http on loopback only).
//!
//! It sits below both [`crate::auth`] (token endpoints) and [`crate::http`] (API calls), so that
//! neither imports the other for it.

use std::time::Duration;

use reqwest::Url;

/// Installs rustls's `ring` provider as the process default (idempotent). reqwest is built
/// without a bundled provider so that the build skips aws-lc.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client with `timeout` per request, 10 s to connect, and redirects off.
pub fn build_http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("ccetl/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// reqwest's message plus its cause chain ("connection refused"), without the URL's query.
pub fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "could not connect".to_string()
    } else {
        "request failed".to_string()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// How an error message shows a URL the user wrote: quoted, unless it may carry credentials.
fn shown(text: &str) -> String {
    if text.contains('@') {
        "the URL (not shown: it may carry credentials)".to_string()
    } else {
        format!("{text:?}")
    }
}

/// Checks a base URL and gives it a trailing slash, so that paths join under it.
pub fn parse_base_url(text: &str) -> Result<Url, String> {
    let mut url =
        Url::parse(text.trim()).map_err(|e| format!("{} is not a URL: {e}", shown(text)))?;
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err("the URL must not carry credentials or a query string".into());
    }
    match url.scheme() {
        "https" => {}
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d == "localhost",
                None => false,
            };
            if !loopback {
                return Err(format!(
                    "{} uses plain http: only https is allowed, except for the simulator on 127.0.0.1/localhost",
                    shown(text)
                ));
            }
        }
        other => {
            return Err(format!(
                "{}: unsupported scheme {other}; use https",
                shown(text)
            ));
        }
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// Checks an endpoint URL (a token or authorize endpoint) the same way, and keeps it as written.
pub fn parse_endpoint_url(text: &str) -> Result<String, String> {
    let url = parse_base_url(text)?;
    // parse_base_url adds a trailing slash for joining; endpoints are used as written.
    Ok(if text.trim().ends_with('/') {
        url.to_string()
    } else {
        url.as_str().trim_end_matches('/').to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_on_loopback() {
        assert!(parse_base_url("http://127.0.0.1:8080").is_ok());
        assert!(parse_base_url("http://localhost:8080/").is_ok());
        assert!(parse_base_url("http://api.mypurecloud.com").is_err());
        assert!(parse_base_url("https://user:pw@api.mypurecloud.com").is_err());
        let e = parse_base_url("http://id:hunter2@login.example.com").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        let e = parse_base_url("ftp://id:hunter2@x").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        let e = parse_base_url("not a url with hunter2@").unwrap_err();
        assert!(!e.contains("hunter2"), "{e}");
        assert_eq!(
            parse_base_url("https://gw.example.com/genesys")
                .unwrap()
                .as_str(),
            "https://gw.example.com/genesys/"
        );
        assert_eq!(
            parse_endpoint_url("https://login.example.com/oauth/token").unwrap(),
            "https://login.example.com/oauth/token"
        );
    }
}
