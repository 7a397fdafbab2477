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
        }
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
        if active && !self.any_active {
            // Tighten the executions poll at once instead of waiting out the slow interval.
            let soon = now + self.intervals.running;
            if let Some(at) = self.next.get_mut(&Resource::Executions) {
                *at = (*at).min(soon);
            }
        }
        self.any_active = active;
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
        let i = &self.intervals;
        match resource {
            Resource::Pipelines => Some(i.lists * PIPELINES_FACTOR),
            Resource::Executions if self.pushed => None,
            Resource::Executions if self.any_active => Some(i.running),
            Resource::Executions | Resource::Approvals => Some(i.lists),
            Resource::Execution(e) => {
                (self.selected.as_ref() == Some(e) && self.selected_active && self.selected_open)
                    .then_some(i.selected)
            }
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
}
