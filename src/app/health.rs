//! What the status bar says about each backend: reachable, slow, failing, rate-limited, and
//! how old its data is. Stale data is marked, never shown as fresh.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::domain::{BackendError, BackendKind, BackendName};
use crate::service::Feed;

/// A read slower than this marks the backend slow.
const SLOW: Duration = Duration::from_secs(3);

/// Until when data read every `period` counts as fresh: one read may take up to a period.
pub fn fresh_bound(period: Duration) -> Duration {
    period * 2
}

/// Data older than this many poll periods is stale.
pub const STALE_AFTER: u32 = 3;

/// Whether data of this age is past its fresh bound: the screen then shows its exact age.
pub fn is_late(age: Duration, period: Duration) -> bool {
    age >= fresh_bound(period)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Connecting,
    Ok,
    Slow,
    Failing,
    RateLimited,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Connecting => "connecting",
            Health::Ok => "ok",
            Health::Slow => "slow",
            Health::Failing => "failing",
            Health::RateLimited => "rate-limited",
        }
    }
}

/// The reads a backend's health is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Read {
    Pipelines,
    Executions,
    Approvals,
    /// The selected execution's detail.
    Execution,
}

impl Read {
    /// The lists the panes show, in the order the backends view lists them.
    pub const LISTS: [Read; 3] = [Read::Pipelines, Read::Executions, Read::Approvals];

    /// What the read brings, as the screen names it.
    pub fn noun(self) -> &'static str {
        match self {
            Read::Pipelines => "pipelines",
            Read::Executions => "executions",
            Read::Approvals => "gates",
            Read::Execution => "detail",
        }
    }
}

/// What is known of one backend's list: read (and when), not read yet, or never read
/// because every attempt failed. A list that was never read is unknown, never empty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Known<'a> {
    Read(Timestamp),
    Loading,
    Failed(&'a BackendError),
}

/// A few words for why reads fail, for places with no room for the server's text (the
/// panes, the status bar); the backends view shows the whole error.
pub fn reason(e: &BackendError) -> String {
    match e {
        BackendError::Unauthenticated(_) => "authentication failed".into(),
        BackendError::NotAuthorized(_) => "not authorized".into(),
        BackendError::NotFound(_) => "not found".into(),
        BackendError::Conflict(_) => "conflict".into(),
        BackendError::Expired(_) => "expired".into(),
        BackendError::RateLimited { .. } => "rate limited".into(),
        BackendError::BadRequest(_) => "bad request".into(),
        BackendError::Timeout(d) => format!("timed out after {}s", d.as_secs()),
        BackendError::Network(_) => "unreachable".into(),
        BackendError::Server { status, .. } => format!("server error {status}"),
        BackendError::Decode(_) => "unreadable answer".into(),
        BackendError::Unsupported(_) => "not supported".into(),
    }
}

#[derive(Debug, Clone)]
pub struct BackendState {
    pub name: BackendName,
    pub kind: BackendKind,
    pub production: bool,
    pub read_only: bool,
    /// TLS certificates are not verified (`insecure_skip_verify`): always shown as a badge.
    pub insecure: bool,
    /// When a read last succeeded.
    pub last_ok: Option<Timestamp>,
    /// When each kind of read last succeeded: a budget that reads the gates every 10 s
    /// and the lists every 45 s must not show the lists as 10 s old.
    read_ok: BTreeMap<Read, Timestamp>,
    /// The latest error of any read, with when and which read: kept after the backend
    /// recovers, so the backends view can still say what went wrong.
    pub last_error: Option<(Timestamp, Read, BackendError)>,
    /// A read error while any read's last attempt failed (the latest one's when it is still
    /// failing); `None` once every read succeeded again.
    pub error: Option<BackendError>,
    /// The lists whose last read failed: one good read (say, an Argo watch pushing the
    /// executions) must not hide another read that keeps failing.
    failing: BTreeMap<Read, BackendError>,
    pub slow: bool,
    /// Watched or polled, for backends that can watch; `None` for the others (always polled).
    pub feed: Option<Feed>,
    /// Why its requests are held back below its budget (a 429), while they are.
    pub holding_back: Option<String>,
}

