//! What a backend allows and what flightdeck takes of it: the vendor's documented request
//! budget ([`Budget`], from [`super::Backend::budget`]), flightdeck's own share of it
//! ([`default_share`], overridden by a backend's `max_requests_per_minute`), the [`Pace`]
//! every HTTP request of a backend passes through (so the dashboard and every CLI command
//! keep to that share alike), the CLI's [`Limiter`] for bulk starts, and the one rule for
//! when a failed start may be sent again ([`start_retry_delay`]).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::domain::{BackendError, BackendKind};

/// A backend's documented request budget and what it means for flightdeck. The dashboard
/// polls no faster than `min_poll_interval`; the CLI's bulk start books `per_start` requests
/// per start (and one per status read) in a [`Limiter`] of `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Requests a minute the backend allows (per key or account); `None` when it documents
    /// no limit.
    pub per_minute: Option<usize>,
    /// Requests one start costs in that budget.
    pub per_start: usize,
    /// The shortest poll interval that keeps the dashboard within the budget.
    pub min_poll_interval: Duration,
}

impl Budget {
    /// No documented limit: one request per start, poll as configured.
    pub const UNLIMITED: Budget = Budget {
        per_minute: None,
        per_start: 1,
        min_poll_interval: Duration::ZERO,
    };

    /// A limiter enforcing `per_minute`, when there is one.
    pub fn limiter(&self) -> Option<Limiter> {
        self.per_minute.map(Limiter::new)
    }
}

/// The requests a minute one flightdeck process sends a backend of `kind` unless its
/// `max_requests_per_minute` says otherwise. Each default leaves most of the vendor's limit
/// to the people, scripts and CI jobs sharing it:
/// - Harness First Gen: 6 of the account's 30 GraphQL calls a minute, so four dashboards
///   still leave the account's own deployments (Jenkins starting them through the same API)
///   six calls a minute.
/// - Harness NextGen: 100 of the key's 400 external API calls a minute: a release manager,
///   two on-call engineers and the key's own scripts fit on one key.
/// - Argo Workflows: 120 (2 a second). The server allows 1,000 a second per IP; what a
///   dashboard needs is one watch, the gates every 10 s, templates every minute and the
///   open detail every second (about 70 a minute, see the README): 120 covers it with room
///   for starts and log streams and is 0.2% of the server's limit.
/// - Infraxys: 60 (1 a second). Its Nginx allows 100 a second; flightdeck polls nothing
///   there (the config lists the workflows), so requests are starts and their status reads.
pub fn default_share(kind: BackendKind) -> usize {
    match kind {
        BackendKind::HarnessFg => 6,
        BackendKind::Harness => 100,
        BackendKind::Argo => 120,
        BackendKind::Infraxys => 60,
    }
}

/// Of a pace's share, what polls may fill; the rest is kept for what a person does (starts,
/// decisions, the log view, a CLI command), which never waits behind polls.
pub const POLL_SHARE: f64 = 0.8;

/// Most requests a minute a backend's `max_requests_per_minute` may ask for.
pub const MAX_SHARE: usize = 10_000;

const WINDOW: Duration = Duration::from_secs(60);

/// A sliding one-minute window of send times, the arithmetic both [`Pace`] and [`Limiter`]
/// keep to: at most `cap` sends in any 60 s.
#[derive(Debug, Default)]
struct Window {
    sent: VecDeque<Instant>,
}

impl Window {
    fn prune(&mut self, now: Instant) {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.sent.pop_front();
        }
    }

    /// How long until `cost` more sends fit under `cap`, or `None` when they fit now.
    fn wait(&mut self, now: Instant, cap: usize, cost: usize) -> Option<Duration> {
        self.prune(now);
        let cost = cost.min(cap.max(1));
        if self.sent.len() + cost <= cap {
            return None;
        }
        // The oldest booking that must leave the window for `cost` to fit.
        let blocking = self.sent[self.sent.len() + cost - cap.max(1) - 1];
        Some(blocking + WINDOW - now)
    }

    fn book(&mut self, now: Instant, cost: usize) {
        self.sent.extend(std::iter::repeat_n(now, cost));
    }
}

