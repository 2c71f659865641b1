//! How fast a run sends when the pacing is adaptive: the requests allowed in flight and a send
//! rate, grown while answers come back fast and clean and cut on a 429, a 503 or a clear rise in
//! latency, in the manner of TCP congestion control (slow start, multiplicative decrease) and
//! the AWS SDKs' adaptive retry mode (a client-side rate set from the measured send rate).
//!
//! Sans-IO: every call takes the time (ms, the clock of [`super::run::SyncRun`]); nothing sleeps.

/// Requests in flight allowed at the start (as TCP's initial window of two segments).
const INITIAL_WINDOW: usize = 2;
/// The least time between two steps up of the requests in flight, in ms.
const GROW_EVERY_MS: f64 = 1000.0;
/// The send rate's growth per clean answer, in requests per second: 1 % a second at any rate,
/// as a rate of r brings r answers a second.
const RATE_STEP: f64 = 0.01;
/// The cut on a 429 or a 503 (half, as TCP's multiplicative decrease).
const SERVER_CUT: f64 = 0.5;
/// The cut on rising latency, a gentler sign.
const LATENCY_CUT: f64 = 0.7;
/// The share of the server's measured rate kept after a second throttle.
const UNDER_SERVER_RATE: f64 = 0.95;
/// The deepest single cut of the send rate, as a share of the rate before it.
const DEEPEST_CUT: f64 = 0.25;
/// The lowest send rate, requests per second.
const MIN_RATE: f64 = 0.5;

/// Why the pace last changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaceChange {
    /// More requests in flight: answers came back fast and clean.
    SpedUp,
    /// A 429: the server throttled the account.
    SlowedThrottled,
    /// A 503: the server was unavailable.
    SlowedServerError,
    /// Answers came back clearly slower than before.
    SlowedLatency,
}

impl PaceChange {
    /// The reason in the user's words, for the progress line.
    pub fn text(self) -> &'static str {
        match self {
            PaceChange::SpedUp => "sped up: answers came back fast",
            PaceChange::SlowedThrottled => "slowed down: the server throttled",
            PaceChange::SlowedServerError => "slowed down: the server was unavailable",
            PaceChange::SlowedLatency => "slowed down: answers came back slower",
        }
    }
}

/// How a request ended, as the pace reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// An answer the run could use.
    Clean,
    /// 429.
    Throttled,
    /// 503.
    ServerError,
    /// Any other failure: no sign about the pace.
    Failed,
}

/// One request's end, reported to [`Pace::answered`].
#[derive(Clone, Copy, Debug)]
pub struct Answer {
    /// When it was sent and when it ended, in ms.
    pub sent_at: f64,
    pub now: f64,
    pub signal: Signal,
    /// How long the server's `Retry-After` asks to wait, in ms (0 without one); no request is
    /// sent before it is over.
    pub wait_ms: f64,
}

/// What the pace allows now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gate {
    Go,
    /// No send before this time, in ms.
    WaitUntil(f64),
    /// As many requests are in flight as allowed: wait for an answer.
    Full,
}

/// The current figures, for the progress line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PaceFigures {
    /// Requests allowed in flight, 1 to the ceiling.
    pub in_flight_allowed: usize,
    /// Requests sent per second lately ([`Pace::per_second`]).
    pub per_second: f64,
    pub change: Option<PaceChange>,
}

impl PaceFigures {
    /// "pace 2 at a time, 9.5 requests/s, slowed down: the server throttled", for the progress
    /// line (tenths written with integers: no float formatting in the bundle).
    pub fn text(&self) -> String {
        let tenths = (self.per_second * 10.0 + 0.5) as u64;
        let mut text = format!(
            "pace {} at a time, {}.{} requests/s",
            self.in_flight_allowed,
            tenths / 10,
            tenths % 10
        );
        if let Some(change) = self.change {
            text.push_str(", ");
            text.push_str(change.text());
        }
        text
    }
}

