//! When each read of one backend is due. Pure bookkeeping over `Instant`s, no I/O, so the
//! policy is unit-tested without a clock.
//!
//! The policy, per backend (P = projects inside the backend client, L/R/S = intervals):
//! - pipelines: every 6·L (they change rarely);
//! - executions list: every R while any listed execution is active, else every L — one list
//!   call covers the stage progress of every running execution;
//! - waiting gates: every L, and at once when the set of waiting executions changes;
//! - the selected execution: once when selected, so its detail opens at once; then every S
//!   while its detail is open and it is active (on the list, the list's own read keeps its
//!   row fresh); finished executions are never polled again.
//!
//! The budget. A backend with a request budget (its `max_requests_per_minute`, of which reads
//! may spend [`READ_SHARE`]) has its periods planned from what each kind of read costs
//! (learned from the requests each read sent): the kinds are served in the order of
//! [`Kind`] — the execution whose detail is open, the waiting gates, the running executions,
//! the lists, the pipelines — each at its period above while the budget lasts; the kinds the
//! budget no longer covers are read less often, never less than [`FLOOR_SHARE`] of it, so no
//! kind is starved for good. When several reads are due and the budget's room is short, the
//! higher kind goes first and the others wait for room.
//!
//! A read is rescheduled when it completes, never when it starts, so a slow backend cannot
//! pile up requests. Failures back off exponentially (×2 per consecutive failure, capped at
//! five minutes) with up to 20% jitter; a `Retry-After` pushes the next read out further.
//! Reads that failed because the backend was unreachable (timeout, broken connection, 5xx)
//! are due again as soon as another read gets through: the backend is back, and the lists
//! read during the outage should not stay stale for a back-off's length.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use super::Resource;
use crate::domain::{BackendError, ExecRef};

/// Polling intervals; config enforces their minimums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Intervals {
    pub lists: Duration,
    pub running: Duration,
    pub selected: Duration,
}

impl Intervals {
    /// These intervals, none shorter than `floor`.
    pub fn at_least(self, floor: Duration) -> Intervals {
        Intervals {
            lists: self.lists.max(floor),
            running: self.running.max(floor),
            selected: self.selected.max(floor),
        }
    }
}

impl Default for Intervals {
    fn default() -> Self {
        Intervals {
            lists: Duration::from_secs(10),
            running: Duration::from_secs(3),
            selected: Duration::from_secs(1),
        }
    }
}

const PIPELINES_FACTOR: u32 = 6;
const MAX_BACKOFF: Duration = Duration::from_secs(300);

// Of a backend's budget, what polling may spend (the pace holds polls to it).
use crate::backend::budget::POLL_SHARE as READ_SHARE;
/// However short the budget, every kind of read polled gets at least this part of what reads
/// may spend.
pub const FLOOR_SHARE: f64 = 0.05;
/// A kind's floor also covers reading it this many times less often than its interval.
pub const MAX_STRETCH: f64 = 4.0;
/// The open detail, first in line, takes at most this part of what reads may spend.
pub const DETAIL_SHARE: f64 = 0.25;
/// A deferred read looks for room again this soon.
const ROOM_RETRY: Duration = Duration::from_millis(500);

/// The kinds of read, in the order the budget is spent on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The execution whose detail is open.
    Detail,
    /// The waiting gates.
    Gates,
    /// The executions list while any execution runs.
    Running,
    /// The executions list while nothing runs.
    Lists,
    Pipelines,
}

