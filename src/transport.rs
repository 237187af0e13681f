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

/// An HTTP client whose every request carries its timeout: a clone of the process's one reqwest
/// client (see [`build_http_client`]), so that token and API calls share its TLS configuration
/// and connections.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    timeout: Duration,
}

impl HttpClient {
    /// A request with this client's timeout.
    pub fn request(&self, method: reqwest::Method, url: Url) -> reqwest::RequestBuilder {
        self.inner.request(method, url).timeout(self.timeout)
    }

    /// A GET with this client's timeout.
    pub fn get(&self, url: Url) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, url)
    }

    /// Sends a request built elsewhere (oauth2's), with this client's timeout unless it has one.
    pub async fn execute(
        &self,
        mut request: reqwest::Request,
    ) -> Result<reqwest::Response, reqwest::Error> {
        request.timeout_mut().get_or_insert(self.timeout);
        self.inner.execute(request).await
    }
}

/// The process's reqwest client, once built.
static SHARED_CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();

/// A client with `timeout` per request, 10 s to connect, and redirects off. The reqwest client
/// under it is built once per process: each build loads the system's root certificates, which
/// took 3% of the CPU of a week's backfill for each of the token and the API client.
pub fn build_http_client(timeout: Duration) -> Result<HttpClient, String> {
    let inner = match SHARED_CLIENT.get() {
        Some(client) => client.clone(),
        None => {
            install_crypto_provider();
            let built = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                .user_agent(concat!("ccetl/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
            SHARED_CLIENT.get_or_init(|| built).clone()
        }
    };
    Ok(HttpClient { inner, timeout })
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

    /// Clients of different timeouts share one reqwest client, and each request still gives up
    /// after its own client's timeout, whichever way it is sent.
    #[tokio::test]
    async fn every_request_carries_its_clients_timeout() {
        // A server that accepts connections and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let short = build_http_client(Duration::from_millis(200)).unwrap();
        let long = build_http_client(Duration::from_secs(3600)).unwrap();
        // Were a request to run under the hour-long timeout instead, this would end it.
        async fn bounded<T>(send: impl std::future::Future<Output = T>) -> T {
            let answer = tokio::time::timeout(Duration::from_secs(60), send).await;
            answer.expect("the client's own timeout did not end the request")
        }
        let e = bounded(short.get(url.clone()).send()).await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        let request = long.inner.get(url.clone()).build().unwrap();
        let e = bounded(short.execute(request)).await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        // A request that brings its own timeout keeps it.
        let mut request = long.inner.get(url).build().unwrap();
        *request.timeout_mut() = Some(Duration::from_millis(100));
        let e = bounded(long.execute(request)).await.unwrap_err();
        assert!(e.is_timeout(), "{e}");
        held.abort();
    }

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
