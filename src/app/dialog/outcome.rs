//! Where one item of a batch or bulk start stands: not sent (and why), sent, or answered.
//! One type for both dialogs, drawn by one helper (`ui/dialog/frame.rs`).

use crate::domain::{BackendError, DecisionOutcome, StartResult};

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<T> {
    /// Not sent, and why (in flight already, outcome unknown, read-only...).
    Skipped(String),
    Sent,
    Done(Result<T, BackendError>),
}

/// What an answer of one kind reads as in a results list.
pub trait Answer {
    /// While sent and not answered.
    const SENDING: &'static str;
    fn done(result: &Result<Self, BackendError>) -> String
    where
        Self: Sized;
}

impl Answer for DecisionOutcome {
    const SENDING: &'static str = "sending…";

    /// In the words an on-call engineer needs.
    fn done(result: &Result<Self, BackendError>) -> String {
        match result {
            Ok(outcome) => outcome.label().into(),
            Err(e) => match e {
                BackendError::Conflict(_) => "already decided by someone else".into(),
                BackendError::NotAuthorized(_) | BackendError::Unauthenticated(_) => {
                    "not authorized".into()
                }
                BackendError::Expired(_) => "expired".into(),
                BackendError::NotFound(_) => "no longer waiting".into(),
                other => format!("failed: {other}"),
            },
        }
    }
}

impl Answer for StartResult {
    const SENDING: &'static str = "starting…";

    fn done(result: &Result<Self, BackendError>) -> String {
        match result {
            Ok(r) => format!("started {} ({})", r.execution_id, r.status.status.label()),
            Err(e) if e.outcome_unknown() => format!("unknown, check Executions: {e}"),
            Err(e) => format!("failed: {e}"),
        }
    }
}

impl<T: Answer> Outcome<T> {
    /// What the results list says.
    pub fn label(&self) -> String {
        match self {
            Outcome::Skipped(why) => format!("skipped: {why}"),
            Outcome::Sent => T::SENDING.into(),
            Outcome::Done(result) => T::done(result),
        }
    }
}

impl<T> Outcome<T> {
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Done(Ok(_)))
    }

    pub fn is_sent(&self) -> bool {
        matches!(self, Outcome::Sent)
    }
}