/// Periods that spend at most `budget` requests a minute on `demands` (kind, requests one
/// read costs, the period wanted), in the order given (highest priority first).
///
/// Each kind first gets its floor: what it wants, up to the larger of [`FLOOR_SHARE`] of the
/// budget and what reading it [`MAX_STRETCH`] times less often costs (floors shrink together
/// when they do not fit). What is left goes down the order, the open detail taking no more
/// than [`DETAIL_SHARE`] of the budget: a detail read every second must not leave the gates
/// and running executions at their floors. A kind is never read more often than it wants.
pub fn plan(budget: f64, demands: &[(Kind, f64, Duration)]) -> Vec<(Kind, Duration)> {
    let wants: Vec<f64> = demands
        .iter()
        .map(|(_, cost, period)| cost.max(0.01) * 60.0 / period.as_secs_f64().max(0.001))
        .collect();
    let mut floors: Vec<f64> = wants
        .iter()
        .map(|w| w.min((budget * FLOOR_SHARE).max(w / MAX_STRETCH)))
        .collect();
    let sum: f64 = floors.iter().sum();
    if sum > budget {
        floors.iter_mut().for_each(|f| *f *= budget / sum);
    }
    let mut left = (budget - floors.iter().sum::<f64>()).max(0.0);
    demands
        .iter()
        .zip(wants.iter().zip(&floors))
        .map(|((kind, cost, period), (want, floor))| {
            let top = match kind {
                Kind::Detail => want.min(floor.max(budget * DETAIL_SHARE)),
                _ => *want,
            };
            let extra = (top - floor).max(0.0).min(left);
            left -= extra;
            let given = floor + extra;
            let planned = if given >= *want {
                *period
            } else {
                Duration::from_secs_f64(cost.max(0.01) * 60.0 / given.max(1e-6)).max(*period)
            };
            (*kind, planned)
        })
        .collect()
}

pub struct Schedule {
    intervals: Intervals,
    next: HashMap<Resource, Instant>,
    failures: HashMap<Resource, u32>,
    /// Reads whose last failure said the backend was unreachable.
    unreachable: HashSet<Resource>,
    any_active: bool,
    selected: Option<ExecRef>,
    selected_active: bool,
    /// The selected execution's detail is on screen.
    selected_open: bool,
    /// A watch pushes the executions list: it is not polled.
    pushed: bool,
    /// Requests a minute reads may spend; `None` polls at the intervals.
    budget: Option<f64>,
    /// Requests one read of each kind cost, as last measured (a moving average).
    cost: HashMap<Kind, f64>,
}

impl Schedule {
    /// Everything is due at once: the first frame should fill as fast as the backend answers.
    /// A backend that `watches` lists its executions as the watch's first step, which starts
    /// at the same moment; polling them as well would send that list twice (for a large Argo
    /// namespace, megabytes). If the watch fails first, [`Schedule::set_pushed`] polls them.
    pub fn new(intervals: Intervals, now: Instant, watches: bool) -> Self {
        let next = [
            Resource::Pipelines,
            Resource::Executions,
            Resource::Approvals,
        ]
        .into_iter()
        .filter(|r| !(watches && *r == Resource::Executions))
        .map(|r| (r, now))
        .collect();
        Schedule {
            intervals,
            next,
            failures: HashMap::new(),
            unreachable: HashSet::new(),
            any_active: false,
            selected: None,
            selected_active: false,
            selected_open: false,
            pushed: false,
            budget: None,
            cost: HashMap::new(),
        }
    }

    /// The backend's request budget (its share a minute); reads spend [`READ_SHARE`] of it.
    pub fn set_budget(&mut self, per_minute: Option<usize>) {
        self.budget = per_minute.map(|n| n as f64 * READ_SHARE);
    }

    /// Which kind of read `resource` is now.
    pub fn kind(&self, resource: &Resource) -> Kind {
        match resource {
            Resource::Execution(_) => Kind::Detail,
            Resource::Approvals => Kind::Gates,
            Resource::Executions if self.any_active => Kind::Running,
            Resource::Executions => Kind::Lists,
            Resource::Pipelines => Kind::Pipelines,
        }
    }

