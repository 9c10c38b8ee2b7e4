//! Per-client rate limits on the public endpoints: submitting a request (A3: web messages
//! come straight from the public) and the progress query (A11: the number plus a 6-digit
//! check code, which must not be guessable by trying codes in bulk).
//!
//! Each client has a token bucket: `burst` requests at once, refilled at `per_minute`. A
//! request that finds the bucket empty is answered 429 problem+json with `Retry-After`,
//! before its body is read, and reaches no service.
//!
//! **Who is a client.** The peer address of the TCP connection. `X-Forwarded-For` is
//! honoured only when that peer is one of the configured trusted proxies (the ingress),
//! and then the client is the right-most address in the header that is not itself a
//! trusted proxy: every proxy appends the address it saw, so that is the last address no
//! client could forge. IPv6 clients are counted per /64, the block one subscriber line
//! usually gets, so rotating addresses within it does not buy a fresh bucket.
//!
//! **Bounded state.** A bucket that has refilled completely carries no information (a new
//! client gets a full bucket), so such idle buckets are swept every minute and whenever
//! the table is full. If it is still full (many clients active at once), the
//! least recently seen eighth is dropped: those clients get a fresh bucket, which is the
//! safe direction to err in for a public service.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;

/// `X-Forwarded-For`.
pub const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// How often idle buckets are swept even when the table is not full.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// One limit: `per_minute` sustained, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Refused; a token will be there after `retry_after`.
    Limited {
        retry_after: Duration,
    },
}

/// Token buckets for one class of request, keyed by client.
#[derive(Debug)]
pub struct Limiter {
    /// Tokens per second.
    refill: f64,
    capacity: f64,
    max_clients: usize,
    state: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    by_client: HashMap<IpAddr, Bucket>,
    last_sweep: Instant,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Limiter {
    /// A limiter tracking at most `max_clients` clients; `None` when `rate` allows
    /// nothing to be limited (`per_minute` or `burst` is 0: the limit is switched off).
    pub fn new(rate: Rate, max_clients: usize) -> Option<Self> {
        if rate.per_minute == 0 || rate.burst == 0 {
            return None;
        }
        Some(Self {
            refill: f64::from(rate.per_minute) / 60.0,
            capacity: f64::from(rate.burst),
            max_clients: max_clients.max(1),
            state: Mutex::new(Buckets {
                by_client: HashMap::new(),
                last_sweep: Instant::now(),
            }),
        })
    }

    /// Take a token for `client` at `now`.
    pub fn check(&self, client: IpAddr, now: Instant) -> Decision {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let due = now.saturating_duration_since(state.last_sweep) >= SWEEP_EVERY;
        if due
            || (state.by_client.len() >= self.max_clients && !state.by_client.contains_key(&client))
        {
            self.make_room(&mut state, now);
        }
        let bucket = state.by_client.entry(client).or_insert(Bucket {
            tokens: self.capacity,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.refill).min(self.capacity);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Decision::Allowed
        } else {
            let wait = (1.0 - bucket.tokens) / self.refill;
            Decision::Limited {
                retry_after: Duration::from_secs_f64(wait),
            }
        }
    }

    /// How many clients have a bucket now.
    pub fn tracked_clients(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_client
            .len()
    }

    /// Drop idle buckets; if the table is still full, drop the least recently seen eighth.
    fn make_room(&self, state: &mut Buckets, now: Instant) {
        state.last_sweep = now;
        let (refill, capacity) = (self.refill, self.capacity);
        state.by_client.retain(|_, b| {
            let elapsed = now.saturating_duration_since(b.updated).as_secs_f64();
            b.tokens + elapsed * refill < capacity
        });
        if state.by_client.len() < self.max_clients {
            return;
        }
        let mut seen: Vec<Instant> = state.by_client.values().map(|b| b.updated).collect();
        let drop = (seen.len() / 8).max(1);
        let (_, cutoff, _) = seen.select_nth_unstable(drop - 1);
        let cutoff = *cutoff;
        let mut dropped = 0;
        state.by_client.retain(|_, b| {
            if dropped < drop && b.updated <= cutoff {
                dropped += 1;
                false
            } else {
                true
            }
        });
    }
}

/// Which client sent a request (see the module docs).
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted_proxies: &[IpAddr]) -> IpAddr {
    let peer = canonical(peer);
    if !trusted_proxies.iter().any(|p| canonical(*p) == peer) {
        return per_subscriber(peer);
    }
    let hops: Vec<&str> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    for hop in hops.iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // Not an address: the chain cannot be followed further; the last proxy that
            // reached us is the best we know.
            break;
        };
        let ip = canonical(ip);
        if !trusted_proxies.iter().any(|p| canonical(*p) == ip) {
            return per_subscriber(ip);
        }
    }
    per_subscriber(peer)
}

/// An IPv4-mapped IPv6 address is the IPv4 client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// IPv6 clients are keyed by their /64.
fn per_subscriber(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// One limited route: its limiter, its name in metrics, and the trusted proxies.
#[derive(Debug, Clone)]
pub struct Guard {
    pub route: &'static str,
    pub limiter: Arc<Limiter>,
    pub trusted_proxies: Arc<[IpAddr]>,
}

/// Middleware: refuse the request with 429 when its client's bucket is empty.
///
/// The peer address comes from axum's [`ConnectInfo`]; without it (a server not started
/// with connect info) every request counts against one shared bucket, which fails safe
/// and shows at once.
pub async fn enforce(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(addr)| addr.ip());
    let client = client_of(peer, request.headers(), &guard.trusted_proxies);
    match guard.limiter.check(client, Instant::now()) {
        Decision::Allowed => next.run(request).await,
        Decision::Limited { retry_after } => {
            metrics::counter!("hotline_gateway_rate_limited_total", "route" => guard.route)
                .increment(1);
            tracing::info!(route = guard.route, "request refused by the rate limit");
            too_many_requests(retry_after)
        }
    }
}

