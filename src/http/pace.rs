//! Pacing of one API client: send every request the server's quota allows, and none it would
//! refuse.
//!
//! A server counts requests per window (Genesys: 300 per 60 s per OAuth client). A `governor`
//! limiter that replenishes `quota` cells a window *and* allows a burst lets `quota + burst` through
//! in one window, which is a 429 every window when the configured rate equals the server's. So the
//! limiter replenishes `quota − burst` a window: no window, aligned or not, sees more than `quota`.
//!
//! What the server says is used on top of the configured pace, which it never raises (it may be
//! set low on purpose, to leave room for other tools on the same client):
//! - `inin-ratelimit-allowed`, `-count` and `-reset` (Genesys, on every answer) say how much of the
//!   current window is left. The pacer keeps that room, less the requests already in flight, and
//!   counts it down as requests leave; at zero every task waits for the reset instead of meeting a
//!   429. That spends the whole window, whatever the server's limit, without a 429; and a 429 from
//!   such a server with room left is about something else (a per-resource limit), so its
//!   `Retry-After` is the whole answer.
//! - A 429 from a server that announces nothing (CXone documents no limit) lowers the quota to the
//!   answers of the last minute, but at most by half per 429, so a 429 that is not about the quota
//!   cannot starve the run. A lowered quota holds for the rest of the run; the next run starts from
//!   the configured one.
//!
//! The shared cool-down (a `Retry-After`, a spent window) is checked *after* a request's turn at the
//! limiter, so a request queued behind the limiter when another task's 429 arrives waits too.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::HeaderMap;
use tokio::time::Instant;

/// The window the configured `requests_per_minute` is counted in.
const WINDOW: Duration = Duration::from_secs(60);

/// The limits a server announced on one answer (`inin-ratelimit-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimit {
    /// Requests allowed per window.
    pub allowed: u32,
    /// Requests counted in the current window, this one included.
    pub count: u32,
    /// Time until the window resets.
    pub reset: Duration,
}

impl ServerLimit {
    /// Reads Genesys's `inin-ratelimit-allowed`, `-count` and `-reset` (seconds); `None` unless
    /// all three are there and numeric.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let number = |name: &str| -> Option<u64> {
            headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok()
        };
        let allowed = u32::try_from(number("inin-ratelimit-allowed")?).ok()?;
        let count = u32::try_from(number("inin-ratelimit-count")?).unwrap_or(u32::MAX);
        let reset = Duration::from_secs(number("inin-ratelimit-reset")?.min(3600));
        (allowed > 0).then_some(Self {
            allowed,
            count,
            reset,
        })
    }
}

/// What the pacer decided from an answer; returned so callers (and tests) can see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Adjustment {
    /// The quota was lowered to this many requests per window.
    pub lowered_to: Option<u32>,
    /// The server's window is spent: requests wait this long, for its reset.
    pub pause: Option<Duration>,
}

struct PaceState {
    /// Requests per window the server is believed to allow.
    quota: u32,
    /// No request leaves before this instant.
    cooldown_until: Option<Instant>,
    /// When recent answers (not 429) arrived, within the last window.
    answered: VecDeque<Instant>,
    /// What is left of the server's current window, as its last answers said.
    window: Option<ServerWindow>,
    /// The requests per window the server last announced: a new window starts with that room.
    /// Set once the server sends `inin-ratelimit-*` headers: then those, not 429s, pace it.
    announced: Option<u32>,
}

/// The room left in the server's current rate window.
#[derive(Debug, Clone, Copy)]
struct ServerWindow {
    /// Requests that may still leave before the reset.
    room: u32,
    /// When the server starts a new window (rounded up: `-reset` is whole seconds); `None` for a
    /// window that began after the last known reset and has not been answered yet.
    reset_at: Option<Instant>,
}

/// How often a request re-checks a window spent before any of its answers arrived.
const UNANSWERED_POLL: Duration = Duration::from_millis(20);

/// Answers whose resets are this close belong to the same window (`-reset` is whole seconds).
const SAME_WINDOW: Duration = Duration::from_secs(2);

/// The pacing of one API client, shared by all its tasks.
pub struct Pacer {
    burst: NonZeroU32,
    state: Mutex<PaceState>,
    limiter: RwLock<Arc<DefaultDirectRateLimiter>>,
    in_flight: AtomicU32,
}

/// What a request that had its limiter turn does next.
enum Turn {
    /// Leave now.
    Go,
    /// A cool-down is in force: wait it out, then queue again.
    Wait,
    /// The window is spent and its reset unknown: look again shortly.
    Poll,
}