    /// A read of `resource` sent `requests` requests.
    pub fn learn(&mut self, resource: &Resource, requests: usize) {
        let kind = self.kind(resource);
        let n = requests as f64;
        self.cost
            .entry(kind)
            .and_modify(|c| *c = *c * 0.7 + n * 0.3)
            .or_insert(n);
        // A list costs the same whether or not anything runs.
        if matches!(kind, Kind::Running | Kind::Lists) {
            let other = if kind == Kind::Running {
                Kind::Lists
            } else {
                Kind::Running
            };
            let c = self.cost[&kind];
            self.cost.insert(other, c);
        }
    }

    /// What one read of `kind` costs, as far as is known (one request until measured).
    pub fn cost(&self, kind: Kind) -> f64 {
        self.cost.get(&kind).copied().unwrap_or(1.0).max(1.0)
    }

    /// The period each kind polled now is wanted at, before the budget.
    fn wanted(&self) -> Vec<(Kind, f64, Duration)> {
        let i = &self.intervals;
        let mut out = Vec::new();
        if self.selected.is_some() && self.selected_active && self.selected_open {
            out.push((Kind::Detail, i.selected));
        }
        out.push((Kind::Gates, i.lists));
        if !self.pushed {
            if self.any_active {
                out.push((Kind::Running, i.running));
            } else {
                out.push((Kind::Lists, i.lists));
            }
        }
        out.push((Kind::Pipelines, i.lists * PIPELINES_FACTOR));
        out.into_iter().map(|(k, p)| (k, self.cost(k), p)).collect()
    }

    /// The period each kind is read at now: the interval, or longer when the budget is
    /// short (see [`plan`]).
    pub fn periods(&self) -> Vec<(Kind, Duration)> {
        let wanted = self.wanted();
        match self.budget {
            Some(budget) => plan(budget, &wanted),
            None => wanted.into_iter().map(|(k, _, p)| (k, p)).collect(),
        }
    }

    fn planned(&self, kind: Kind) -> Option<Duration> {
        self.periods()
            .into_iter()
            .find_map(|(k, p)| (k == kind).then_some(p))
    }

    /// Like [`Schedule::take_due`], within `room` requests (`None`: no limit): the due reads
    /// highest kind first, as many as fit (a read needs its cost, or a quarter of the
    /// `share` if it costs more); the others stay due and look again shortly.
    pub fn take_due_within(
        &mut self,
        now: Instant,
        room: Option<usize>,
        share: usize,
    ) -> Vec<Resource> {
        let mut due = self.take_due(now);
        let Some(room) = room else {
            return due;
        };
        due.sort_by_key(|r| self.kind(r));
        let mut spent = 0.0;
        let mut taken = Vec::new();
        for r in due {
            let need = self.cost(self.kind(&r)).min((share as f64 / 4.0).max(1.0));
            if spent + need <= room as f64 {
                spent += need;
                taken.push(r);
            } else {
                self.next.insert(r, now + ROOM_RETRY);
            }
        }
        taken
    }