/// Client-side limiter: the same sliding one-minute window the backend applies, so a run
/// stays under the limit instead of bouncing off it.
#[derive(Debug)]
pub struct Limiter {
    per_minute: usize,
    sent: Mutex<Window>,
}

impl Limiter {
    pub fn new(per_minute: usize) -> Self {
        Limiter {
            per_minute,
            sent: Mutex::new(Window::default()),
        }
    }

    /// Waits until `cost` more requests fit in the window, then books them.
    pub async fn acquire(&self, cost: usize) {
        loop {
            let wait = {
                let mut sent = self.sent.lock().await;
                let now = Instant::now();
                match sent.wait(now, self.per_minute, cost) {
                    None => {
                        sent.book(now, cost.min(self.per_minute));
                        return;
                    }
                    Some(wait) => wait,
                }
            };
            tokio::time::sleep(wait).await;
        }
    }
}

/// After a 429, the rate drops to this fraction of what it was...
const LOWERED_TO: f64 = 0.5;
/// ...and climbs back by this fraction of the share per minute without another 429.
const RECOVERY_PER_MINUTE: f64 = 0.1;

/// The pace of one backend's requests: at most its share in any sliding minute, lowered
/// after the server refuses a request (429) and recovering slowly. Every request an
/// [`super::http::HttpClient`] sends waits here first ([`Pace::acquire`]), whoever asked:
/// the dashboard's polls, its writes, any CLI command.
#[derive(Debug, Default)]
pub struct Pace {
    state: std::sync::Mutex<PaceState>,
    sent_total: AtomicU64,
}

#[derive(Debug, Default)]
struct PaceState {
    /// The share; `None` sends as fast as asked (until a 429 lowers it).
    share: Option<usize>,
    window: Window,
    /// Nothing is sent before this (the server's `Retry-After`, or a back-off).
    hold_until: Option<Instant>,
    /// The rate a 429 lowered the pace to, and when.
    lowered: Option<(f64, Instant)>,
    /// 429s in a row with no success between: the back-off without `Retry-After` grows.
    refusals: u32,
    /// Why the pace is held back, for the status bar.
    why: Option<String>,
}

/// What the status bar says of a backend's pace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaceStatus {
    /// Within its share, nothing held back.
    Free,
    /// Sending slower than its share since the server refused a request; `until` is when
    /// sends resume (a `Retry-After` or a back-off) if it is still ahead.
    HoldingBack {
        per_minute: usize,
        share: Option<usize>,
        why: String,
        until: Option<Instant>,
    },
}

tokio::task_local! {
    /// What the paces saw of one operation (see [`metered`]).
    static METER: std::sync::Arc<Meter>;
}

/// The requests one operation sent, and how long it waited for its pace.
#[derive(Debug, Default)]
struct Meter {
    /// A poll: it may fill only [`POLL_SHARE`] of a pace's window, so what a person does
    /// (a start, a decision) never waits behind polls.
    poll: bool,
    requests: std::sync::atomic::AtomicUsize,
    waits: std::sync::Mutex<Waits>,
}

#[derive(Debug, Default)]
struct Waits {
    /// Requests of the operation waiting in a pace now (a fan-out sends several at once).
    now: usize,
    /// Since when one has been waiting.
    since: Option<Instant>,
    /// Time spent waiting before that.
    total: Duration,
}

impl Meter {
    fn waits(&self) -> std::sync::MutexGuard<'_, Waits> {
        self.waits.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn begin_wait(&self, now: Instant) {
        let mut w = self.waits();
        if w.now == 0 {
            w.since = Some(now);
        }
        w.now += 1;
    }