/// A request that left: counted in flight until dropped.
pub struct InFlight<'a>(&'a Pacer);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Pacer {
    /// A pacer for `quota` requests per minute, at most `burst` back to back.
    pub fn new(quota: NonZeroU32, burst: NonZeroU32) -> Self {
        Self {
            burst,
            limiter: RwLock::new(Arc::new(limiter_for(quota.get(), burst))),
            state: Mutex::new(PaceState {
                quota: quota.get(),
                cooldown_until: None,
                answered: VecDeque::new(),
                window: None,
                announced: None,
            }),
            in_flight: AtomicU32::new(0),
        }
    }

    fn state(&self) -> MutexGuard<'_, PaceState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The quota pacing currently aims at, in requests per minute.
    pub fn quota(&self) -> u32 {
        self.state().quota
    }

    /// The end of the cool-down in force, if any.
    pub fn cooldown(&self) -> Option<Instant> {
        self.state()
            .cooldown_until
            .filter(|until| *until > Instant::now())
    }

    /// Holds every task's next request until `now + delay` (or later, if already held longer).
    pub fn pause(&self, delay: Duration) {
        let until = Instant::now() + delay;
        let mut state = self.state();
        if state.cooldown_until.is_none_or(|current| current < until) {
            state.cooldown_until = Some(until);
        }
    }

    /// Waits for this request's turn: the cool-down, then the limiter, then the cool-down again
    /// (one may have started while it queued), until both let it go. `refuse` sees each cool-down
    /// first and may stop the wait (a retry budget, say) by returning an error.
    pub async fn admit<E>(
        &self,
        refuse: impl Fn(Instant) -> Result<(), E>,
    ) -> Result<InFlight<'_>, E> {
        loop {
            if let Some(until) = self.cooldown() {
                refuse(until)?;
                tokio::time::sleep_until(until).await;
                continue;
            }
            let limiter = self
                .limiter
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            limiter.until_ready().await;
            // A lowered quota replaced the limiter while this request queued on the old one: take
            // a turn on the new one, or the old pace leaks into the new window.
            let replaced = !Arc::ptr_eq(
                &limiter,
                &self.limiter.read().unwrap_or_else(|p| p.into_inner()),
            );
            if replaced {
                continue;
            }
            match self.take_room() {
                Turn::Go => {}
                Turn::Wait => continue,
                Turn::Poll => {
                    tokio::time::sleep(UNANSWERED_POLL).await;
                    continue;
                }
            }
            self.in_flight.fetch_add(1, Ordering::Relaxed);
            return Ok(InFlight(self));
        }
    }

    /// After the limiter's turn: whether the cool-down and the server's window let a request go,
    /// and if so, its share of the window's room.
    fn take_room(&self) -> Turn {
        let now = Instant::now();
        let mut state = self.state();
        if state.cooldown_until.is_some_and(|until| until > now) {
            return Turn::Wait;
        }
        if let Some(window) = state.window
            && window.reset_at.is_some_and(|reset_at| reset_at <= now)
        {
            // A new server window: the room it was last announced with.
            state.window = state.announced.map(|room| ServerWindow {
                room,
                reset_at: None,
            });
        }
        match state.window {
            Some(ServerWindow {
                room: 0,
                reset_at: Some(until),
            }) => {
                // The server's window is spent: everyone waits for its reset.
                if state.cooldown_until.is_none_or(|current| current < until) {
                    state.cooldown_until = Some(until);
                }
                Turn::Wait
            }
            // Spent, and no answer yet says when it resets: one soon will.
            Some(ServerWindow {
                room: 0,
                reset_at: None,
            }) => Turn::Poll,
            Some(ref mut window) => {
                window.room -= 1;
                Turn::Go
            }
            None => Turn::Go,
        }
    }

    /// Learns from an answer that was not a 429: the server's announced limit, if any. `_request`
    /// is the answered request, still counted in flight.
    pub fn answered(&self, headers: &HeaderMap, _request: &InFlight<'_>) -> Adjustment {
        let now = Instant::now();
        let limit = ServerLimit::from_headers(headers);
        let others = self.in_flight.load(Ordering::Relaxed).saturating_sub(1);
        let adjustment = {
            let mut state = self.state();
            state.answered.push_back(now);
            while state
                .answered
                .front()
                .is_some_and(|t| now.duration_since(*t) >= WINDOW)
            {
                state.answered.pop_front();
            }
            match limit {
                Some(limit) => learn_window(&mut state, limit, others, now),
                None => Adjustment::default(),
            }
        };
        self.apply(adjustment)
    }

    /// Learns from a 429 (its `Retry-After` is the caller's to pass to [`Pacer::pause`]).
    pub fn throttled(&self, headers: &HeaderMap) -> Adjustment {
        let now = Instant::now();
        let adjustment = {
            let mut state = self.state();
            if let Some(limit) = ServerLimit::from_headers(headers) {
                learn_window(&mut state, limit, 0, now)
            } else if state.announced.is_some() {
                // A server that announces its limits and still says 429 is limiting something
                // else (a per-resource limit): the Retry-After is the whole answer.
                Adjustment::default()
            } else {
                let recent = state
                    .answered
                    .iter()
                    .filter(|t| now.duration_since(**t) < WINDOW)
                    .count();
                let recent = u32::try_from(recent).unwrap_or(u32::MAX);
                let lowered = recent.max(state.quota / 2).max(1);
                if lowered < state.quota {
                    state.quota = lowered;
                    Adjustment {
                        lowered_to: Some(lowered),
                        pause: None,
                    }
                } else {
                    Adjustment::default()
                }
            }
        };
        self.apply(adjustment)
    }

    fn apply(&self, adjustment: Adjustment) -> Adjustment {
        if let Some(quota) = adjustment.lowered_to {
            *self.limiter.write().unwrap_or_else(|p| p.into_inner()) =
                Arc::new(limiter_for(quota, self.burst));
        }
        adjustment
    }
}

