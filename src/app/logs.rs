//! The log view's state: a bounded buffer of lines from one execution's log stream, follow
//! or paused, a step filter and a search.

use std::collections::VecDeque;

use crossterm::event::KeyEvent;

use crate::domain::{BackendKind, BackendName, ExecRef, LogLine};
use crate::sanitize::clean;

/// Whether a backend's client streams logs: Argo (`backend/argo/logs.rs`), Harness NextGen's
/// log service (`backend/harness/logs.rs`) and Infraxys runs' output. First Gen has no log
/// API an API key can read; that is said in a flash rather than an empty view.
pub fn offers_logs(kind: BackendKind) -> bool {
    kind != BackendKind::HarnessFg
}

/// The one line `l` shows where a backend has no logs.
pub fn no_logs(kind: BackendKind) -> String {
    match kind {
        BackendKind::HarnessFg => crate::backend::harness_fg::NO_LOGS.to_owned(),
        other => format!(
            "no logs: {} backends offer none through flightdeck",
            other.as_str()
        ),
    }
}

/// Whether a line holds the search text: the text as drawn (cleaned), case-insensitively, so
/// what is counted and found is what is highlighted.
fn line_matches(text: &str, needle: &str) -> bool {
    clean(text).to_lowercase().contains(needle)
}

/// Lines kept; older ones are dropped (and counted) so a chatty step cannot grow memory
/// without bound.
pub const MAX_LINES: usize = 10_000;

#[derive(Debug, Clone)]
pub struct LogView {
    /// Tags this view's stream: lines of an older view are ignored.
    pub epoch: u64,
    pub backend: BackendName,
    pub exec: ExecRef,
    lines: VecDeque<LogLine>,
    /// Lines dropped off the top of the buffer.
    pub dropped: usize,
    /// Keep the newest line in view; scrolling up pauses, `G` or the toggle resumes.
    pub follow: bool,
    /// First line shown (index into the filtered lines) while paused.
    pub top: usize,
    /// Show only the lines of this step.
    pub step: Option<String>,
    pub search: Option<String>,
    /// Shown lines holding the search text, kept as lines arrive, leave and the step
    /// changes: the status line says "no match" from it, so it is never stale.
    pub matches: usize,
    /// Set once the stream ended: `Err` says why.
    pub ended: Option<Result<(), String>>,
}

impl LogView {
    pub fn new(epoch: u64, backend: BackendName, exec: ExecRef) -> Self {
        LogView {
            epoch,
            backend,
            exec,
            lines: VecDeque::new(),
            dropped: 0,
            follow: true,
            top: 0,
            step: None,
            search: None,
            matches: 0,
            ended: None,
        }
    }

    fn counts(&self, line: &LogLine) -> bool {
        self.step.as_ref().is_none_or(|s| &line.source == s)
            && self
                .search
                .as_ref()
                .is_some_and(|n| line_matches(&line.text, &n.to_lowercase()))
    }

    /// Sets the search text (`None` clears it) and counts its matches.
    pub fn set_search(&mut self, search: Option<String>) {
        self.search = search;
        self.recount();
    }

    fn recount(&mut self) {
        self.matches = self.lines.iter().filter(|l| self.counts(l)).count();
    }

    pub fn push(&mut self, lines: Vec<LogLine>) {
        for line in lines {
            if self.lines.len() == MAX_LINES {
                if let Some(old) = self.lines.pop_front()
                    && self.counts(&old)
                {
                    self.matches -= 1;
                }
                self.dropped += 1;
                // Keep a paused view on the same text while its lines move up.
                self.top = self.top.saturating_sub(1);
            }
            if self.counts(&line) {
                self.matches += 1;
            }
            self.lines.push_back(line);
        }
    }

    /// The lines shown, after the step filter.
    pub fn shown(&self) -> impl Iterator<Item = &LogLine> {
        self.lines
            .iter()
            .filter(|l| self.step.as_ref().is_none_or(|s| &l.source == s))
    }

    pub fn shown_len(&self) -> usize {
        match &self.step {
            None => self.lines.len(),
            Some(_) => self.shown().count(),
        }
    }

    /// First line to draw in a window `height` lines tall.
    pub fn first_visible(&self, height: usize) -> usize {
        let max_top = self.shown_len().saturating_sub(height);
        if self.follow {
            max_top
        } else {
            self.top.min(max_top)
        }
    }

