//! A run's log as the log view and `flightdeck logs` read it (`control-logs-identity.md`
//! §2.4): what the server said about the run, in the order it said it. A synchronous call
//! gives its answer (the action's message, and the console log with `returnLog`, or the
//! body when its shape is unknown); an asynchronous run's progress stream gives console
//! output and `STATUS-MESSAGE` feedback as they come (`infraxys/stream.rs`).
//!
//! Infraxys has no API to read a run's log back (the server keeps `action_logs`, but no
//! route to it is known), so the log lives with the run in this process, bounded.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;

use super::{Runs, lock};
use crate::backend::Result;
use crate::domain::{BackendError, ExecRef, LogLine};

/// Lines kept per run; older ones are dropped.
const MAX_LINES: usize = 10_000;
/// How often a followed run is looked at for new lines.
const POLL: Duration = Duration::from_millis(250);
/// Prefix of a status message among the output lines.
pub const STATUS: &str = "status: ";

/// The lines of one run.
#[derive(Debug, Clone, Default)]
pub struct RunLog {
    lines: VecDeque<String>,
    /// Lines dropped off the front.
    dropped: usize,
    /// Output after the last line break, kept until the line is complete (or the run ends).
    partial: String,
    /// More may come: a progress stream is being followed.
    pub open: bool,
}

impl RunLog {
    /// Console output, in whatever pieces it arrives.
    pub fn output(&mut self, text: &str) {
        self.partial.push_str(text);
        while let Some(at) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=at).collect();
            self.push(line.trim_end_matches(['\r', '\n']).to_owned());
        }
    }

    /// A status message, on a line of its own.
    pub fn status(&mut self, message: &str) {
        self.flush();
        self.push(format!("{STATUS}{message}"));
    }

    /// Nothing more will come: a last line without a break is a line.
    pub fn close(&mut self) {
        self.flush();
        self.open = false;
    }

    /// A last line without a break is a line.
    pub fn flush(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.push(line.trim_end_matches('\r').to_owned());
        }
    }

    fn push(&mut self, line: String) {
        if self.lines.len() == MAX_LINES {
            self.lines.pop_front();
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    /// Lines from number `from` on (counted since the run started), and the number after the
    /// last.
    fn since(&self, from: usize) -> (Vec<String>, usize) {
        let skip = from.saturating_sub(self.dropped);
        let lines = self.lines.iter().skip(skip).cloned().collect();
        (lines, self.dropped + self.lines.len())
    }
}

/// Sends the run's lines to `lines`; with `follow`, new ones as they come until it ends.
pub async fn stream(
    runs: &Arc<Mutex<Runs>>,
    exec: &ExecRef,
    step: Option<&str>,
    follow: bool,
    lines: &mpsc::UnboundedSender<LogLine>,
    not_here: impl Fn() -> BackendError,
) -> Result<()> {
    let mut next = 0;
    loop {
        let (batch, source, ended) = {
            let runs = lock(runs);
            let Some(run) = runs.get(exec) else {
                // Forgotten while followed (beyond the runs kept): nothing more will come.
                return if next == 0 { Err(not_here()) } else { Ok(()) };
            };
            if let Some(name) = step
                && name != run.entry
            {
                return Err(BackendError::NotFound(format!(
                    "run {} has one step, {:?}, not {name:?}",
                    exec.id, run.entry
                )));
            }
            let (batch, after) = run.log.since(next);
            next = after;
            (batch, run.entry.clone(), !run.log.open)
        };
        for text in batch {
            // Server text: cleaned here, so no line leaves this backend raw.
            let text = crate::sanitize::clean(&text).into_owned();
            if lines.send(LogLine::new(source.clone(), text)).is_err() {
                return Ok(());
            }
        }
        if !follow || ended {
            return Ok(());
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_split_into_lines_across_pieces_and_status_stands_alone() {
        let mut log = RunLog::default();
        log.output("step 1\nstep ");
        log.output("2\r\n");
        log.output("half");
        log.status("Rotating");
        log.output("tail");
        log.flush();
        let (lines, next) = log.since(0);
        assert_eq!(
            lines,
            ["step 1", "step 2", "half", "status: Rotating", "tail"]
        );
        assert_eq!(next, 5);
        assert_eq!(log.since(3).0, ["status: Rotating", "tail"]);
    }

    #[test]
    fn the_log_is_bounded_and_counts_what_it_dropped() {
        let mut log = RunLog::default();
        for i in 0..MAX_LINES + 5 {
            log.output(&format!("{i}\n"));
        }
        let (lines, next) = log.since(0);
        assert_eq!(lines.len(), MAX_LINES);
        assert_eq!(lines[0], "5");
        assert_eq!(next, MAX_LINES + 5);
        assert_eq!(log.since(MAX_LINES + 4).0, [format!("{}", MAX_LINES + 4)]);
    }
}