/// 429 problem+json with `Retry-After` in whole seconds (at least 1).
pub fn too_many_requests(retry_after: Duration) -> Response {
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let mut response = Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "请求过于频繁",
        format!("请求过于频繁，请{seconds}秒后重试"),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, burst: u32) -> Limiter {
        Limiter::new(Rate { per_minute, burst }, 1000).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_request_after_the_burst_is_refused_and_told_when_to_retry() {
        let l = limiter(30, 10);
        let now = Instant::now();
        for i in 0..10 {
            assert_eq!(l.check(ip("203.0.113.7"), now), Decision::Allowed, "{i}");
        }
        let Decision::Limited { retry_after } = l.check(ip("203.0.113.7"), now) else {
            panic!("the 11th request must be limited");
        };
        // 30 a minute: one token every 2 s.
        assert_eq!(retry_after, Duration::from_secs(2));
    }

    #[test]
    fn another_client_is_unaffected() {
        let l = limiter(30, 2);
        let now = Instant::now();
        assert_eq!(l.check(ip("203.0.113.7"), now), Decision::Allowed);
        assert_eq!(l.check(ip("203.0.113.7"), now), Decision::Allowed);
        assert!(matches!(
            l.check(ip("203.0.113.7"), now),
            Decision::Limited { .. }
        ));
        assert_eq!(l.check(ip("203.0.113.8"), now), Decision::Allowed);
    }

    #[test]
    fn tokens_come_back_at_the_configured_rate() {
        let l = limiter(60, 1);
        let t0 = Instant::now();
        assert_eq!(l.check(ip("203.0.113.7"), t0), Decision::Allowed);
        assert!(matches!(
            l.check(ip("203.0.113.7"), t0 + Duration::from_millis(500)),
            Decision::Limited { .. }
        ));
        assert_eq!(
            l.check(ip("203.0.113.7"), t0 + Duration::from_millis(1000)),
            Decision::Allowed
        );
    }

    #[test]
    fn a_zero_rate_switches_the_limit_off() {
        assert!(
            Limiter::new(
                Rate {
                    per_minute: 0,
                    burst: 10
                },
                10
            )
            .is_none()
        );
        assert!(
            Limiter::new(
                Rate {
                    per_minute: 10,
                    burst: 0
                },
                10
            )
            .is_none()
        );
    }

    #[test]
    fn idle_clients_are_forgotten_and_the_table_stays_bounded() {
        let l = Limiter::new(
            Rate {
                per_minute: 60,
                burst: 2,
            },
            100,
        )
        .unwrap();
        let t0 = Instant::now();
        for i in 0..100u32 {
            l.check(IpAddr::from(i.to_be_bytes()), t0);
        }
        assert_eq!(l.tracked_clients(), 100);
        // One second later every bucket is full again: all idle, all swept.
        l.check(ip("198.51.100.1"), t0 + Duration::from_secs(1));
        assert_eq!(l.tracked_clients(), 1);

        // Many clients at once, none idle: the table never grows past its bound.
        let t1 = t0 + Duration::from_secs(2);
        for i in 0..10_000u32 {
            l.check(IpAddr::from((i + 1000).to_be_bytes()), t1);
            assert!(l.tracked_clients() <= 100);
        }
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let mut headers = HeaderMap::new();
        headers.insert(X_FORWARDED_FOR, HeaderValue::from_static("198.51.100.9"));
        let proxy = ip("10.0.0.2");
        assert_eq!(
            client_of(ip("203.0.113.7"), &headers, &[proxy]),
            ip("203.0.113.7")
        );
        assert_eq!(client_of(proxy, &headers, &[proxy]), ip("198.51.100.9"));
        assert_eq!(client_of(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }

    #[test]
    fn a_forged_forwarded_for_entry_does_not_hide_the_real_client() {
        // The client sent "1.2.3.4" itself; the trusted ingress appended what it saw.
        let mut headers = HeaderMap::new();
        headers.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_static("1.2.3.4, 198.51.100.9, 10.0.0.3"),
        );
        let trusted = [ip("10.0.0.2"), ip("10.0.0.3")];
        assert_eq!(
            client_of(ip("10.0.0.2"), &headers, &trusted),
            ip("198.51.100.9")
        );
        // Garbage appended after the real client: stop at the proxy.
        headers.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_static("198.51.100.9, junk"),
        );
        assert_eq!(
            client_of(ip("10.0.0.2"), &headers, &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_and_mapped_ipv4_as_ipv4() {
        let none = HeaderMap::new();
        assert_eq!(
            client_of(ip("2001:db8:1:2:aaaa::1"), &none, &[]),
            client_of(ip("2001:db8:1:2:bbbb::2"), &none, &[])
        );
        assert_ne!(
            client_of(ip("2001:db8:1:2::1"), &none, &[]),
            client_of(ip("2001:db8:1:3::1"), &none, &[])
        );
        assert_eq!(
            client_of(ip("::ffff:203.0.113.7"), &none, &[]),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up() {
        let r = too_many_requests(Duration::from_millis(1500));
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()[header::RETRY_AFTER], "2");
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert_eq!(
            too_many_requests(Duration::from_millis(10)).headers()[header::RETRY_AFTER],
            "1"
        );
    }
}