    /// Scrolls by `delta` lines; moving up pauses, reaching the bottom does not resume
    /// (only `G` or the toggle do, so reading the end is not interrupted by new lines).
    pub fn scroll(&mut self, delta: isize, height: usize) {
        let first = self.first_visible(height);
        self.follow = false;
        let max_top = self.shown_len().saturating_sub(height);
        self.top = first.saturating_add_signed(delta).min(max_top);
    }

    pub fn to_end(&mut self) {
        self.follow = true;
    }

    pub fn toggle_follow(&mut self, height: usize) {
        if self.follow {
            self.top = self.first_visible(height);
            self.follow = false;
        } else {
            self.follow = true;
        }
    }

    /// The steps seen so far, in order of first appearance.
    pub fn steps(&self) -> Vec<&str> {
        let mut steps: Vec<&str> = Vec::new();
        for line in &self.lines {
            if !steps.contains(&line.source.as_str()) {
                steps.push(&line.source);
            }
        }
        steps
    }

    /// Cycles the step filter: all steps, then each step seen, then all again.
    pub fn next_step(&mut self) {
        let steps = self.steps();
        let next = match &self.step {
            None => steps.first().map(|s| s.to_string()),
            Some(current) => steps
                .iter()
                .position(|s| s == current)
                .and_then(|i| steps.get(i + 1))
                .map(|s| s.to_string()),
        };
        self.step = next;
        self.top = 0;
        self.recount();
    }

    /// Moves the view to the next (or previous) shown line containing the search text,
    /// case-insensitively, from the top of the view. `false` when there is none.
    pub fn find(&mut self, forward: bool, height: usize) -> bool {
        let Some(needle) = self.search.as_ref().map(|s| s.to_lowercase()) else {
            return false;
        };
        let from = self.first_visible(height);
        let matches: Vec<usize> = self
            .shown()
            .enumerate()
            .filter(|(_, l)| line_matches(&l.text, &needle))
            .map(|(i, _)| i)
            .collect();
        let hit = if forward {
            matches.iter().find(|i| **i > from).or(matches.first())
        } else {
            matches.iter().rev().find(|i| **i < from).or(matches.last())
        };
        match hit {
            Some(i) => {
                self.follow = false;
                self.top = *i;
                true
            }
            None => false,
        }
    }
}

/// What the log view offers, for the footer: each hint with the actions whose keys it
/// shows (`n/N next/prev`).
pub const OFFERS: &[(&[super::Action], &str)] = {
    use super::Action as A;
    &[
        (&[A::Close], "close"),
        (&[A::Pause], "pause/follow"),
        (&[A::NextStep], "step"),
        (&[A::Search], "search"),
        (&[A::NextMatch, A::PrevMatch], "next/prev"),
        (&[A::Top, A::Bottom], "top/end"),
    ]
};

impl super::App {
    /// `l`: the log of the current execution, followed, in a view of its own.
    pub(super) fn open_logs(&mut self, effects: &mut Vec<super::Effect>) {
        let Some((backend, exec)) = self.current_exec() else {
            return;
        };
        if let Some(b) = self.backend(&backend)
            && !offers_logs(b.kind)
        {
            let text = no_logs(b.kind);
            return self.flash(super::FlashLevel::Info, text);
        }
        let epoch = self.next_epoch();
        self.logs = Some(LogView::new(epoch, backend.clone(), exec.clone()));
        self.log_search = None;
        self.view = super::View::Logs;
        effects.push(super::Effect::Send {
            backend,
            command: crate::service::Command::Logs {
                epoch,
                exec,
                step: None,
                follow: true,
            },
        });
    }

    pub(super) fn close_logs(&mut self, effects: &mut Vec<super::Effect>) {
        if let Some(view) = self.logs.take() {
            effects.push(super::Effect::Send {
                backend: view.backend,
                command: crate::service::Command::StopLogs,
            });
        }
        self.log_search = None;
        self.view = super::View::List;
    }

