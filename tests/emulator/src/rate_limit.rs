//! The account's rate limit, as ThingSpace's API gateway enforces it: a token bucket per account
//! that holds `burst` tokens and gains `rps` a second. A request to the endpoint takes a token;
//! with none left it is throttled (429, the gateway's fault 900800) and told in `Retry-After` how
//! many whole seconds until the next token, at least 1. A throttled request takes no token.
//!
//! The arithmetic is in whole numbers so that it is exact: rates in thousandths of a request per
//! second, tokens in [`UNIT`]s, time in nanoseconds. Every call takes the time from its caller,
//! so that tests drive the clock.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::answers::Replay;
use crate::faults::RetryAfter;
use crate::fota::Answer;
use crate::timefmt;

/// What the request log's `fault` says for a throttled request.
pub const FAULT_NAME: &str = "rate-limit";

/// The recorded gateway answer a throttled request gets.
const THROTTLED_ANSWER: &str = "gateway-429-throttled";

/// One token: a nanosecond of refill at one thousandth of a request per second, 10^9 × 10^3.
const UNIT: u128 = 1_000_000_000_000;

/// The most requests per second a limit may allow.
const MAX_RPS: f64 = 1_000_000.0;

/// The largest burst a limit may allow.
const MAX_BURST: u64 = 1_000_000;

/// Requests per second and burst; the same for every account, each with its own bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests per second, in thousandths (10 rps is 10,000).
    milli_rps: u64,
    /// Tokens a full bucket holds: requests that may come at once.
    burst: u64,
}

/// The JSON form, `{"rps": 10, "burst": 20}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    rps: f64,
    burst: Option<u64>,
}

impl RateLimit {
    /// `rps` requests per second (above 0, at most 1,000,000, to a thousandth), `burst` at once
    /// (1 to 1,000,000; `None`: `rps` rounded up).
    pub fn new(rps: f64, burst: Option<u64>) -> Result<Self, String> {
        if !(rps.is_finite() && rps > 0.0 && rps <= MAX_RPS) {
            return Err(format!("rps {rps} is not above 0 and at most {MAX_RPS}"));
        }
        let milli_rps = (rps * 1000.0).round() as u64;
        if milli_rps == 0 {
            return Err(format!("rps {rps} is below 0.001"));
        }
        let burst = burst.unwrap_or_else(|| milli_rps.div_ceil(1000));
        if !(1..=MAX_BURST).contains(&burst) {
            return Err(format!("burst {burst} is not from 1 to {MAX_BURST}"));
        }
        Ok(Self { milli_rps, burst })
    }

    /// The `--rate-limit` form: `rps=10:burst=20` (keys in any order, `burst` optional).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut rps = None;
        let mut burst = None;
        for part in text.split(':') {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("rate limit `{text}`: `{part}` is not KEY=VALUE"))?;
            let wrong = || format!("rate limit `{text}`: {key} `{value}` is not a number");
            match key {
                "rps" => rps = Some(value.parse::<f64>().map_err(|_| wrong())?),
                "burst" => burst = Some(value.parse::<u64>().map_err(|_| wrong())?),
                _ => {
                    return Err(format!(
                        "rate limit `{text}`: unknown key `{key}` (rps, burst)"
                    ))
                }
            }
        }
        let rps = rps.ok_or_else(|| format!("rate limit `{text}` needs rps=N"))?;
        Self::new(rps, burst).map_err(|e| format!("rate limit `{text}`: {e}"))
    }

    /// The control API's form, `{"rps": 10, "burst": 20}` (`burst` optional).
    pub fn from_json(body: &[u8]) -> Result<Self, String> {
        let spec: Spec = serde_json::from_slice(body).map_err(|e| e.to_string())?;
        Self::new(spec.rps, spec.burst)
    }

    /// Requests per second.
    pub fn rps(&self) -> f64 {
        self.milli_rps as f64 / 1000.0
    }

    /// Requests that may come at once.
    pub fn burst(&self) -> u64 {
        self.burst
    }

    fn capacity(&self) -> u128 {
        u128::from(self.burst) * UNIT
    }
}

/// One account's tokens at the time of its last request.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    level: u128,
    at: Instant,
}

/// The limit in force, if any, every account's bucket, and what it let through and throttled.
#[derive(Debug, Default)]
pub struct Limiter {
    limit: Option<RateLimit>,
    buckets: HashMap<String, Bucket>,
    admitted: u64,
    throttled: u64,
}