impl BackendState {
    pub fn new(info: super::BackendInfo) -> Self {
        BackendState {
            name: info.name,
            kind: info.kind,
            production: info.production,
            read_only: info.read_only,
            insecure: info.insecure,
            last_ok: None,
            read_ok: BTreeMap::new(),
            last_error: None,
            error: None,
            failing: BTreeMap::new(),
            slow: false,
            feed: None,
            holding_back: None,
        }
    }

    pub(crate) fn record(
        &mut self,
        read: Read,
        result: Result<(), &BackendError>,
        elapsed: Duration,
        at: Timestamp,
    ) {
        self.slow = elapsed > SLOW;
        match result {
            Ok(()) => {
                self.last_ok = Some(at);
                self.read_ok.insert(read, at);
                self.failing.remove(&read);
                // The detail is read only while its execution is selected, so its failure
                // would otherwise last forever: any good read ends it.
                self.failing.remove(&Read::Execution);
                self.error = self.failing.values().next().cloned();
            }
            Err(e) => {
                self.last_error = Some((at, read, e.clone()));
                self.failing.insert(read, e.clone());
                self.error = Some(e.clone());
            }
        }
    }

    /// What is known of one of the backend's lists.
    pub fn known(&self, read: Read) -> Known<'_> {
        match (self.read_ok.get(&read), self.failing.get(&read)) {
            (Some(at), _) => Known::Read(*at),
            (None, Some(e)) => Known::Failed(e),
            (None, None) => Known::Loading,
        }
    }

    /// When `read` last succeeded, and the error of its last attempt if that failed.
    pub fn read_state(&self, read: Read) -> (Option<Timestamp>, Option<&BackendError>) {
        (self.read_ok.get(&read).copied(), self.failing.get(&read))
    }

    pub fn health(&self) -> Health {
        match &self.error {
            Some(BackendError::RateLimited { .. }) => Health::RateLimited,
            Some(_) => Health::Failing,
            None if self.last_ok.is_none() => Health::Connecting,
            None if self.slow => Health::Slow,
            None => Health::Ok,
        }
    }

    /// What the status bar says of the backend at `clock`: its health, its error, and its
    /// age once late (a fresh age reads as a bound, which a new read does not move).
    pub(crate) fn shown(
        &self,
        clock: Timestamp,
        period: Duration,
    ) -> (Health, Option<BackendError>, Option<Duration>) {
        let late = self.age(clock).filter(|age| is_late(*age, period));
        (self.health(), self.error.clone(), late)
    }

    /// When the data the status bar dates was read: the older of the executions list and
    /// the gates, each by its own last good read, so the age shown is never fresher than
    /// either (pipelines, read every 6·L by design, and the detail on screen do not count);
    /// the last good read of any kind until one of those answered.
    /// A live watch keeps the executions list current (it pushes only when something
    /// changes), so only the gates date the data of a watching backend.
    pub fn data_read(&self) -> Option<Timestamp> {
        let watching = matches!(self.feed, Some(Feed::Watching));
        [Read::Executions, Read::Approvals]
            .iter()
            .filter(|r| !(watching && **r == Read::Executions))
            .filter_map(|r| self.read_ok.get(r))
            .min()
            .copied()
            .or(self.last_ok)
    }

    pub fn age(&self, now: Timestamp) -> Option<Duration> {
        let last = self.data_read()?;
        Some(Duration::try_from(now.duration_since(last)).unwrap_or(Duration::ZERO))
    }

    /// Data is stale when the last read failed or when it is older than three poll periods.
    pub fn is_stale(&self, now: Timestamp, period: Duration) -> bool {
        self.error.is_some() || self.age(now).is_some_and(|age| age > period * STALE_AFTER)
    }
}

/// Which backends' part of a list is not on screen: never read because their reads fail
/// (with the error), or not read yet.
#[derive(Debug, Default)]
pub struct Unknown<'a> {
    pub failed: Vec<(&'a BackendName, &'a BackendError)>,
    pub loading: Vec<&'a BackendName>,
    /// Backends whose part of the list has been read.
    pub read: usize,
}