/// From an announced limit: the room left in the window, less the requests in flight (sent, maybe
/// not yet counted). Answers of one window can arrive out of order, so the smaller room wins.
fn learn_window(
    state: &mut PaceState,
    limit: ServerLimit,
    in_flight: u32,
    now: Instant,
) -> Adjustment {
    state.announced = Some(limit.allowed);
    let reset_at = now + limit.reset;
    let room = limit
        .allowed
        .saturating_sub(limit.count)
        .saturating_sub(in_flight);
    let window = match state.window {
        Some(ServerWindow {
            room: known,
            reset_at: Some(known_reset),
        }) if known_reset > now && reset_at <= known_reset + SAME_WINDOW => ServerWindow {
            room: known.min(room),
            reset_at: Some(known_reset.max(reset_at)),
        },
        _ => ServerWindow {
            room,
            reset_at: Some(reset_at),
        },
    };
    state.window = Some(window);
    Adjustment {
        lowered_to: None,
        pause: (window.room == 0).then(|| reset_at.saturating_duration_since(now)),
    }
}

/// The burst actually allowed: the configured one, capped at a thirtieth of the quota so that
/// pacing keeps at least about 96% of it.
fn effective_burst(quota: u32, burst: NonZeroU32) -> u32 {
    burst.get().min((quota / 30).max(1))
}