    /// The log view's keys (`[keys.log_view]`), like a pager's: scrolling, `space` to pause
    /// or follow, `s` to cycle the step shown, `/` `n` `N` to search, `Esc` or `q` to close;
    /// help, palette and quit as in the panes.
    pub(super) fn on_logs_key(&mut self, key: KeyEvent, effects: &mut Vec<super::Effect>) {
        if self.log_search.is_some() {
            self.on_log_search_key(key);
            return;
        }
        let height = self.page.max(1);
        let Some(view) = self.logs.as_mut() else {
            return;
        };
        let page = height as isize;
        use super::Action as A;
        match self.keymap.action_in(super::Section::LogView, &key) {
            Some(A::Close) => self.close_logs(effects),
            Some(A::Down) => view.scroll(1, height),
            Some(A::Up) => view.scroll(-1, height),
            Some(A::PageDown) => view.scroll(page, height),
            Some(A::PageUp) => view.scroll(-page, height),
            Some(A::Top) => view.scroll(isize::MIN / 2, height),
            Some(A::Bottom) => view.to_end(),
            Some(A::Pause) => view.toggle_follow(height),
            Some(A::NextStep) => view.next_step(),
            // A new search starts empty: typing never appends to the last one (shown in
            // the status line until replaced).
            Some(A::Search) => self.log_search = Some(tui_input::Input::default()),
            // Whether anything matches is on the status line (`LogView::matches`).
            Some(a @ (A::NextMatch | A::PrevMatch)) => {
                view.find(a == A::NextMatch, height);
            }
            _ => {
                // The few global keys that make sense here: help, palette, quit.
                if let Some(
                    action @ (super::Action::Help | super::Action::Palette | super::Action::Quit),
                ) = self.keymap.action(&key)
                {
                    self.run(action, effects);
                }
            }
        }
    }

    fn on_log_search_key(&mut self, key: KeyEvent) {
        use crossterm::event::Event;
        use tui_input::backend::crossterm::EventHandler;
        let height = self.page.max(1);
        match self.keymap.action_in(super::Section::Prompt, &key) {
            Some(super::Action::Confirm) => {
                let text = self.log_search.take().map(|i| i.value().to_owned());
                if let Some(view) = self.logs.as_mut() {
                    view.set_search(text.filter(|t| !t.is_empty()));
                    if view.search.is_some() {
                        view.find(true, height);
                    }
                }
            }
            Some(super::Action::Cancel) => self.log_search = None,
            _ => {
                if let Some(input) = self.log_search.as_mut() {
                    input.handle_event(&Event::Key(key));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_with(n: usize) -> LogView {
        let mut v = LogView::new(
            1,
            "argo".into(),
            ExecRef {
                project: "argo".into(),
                id: "wf".into(),
            },
        );
        v.push(
            (0..n)
                .map(|i| LogLine {
                    source: if i % 2 == 0 { "build" } else { "test" }.into(),
                    text: format!("line {i}"),
                    ..LogLine::default()
                })
                .collect(),
        );
        v
    }

    #[test]
    fn the_buffer_is_bounded_and_counts_what_it_dropped() {
        let v = view_with(MAX_LINES + 25);
        assert_eq!(v.shown_len(), MAX_LINES);
        assert_eq!(v.dropped, 25);
        assert_eq!(v.shown().next().unwrap().text, "line 25");
    }

    #[test]
    fn scrolling_up_pauses_and_new_lines_do_not_move_a_paused_view() {
        let mut v = view_with(100);
        assert_eq!(v.first_visible(10), 90);
        v.scroll(-5, 10);
        assert!(!v.follow);
        assert_eq!(v.first_visible(10), 85);
        v.push(vec![LogLine {
            source: "build".into(),
            text: "new".into(),
            ..LogLine::default()
        }]);
        assert_eq!(v.first_visible(10), 85);
        v.to_end();
        assert_eq!(v.first_visible(10), 91);
    }

    #[test]
    fn step_filter_cycles_through_the_steps_seen() {
        let mut v = view_with(10);
        v.next_step();
        assert_eq!(v.step.as_deref(), Some("build"));
        assert_eq!(v.shown_len(), 5);
        v.next_step();
        assert_eq!(v.step.as_deref(), Some("test"));
        v.next_step();
        assert_eq!(v.step, None);
        assert_eq!(v.shown_len(), 10);
    }

    #[test]
    fn search_wraps_around_in_both_directions() {
        let mut v = view_with(100);
        v.set_search(Some("LINE 1".into()));
        assert_eq!(v.matches, 11);
        // From the bottom window (top 90), forward wraps to the first match.
        assert!(v.find(true, 10));
        assert_eq!(v.top, 1);
        assert!(v.find(true, 10));
        assert_eq!(v.top, 10);
        assert!(v.find(false, 10));
        assert_eq!(v.top, 1);
        assert!(v.find(false, 10));
        assert_eq!(v.top, 19);
        v.set_search(Some("absent".into()));
        assert!(!v.find(true, 10));
        assert_eq!(v.matches, 0);
        // Lines that arrive later are counted as they come.
        v.push(vec![LogLine {
            source: "build".into(),
            text: "now ABSENT no more".into(),
            ..LogLine::default()
        }]);
        assert_eq!(v.matches, 1);
    }
}