impl Unknown<'_> {
    /// The failed backends grouped by reason, for one line: `harness, argo: authentication
    /// failed; argo-data: unreachable`.
    pub fn by_reason(&self) -> String {
        let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
        for (name, e) in &self.failed {
            let why = reason(e);
            match groups.iter_mut().find(|(r, _)| *r == why) {
                Some((_, names)) => names.push(name),
                None => groups.push((why, vec![name])),
            }
        }
        groups
            .into_iter()
            .map(|(why, names)| format!("{}: {why}", names.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

impl super::App {
    /// What of `read`'s list is unknown, backend by backend.
    pub fn unknown(&self, read: Read) -> Unknown<'_> {
        let mut unknown = Unknown::default();
        for b in &self.backends {
            match b.known(read) {
                Known::Read(_) => unknown.read += 1,
                Known::Loading => unknown.loading.push(&b.name),
                Known::Failed(e) => unknown.failed.push((&b.name, e)),
            }
        }
        unknown
    }

    /// Records how a read went in the backend's health; returns whether what the status
    /// bar says of the backend changed.
    pub(super) fn record_health(&mut self, reply: &crate::service::Reply) -> bool {
        use crate::service::Payload;
        let (read, result) = match &reply.payload {
            Payload::Pipelines(r) => (Read::Pipelines, r.as_ref().map(|_| ())),
            Payload::Executions(r) => (Read::Executions, r.as_ref().map(|_| ())),
            Payload::Approvals(r) => (Read::Approvals, r.as_ref().map(|_| ())),
            Payload::Execution(_, r) => (Read::Execution, r.as_ref().map(|_| ())),
            _ => return false,
        };
        let (now, clock, period) = (self.now, self.clock.now(), self.intervals.lists);
        let Some(b) = self.backends.iter_mut().find(|b| b.name == reply.backend) else {
            return false;
        };
        let first = b.last_ok.is_none() && result.is_ok();
        let before = b.shown(clock, period);
        b.record(read, result, reply.elapsed, now);
        self.draw_now |= first;
        b.shown(clock, period) != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_follows_the_latest_read() {
        let t0: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let mut b = BackendState::new(super::super::BackendInfo {
            name: "h".into(),
            kind: BackendKind::Harness,
            production: false,
            read_only: false,
            insecure: false,
            identity: None,
        });
        assert_eq!(b.health(), Health::Connecting);
        b.record(Read::Executions, Ok(()), Duration::from_millis(30), t0);
        assert_eq!(b.health(), Health::Ok);
        let err = BackendError::RateLimited { retry_after: None };
        b.record(Read::Executions, Err(&err), Duration::from_millis(30), t0);
        assert_eq!(b.health(), Health::RateLimited);
        assert!(b.is_stale(t0, Duration::from_secs(10)));
        b.record(Read::Executions, Ok(()), Duration::from_secs(5), t0);
        assert_eq!(b.health(), Health::Slow);
        let later = t0 + jiff::SignedDuration::from_secs(31);
        assert!(b.is_stale(later, Duration::from_secs(10)));
        assert_eq!(b.age(later), Some(Duration::from_secs(31)));
    }

    #[test]
    fn the_age_is_the_older_of_the_lists_and_the_gates() {
        let t0: Timestamp = "2026-11-22T10:00:00Z".parse().unwrap();
        let at = |s: i64| t0 + jiff::SignedDuration::from_secs(s);
        let mut b = BackendState::new(super::super::BackendInfo {
            name: "h".into(),
            kind: BackendKind::Harness,
            production: false,
            read_only: false,
            insecure: false,
            identity: None,
        });
        let ms = Duration::from_millis(30);
        b.record(Read::Pipelines, Ok(()), ms, t0);
        assert_eq!(
            b.age(at(5)),
            Some(Duration::from_secs(5)),
            "any read, at first"
        );
        b.record(Read::Executions, Ok(()), ms, at(1));
        b.record(Read::Approvals, Ok(()), ms, at(2));
        // The gates are read every 10 s, the list less often under a short budget.
        for s in [12, 22, 32, 42] {
            b.record(Read::Approvals, Ok(()), ms, at(s));
            b.record(Read::Execution, Ok(()), ms, at(s));
            b.record(Read::Pipelines, Ok(()), ms, at(s));
        }
        assert_eq!(
            b.age(at(45)),
            Some(Duration::from_secs(44)),
            "the list's age"
        );
        b.record(Read::Executions, Ok(()), ms, at(46));
        assert_eq!(
            b.age(at(47)),
            Some(Duration::from_secs(5)),
            "now the gates'"
        );
    }
}
