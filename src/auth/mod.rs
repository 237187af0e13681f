//! Access tokens: obtained by a grant, cached, shared by every task of a source, renewed before they
//! expire and once more when the API says 401.
//!
//! A [`TokenFetcher`] knows one grant (Genesys client credentials today; the CXone access-key grant
//! and stored user tokens next). [`TokenCache`] wraps any fetcher: concurrent callers wait on one
//! fetch instead of stampeding the login endpoint, a token is renewed once less than its margin
//! remains, and [`TokenCache::invalidate`] drops only the token that was refused, so many tasks
//! hitting the same 401 cause one renewal. Tokens live in [`secrecy::SecretString`] and no type
//! here derives `Debug` over a raw token.

pub mod connection;
pub mod providers;
pub mod regions;
pub mod resolve;
mod service_grant;
pub mod store;

pub use service_grant::ServiceGrant;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Why no token could be obtained. Messages say what to check; they never contain a secret or a
/// token, nor the body of a token response.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// The authorization server refused the credentials or the grant.
    #[error("{vendor} login at {token_url} refused the credentials ({code}{description}): {hint}")]
    Rejected {
        /// `Genesys`, `CXone`, …
        vendor: &'static str,
        /// The token endpoint.
        token_url: String,
        /// The OAuth error code (`invalid_client`, …).
        code: String,
        /// `: <server's description>` when there is one.
        description: String,
        /// What to check.
        hint: String,
    },
    /// The token endpoint could not be reached or kept failing.
    #[error("{vendor} login at {token_url} failed: {reason}")]
    Unavailable {
        /// `Genesys`, `CXone`, …
        vendor: &'static str,
        /// The token endpoint.
        token_url: String,
        /// What happened (connection refused, HTTP 503, …).
        reason: String,
    },
    /// The token endpoint answered something that is not a token response.
    #[error(
        "{vendor} login at {token_url} returned a response that is not a valid token response ({reason})"
    )]
    Malformed {
        /// `Genesys`, `CXone`, …
        vendor: &'static str,
        /// The token endpoint.
        token_url: String,
        /// Which field was wrong (never the body itself, which may hold a token).
        reason: String,
    },
    /// A user-context flow (`ccetl auth …`) failed; the message says what to fix.
    #[error("connection {connection}: {message}")]
    Login {
        /// The connection.
        connection: String,
        /// What happened and what to do.
        message: String,
    },
    /// The API refused a freshly obtained token too.
    #[error(
        "{vendor} API refused a freshly issued token (HTTP 401): check that the OAuth client's roles grant the analytics permissions and that login and API URLs are in the same region"
    )]
    TokenRefused {
        /// `Genesys`, `CXone`, …
        vendor: &'static str,
    },
}

impl AuthError {
    /// Whether the token endpoint was out of reach or kept failing (an outage, not refused
    /// credentials): such a failure counts as the API's (exit code 4), not the credentials'.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, AuthError::Unavailable { .. })
    }
}

/// A token as a grant returned it.
pub struct FetchedToken {
    /// The bearer token.
    pub access_token: SecretString,
    /// Lifetime announced by the server (`expires_in`); `None` if the server did not say.
    pub expires_in: Option<Duration>,
}

/// The future a [`TokenFetcher`] returns.
pub type FetchFuture<'a> =
    Pin<Box<dyn Future<Output = Result<FetchedToken, AuthError>> + Send + 'a>>;

/// One OAuth grant that can produce a token on demand.
pub trait TokenFetcher: Send + Sync {
    /// Performs the grant once (with its own bounded retries for transient failures).
    fn fetch(&self) -> FetchFuture<'_>;
}

/// A cached token handed to a request. Cloning is cheap; the secret is shared.
#[derive(Clone)]
pub struct BearerToken {
    secret: Arc<SecretString>,
    generation: u64,
}

impl BearerToken {
    /// The secret, for the `Authorization` header only.
    pub fn secret(&self) -> &SecretString {
        &self.secret
    }

    /// Which fetch produced it; passed back to [`TokenCache::invalidate`].
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BearerToken(generation {}, REDACTED)", self.generation)
    }
}

struct Cached {
    token: BearerToken,
    renew_at: Instant,
    /// When the grant that produced it was sent: a server that revoked tokens after that may
    /// have revoked this one too.
    fetch_started: Instant,
}

/// A shared, self-renewing token for one OAuth client.
pub struct TokenCache {
    fetcher: Box<dyn TokenFetcher>,
    state: Mutex<Option<Cached>>,
    fetches: AtomicU64,
}

/// Lifetime assumed when a server omits `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// How long before expiry a token is renewed: a fifth of its lifetime, at most five minutes.
pub fn renewal_margin(lifetime: Duration) -> Duration {
    (lifetime / 5).min(Duration::from_secs(300))
}