    /// Removes and returns every read due at `now`; each is rescheduled on completion.
    pub fn take_due(&mut self, now: Instant) -> Vec<Resource> {
        let due: Vec<Resource> = self
            .next
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(r, _)| r.clone())
            .collect();
        for r in &due {
            self.next.remove(r);
        }
        due
    }

    pub fn next_wakeup(&self) -> Option<Instant> {
        self.next.values().min().copied()
    }

    /// A read finished; decide when it runs again.
    pub fn completed(
        &mut self,
        resource: &Resource,
        error: Option<&BackendError>,
        now: Instant,
        jitter: f64,
    ) {
        let Some(period) = self.period(resource) else {
            self.next.remove(resource);
            return;
        };
        let delay = match error {
            None => {
                self.failures.remove(resource);
                self.unreachable.remove(resource);
                for other in self.unreachable.drain() {
                    if let Some(at) = self.next.get_mut(&other) {
                        *at = (*at).min(now);
                    }
                }
                period
            }
            Some(err) => {
                let unreachable = matches!(
                    err,
                    BackendError::Timeout(_)
                        | BackendError::Network(_)
                        | BackendError::Server { .. }
                );
                if unreachable {
                    self.unreachable.insert(resource.clone());
                } else {
                    self.unreachable.remove(resource);
                }
                let n = self.failures.entry(resource.clone()).or_insert(0);
                *n = n.saturating_add(1);
                let backoff = period.saturating_mul(1 << (*n).min(8)).min(MAX_BACKOFF);
                let backoff = backoff.mul_f64(1.0 + 0.2 * jitter.clamp(0.0, 1.0));
                match err {
                    BackendError::RateLimited {
                        retry_after: Some(after),
                    } => backoff.max(*after),
                    _ => backoff,
                }
            }
        };
        self.next.insert(resource.clone(), now + delay);
    }

    /// Asks for a read as soon as possible (user refresh, or a change elsewhere). A pushed
    /// executions list is already fresh.
    pub fn poke(&mut self, resource: Resource, now: Instant) {
        if !(self.pushed && resource == Resource::Executions) {
            self.next.insert(resource, now);
        }
    }

    /// A watch started (`true`) or stopped pushing the executions list; polling stops, or
    /// resumes at once.
    pub fn set_pushed(&mut self, pushed: bool, now: Instant) {
        self.pushed = pushed;
        if pushed {
            self.next.remove(&Resource::Executions);
        } else {
            self.next.insert(Resource::Executions, now);
        }
    }

    /// The latest executions list said whether anything is still moving.
    pub fn set_any_active(&mut self, active: bool, now: Instant) {
        let tighten = active && !self.any_active;
        self.any_active = active;
        if tighten {
            // Tighten the executions poll at once instead of waiting out the slow interval.
            let running = self
                .planned(Kind::Running)
                .unwrap_or(self.intervals.running);
            if let Some(at) = self.next.get_mut(&Resource::Executions) {
                *at = (*at).min(now + running);
            }
        }
    }

    /// The execution the user is on, and whether its detail is `open`. A new selection is
    /// read at once; so is one whose detail opens, as the list may have read it up to R ago.
    pub fn select(&mut self, exec: Option<ExecRef>, open: bool, now: Instant) {
        let opened = open && !self.selected_open;
        self.selected_open = open;
        if exec == self.selected {
            if let Some(exec) = &exec {
                let r = Resource::Execution(exec.clone());
                if opened {
                    self.next.insert(r, now);
                } else if !open {
                    self.next.remove(&r);
                }
            }
            return;
        }
        if let Some(old) = self.selected.take() {
            self.next.remove(&Resource::Execution(old));
        }
        self.selected_active = true;
        if let Some(exec) = &exec {
            self.next.insert(Resource::Execution(exec.clone()), now);
        }
        self.selected = exec;
    }

    pub fn set_selected_active(&mut self, exec: &ExecRef, active: bool) {
        if self.selected.as_ref() == Some(exec) {
            self.selected_active = active;
        }
    }

    /// None: do not poll again until asked.
    fn period(&self, resource: &Resource) -> Option<Duration> {
        match resource {
            Resource::Executions if self.pushed => None,
            Resource::Execution(e)
                if !(self.selected.as_ref() == Some(e)
                    && self.selected_active
                    && self.selected_open) =>
            {
                None
            }
            _ => self.planned(self.kind(resource)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(id: &str) -> ExecRef {
        ExecRef {
            project: "p".into(),
            id: id.into(),
        }
    }

    #[test]
    fn lists_are_due_at_start_then_follow_their_periods() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::default(), t0, false);
        let mut due = s.take_due(t0);
        due.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(due.len(), 3);
        assert!(s.take_due(t0).is_empty(), "taken reads are not due twice");
        for r in &due {
            s.completed(r, None, t0, 0.0);
        }
        assert_eq!(s.next_wakeup(), Some(t0 + Duration::from_secs(10)));
        assert_eq!(s.next[&Resource::Pipelines], t0 + Duration::from_secs(60));
    }

    #[test]
    fn active_executions_poll_fast_and_finished_never() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::default(), t0, false);
        s.take_due(t0);
        s.set_any_active(true, t0);
        s.completed(&Resource::Executions, None, t0, 0.0);
        assert_eq!(s.next[&Resource::Executions], t0 + Duration::from_secs(3));

        s.select(Some(exec("a")), true, t0);
        let r = Resource::Execution(exec("a"));
        assert_eq!(s.take_due(t0), vec![r.clone()]);
        s.completed(&r, None, t0, 0.0);
        assert_eq!(s.next[&r], t0 + Duration::from_secs(1));

        s.take_due(t0 + Duration::from_secs(1));
        s.set_selected_active(&exec("a"), false);
        s.completed(&r, None, t0, 0.0);
        assert!(
            !s.next.contains_key(&r),
            "a finished execution is not polled"
        );
    }

    #[test]
    fn the_selected_execution_is_polled_only_while_its_detail_is_open() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::default(), t0, false);
        s.take_due(t0);
        let r = Resource::Execution(exec("a"));
        s.select(Some(exec("a")), false, t0);
        assert_eq!(s.take_due(t0), vec![r.clone()], "read once when selected");
        s.completed(&r, None, t0, 0.0);
        assert!(!s.next.contains_key(&r), "not polled on the list");

        let t1 = t0 + Duration::from_secs(5);
        s.select(Some(exec("a")), true, t1);
        assert_eq!(s.take_due(t1), vec![r.clone()], "read again when opened");
        s.completed(&r, None, t1, 0.0);
        assert_eq!(s.next[&r], t1 + Duration::from_secs(1));
        s.select(Some(exec("a")), true, t1);
        assert_eq!(
            s.next[&r],
            t1 + Duration::from_secs(1),
            "no change, no read"
        );

        s.select(Some(exec("a")), false, t1);
        assert!(!s.next.contains_key(&r), "closed: no more polls");
        s.select(Some(exec("b")), true, t1);
        let b = Resource::Execution(exec("b"));
        assert_eq!(s.take_due(t1), vec![b.clone()]);
        s.completed(&b, None, t1, 0.0);
        assert_eq!(s.next[&b], t1 + Duration::from_secs(1));
    }

    #[test]
    fn a_floor_slows_every_read_of_a_budgeted_backend() {
        let t0 = Instant::now();
        let floor = Duration::from_secs(10);
        let mut s = Schedule::new(Intervals::default().at_least(floor), t0, false);
        s.take_due(t0);
        s.set_any_active(true, t0);
        s.completed(&Resource::Executions, None, t0, 0.0);
        assert_eq!(s.next[&Resource::Executions], t0 + floor, "not every 3 s");
        s.select(Some(exec("a")), true, t0);
        let r = Resource::Execution(exec("a"));
        s.take_due(t0);
        s.completed(&r, None, t0, 0.0);
        assert_eq!(s.next[&r], t0 + floor, "not every second");
    }

    #[test]
    fn failures_back_off_and_honour_retry_after() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::default(), t0, false);
        s.take_due(t0);
        let err = BackendError::Network("refused".into());
        s.completed(&Resource::Approvals, Some(&err), t0, 0.0);
        assert_eq!(s.next[&Resource::Approvals], t0 + Duration::from_secs(20));
        s.completed(&Resource::Approvals, Some(&err), t0, 1.0);
        assert_eq!(s.next[&Resource::Approvals], t0 + Duration::from_secs(48));
        for _ in 0..10 {
            s.completed(&Resource::Approvals, Some(&err), t0, 0.0);
        }
        assert_eq!(s.next[&Resource::Approvals], t0 + MAX_BACKOFF);
        s.completed(&Resource::Approvals, None, t0, 0.0);
        assert_eq!(s.next[&Resource::Approvals], t0 + Duration::from_secs(10));

        let limited = BackendError::RateLimited {
            retry_after: Some(Duration::from_secs(120)),
        };
        s.completed(&Resource::Approvals, Some(&limited), t0, 0.0);
        assert_eq!(s.next[&Resource::Approvals], t0 + Duration::from_secs(120));
    }

    #[test]
    fn reads_that_failed_for_an_unreachable_backend_retry_when_it_answers_again() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::default(), t0, false);
        s.take_due(t0);
        let down = BackendError::Timeout(Duration::from_secs(10));
        let refused = BackendError::NotAuthorized("no".into());
        s.completed(&Resource::Pipelines, Some(&down), t0, 0.0);
        s.completed(&Resource::Approvals, Some(&refused), t0, 0.0);
        s.completed(&Resource::Executions, Some(&down), t0, 0.0);
        assert_eq!(s.next[&Resource::Pipelines], t0 + Duration::from_secs(120));
        // The executions read gets through: the pipelines read is due at once, the refused
        // gates read keeps its back-off.
        let later = t0 + Duration::from_secs(5);
        s.completed(&Resource::Executions, None, later, 0.0);
        assert_eq!(s.next[&Resource::Pipelines], later);
        assert_eq!(s.next[&Resource::Approvals], t0 + Duration::from_secs(20));
        assert!(s.unreachable.is_empty());
    }

    #[test]
    fn a_pushed_executions_list_is_not_polled_until_the_watch_stops() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::default(), t0, false);
        s.set_pushed(true, t0);
        assert!(!s.take_due(t0).contains(&Resource::Executions));
        // A read already in flight completes without being rescheduled; pokes are ignored.
        s.completed(&Resource::Executions, None, t0, 0.0);
        s.poke(Resource::Executions, t0);
        let later = t0 + Duration::from_secs(3600);
        assert!(!s.take_due(later).contains(&Resource::Executions));
        // The watch went down: poll at once, then on the usual period.
        s.set_pushed(false, later);
        assert_eq!(s.take_due(later), vec![Resource::Executions]);
        s.completed(&Resource::Executions, None, later, 0.0);
        assert_eq!(s.next_wakeup(), Some(later + Intervals::default().lists));
    }

    #[test]
    fn a_watching_backend_takes_its_first_executions_from_the_watch() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::default(), t0, true);
        let mut due = s.take_due(t0);
        due.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(due, vec![Resource::Approvals, Resource::Pipelines]);
        // The watch failed before its first list: the executions are polled at once.
        let later = t0 + Duration::from_millis(50);
        s.set_pushed(false, later);
        assert_eq!(s.take_due(later), vec![Resource::Executions]);
    }

    fn spend(planned: &[(Kind, Duration)], demands: &[(Kind, f64, Duration)]) -> f64 {
        planned
            .iter()
            .zip(demands)
            .map(|((_, p), (_, cost, _))| cost * 60.0 / p.as_secs_f64())
            .sum()
    }

    #[test]
    fn the_budget_goes_to_the_open_detail_then_gates_then_running_and_starves_no_kind() {
        let secs = Duration::from_secs;
        let demands = [
            (Kind::Detail, 1.0, secs(1)),
            (Kind::Gates, 10.0, secs(10)),
            (Kind::Running, 3.0, secs(3)),
            (Kind::Pipelines, 3.0, secs(60)),
        ];
        let planned = plan(80.0, &demands);
        // Floors: a quarter of what each wants (15, 15, 15) or 4, pipelines need only 3:
        // 48. Of the 32 left, the detail takes up to a quarter of the budget (5 more, 20 in
        // all: every 3 s), the gates the other 27 (42: every 14.3 s); the running
        // executions keep their floor (every 12 s).
        assert_eq!(planned[0], (Kind::Detail, secs(3)));
        assert_eq!(planned[1].0, Kind::Gates);
        assert!(
            (planned[1].1.as_secs_f64() - 600.0 / 42.0).abs() < 1e-6,
            "{planned:?}"
        );
        assert_eq!(
            planned[2],
            (Kind::Running, secs(12)),
            "the floor, not nothing"
        );
        assert_eq!(planned[3], (Kind::Pipelines, secs(60)));
        assert!((spend(&planned, &demands) - 80.0).abs() < 1e-6);

        // Plenty of budget: every kind at its interval.
        let planned = plan(1000.0, &demands);
        assert!(
            planned
                .iter()
                .zip(&demands)
                .all(|((_, p), (_, _, want))| p == want)
        );
    }

    #[test]
    fn a_plan_never_spends_more_than_its_budget() {
        let kinds = [Kind::Detail, Kind::Gates, Kind::Running, Kind::Pipelines];
        for seed in 0..500u64 {
            let r = |k: u64| ((seed * 2654435761 + k * 40503) % 997) as f64;
            let budget = 1.0 + r(1) / 5.0;
            let demands: Vec<(Kind, f64, Duration)> = kinds
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let i = i as u64;
                    (
                        *k,
                        1.0 + r(i + 2) / 20.0,
                        Duration::from_millis(500 + r(i + 9) as u64 * 60),
                    )
                })
                .collect();
            let planned = plan(budget, &demands);
            assert!(
                spend(&planned, &demands) <= budget + 1e-6,
                "{seed}: {planned:?}"
            );
            for ((_, p), (_, _, want)) in planned.iter().zip(&demands) {
                assert!(p >= want, "never faster than wanted");
            }
        }
    }

    #[test]
    fn a_short_budget_stretches_periods_from_measured_costs() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::default(), t0, false);
        s.set_budget(Some(10)); // 8 a minute for reads
        s.take_due(t0);
        s.set_any_active(true, t0);
        s.learn(&Resource::Approvals, 4);
        s.learn(&Resource::Executions, 1);
        s.learn(&Resource::Pipelines, 1);
        for r in [
            Resource::Approvals,
            Resource::Executions,
            Resource::Pipelines,
        ] {
            s.completed(&r, None, t0, 0.0);
        }
        // Gates want 24 a minute, the running list 20, pipelines 1: only floors fit (6, 5
        // and 0.4, shrunk together to 8).
        let period = |r: &Resource| (s.next[r] - t0).as_secs_f64();
        let spent = 4.0 * 60.0 / period(&Resource::Approvals)
            + 60.0 / period(&Resource::Executions)
            + 60.0 / period(&Resource::Pipelines);
        assert!((spent - 8.0).abs() < 1e-6, "{spent}");
        let shrink = 8.0 / 11.4;
        assert!((period(&Resource::Approvals) - 40.0 / shrink).abs() < 1e-6);
        assert!((period(&Resource::Executions) - 12.0 / shrink).abs() < 1e-6);
        assert!((period(&Resource::Pipelines) - 150.0 / shrink).abs() < 1e-6);
    }

    #[test]
    fn when_room_is_short_the_higher_kind_goes_first() {
        let t0 = Instant::now();
        let mut s = Schedule::new(Intervals::default(), t0, false);
        s.set_budget(Some(100));
        s.select(Some(exec("a")), true, t0);
        s.learn(&Resource::Approvals, 3);
        // Room for 4: the detail (1) and the gates (3); the lists wait.
        let mut due = s.take_due_within(t0, Some(4), 100);
        assert_eq!(
            due,
            vec![Resource::Execution(exec("a")), Resource::Approvals]
        );
        let later = t0 + ROOM_RETRY;
        assert!(s.take_due_within(t0, Some(10), 100).is_empty());
        due = s.take_due_within(later, Some(10), 100);
        due.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(due, vec![Resource::Executions, Resource::Pipelines]);
        // A read dearer than a quarter of the share needs only that quarter to start.
        s.poke(Resource::Approvals, later);
        s.learn(&Resource::Approvals, 60);
        assert_eq!(
            s.take_due_within(later, Some(25), 100),
            vec![Resource::Approvals]
        );
    }
}