/// The adaptive pace of one run.
#[derive(Clone, Debug)]
pub struct Pace {
    ceiling: usize,
    window: usize,
    /// Requests per second at most; none until the first cut.
    rate: Option<f64>,
    last_send: f64,
    /// No send before this (a `Retry-After`).
    hold_until: f64,
    /// When the window or the rate last changed, in ms; `NaN` before the first send.
    grown_at: f64,
    /// The window, resp. the rate, held a send back since they last grew.
    window_bound: bool,
    rate_bound: bool,
    /// The least latency lately (drifting up slowly), and the smoothed latency, in ms.
    base_ms: f64,
    smooth_ms: f64,
    /// Requests sent before this time were sent at the old pace: their answers cut no more.
    cut_at: f64,
    /// The last throttle's time, and the requests the server let through since.
    throttled_at: Option<f64>,
    admitted: usize,
    /// The time between two sends, smoothed over the last eight or so, in ms; `NaN` before the
    /// second send.
    interval_ms: f64,
    change: Option<PaceChange>,
}

impl Pace {
    /// A pace that never allows more than `ceiling` (at least 1) requests in flight.
    pub fn new(ceiling: usize) -> Pace {
        let ceiling = ceiling.max(1);
        Pace {
            ceiling,
            window: INITIAL_WINDOW.min(ceiling),
            rate: None,
            last_send: f64::NEG_INFINITY,
            hold_until: f64::NEG_INFINITY,
            grown_at: f64::NAN,
            window_bound: false,
            rate_bound: false,
            base_ms: f64::INFINITY,
            smooth_ms: f64::NAN,
            cut_at: f64::NEG_INFINITY,
            throttled_at: None,
            admitted: 0,
            interval_ms: f64::NAN,
            change: None,
        }
    }

    /// Requests allowed in flight now, 1 to the ceiling.
    pub fn in_flight_allowed(&self) -> usize {
        self.window
    }

    /// Requests per second at most, once a cut set one.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Whether a request may go at `now` with `in_flight` requests in flight.
    pub fn gate(&mut self, now: f64, in_flight: usize) -> Gate {
        let mut at = self.hold_until;
        if let Some(rate) = self.rate {
            let paced = self.last_send + 1000.0 / rate;
            if paced > now && paced > at {
                self.rate_bound = true;
            }
            at = at.max(paced);
        }
        if at > now {
            return Gate::WaitUntil(at);
        }
        if in_flight >= self.window {
            self.window_bound = true;
            return Gate::Full;
        }
        Gate::Go
    }

    /// Records a request sent at `now`.
    pub fn sent(&mut self, now: f64) {
        if self.grown_at.is_nan() {
            self.grown_at = now;
        }
        let interval = now - self.last_send;
        self.interval_ms = match self.interval_ms {
            _ if interval.is_infinite() => f64::NAN,
            smooth if smooth.is_nan() => interval,
            smooth => smooth + (interval - smooth) / 8.0,
        };
        self.last_send = now;
    }

    /// Requests sent per second lately: one over the smoothed time between sends, or over the
    /// time since the last send once that is longer; 0 before two sends.
    pub fn per_second(&self, now: f64) -> f64 {
        let interval = self.interval_ms.max(now - self.last_send).max(1.0);
        if self.interval_ms.is_nan() {
            0.0
        } else {
            1000.0 / interval
        }
    }

    /// The figures at `now`.
    pub fn figures(&self, now: f64) -> PaceFigures {
        PaceFigures {
            in_flight_allowed: self.window,
            per_second: self.per_second(now),
            change: self.change,
        }
    }