impl TokenCache {
    /// Wraps a grant.
    pub fn new(fetcher: impl TokenFetcher + 'static) -> Self {
        Self {
            fetcher: Box::new(fetcher),
            state: Mutex::new(None),
            fetches: AtomicU64::new(0),
        }
    }

    /// A token valid for at least the renewal margin, fetching one if needed. Concurrent callers
    /// wait for a single fetch.
    pub async fn get(&self) -> Result<BearerToken, AuthError> {
        let mut state = self.state.lock().await;
        if let Some(cached) = state.as_ref() {
            if Instant::now() < cached.renew_at {
                return Ok(cached.token.clone());
            }
            tracing::debug!(
                generation = cached.token.generation,
                "Access token is close to expiry; renewing."
            );
        }
        let fetch_started = Instant::now();
        let fetched = self.fetcher.fetch().await?;
        let generation = self.fetches.fetch_add(1, Ordering::Relaxed) + 1;
        let lifetime = fetched.expires_in.unwrap_or(DEFAULT_LIFETIME);
        let renew_at = Instant::now() + lifetime.saturating_sub(renewal_margin(lifetime));
        let token = BearerToken {
            secret: Arc::new(fetched.access_token),
            generation,
        };
        tracing::debug!(
            generation,
            lifetime_secs = lifetime.as_secs(),
            "Obtained access token."
        );
        *state = Some(Cached {
            token: token.clone(),
            renew_at,
            fetch_started,
        });
        Ok(token)
    }

    /// Forgets the token of `generation` after the API refused it at `refused_at`. A newer token
    /// is kept only if its grant was sent after that refusal: one obtained while the server was
    /// revoking tokens (another task renewed just then) may be revoked too, and a request's single
    /// renewal must end with a token the server issued after it said no.
    pub async fn invalidate(&self, generation: u64, refused_at: Instant) {
        let mut state = self.state.lock().await;
        if state
            .as_ref()
            .is_some_and(|c| c.token.generation == generation || c.fetch_started < refused_at)
        {
            *state = None;
        }
    }

    /// How many tokens this cache has fetched.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::sync::atomic::AtomicUsize;

    struct Counting {
        calls: Arc<AtomicUsize>,
        lifetime: Duration,
    }

    impl TokenFetcher for Counting {
        fn fetch(&self) -> FetchFuture<'_> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            let lifetime = self.lifetime;
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok(FetchedToken {
                    access_token: SecretString::from(format!("token-{n}")),
                    expires_in: Some(lifetime),
                })
            })
        }
    }

    fn cache(lifetime: Duration) -> (Arc<TokenCache>, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let cache = TokenCache::new(Counting {
            calls: calls.clone(),
            lifetime,
        });
        (Arc::new(cache), calls)
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_fetch() {
        let (cache, calls) = cache(Duration::from_secs(3600));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let cache = cache.clone();
            tasks.push(tokio::spawn(async move {
                cache.get().await.map(|t| t.generation())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), 1);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn token_is_renewed_before_expiry() {
        let (cache, calls) = cache(Duration::from_secs(100));
        let first = cache.get().await.unwrap();
        // margin is 20 s: at 79 s the token is still used, at 81 s it is renewed.
        tokio::time::advance(Duration::from_secs(79)).await;
        assert_eq!(cache.get().await.unwrap().generation(), first.generation());
        tokio::time::advance(Duration::from_secs(2)).await;
        let second = cache.get().await.unwrap();
        assert_eq!(second.secret().expose_secret(), "token-2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn invalidating_a_stale_generation_keeps_the_newer_token() {
        let (cache, calls) = cache(Duration::from_secs(3600));
        let first = cache.get().await.unwrap();
        let refused_at = Instant::now();
        tokio::time::advance(Duration::from_secs(1)).await;
        cache.invalidate(first.generation(), refused_at).await;
        let second = cache.get().await.unwrap();
        // A second task reporting a 401 for the first token, answered before the second token
        // was asked for, must not throw the second away.
        cache.invalidate(first.generation(), refused_at).await;
        assert_eq!(cache.get().await.unwrap().generation(), second.generation());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_asked_for_before_a_refusal_is_not_trusted_after_it() {
        // The server revoked every token while another task renewed: the renewal it answered
        // before the revocation is refused as well, so a 401 answered after that renewal began
        // drops it, and the request's one renewal gets a token issued after the refusal.
        let (cache, calls) = cache(Duration::from_secs(3600));
        let first = cache.get().await.unwrap();
        let second_asked = Instant::now();
        cache.invalidate(first.generation(), second_asked).await;
        let second = cache.get().await.unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
        cache.invalidate(first.generation(), Instant::now()).await;
        let third = cache.get().await.unwrap();
        assert_ne!(third.generation(), second.generation());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn debug_output_redacts_the_token() {
        let token = BearerToken {
            secret: Arc::new(SecretString::from("abc-secret".to_string())),
            generation: 3,
        };
        let shown = format!("{token:?}");
        assert!(!shown.contains("abc-secret"));
    }
}