/// A limiter that lets no window of [`WINDOW`] hold more than `quota` requests: it replenishes
/// `quota − burst` per window, so a full burst plus a window's pace is exactly the quota.
fn limiter_for(quota: u32, burst: NonZeroU32) -> DefaultDirectRateLimiter {
    let burst = effective_burst(quota, burst);
    let pace = quota.saturating_sub(burst).max(1);
    let period = WINDOW / pace;
    let quota = Quota::with_period(period.max(Duration::from_micros(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
    RateLimiter::direct(quota)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn limit_headers(allowed: u32, count: u32, reset: u64) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("inin-ratelimit-allowed", allowed.to_string()),
            ("inin-ratelimit-count", count.to_string()),
            ("inin-ratelimit-reset", reset.to_string()),
        ] {
            h.insert(k, HeaderValue::from_str(&v).unwrap());
        }
        h
    }

    fn rpm(n: u32) -> NonZeroU32 {
        NonZeroU32::new(n).unwrap()
    }

    #[test]
    fn headers_parse_only_when_all_three_are_numbers() {
        let limit = ServerLimit::from_headers(&limit_headers(180, 1, 61)).unwrap();
        assert_eq!(
            limit,
            ServerLimit {
                allowed: 180,
                count: 1,
                reset: Duration::from_secs(61)
            }
        );
        let mut partial = limit_headers(180, 1, 61);
        partial.remove("inin-ratelimit-reset");
        assert_eq!(ServerLimit::from_headers(&partial), None);
        let mut bad = limit_headers(180, 1, 61);
        bad.insert("inin-ratelimit-allowed", HeaderValue::from_static("many"));
        assert_eq!(ServerLimit::from_headers(&bad), None);
        assert_eq!(ServerLimit::from_headers(&HeaderMap::new()), None);
    }

    #[test]
    fn a_burst_and_a_window_of_pace_add_up_to_the_quota() {
        // 300 a minute, burst 10: 10 at once, then one every 60/290 s.
        assert_eq!(effective_burst(300, rpm(10)), 10);
        assert_eq!(effective_burst(120, rpm(10)), 4);
        assert_eq!(effective_burst(10, rpm(10)), 1);
        let limiter = limiter_for(300, rpm(10));
        let granted = (0..20).filter(|_| limiter.check().is_ok()).count();
        assert_eq!(granted, 10, "the burst, and not one more, goes at once");
    }

    #[tokio::test]
    async fn an_announced_limit_never_changes_the_pace() {
        let pacer = Pacer::new(rpm(600), rpm(10));
        let request = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
        for headers in [limit_headers(300, 1, 59), limit_headers(100_000, 2, 58)] {
            assert_eq!(pacer.answered(&headers, &request), Adjustment::default());
            assert_eq!(pacer.quota(), 600);
        }
    }

    async fn admitted_soon(pacer: &Pacer) -> bool {
        tokio::time::timeout(Duration::from_millis(500), pacer.admit(|_| Ok::<_, ()>(())))
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn the_room_a_window_has_left_is_spent_and_then_everyone_waits_for_its_reset() {
        let pacer = Pacer::new(rpm(600), rpm(10));
        let first = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
        let _second = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
        // 295 of 300 counted and one other request in flight: four more may leave.
        let adjustment = pacer.answered(&limit_headers(300, 295, 7), &first);
        assert_eq!(adjustment.pause, None);
        drop(first);
        for n in 0..4 {
            assert!(admitted_soon(&pacer).await, "request {n} of the room");
        }
        assert!(
            !admitted_soon(&pacer).await,
            "the fifth waits for the reset"
        );
        let until = pacer.cooldown().expect("a cool-down until the reset");
        let left = until - Instant::now();
        assert!(
            left > Duration::from_secs(5) && left <= Duration::from_secs(7),
            "{left:?}"
        );
    }

    #[tokio::test]
    async fn an_older_answer_of_the_same_window_does_not_give_back_room() {
        let pacer = Pacer::new(rpm(600), rpm(10));
        let request = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
        pacer.answered(&limit_headers(300, 299, 20), &request);
        // A slower answer, counted earlier in the same window, arrives last: still room for one.
        let adjustment = pacer.answered(&limit_headers(300, 200, 20), &request);
        assert_eq!(adjustment.pause, None);
        drop(request);
        assert!(admitted_soon(&pacer).await);
        assert!(!admitted_soon(&pacer).await);
    }

    #[tokio::test]
    async fn a_new_window_brings_new_room() {
        let pacer = Pacer::new(rpm(60_000), rpm(100));
        let request = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
        pacer.answered(&limit_headers(20, 20, 0), &request);
        drop(request);
        // A reset of 0 s: the window is over at once, and the next one has the announced room.
        for n in 0..20 {
            assert!(admitted_soon(&pacer).await, "request {n} of the new window");
        }
        assert!(
            !admitted_soon(&pacer).await,
            "the 21st waits for an answer of the new window"
        );
    }

    #[tokio::test]
    async fn a_429_without_headers_lowers_to_the_last_windows_answers_at_most_by_half() {
        let pacer = Pacer::new(rpm(600), rpm(10));
        let request = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
        for _ in 0..400 {
            pacer.answered(&HeaderMap::new(), &request);
        }
        let adjustment = pacer.throttled(&HeaderMap::new());
        assert_eq!(adjustment.lowered_to, Some(400));
        // The next 429 of the same window learns nothing new.
        assert_eq!(pacer.throttled(&HeaderMap::new()), Adjustment::default());
        assert_eq!(pacer.quota(), 400);

        // A 429 after only 3 answers halves the quota, no more.
        let pacer = Pacer::new(rpm(600), rpm(10));
        let request = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
        for _ in 0..3 {
            pacer.answered(&HeaderMap::new(), &request);
        }
        assert_eq!(pacer.throttled(&HeaderMap::new()).lowered_to, Some(300));
    }

    #[tokio::test]
    async fn a_429_from_a_server_that_announces_limits_leaves_the_quota_alone() {
        let pacer = Pacer::new(rpm(300), rpm(10));
        let request = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
        pacer.answered(&limit_headers(300, 5, 50), &request);
        assert_eq!(pacer.throttled(&HeaderMap::new()), Adjustment::default());
        assert_eq!(pacer.quota(), 300);
    }

    #[tokio::test]
    async fn a_cool_down_that_starts_while_a_request_queues_holds_it_too() {
        // Burst 1 at 120 a minute: the second request queues ~0.5 s on the limiter.
        let pacer = Arc::new(Pacer::new(rpm(120), rpm(1)));
        let first = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
        drop(first);
        let queued = {
            let pacer = pacer.clone();
            tokio::spawn(async move {
                let _request = pacer.admit(|_| Ok::<_, ()>(())).await.unwrap();
                Instant::now()
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        let paused_at = Instant::now();
        pacer.pause(Duration::from_millis(1500));
        let left = queued.await.unwrap();
        assert!(
            left >= paused_at + Duration::from_millis(1500),
            "left {:?} after the pause began",
            left - paused_at
        );
    }

    #[tokio::test]
    async fn a_cool_down_past_the_budget_is_refused_not_waited() {
        let pacer = Pacer::new(rpm(300), rpm(10));
        pacer.pause(Duration::from_secs(60));
        let refused = pacer.admit(Err).await;
        assert!(refused.is_err());
    }
}