    fn end_wait(&self, now: Instant) {
        let mut w = self.waits();
        w.now = w.now.saturating_sub(1);
        if w.now == 0
            && let Some(since) = w.since.take()
        {
            w.total += now.duration_since(since);
        }
    }

    /// Time the operation has spent waiting for its pace, up to `now`.
    fn waited(&self, now: Instant) -> Duration {
        let w = self.waits();
        w.total + w.since.map_or(Duration::ZERO, |s| now.duration_since(s))
    }
}

/// Runs `op` and says how many requests it sent through any [`Pace`]: how the scheduler
/// learns what each kind of read costs. Inside it, [`bounded`] does not count the time
/// spent waiting for a pace.
pub async fn counted<T>(poll: bool, op: impl Future<Output = T>) -> (T, usize) {
    let meter = std::sync::Arc::new(Meter {
        poll,
        ..Meter::default()
    });
    let out = METER.scope(meter.clone(), op).await;
    (out, meter.requests.load(Ordering::Relaxed))
}

/// Runs one backend operation with a time `limit` that, inside [`counted`], does not count
/// the time it waits for its backend's [`Pace`]: a read queued behind the budget is not a
/// slow server.
pub async fn bounded<T>(
    limit: Duration,
    op: impl Future<Output = Result<T, BackendError>>,
) -> Result<T, BackendError> {
    let meter = METER.try_with(|m| m.clone()).ok();
    tokio::pin!(op);
    let mut deadline = Instant::now() + limit;
    let mut credited = Duration::ZERO;
    loop {
        tokio::select! {
            out = &mut op => return out,
            _ = tokio::time::sleep_until(deadline) => {
                let waited = meter.as_ref().map_or(Duration::ZERO, |m| m.waited(Instant::now()));
                if waited > credited {
                    deadline += waited - credited;
                    credited = waited;
                } else {
                    return Err(BackendError::Timeout(limit));
                }
            }
        }
    }
}

impl Pace {
    pub fn new(share: Option<usize>) -> Self {
        let pace = Pace::default();
        pace.set_share(share);
        pace
    }

    pub fn set_share(&self, share: Option<usize>) {
        self.lock().share = share.map(|s| s.max(1));
    }