impl Limiter {
    /// A limiter enforcing `limit` (`None`: every request passes).
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    /// Takes a token from `account`'s bucket at `now`, or says how long until it holds one.
    /// A new account starts with a full bucket. Without a limit: always `Ok`, not counted.
    pub fn take(&mut self, account: &str, now: Instant) -> Result<(), Duration> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let bucket = self.buckets.entry(account.to_string()).or_insert(Bucket {
            level: limit.capacity(),
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_nanos();
        bucket.level = limit
            .capacity()
            .min(bucket.level + elapsed * u128::from(limit.milli_rps));
        bucket.at = bucket.at.max(now);
        if bucket.level >= UNIT {
            bucket.level -= UNIT;
            self.admitted += 1;
            Ok(())
        } else {
            self.throttled += 1;
            let nanos = (UNIT - bucket.level).div_ceil(u128::from(limit.milli_rps));
            Err(Duration::from_nanos(nanos as u64))
        }
    }

    /// The limit in force and the counts since it was set, as `GET /_emulator/rate-limit` answers:
    /// `{"limit": {"rps": 10.0, "burst": 20} | null, "admitted": N, "throttled": N}`.
    pub fn to_json(&self) -> Value {
        json!({
            "limit": self.limit.map(|l| json!({ "rps": l.rps(), "burst": l.burst() })),
            "admitted": self.admitted,
            "throttled": self.throttled,
        })
    }
}

/// `Retry-After` for a wait: whole seconds rounded up, at least 1 (a gateway never says 0 when
/// it means "not yet").
pub fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// The gateway's throttling answer sent at `now` to a request that must `wait` for a token: the
/// recorded `gateway-429-throttled`, with `Retry-After` in whole seconds and the body's
/// `nextAccessTime` at that moment.
pub fn throttled(wait: Duration, now: SystemTime) -> Answer {
    let secs = retry_after_secs(wait);
    let replay = Replay::new(
        THROTTLED_ANSWER,
        Some(RetryAfter::Verbatim(secs.to_string())),
        None,
    )
    .expect("the throttling answer is recorded");
    let mut answer = replay.answer(now);
    let next = timefmt::unix_secs(now) + secs as i64;
    answer.body = with_next_access_time(&answer.body, next);
    answer
}

/// The body with the time after `nextAccessTime : ` replaced by `unix_secs` in the gateway's
/// layout, `2026-11-30 08:42:00+0000 UTC`.
fn with_next_access_time(body: &str, unix_secs: i64) -> String {
    const MARK: &str = "nextAccessTime : ";
    let Some(start) = body.find(MARK).map(|i| i + MARK.len()) else {
        return body.to_string();
    };
    let end = body[start..].find('"').map_or(body.len(), |i| start + i);
    let time = timefmt::go_layout(unix_secs * 1000).replace(" +0000", "+0000");
    format!("{}{time}{}", &body[..start], &body[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0000123456-00001";
    const B: &str = "0000654321-00001";

    fn limiter(rps: f64, burst: u64) -> Limiter {
        Limiter::new(Some(RateLimit::new(rps, Some(burst)).unwrap()))
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// How many of `n` requests at the same moment get through.
    fn admitted_at(limiter: &mut Limiter, account: &str, now: Instant, n: usize) -> usize {
        (0..n)
            .filter(|_| limiter.take(account, now).is_ok())
            .count()
    }

    #[test]
    fn a_full_bucket_lets_the_burst_through_at_once_then_throttles() {
        let mut limiter = limiter(10.0, 20);
        let t0 = Instant::now();
        assert_eq!(admitted_at(&mut limiter, A, t0, 20), 20);
        assert_eq!(limiter.take(A, t0), Err(ms(100)));
        assert_eq!(limiter.to_json()["admitted"], 20);
        assert_eq!(limiter.to_json()["throttled"], 1);
    }

    #[test]
    fn tokens_come_back_at_the_rate_and_never_above_the_burst() {
        let mut limiter = limiter(10.0, 20);
        let t0 = Instant::now();
        admitted_at(&mut limiter, A, t0, 20);
        // 10 a second: one token per 100 ms, none before.
        assert_eq!(limiter.take(A, t0 + ms(99)), Err(ms(1)));
        assert_eq!(limiter.take(A, t0 + ms(100)), Ok(()));
        assert_eq!(limiter.take(A, t0 + ms(100)), Err(ms(100)));
        assert_eq!(admitted_at(&mut limiter, A, t0 + ms(600), 10), 5);
        // An hour idle fills the bucket to its burst, no more.
        assert_eq!(
            admitted_at(&mut limiter, A, t0 + Duration::from_secs(3600), 30),
            20
        );
    }

    #[test]
    fn a_steady_rate_at_the_limit_is_never_throttled() {
        let mut limiter = limiter(10.0, 1);
        let t0 = Instant::now();
        for i in 0..1000 {
            assert_eq!(limiter.take(A, t0 + ms(100 * i)), Ok(()), "request {i}");
        }
        assert_eq!(limiter.take(A, t0 + ms(99_950)), Err(ms(50)));
    }

    #[test]
    fn fractional_rates_are_exact() {
        let mut limiter = limiter(0.4, 1);
        let t0 = Instant::now();
        assert_eq!(limiter.take(A, t0), Ok(()));
        assert_eq!(limiter.take(A, t0), Err(ms(2500)));
        assert_eq!(limiter.take(A, t0 + ms(2499)), Err(ms(1)));
        assert_eq!(limiter.take(A, t0 + ms(2500)), Ok(()));
        let mut third = self::limiter(3.0, 1);
        assert_eq!(third.take(A, t0), Ok(()));
        // 1/3 s, rounded up to the nanosecond so that the token is there when told.
        assert_eq!(third.take(A, t0), Err(Duration::from_nanos(333_333_334)));
    }

    #[test]
    fn each_account_has_its_own_bucket() {
        let mut limiter = limiter(1.0, 2);
        let t0 = Instant::now();
        assert_eq!(admitted_at(&mut limiter, A, t0, 3), 2);
        assert_eq!(admitted_at(&mut limiter, B, t0, 3), 2);
        assert_eq!(limiter.take(A, t0 + ms(1000)), Ok(()));
        assert!(limiter.take(B, t0 + ms(999)).is_err());
    }

    #[test]
    fn a_clock_that_goes_back_takes_nothing_away() {
        let mut limiter = limiter(10.0, 2);
        let t0 = Instant::now() + Duration::from_secs(10);
        assert_eq!(limiter.take(A, t0), Ok(()));
        assert_eq!(limiter.take(A, t0 - ms(500)), Ok(()));
        assert_eq!(limiter.take(A, t0 + ms(100)), Ok(()));
        assert!(limiter.take(A, t0 + ms(100)).is_err());
    }

    #[test]
    fn without_a_limit_everything_passes_uncounted() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        assert_eq!(admitted_at(&mut limiter, A, t0, 1000), 1000);
        assert_eq!(
            limiter.to_json(),
            json!({"limit": null, "admitted": 0, "throttled": 0})
        );
    }

    #[test]
    fn retry_after_is_whole_seconds_rounded_up_and_at_least_one() {
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(ms(1)), 1);
        assert_eq!(retry_after_secs(ms(1000)), 1);
        assert_eq!(retry_after_secs(ms(1001)), 2);
        assert_eq!(retry_after_secs(ms(2500)), 3);
        // 0.4 rps, burst 1: the second request waits 2.5 s, told 3.
        let mut slow = limiter(0.4, 1);
        let t0 = Instant::now();
        slow.take(A, t0).unwrap();
        assert_eq!(retry_after_secs(slow.take(A, t0).unwrap_err()), 3);
    }

    #[test]
    fn the_throttled_answer_is_the_gateways_with_the_wait() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_000_000);
        let answer = throttled(ms(2500), now);
        assert_eq!(answer.status.as_u16(), 429);
        assert!(answer
            .headers
            .contains(&("Retry-After".to_string(), "3".to_string())));
        let body: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(body["fault"]["code"], 900800);
        assert_eq!(body["fault"]["message"], "Message throttled out");
        let next = timefmt::go_layout((1_796_000_000 + 3) * 1000).replace(" +0000", "+0000");
        assert_eq!(
            body["fault"]["description"],
            format!("You have exceeded your quota .nextAccessTime : {next}")
        );
    }

