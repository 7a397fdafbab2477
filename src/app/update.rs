//! `App::update`: every state change goes through here.

use std::time::Duration;

use crossterm::event::{KeyEvent, KeyEventKind};
use jiff::Timestamp;

use super::dialog::Dialog;
use super::{App, DetailData, Effect, FlashLevel, Layer, Msg, Pane, View};
use crate::audit;
use crate::domain::{Approval, BackendName, DecisionAction, order};
use crate::service::{Command, Payload, Reply, Resource};

use super::keymap::Action;

impl App {
    /// Applies one message at time `now`; returns the effects to run.
    pub fn update(&mut self, msg: Msg, now: Timestamp) -> Vec<Effect> {
        self.now = now;
        // What a frame found out changes nothing on screen: it is noted, and the screen's
        // clock is left where the frame was drawn.
        if let Msg::Drawn(drawn) = msg {
            self.on_drawn(drawn);
            return Vec::new();
        }
        // The screen's clock follows the ticks; without them (a stalled loop, a test) it
        // catches up once a tick's time has passed.
        let since = Duration::try_from(now.duration_since(self.clock.now())).ok();
        if matches!(msg, Msg::Tick) || since.is_none_or(|d| d >= super::TICK) {
            self.clock.set(now);
        }
        let mut effects = Vec::new();
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => {
                self.on_key(key, &mut effects);
                self.dirty = true;
            }
            Msg::Key(_) => {}
            Msg::Pointer(pointer) => {
                self.on_pointer(pointer, &mut effects);
                self.dirty = true;
            }
            Msg::Reply(reply) => self.on_reply(reply, &mut effects),
            // Whether a time on screen moved is asked below, whatever the message.
            Msg::Tick => {}
            Msg::Resize { height, .. } => {
                self.page = usize::from(height.saturating_sub(6)).max(1);
                self.dirty = true;
            }
            Msg::EffectFailed(text) => {
                self.flash(FlashLevel::Error, text);
                self.dirty = true;
            }
            Msg::Drawn(_) => {}
        }
        // List updates wait while a dialog is open, so what the dialog was opened on does
        // not move under the user; they land as soon as it closes.
        if !self.frozen && self.dialog.is_none() && !self.held.is_empty() {
            for reply in std::mem::take(&mut self.held) {
                self.on_reply(reply, &mut effects);
            }
        }
        // Ages, durations and countdowns drawn in the last frame read differently now.
        self.dirty |= self.clock.moved();
        self.rebuild_views();
        self.sync_selection(&mut effects);
        effects
    }

    /// A key goes to the topmost layer that is open (see [`super::Layer`]).
    fn on_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        match self.layer() {
            Layer::Dialog => self.on_dialog_key(key, effects),
            Layer::Palette => self.on_palette_key(key, effects),
            Layer::Filter => self.on_filter_key(key),
            Layer::Logs => self.on_logs_key(key, effects),
            Layer::Panes => {
                if let Some(action) = self.keymap.action(&key) {
                    self.run(action, effects);
                }
            }
        }
    }

    /// Does what `action` means here: from its key, or from the palette.
    pub(super) fn run(&mut self, action: Action, effects: &mut Vec<Effect>) {
        // Acting on a row chooses it: from now on the cursor follows that item as rows
        // arrive (until then it rests on the first row).
        if matches!(
            action,
            Action::Open
                | Action::Start
                | Action::Approve
                | Action::Reject
                | Action::Mark
                | Action::MarkRange
                | Action::Follow
                | Action::Logs
                | Action::Abort
                | Action::Retry
                | Action::Rerun
                | Action::SuspendResume
        ) && let Some(cursor) = self.cursors.get_mut(&self.pane)
        {
            cursor.hold();
        }
        match action {
            Action::Quit => self.should_quit = true,
            Action::Help => {
                let section = self.layer().section();
                self.dialog = Some(Dialog::Help { scroll: 0, section });
            }
            Action::Up => self.step(-1),
            Action::Down => self.step(1),
            Action::PageUp => self.step(-(self.page as isize)),
            Action::PageDown => self.step(self.page as isize),
            Action::Top => self.step(isize::MIN / 2),
            Action::Bottom => self.step(isize::MAX / 2),
            Action::NextPane => self.switch_pane(1),
            Action::PrevPane => self.switch_pane(-1),
            Action::Open => {
                if matches!(self.pane, Pane::Pipelines | Pane::Audit)
                    || self.current_exec().is_some()
                {
                    self.view = View::Detail;
                    self.detail_scroll = 0;
                    self.detail_bottom = None;
                }
            }
            Action::Back => self.view = View::List,
            Action::Refresh => self.refresh(effects),
            Action::Freeze => self.toggle_freeze(effects),
            Action::Start if self.pane == Pane::Pipelines && !self.pipeline_marks.is_empty() => {
                self.open_bulk_start(effects)
            }
            Action::Start => self.open_start(effects),
            Action::Approve => self.open_decision(DecisionAction::Approve),
            Action::Reject => self.open_decision(DecisionAction::Reject),
            Action::Mark => self.toggle_mark(),
            Action::MarkRange => self.mark_range(),
            Action::MarkAll => self.mark_all(),
            Action::ClearMarks => self.clear_marks(),
            Action::ApproveMarked => self.open_batch(DecisionAction::Approve),
            Action::RejectMarked => self.open_batch(DecisionAction::Reject),
            Action::Abort => self.open_control(super::Verb::Abort, effects),
            Action::Retry => self.open_control(super::Verb::Retry, effects),
            Action::Rerun => self.open_control(super::Verb::Rerun, effects),
            Action::SuspendResume => self.open_control(super::Verb::SuspendResume, effects),
            Action::Filter => {
                self.filter_input = Some(tui_input::Input::new(self.filter_text.clone()));
            }
            Action::Palette => self.open_palette(),
            Action::Sort => self.cycle_sort(),
            Action::SortReverse => self.reverse_sort(),
            Action::Follow => self.toggle_follow(),
            Action::Logs => self.open_logs(effects),
            Action::CopyUrl => self.copy_url(effects),
            Action::CopyId => self.copy_id(effects),
            Action::Backends => self.dialog = Some(Dialog::Backends { scroll: 0 }),
            // Other layers' actions: their layer runs them.
            Action::Close
            | Action::Pause
            | Action::NextStep
            | Action::Search
            | Action::NextMatch
            | Action::PrevMatch
            | Action::FocusNext
            | Action::FocusPrev
            | Action::ChoicePrev
            | Action::ChoiceNext
            | Action::Confirm
            | Action::Cancel
            | Action::CopyRequest => {}
        }
    }

    /// The frame is on the terminal: nothing to draw until something changes, and what it
    /// found out is kept for the next one.
    fn on_drawn(&mut self, drawn: super::Drawn) {
        self.dirty = drawn.repaint;
        self.draw_now = drawn.repaint;
        self.clock.drawn(drawn.next_change);
        self.scroll = drawn.scroll;
        if self.view == View::Detail {
            self.detail_bottom = drawn.detail_bottom;
            if let Some(bottom) = drawn.detail_bottom {
                self.detail_scroll = self.detail_scroll.min(bottom);
            }
        }
    }

    /// Moves the cursor in a list, or scrolls the detail view.
    pub(super) fn step(&mut self, delta: isize) {
        if self.view == View::Detail {
            let bottom = self.detail_bottom.unwrap_or(u16::MAX);
            let to = self.detail_scroll as isize + delta;
            self.detail_scroll = to.clamp(0, bottom as isize) as u16;
            return;
        }
        let keys = self.keys(self.pane);
        self.cursors
            .entry(self.pane)
            .or_default()
            .step(&keys, delta);
    }

    fn switch_pane(&mut self, delta: isize) {
        let i = Pane::ALL.iter().position(|p| *p == self.pane).unwrap_or(0) as isize;
        self.pane = Pane::ALL[(i + delta).rem_euclid(Pane::ALL.len() as isize) as usize];
        self.view = View::List;
    }

    fn refresh(&mut self, effects: &mut Vec<Effect>) {
        for b in &self.backends {
            for resource in [
                Resource::Pipelines,
                Resource::Executions,
                Resource::Approvals,
            ] {
                effects.push(Effect::Send {
                    backend: b.name.clone(),
                    command: Command::Refresh(resource),
                });
            }
        }
        if let Some((backend, exec)) = self.current_exec() {
            effects.push(Effect::Send {
                backend,
                command: Command::Refresh(Resource::Execution(exec)),
            });
        }
        self.flash(FlashLevel::Info, "refreshing…");
    }

    fn toggle_freeze(&mut self, effects: &mut Vec<Effect>) {
        self.frozen = !self.frozen;
        if self.frozen {
            self.flash(FlashLevel::Info, "updates frozen (f to resume)");
        } else {
            for reply in std::mem::take(&mut self.held) {
                self.on_reply(reply, effects);
            }
            self.flash(FlashLevel::Info, "updates resumed");
        }
    }

    fn on_reply(&mut self, reply: Reply, effects: &mut Vec<Effect>) {
        let health_shown = self.record_health(&reply);
        let is_list = matches!(
            reply.payload,
            Payload::Pipelines(_)
                | Payload::Executions(_)
                | Payload::Approvals(_)
                | Payload::Execution(..)
        );
        if is_list && (self.frozen || self.dialog.is_some()) {
            self.hold(reply);
            self.dirty = true;
            return;
        }
        // Polls mostly bring back what is already on screen: such a reply changes nothing,
        // and the screen is neither rebuilt nor drawn for it.
        let changed = self.apply(reply, effects);
        if changed {
            self.mark_views_stale();
        }
        self.dirty |= changed || health_shown;
    }

    /// Applies a reply; returns whether anything the screen shows may have changed.
    fn apply(&mut self, reply: Reply, effects: &mut Vec<Effect>) -> bool {
        let Reply {
            backend,
            epoch,
            payload,
            ..
        } = reply;
        match payload {
            Payload::Pipelines(Ok(list)) => super::lists::replace_rows(
                &mut self.pipelines,
                list,
                |p| p.backend == backend,
                order::pipelines,
            ),
            Payload::Executions(Ok(list)) => {
                self.watch_executions(&list, effects);
                // Settles unknown control outcomes; drops marks of runs gone.
                let listed: std::collections::HashSet<_> = list.iter().map(|e| e.key()).collect();
                self.runs.listed(&backend, &listed);
                super::lists::replace_rows(
                    &mut self.executions,
                    list,
                    |e| e.backend == backend,
                    order::executions,
                )
            }
            Payload::Approvals(Ok(list)) => {
                self.watch_gates(&backend, &list, effects);
                let listed: std::collections::HashSet<_> = list.iter().map(Approval::key).collect();
                let changed = super::lists::replace_rows(
                    &mut self.approvals,
                    list,
                    |a| a.backend == backend,
                    order::approvals,
                );
                // Settles unknown outcomes; drops decided markers and marks of gates gone.
                let settled = self.gates.listed(&backend, &listed);
                if settled.marks_dropped > 0 {
                    // A mark must never silently point at nothing. Said after the notice of
                    // the gates gone, if this read brought one.
                    let unmarked = format!(
                        "{} marked gate(s) no longer waiting: unmarked",
                        settled.marks_dropped
                    );
                    let text = match self.flash.take() {
                        Some(f) if f.at == self.now => format!("{} · {unmarked}", f.text),
                        _ => unmarked,
                    };
                    self.flash(FlashLevel::Info, text);
                }
                changed || settled.changed
            }
            Payload::Execution(exec, mut result) => {
                if let Ok(detail) = &mut result {
                    order::approvals(&mut detail.approvals);
                }
                let mut changed = true;
                if let Ok(detail) = &result {
                    self.runs.read(&detail.execution.key());
                    self.watch_executions(std::slice::from_ref(&detail.execution), effects);
                    let row = self.merge_execution(&detail.execution);
                    let same = self.detail.as_ref().is_some_and(|d| {
                        d.backend == backend
                            && d.exec == exec
                            && d.result.as_ref().is_ok_and(|shown| **shown == **detail)
                    });
                    changed = row || !same;
                }
                self.detail = Some(DetailData {
                    backend,
                    exec,
                    result: result.map_err(|e| e.to_string()),
                });
                changed
            }
            // Recorded in health; the last good data stays, marked stale.
            Payload::Pipelines(Err(_))
            | Payload::Executions(Err(_))
            | Payload::Approvals(Err(_)) => false,
            answer => {
                self.on_answer(backend, epoch, answer, effects);
                true
            }
        }
    }

    /// Replies other than reads: dialogs' answers, logs, the feed.
    fn on_answer(
        &mut self,
        backend: BackendName,
        epoch: u64,
        payload: Payload,
        effects: &mut Vec<Effect>,
    ) {
        match payload {
            Payload::LogLines(lines) => {
                if let Some(view) = self.logs.as_mut().filter(|v| v.epoch == epoch) {
                    view.push(lines);
                }
            }
            Payload::LogEnded(result) => {
                if let Some(view) = self.logs.as_mut().filter(|v| v.epoch == epoch) {
                    view.ended = Some(result.map_err(|e| e.to_string()));
                }
            }
            Payload::Feed(feed) => {
                if let Some(b) = self.backends.iter_mut().find(|b| b.name == backend) {
                    b.feed = Some(feed);
                }
            }
            // The backends view shows it; every audit entry of the backend records it.
            Payload::Identity(identity) => self.writes.learn(&backend, identity),
            Payload::Pace(why) => {
                if let Some(b) = self.backends.iter_mut().find(|b| b.name == backend) {
                    b.holding_back = why;
                }
            }
            // Dialogs' answers go to the dialog opened at their epoch (`dialog/mod.rs`).
            Payload::StartForm {
                project,
                pipeline_id,
                result,
            } => self.on_form_reply(epoch, &backend, &project, &pipeline_id, result),
            Payload::Preview { request, result } => {
                let result = result.map(|p| *p).map_err(|e| e.to_string());
                self.on_preview_reply(epoch, &backend, request, result);
            }
            Payload::Started {
                request,
                result,
                request_id,
            } => {
                let pipeline =
                    crate::domain::ItemKey::new(&backend, &request.project, &request.pipeline_id);
                let super::PendingStart {
                    pipeline_name: name,
                    secrets,
                } = self
                    .gates
                    .start_answered(epoch, pipeline)
                    .unwrap_or_else(|| super::PendingStart {
                        pipeline_name: request.pipeline_id.clone(),
                        secrets: Vec::new(),
                    });
                let entry = self.writes.start_entry(
                    &backend, &name, &request, &secrets, &result, request_id, self.now,
                );
                self.record_audit(entry, effects);
                // What is started here is followed: its end is notified.
                if let Ok(started) = &result
                    && !started.status.status.is_terminal()
                {
                    self.follow(&backend, &started.execution_id);
                }
                self.on_started_reply(epoch, &backend, request, result);
            }
            Payload::Decided {
                approval,
                decision,
                result,
                request_id,
            } => {
                // Every decision's answer reaches the audit log and the ledger, whether or
                // not its dialog is still open.
                let entry = self
                    .writes
                    .decision_entry(&approval, &decision, &result, request_id, self.now);
                self.record_audit(entry, effects);
                self.gates.answered(&approval.key(), &result);
                // The backend may or may not have acted: no retry until the gate has been
                // read again (the service re-reads the gates once its decisions in flight
                // are answered, and delivers no gates list read before this decision
                // ended). A read held back meanwhile predates the decision and settles
                // nothing.
                if matches!(&result, Err(e) if e.outcome_unknown()) {
                    self.held.retain(|r| {
                        !(r.backend == approval.backend
                            && matches!(r.payload, Payload::Approvals(_)))
                    });
                }
                self.on_decided_reply(epoch, &approval, &decision, result);
            }
            Payload::Controlled {
                exec,
                action,
                result,
                after,
                request_id,
            } => {
                // Every answer reaches the audit log and the ledger, whether or not its
                // dialog is still open.
                let key = crate::domain::ItemKey::new(&backend, &exec.project, &exec.id);
                let may_have_acted = matches!(&result, Err(e) if e.outcome_unknown());
                // Unknown until the run is read again: the service read it right after
                // such an answer; if that failed, the next read of the run settles it.
                let unknown = may_have_acted && !matches!(after, Some(Ok(_)));
                let done = matches!(&result, Ok(o) if o.pending.is_none());
                let name = self.runs.answered(&key, &action, done, unknown);
                let after_words = after
                    .as_ref()
                    .map(|a| a.as_deref().unwrap_or("could not be read"));
                let entry = self.writes.control_entry(
                    &backend,
                    &exec,
                    &name,
                    &action,
                    &result,
                    after_words,
                    request_id,
                    self.now,
                );
                self.record_audit(entry, effects);
                if unknown {
                    // A read held back meanwhile predates the action and settles nothing.
                    self.held.retain(|r| {
                        !(r.backend == backend
                            && matches!(r.payload, Payload::Executions(_) | Payload::Execution(..)))
                    });
                }
                // What the action did shows in the list at once, not at the next poll.
                effects.push(Effect::Send {
                    backend: backend.clone(),
                    command: Command::Refresh(Resource::Executions),
                });
                self.on_controlled_reply(epoch, &exec, &action, &result, after.as_ref());
            }
            Payload::RetryStages { result, .. } => self.on_retry_stages_reply(epoch, result),
            Payload::RunInputs(result) => self.on_run_inputs_reply(epoch, result),
            // Reads, applied by `apply`.
            Payload::Pipelines(_)
            | Payload::Executions(_)
            | Payload::Approvals(_)
            | Payload::Execution(..) => {}
        }
    }

    /// Every mutating action ends here: shown in the Audit pane and appended to the log.
    fn record_audit(&mut self, entry: audit::Entry, effects: &mut Vec<Effect>) {
        // A cursor on the newest entry stays on the newest, as a log's tail does: what was
        // just done is what the user wants to see. One moved down to an older entry stays
        // on it, and so does one whose detail is open.
        let reading = self.pane == Pane::Audit && self.view == View::Detail;
        if !reading && self.selected_index(Pane::Audit).is_none_or(|i| i == 0) {
            self.cursors.remove(&Pane::Audit);
        }
        self.audit.push(entry.clone());
        self.mark_views_stale();
        effects.push(Effect::Audit(Box::new(entry)));
    }

    fn hold(&mut self, reply: Reply) {
        // Keep only the latest reply per backend and kind: older ones are superseded.
        let same = |r: &Reply| {
            r.backend == reply.backend
                && std::mem::discriminant(&r.payload) == std::mem::discriminant(&reply.payload)
        };
        self.held.retain(|r| !same(r));
        self.held.push(reply);
    }
}