    pub fn share(&self) -> Option<usize> {
        self.lock().share
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PaceState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requests sent through this pace since it was made.
    pub fn sent(&self) -> u64 {
        self.sent_total.load(Ordering::Relaxed)
    }

    /// Waits until one more request fits (the share, any lowered rate, any hold), then
    /// books it.
    pub async fn acquire(&self) {
        let meter = METER.try_with(|m| m.clone()).ok();
        let poll = meter.as_ref().is_some_and(|m| m.poll);
        let mut waiting = false;
        loop {
            let wait = {
                let mut s = self.lock();
                let now = Instant::now();
                match s.wait(now, poll) {
                    None => {
                        s.window.book(now, 1);
                        break;
                    }
                    Some(wait) => wait,
                }
            };
            if !waiting && let Some(m) = &meter {
                m.begin_wait(Instant::now());
                waiting = true;
            }
            tokio::time::sleep(wait).await;
        }
        self.sent_total.fetch_add(1, Ordering::Relaxed);
        if let Some(m) = &meter {
            if waiting {
                m.end_wait(Instant::now());
            }
            m.requests.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// How many polls fit now; `None` when any number does (no share, no 429).
    pub fn room(&self) -> Option<usize> {
        let mut s = self.lock();
        let now = Instant::now();
        if s.hold_until.is_some_and(|h| h > now) {
            return Some(0);
        }
        let cap = ((s.rate(now)? * POLL_SHARE).floor() as usize).max(1);
        s.window.prune(now);
        Some(cap.saturating_sub(s.window.sent.len()))
    }

    /// The server refused a request (429): hold every send for its `Retry-After` (or a
    /// back-off growing with each refusal in a row), and halve the rate (a pace with a
    /// share; one without has no rate to lower).
    pub fn refused(&self, retry_after: Option<Duration>) {
        let mut s = self.lock();
        let now = Instant::now();
        s.window.prune(now);
        // Without a share there is no rate to lower: the hold alone backs off.
        if let Some(current) = s.rate(now) {
            let lowered = (current * LOWERED_TO).max(1.0);
            s.lowered = Some((lowered, now));
        }
        // Short and capped (1 s, 2 s, then 4 s, jittered): several reads refused at once
        // count as several refusals, and the halved rate is what slows down for long.
        let hold = retry_after.unwrap_or_else(|| backoff((s.refusals + 1).min(3)));
        s.refusals = s.refusals.saturating_add(1);
        s.hold_until = Some(s.hold_until.map_or(now + hold, |h| h.max(now + hold)));
        s.why = Some(match retry_after {
            Some(after) => format!("after a 429 (Retry-After {}s)", after.as_secs()),
            None => "after a 429".to_owned(),
        });
    }

    /// A request got through: the next 429's back-off starts afresh.
    pub fn answered(&self) {
        self.lock().refusals = 0;
    }

    pub fn status(&self) -> PaceStatus {
        let mut s = self.lock();
        let now = Instant::now();
        let until = s.hold_until.filter(|h| *h > now);
        match s.rate(now) {
            Some(rate) if s.lowered.is_some() => PaceStatus::HoldingBack {
                per_minute: rate.floor() as usize,
                share: s.share,
                why: s.why.clone().unwrap_or_default(),
                until,
            },
            _ => PaceStatus::Free,
        }
    }
}

impl PaceState {
    /// The rate allowed at `now`: the share, or the lowered rate climbing back to it.
    /// Once back at the share (or, with no share, after as long as it takes to double),
    /// the 429 is forgotten.
    fn rate(&mut self, now: Instant) -> Option<f64> {
        let Some((lowered, at)) = self.lowered else {
            return self.share.map(|s| s as f64);
        };
        let minutes = now.duration_since(at).as_secs_f64() / 60.0;
        let top = self.share.map_or(lowered * 2.0, |s| s as f64);
        let rate = lowered + top * RECOVERY_PER_MINUTE * minutes;
        if rate >= top {
            self.lowered = None;
            self.why = None;
            return self.share.map(|s| s as f64);
        }
        Some(rate)
    }

    fn wait(&mut self, now: Instant, poll: bool) -> Option<Duration> {
        if let Some(hold) = self.hold_until {
            if hold > now {
                return Some(hold - now);
            }
            self.hold_until = None;
        }
        let rate = self.rate(now)?;
        let rate = if poll { rate * POLL_SHARE } else { rate };
        let cap = (rate.floor() as usize).max(1);
        match self.window.wait(now, cap, 1) {
            // A lowered rate climbs back over time: look again within a few seconds
            // rather than waiting out a whole window computed at the lower rate.
            Some(wait) if self.lowered.is_some() => Some(wait.min(Duration::from_secs(5))),
            other => other,
        }
    }
}

/// Rate-limited attempts of one start before it is given up (nothing started).
pub const MAX_START_RETRIES: u32 = 8;
/// Without `Retry-After`, back-off starts here and doubles per attempt, up to the cap.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// When a start that failed with `error` on its `attempt`-th retry (0 for the first send)
/// may be sent again, or `None` if it must not be. The rule: only a 429 is retried, because
/// a refused request started nothing, after the server's `Retry-After` (or a back-off), at
/// most [`MAX_START_RETRIES`] times. Anything else may have started something (see
/// [`BackendError::outcome_unknown`]) or will fail the same way, so a person decides.
///
/// The CLI's bulk start follows this rule; the dashboard never retries a start on its own
/// (the user sees the refusal and starts again), which the rule allows.
pub fn start_retry_delay(error: &BackendError, attempt: u32) -> Option<Duration> {
    match error {
        BackendError::RateLimited { retry_after } if attempt < MAX_START_RETRIES => {
            Some(retry_after.unwrap_or_else(|| backoff(attempt)))
        }
        _ => None,
    }
}

/// Exponential back-off with jitter (50% to 150%), so parallel sends refused together do
/// not come back together.
fn backoff(attempt: u32) -> Duration {
    let exp = BACKOFF_BASE
        .saturating_mul(1 << attempt.min(16))
        .min(BACKOFF_CAP);
    exp.mul_f64(0.5 + rand::random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_limiter_keeps_a_sliding_minute() {
        let limiter = Limiter::new(4);
        let begun = Instant::now();
        limiter.acquire(2).await;
        limiter.acquire(2).await;
        assert_eq!(begun.elapsed(), Duration::ZERO);
        limiter.acquire(2).await;
        assert_eq!(begun.elapsed(), Duration::from_secs(60));
    }

    /// Sends `n` requests as fast as `pace` lets them through; returns when each went.
    async fn send(pace: &Pace, n: usize) -> Vec<Duration> {
        let begun = Instant::now();
        let mut at = Vec::new();
        for _ in 0..n {
            pace.acquire().await;
            at.push(begun.elapsed());
        }
        at
    }

    /// The most sends in any sliding minute of `at`.
    fn busiest_minute(at: &[Duration]) -> usize {
        at.iter()
            .map(|start| {
                at.iter()
                    .filter(|t| **t >= *start && **t - *start < WINDOW)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn the_pace_keeps_its_share_over_every_sliding_minute() {
        let pace = Pace::new(Some(6));
        let at = send(&pace, 30).await;
        assert_eq!(
            &at[..6],
            &[Duration::ZERO; 6],
            "a burst up to the share goes at once"
        );
        assert_eq!(
            at[6],
            Duration::from_secs(60),
            "the seventh waits for the first to age out"
        );
        assert_eq!(busiest_minute(&at), 6);
        assert_eq!(pace.sent(), 30);
        assert_eq!(pace.status(), PaceStatus::Free);
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_caller_is_spaced_not_bunched_after_the_first_minute() {
        let pace = Pace::new(Some(100));
        let begun = Instant::now();
        let mut at = Vec::new();
        // Someone asking every 200 ms (300 a minute) for five minutes.
        for _ in 0..1500 {
            pace.acquire().await;
            at.push(begun.elapsed());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(busiest_minute(&at) <= 100);
        let last_minute = at
            .iter()
            .filter(|t| **t >= at[at.len() - 1] - WINDOW + Duration::from_millis(1))
            .count();
        assert!(last_minute >= 99, "the whole share is used: {last_minute}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_holds_for_retry_after_halves_the_rate_then_recovers_slowly() {
        let pace = Pace::new(Some(100));
        send(&pace, 100).await;
        tokio::time::sleep(WINDOW).await;
        pace.refused(Some(Duration::from_secs(20)));
        let PaceStatus::HoldingBack {
            per_minute,
            until,
            why,
            ..
        } = pace.status()
        else {
            panic!("holding back");
        };
        assert_eq!(per_minute, 50);
        assert_eq!(why, "after a 429 (Retry-After 20s)");
        assert!(until.is_some());
        let begun = Instant::now();
        let at = send(&pace, 60).await;
        assert_eq!(at[0], Duration::from_secs(20), "Retry-After is honoured");
        let first_minute = at.iter().filter(|t| **t < Duration::from_secs(80)).count();
        assert!(
            (50..=62).contains(&first_minute),
            "about half the share in the minute after: {first_minute}"
        );
        // Ten quiet minutes later it is back to its share, and says nothing.
        tokio::time::sleep(Duration::from_secs(600) - begun.elapsed()).await;
        assert_eq!(pace.status(), PaceStatus::Free);
        let at = send(&pace, 100).await;
        assert!(at.iter().all(|t| *t == Duration::ZERO));
    }

    #[tokio::test(start_paused = true)]
    async fn without_retry_after_the_hold_backs_off_and_an_answer_resets_it() {
        let pace = Pace::new(None);
        send(&pace, 10).await;
        tokio::time::sleep(WINDOW).await;
        pace.refused(None);
        // 1 s, then 2 s, each jittered by ±50% (`backoff`).
        let first = send(&pace, 1).await[0];
        assert!(
            first >= Duration::from_millis(500) && first <= Duration::from_millis(1500),
            "{first:?}"
        );
        pace.refused(None);
        let second = send(&pace, 1).await[0];
        assert!(
            second >= Duration::from_secs(1) && second <= Duration::from_secs(3),
            "{second:?}"
        );
        pace.answered();
        assert_eq!(pace.lock().refusals, 0);
        assert_eq!(
            pace.status(),
            PaceStatus::Free,
            "no share, no rate to lower"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn polls_leave_a_fifth_of_the_share_to_what_a_person_does() {
        let pace = Pace::new(Some(10));
        let (_, polled) = counted(true, async {
            for _ in 0..8 {
                pace.acquire().await;
            }
        })
        .await;
        assert_eq!(polled, 8);
        assert_eq!(pace.room(), Some(0), "polls are full");
        let begun = Instant::now();
        let ((), _) = counted(false, async {
            pace.acquire().await;
            pace.acquire().await;
        })
        .await;
        assert_eq!(
            begun.elapsed(),
            Duration::ZERO,
            "a decision does not wait behind polls"
        );
        let (_, _) = counted(true, pace.acquire()).await;
        assert_eq!(
            begun.elapsed(),
            WINDOW,
            "the next poll waits for the window"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_operation_counts_its_requests_and_its_limit_excludes_pacing() {
        let pace = Pace::new(Some(2));
        let limit = Duration::from_secs(10);
        let (out, n) = counted(
            false,
            bounded(limit, async {
                tokio::join!(pace.acquire(), pace.acquire());
                // Waits 60 s for room: not the server's fault, not a timeout.
                pace.acquire().await;
                tokio::time::sleep(Duration::from_secs(9)).await;
                Ok(())
            }),
        )
        .await;
        assert_eq!((out, n), (Ok(()), 3));
        assert_eq!(pace.sent(), 3);
        assert_eq!(
            pace.room(),
            Some(0),
            "polls may fill 1 of 2, and one is there"
        );
        let (out, n) = counted(
            false,
            bounded(limit, async {
                pace.acquire().await;
                tokio::time::sleep(Duration::from_secs(11)).await;
                Ok(())
            }),
        )
        .await;
        assert_eq!(
            (out, n),
            (Err(BackendError::Timeout(limit)), 1),
            "the server's time still counts"
        );
    }

    #[test]
    fn backoff_grows_with_jitter_and_a_cap() {
        for attempt in 0..20 {
            let d = backoff(attempt);
            let exp = BACKOFF_BASE
                .saturating_mul(1 << attempt.min(16))
                .min(BACKOFF_CAP);
            assert!(d >= exp / 2 && d <= exp * 3 / 2, "{attempt}: {d:?}");
        }
    }

    #[test]
    fn only_a_refused_start_is_retried_and_not_forever() {
        let asked = BackendError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(start_retry_delay(&asked, 0), Some(Duration::from_secs(7)));
        assert_eq!(start_retry_delay(&asked, MAX_START_RETRIES), None);
        let unsaid = BackendError::RateLimited { retry_after: None };
        let delay = start_retry_delay(&unsaid, 0).unwrap();
        assert!(delay >= BACKOFF_BASE / 2 && delay <= BACKOFF_BASE * 3 / 2);
        for error in [
            BackendError::Timeout(Duration::from_secs(1)),
            BackendError::Server {
                status: 503,
                message: String::new(),
            },
            BackendError::BadRequest("x".into()),
        ] {
            assert_eq!(start_retry_delay(&error, 0), None, "{error:?}");
        }
    }
}
