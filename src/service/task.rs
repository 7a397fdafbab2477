//! The task that serves one backend: runs due reads, coalesces duplicates, executes writes
//! once, and forwards every result to the app.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use super::schedule::{Intervals, Schedule};
use super::watch::{self, Note};
use super::{Command, Feed, Limits, Payload, Reply, Resource};
use crate::backend::Backend;
use crate::backend::budget::{PaceStatus, bounded, counted};
use crate::backend::identity::capture_request_id;
use crate::domain::{BackendError, ExecRef, ExecStatus};

/// How long after an unreachable backend's who-am-I it is asked again (then twice, four
/// times as long).
const IDENTITY_RETRY: Duration = Duration::from_secs(30);

/// Most log lines forwarded in one reply.
const LOG_BATCH: usize = 1000;

/// A finished operation on its way back to the task loop.
struct Done {
    /// Set for reads, so the loop can reschedule and de-duplicate them.
    resource: Option<Resource>,
    epoch: u64,
    elapsed: Duration,
    /// Requests it sent.
    cost: usize,
    payload: Payload,
}

pub(super) async fn run(
    backend: Arc<dyn Backend>,
    limits: Limits,
    intervals: Intervals,
    mut commands: mpsc::UnboundedReceiver<Command>,
    replies: mpsc::UnboundedSender<Reply>,
) {
    // Without a watch the sender is dropped at once and the branch below never fires.
    let (notes_tx, mut notes) = mpsc::unbounded_channel();
    let watches = backend.can_watch();
    if watches {
        tokio::spawn(watch::supervise(backend.clone(), notes_tx));
    }
    let mut schedule = Schedule::new(
        intervals.at_least(limits.min_interval),
        Instant::now().into_std(),
        watches,
    );
    schedule.set_budget(backend.pace().and_then(|p| p.share()));
    let mut state = TaskState {
        backend,
        permits: Arc::new(Semaphore::new(limits.concurrency.max(1))),
        timeout: limits.operation_timeout,
        schedule,
        pace_said: None,
        in_flight: HashMap::new(),
        waiting: None,
        done: mpsc::unbounded_channel(),
        pushed: false,
        // The gates are read at startup anyway: the watch's first list need not ask again.
        gates_poked: Instant::now(),
        running: intervals.running,
        log: None,
        gates_predate: false,
        deciding: 0,
    };
    state.ask_identity();
    loop {
        let now = Instant::now().into_std();
        let pace = state.backend.pace().cloned();
        let room = pace.as_ref().and_then(|p| p.room());
        let share = pace.as_ref().and_then(|p| p.share()).unwrap_or(usize::MAX);
        for resource in state.schedule.take_due_within(now, room, share) {
            state.start_read(resource);
        }
        if let Some(reply) = state.pace_changed()
            && replies.send(reply).is_err()
        {
            return;
        }
        let wake = state
            .schedule
            .next_wakeup()
            .map(Instant::from_std)
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            command = commands.recv() => match command {
                Some(command) => state.handle(command),
                None => return,
            },
            Some(done) = state.done.1.recv() => {
                if let Some(reply) = state.complete(done)
                    && replies.send(reply).is_err()
                {
                    return;
                }
            }
            Some(note) = notes.recv() => {
                for reply in state.watched(note) {
                    if replies.send(reply).is_err() {
                        return;
                    }
                }
            }
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}

struct TaskState {
    backend: Arc<dyn Backend>,
    permits: Arc<Semaphore>,
    timeout: Duration,
    schedule: Schedule,
    /// What the status bar was last told of the backend's pace.
    pace_said: Option<String>,
    /// Reads queued or in flight; `true` = asked again meanwhile, run once more after.
    in_flight: HashMap<Resource, bool>,
    /// Ids of executions waiting for a person, to notice when the gate list changed; `None`
    /// until the first list, which only sets it (the gates are read at startup anyway).
    waiting: Option<BTreeSet<String>>,
    /// A watch is pushing the executions list.
    pushed: bool,
    /// When a pushed change last asked for the gates to be re-read (or the task started).
    gates_poked: Instant,
    /// Pushed changes ask for the gates at most this often.
    running: Duration,
    /// The log streaming for the log view, if one is open.
    log: Option<tokio::task::JoinHandle<()>>,
    /// The read of the gates in flight was sent before a decision ended, so its answer
    /// may still show that gate waiting (see [`TaskState::complete`]).
    gates_predate: bool,
    /// Decisions sent and not yet answered.
    deciding: usize,
    done: (mpsc::UnboundedSender<Done>, mpsc::UnboundedReceiver<Done>),
}

impl TaskState {
    fn handle(&mut self, command: Command) {
        let now = Instant::now().into_std();
        match command {
            Command::Refresh(resource) => self.schedule.poke(resource, now),
            Command::Select { exec, open } => self.schedule.select(exec, open, now),
            Command::LoadStartForm {
                epoch,
                project,
                pipeline_id,
            } => self.spawn(None, epoch, move |b, limit| async move {
                let result = bounded(limit, b.start_form(&project, &pipeline_id)).await;
                Payload::StartForm {
                    project,
                    pipeline_id,
                    result,
                }
            }),
            Command::Preview { epoch, request } => {
                self.spawn(None, epoch, move |b, limit| async move {
                    let result = bounded(limit, b.start_preview(&request))
                        .await
                        .map(Box::new);
                    Payload::Preview { request, result }
                })
            }
            Command::Start { epoch, request } => {
                self.spawn(None, epoch, move |b, limit| async move {
                    let (result, request_id) =
                        capture_request_id(bounded(limit, b.start(&request))).await;
                    Payload::Started {
                        request,
                        result,
                        request_id,
                    }
                })
            }
            Command::Decide {
                epoch,
                approval,
                decision,
            } => {
                self.deciding += 1;
                self.spawn(None, epoch, move |b, limit| async move {
                    let (result, request_id) =
                        capture_request_id(bounded(limit, b.decide(&approval, &decision))).await;
                    Payload::Decided {
                        approval,
                        decision,
                        result,
                        request_id,
                    }
                })
            }
            Command::Logs {
                epoch,
                exec,
                step,
                follow,
            } => self.stream_logs(epoch, exec, step, follow),
            Command::StopLogs => {
                if let Some(log) = self.log.take() {
                    log.abort();
                }
            }
            Command::Control {
                epoch,
                exec,
                action,
            } => self.spawn(None, epoch, move |b, limit| async move {
                let (result, request_id) =
                    capture_request_id(bounded(limit, b.control(&exec, &action))).await;
                let after = match &result {
                    Err(e) if e.outcome_unknown() => Some(
                        bounded(limit, b.execution(&exec))
                            .await
                            .map(|d| d.execution.status.raw)
                            .map_err(|e| e.to_string()),
                    ),
                    _ => None,
                };
                Payload::Controlled {
                    exec,
                    action,
                    result,
                    after,
                    request_id,
                }
            }),
            Command::RetryStages { epoch, exec } => {
                self.spawn(None, epoch, move |b, limit| async move {
                    let result = bounded(limit, b.retry_stages(&exec)).await;
                    Payload::RetryStages { exec, result }
                })
            }
            Command::RunInputs { epoch, exec } => {
                self.spawn(None, epoch, move |b, limit| async move {
                    Payload::RunInputs(bounded(limit, b.run_inputs(&exec)).await)
                })
            }
        }
    }

    /// Streams a log outside the concurrency limit (it may last as long as the step runs),
    /// forwarding lines in batches of what arrived together.
    fn stream_logs(&mut self, epoch: u64, exec: ExecRef, step: Option<String>, follow: bool) {
        if let Some(old) = self.log.take() {
            old.abort();
        }
        let backend = self.backend.clone();
        let done = self.done.0.clone();
        let send = move |payload| {
            done.send(Done {
                resource: None,
                epoch,
                elapsed: Duration::ZERO,
                cost: 0,
                payload,
            })
            .is_ok()
        };
        self.log = Some(tokio::spawn(async move {
            let (lines, mut received) = mpsc::unbounded_channel();
            let stream = backend.logs(&exec, step.as_deref(), follow, &lines);
            tokio::pin!(stream);
            let result = loop {
                tokio::select! {
                    result = &mut stream => break result,
                    Some(first) = received.recv() => {
                        let mut batch = vec![first];
                        while batch.len() < LOG_BATCH && let Ok(line) = received.try_recv() {
                            batch.push(line);
                        }
                        if !send(Payload::LogLines(batch)) {
                            return;
                        }
                    }
                }
            };
            let rest: Vec<_> = std::iter::from_fn(|| received.try_recv().ok()).collect();
            if !rest.is_empty() && !send(Payload::LogLines(rest)) {
                return;
            }
            send(Payload::LogEnded(result));
        }));
    }

    /// Turns what the watch says into replies: the list itself, and a feed change when the
    /// watch came up or went down.
    fn watched(&mut self, note: Note) -> Vec<Reply> {
        let now = Instant::now();
        let mut replies = Vec::new();
        match note {
            Note::List(list) => {
                tracing::debug!(backend = %self.backend.name(), executions = list.len(), "watched list");
                if !self.pushed {
                    self.pushed = true;
                    self.schedule.set_pushed(true, now.into_std());
                    replies.push(self.reply(0, Duration::ZERO, Payload::Feed(Feed::Watching)));
                }
                // A pushed list carries no nodes, so a new gate shows only in the gates
                // read: re-read them on changes, at most every `running` interval.
                if now.duration_since(self.gates_poked) >= self.running {
                    self.gates_poked = now;
                    self.schedule.poke(Resource::Approvals, now.into_std());
                }
                replies.push(self.finish(Done {
                    resource: None,
                    epoch: 0,
                    elapsed: Duration::ZERO,
                    cost: 0,
                    payload: Payload::Executions(Ok(list)),
                }));
            }
            Note::Down(error) => {
                self.pushed = false;
                self.schedule.set_pushed(false, now.into_std());
                let feed = Feed::Polling {
                    reason: error.to_string(),
                };
                replies.push(self.reply(0, Duration::ZERO, Payload::Feed(feed)));
            }
        }
        replies
    }

    /// A reply when what the status bar should say of the pace changed: why it holds back,
    /// or nothing once it is back to its share.
    fn pace_changed(&mut self) -> Option<Reply> {
        let now = match self.backend.pace().map(|p| p.status()) {
            Some(PaceStatus::HoldingBack {
                per_minute,
                share,
                why,
                ..
            }) => Some(match share {
                Some(share) => format!("{why}, {per_minute}/min of {share}"),
                None => format!("{why}, {per_minute}/min"),
            }),
            _ => None,
        };
        if now == self.pace_said {
            return None;
        }
        self.pace_said = now.clone();
        Some(self.reply(0, Duration::ZERO, Payload::Pace(now)))
    }

    fn reply(&self, epoch: u64, elapsed: Duration, payload: Payload) -> Reply {
        Reply {
            backend: self.backend.name().clone(),
            epoch,
            elapsed,
            payload,
        }
    }

    fn start_read(&mut self, resource: Resource) {
        if let Some(again) = self.in_flight.get_mut(&resource) {
            *again = true;
            return;
        }
        self.in_flight.insert(resource.clone(), false);
        let r = resource.clone();
        self.spawn(Some(resource), 0, move |b, limit| async move {
            match r {
                Resource::Pipelines => Payload::Pipelines(bounded(limit, b.list_pipelines()).await),
                Resource::Executions => {
                    Payload::Executions(bounded(limit, b.list_executions()).await)
                }
                Resource::Approvals => {
                    Payload::Approvals(bounded(limit, b.waiting_approvals()).await)
                }
                Resource::Execution(exec) => {
                    let result = bounded(limit, b.execution(&exec)).await.map(Box::new);
                    Payload::Execution(exec, result)
                }
            }
        });
    }

    /// Asks who the key acts as, once: the key is resolved once per process, so the answer
    /// holds for the task's life. A backend that could not be reached is asked again a few
    /// times, further apart each time, without holding a concurrency permit meanwhile.
    fn ask_identity(&self) {
        let backend = self.backend.clone();
        let permits = self.permits.clone();
        let limit = self.timeout;
        let done = self.done.0.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut spent = 0;
            let mut wait = IDENTITY_RETRY;
            let identity = loop {
                let answer = {
                    let Ok(_permit) = permits.clone().acquire_owned().await else {
                        return;
                    };
                    let (answer, cost) = counted(false, bounded(limit, backend.whoami())).await;
                    spent += cost;
                    answer
                };
                match answer {
                    Ok(identity) => break identity,
                    Err(e) if e.is_transient() && wait <= IDENTITY_RETRY * 4 => {
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                    }
                    Err(e) => {
                        break crate::backend::Identity::unknown(format!("who-am-I failed: {e}"));
                    }
                }
            };
            let _ = done.send(Done {
                resource: None,
                epoch: 0,
                elapsed: started.elapsed(),
                cost: spent,
                payload: Payload::Identity(identity),
            });
        });
    }

    /// Runs one operation under the concurrency limit; `op` applies the timeout it is given.
    fn spawn<F, Fut>(&self, resource: Option<Resource>, epoch: u64, op: F)
    where
        F: FnOnce(Arc<dyn Backend>, Duration) -> Fut + Send + 'static,
        Fut: Future<Output = Payload> + Send,
    {
        let backend = self.backend.clone();
        let permits = self.permits.clone();
        let limit = self.timeout;
        let done = self.done.0.clone();
        tokio::spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            let started = Instant::now();
            let (payload, cost) = counted(resource.is_some(), op(backend, limit)).await;
            let _ = done.send(Done {
                resource,
                epoch,
                elapsed: started.elapsed(),
                cost,
                payload,
            });
        });
    }

    /// The reply a finished operation releases, if the app should see it.
    ///
    /// A decision whose outcome is unknown is settled by the next read of the gates, so
    /// every gates list the app gets after a decision's reply must have been read after
    /// the decision ended. A read already in flight when it ended may predate it: its list
    /// is dropped (a failure still tells the backend's health), and the gates are read again
    /// once the last decision in flight is answered (see [`TaskState::finish`]). The
    /// decision's own reply is never held back, so a batch's results show as they come.
    fn complete(&mut self, done: Done) -> Option<Reply> {
        let decided = matches!(done.payload, Payload::Decided { .. });
        if decided && self.in_flight.contains_key(&Resource::Approvals) {
            self.gates_predate = true;
        }
        let stale = done.resource == Some(Resource::Approvals)
            && std::mem::take(&mut self.gates_predate)
            && matches!(done.payload, Payload::Approvals(Ok(_)));
        let reply = self.finish(done);
        (!stale).then_some(reply)
    }

    /// Reschedules a finished read, notices changes worth an early read, builds the reply.
    fn finish(&mut self, done: Done) -> Reply {
        let now = Instant::now().into_std();
        let jitter: f64 = rand::random();
        match &done.payload {
            Payload::Executions(Ok(list)) => {
                let active = list.iter().any(|e| e.status.status.is_active());
                self.schedule.set_any_active(active, now);
                let waiting: BTreeSet<String> = list
                    .iter()
                    .filter(|e| e.status.status == ExecStatus::Waiting)
                    .map(|e| e.id.clone())
                    .collect();
                let changed = self
                    .waiting
                    .as_ref()
                    .is_some_and(|before| *before != waiting);
                self.waiting = Some(waiting);
                if changed {
                    self.schedule.poke(Resource::Approvals, now);
                }
            }
            Payload::Execution(exec, Ok(detail)) => {
                let active = detail.execution.status.status.is_active();
                self.schedule.set_selected_active(exec, active);
            }
            Payload::Decided { .. } => {
                // Whatever the outcome, the gate list and statuses are now worth re-reading:
                // a timed-out or failed decision must be re-read before any retry. Once the
                // last decision in flight is answered, not after each of a batch: a read of
                // the gates costs a request per waiting execution, and reads meanwhile
                // would take the backend's capacity from the decisions.
                self.deciding = self.deciding.saturating_sub(1);
                if self.deciding == 0 {
                    self.schedule.poke(Resource::Approvals, now);
                    self.schedule.poke(Resource::Executions, now);
                }
            }
            Payload::Started { .. } => self.schedule.poke(Resource::Executions, now),
            _ => {}
        }
        if let Some(resource) = &done.resource {
            // With `--log`, when each read completed (benches/terminal.rs times startup
            // from these lines).
            tracing::debug!(
                backend = %self.backend.name(),
                read = read_name(resource),
                ok = read_error(&done.payload).is_none(),
                elapsed_ms = done.elapsed.as_millis(),
                requests = done.cost,
                "read done"
            );
            if done.cost > 0 {
                self.schedule.learn(resource, done.cost);
            }
            self.schedule
                .completed(resource, read_error(&done.payload), now, jitter);
            if self.in_flight.remove(resource) == Some(true) {
                self.start_read(resource.clone());
            }
        }
        self.reply(done.epoch, done.elapsed, done.payload)
    }
}

/// A read's name in the debug log: one word, so the line splits on spaces.
fn read_name(resource: &Resource) -> &'static str {
    match resource {
        Resource::Pipelines => "pipelines",
        Resource::Executions => "executions",
        Resource::Approvals => "approvals",
        Resource::Execution(_) => "execution",
    }
}

fn read_error(payload: &Payload) -> Option<&BackendError> {
    match payload {
        Payload::Pipelines(Err(e))
        | Payload::Executions(Err(e))
        | Payload::Approvals(Err(e))
        | Payload::Execution(_, Err(e)) => Some(e),
        _ => None,
    }
}