    #[test]
    fn limits_are_read_from_the_flag_and_from_json() {
        let limit = RateLimit::parse("rps=10:burst=20").unwrap();
        assert_eq!((limit.rps(), limit.burst()), (10.0, 20));
        assert_eq!(RateLimit::parse("burst=20:rps=10"), Ok(limit));
        assert_eq!(
            RateLimit::from_json(br#"{"rps": 10, "burst": 20}"#),
            Ok(limit)
        );
        // The burst defaults to a second's worth, rounded up.
        assert_eq!(RateLimit::parse("rps=2.5").unwrap().burst(), 3);
        assert_eq!(RateLimit::parse("rps=0.2").unwrap().burst(), 1);
        for (text, needle) in [
            ("burst=20", "needs rps"),
            ("rps=0", "not above 0"),
            ("rps=-1", "not above 0"),
            ("rps=0.0001", "below 0.001"),
            ("rps=ten", "not a number"),
            ("rps=10:burst=0", "not from 1"),
            ("rps=10:burst=1.5", "not a number"),
            ("rps=10:rate=3", "unknown key"),
            ("rps", "KEY=VALUE"),
        ] {
            let error = RateLimit::parse(text).unwrap_err();
            assert!(error.contains(needle), "{text}: {error}");
        }
        assert!(RateLimit::from_json(br#"{"rps": 10, "burts": 2}"#).is_err());
        assert!(RateLimit::from_json(br#"{"burst": 2}"#).is_err());
    }
}