    /// Reads how a request ended: grows the pace, or cuts it, and holds every send until a
    /// `Retry-After` is over.
    pub fn answered(&mut self, answer: Answer) {
        let Answer {
            sent_at,
            now,
            signal,
            wait_ms,
        } = answer;
        self.hold_until = self.hold_until.max(now + wait_ms);
        let fresh = sent_at >= self.cut_at;
        match signal {
            Signal::Throttled if fresh => self.cut(now, SERVER_CUT, PaceChange::SlowedThrottled),
            Signal::ServerError if fresh => {
                self.cut(now, SERVER_CUT, PaceChange::SlowedServerError)
            }
            Signal::Clean => {
                self.admitted += 1;
                let latency = now - sent_at;
                self.smooth_ms = if self.smooth_ms.is_nan() {
                    latency
                } else {
                    self.smooth_ms + (latency - self.smooth_ms) / 8.0
                };
                self.base_ms = if latency < self.base_ms {
                    latency
                } else {
                    self.base_ms + (latency - self.base_ms) / 64.0
                };
                let rising =
                    self.smooth_ms > 2.0 * self.base_ms && self.smooth_ms > self.base_ms + 200.0;
                if rising && fresh {
                    self.base_ms = self.smooth_ms / 2.0;
                    self.cut(now, LATENCY_CUT, PaceChange::SlowedLatency);
                } else if !rising {
                    self.grow(now);
                }
            }
            Signal::Failed => self.admitted += 1,
            _ => {}
        }
    }

    /// One step up: the rate a little, each answer, when it held a send back; the window by
    /// one, at most once a second, when it held a send back that the rate would have let go
    /// (a quarter more than the window at the current latency: not a tie).
    fn grow(&mut self, now: f64) {
        if let Some(rate) = self.rate.as_mut().filter(|_| self.rate_bound) {
            *rate += RATE_STEP;
        }
        let rate_allows_more = self
            .rate
            .is_none_or(|rate| rate * self.smooth_ms / 1000.0 > self.window as f64 * 1.25);
        if now - self.grown_at >= GROW_EVERY_MS {
            if self.window_bound && rate_allows_more && self.window < self.ceiling {
                self.window += 1;
                self.change = Some(PaceChange::SpedUp);
            }
            self.window_bound = false;
            self.rate_bound = false;
            self.grown_at = now;
        }
    }

    /// Cuts the window and the rate by `factor` (the send rate measured lately, before the
    /// first cut). After a second throttle, the rate goes instead just under what
    /// the server let through between the two (a token bucket admits exactly its rate between
    /// two moments it is empty), by no more than [`DEEPEST_CUT`].
    fn cut(&mut self, now: f64, factor: f64, why: PaceChange) {
        let measured = self.per_second(now);
        let current = match self.rate {
            Some(rate) => rate,
            None if measured > 0.0 => measured,
            None => self.window as f64 * 1000.0 / self.smooth_ms.max(1.0),
        };
        let mut rate = current * factor;
        if why == PaceChange::SlowedThrottled {
            if let Some(at) = self.throttled_at.filter(|&at| now - at >= 1000.0) {
                let server = self.admitted as f64 * 1000.0 / (now - at);
                rate = (server * UNDER_SERVER_RATE)
                    .min(current)
                    .max(current * DEEPEST_CUT);
            }
            self.throttled_at = Some(now);
            self.admitted = 0;
        }
        self.rate = Some(rate.max(MIN_RATE));
        self.window = ((self.window as f64 * factor) as usize).max(1);
        self.cut_at = now;
        self.grown_at = now;
        self.window_bound = false;
        self.rate_bound = false;
        self.change = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(sent_at: f64, now: f64) -> Answer {
        Answer {
            sent_at,
            now,
            signal: Signal::Clean,
            wait_ms: 0.0,
        }
    }

    /// Sends and answers one request at a time, each `latency` ms, for `n` requests from `t`;
    /// the time after.
    fn steady(pace: &mut Pace, mut t: f64, n: usize, latency: f64) -> f64 {
        for _ in 0..n {
            while let Gate::WaitUntil(at) = pace.gate(t, 0) {
                t = at;
            }
            pace.sent(t);
            pace.answered(clean(t, t + latency));
            t += latency;
        }
        t
    }

    #[test]
    fn starts_at_two_and_grows_one_a_second_while_answers_are_clean_up_to_the_ceiling() {
        let mut pace = Pace::new(4);
        assert_eq!(pace.in_flight_allowed(), 2);
        assert_eq!(pace.gate(0.0, 2), Gate::Full);
        pace.sent(0.0);
        pace.answered(clean(450.0, 500.0));
        assert_eq!(pace.in_flight_allowed(), 2, "not before a second");
        pace.answered(clean(950.0, 1000.0));
        assert_eq!(pace.in_flight_allowed(), 3);
        assert_eq!(pace.figures(1000.0).change, Some(PaceChange::SpedUp));
        for t in 2..10 {
            assert_eq!(pace.gate(f64::from(t) * 1000.0, 9), Gate::Full);
            pace.answered(clean(f64::from(t) * 1000.0 - 50.0, f64::from(t) * 1000.0));
        }
        assert_eq!(pace.in_flight_allowed(), 4, "never past the ceiling");
        assert_eq!(Pace::new(1).in_flight_allowed(), 1);
        assert_eq!(Pace::new(0).in_flight_allowed(), 1);
    }

    #[test]
    fn a_429_halves_the_pace_and_its_retry_after_holds_every_send() {
        let mut pace = Pace::new(4);
        let t = steady(&mut pace, 0.0, 40, 50.0);
        assert_eq!(pace.per_second(t), 20.0);
        pace.sent(t);
        pace.answered(Answer {
            sent_at: t,
            now: t + 50.0,
            signal: Signal::Throttled,
            wait_ms: 1000.0,
        });
        let f = pace.figures(t + 50.0);
        assert_eq!(f.change, Some(PaceChange::SlowedThrottled));
        assert_eq!(
            f.text(),
            "pace 1 at a time, 20.0 requests/s, slowed down: the server throttled"
        );
        assert_eq!(f.in_flight_allowed, 1);
        assert!(
            pace.rate().is_some_and(|r| r > 9.0 && r < 11.0),
            "{:?}",
            pace.rate()
        );
        assert_eq!(pace.gate(t + 60.0, 0), Gate::WaitUntil(t + 1050.0));
        // A second 429 for a request sent before the cut is the same sign: no second cut.
        let rate = pace.rate();
        pace.answered(Answer {
            sent_at: t - 10.0,
            now: t + 70.0,
            signal: Signal::Throttled,
            wait_ms: 1000.0,
        });
        assert_eq!(pace.rate(), rate);
        assert_eq!(pace.gate(t + 1070.0, 0), Gate::Go);
    }

    #[test]
    fn a_503_slows_down_and_says_the_server_was_unavailable() {
        let mut pace = Pace::new(8);
        let t = steady(&mut pace, 0.0, 10, 100.0);
        pace.sent(t);
        pace.answered(Answer {
            sent_at: t,
            now: t + 100.0,
            signal: Signal::ServerError,
            wait_ms: 0.0,
        });
        assert_eq!(pace.figures(t).change, Some(PaceChange::SlowedServerError));
        assert_eq!(
            PaceChange::SlowedServerError.text(),
            "slowed down: the server was unavailable"
        );
        assert!(pace.rate().is_some_and(|r| r <= 5.0), "{:?}", pace.rate());
        assert_eq!(pace.in_flight_allowed(), 1);
    }

    #[test]
    fn clearly_rising_latency_slows_down_once_per_doubling_and_jitter_does_not() {
        let mut pace = Pace::new(4);
        let mut t = steady(&mut pace, 0.0, 50, 50.0);
        // Jitter between 40 and 120 ms is no sign.
        for i in 0..50 {
            t = steady(&mut pace, t, 1, if i % 2 == 0 { 40.0 } else { 120.0 });
        }
        assert_eq!(pace.figures(t).change, None);
        for _ in 0..10 {
            t = steady(&mut pace, t, 1, 900.0);
            if pace.figures(t).change.is_some() {
                break;
            }
        }
        assert_eq!(pace.figures(t).change, Some(PaceChange::SlowedLatency));
        assert_eq!(
            PaceChange::SlowedLatency.text(),
            "slowed down: answers came back slower"
        );
        assert!(pace.rate().is_some());
        // Once the latency stays at its new level, it cuts no more.
        t = steady(&mut pace, t, 40, 900.0);
        let rate = pace.rate();
        steady(&mut pace, t, 5, 900.0);
        assert!(pace.rate() >= rate, "{:?} then {:?}", rate, pace.rate());
    }
}
