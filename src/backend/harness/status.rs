//! Harness status strings to [`ExecStatus`] (spec 2.8).
//!
//! One function reads both spellings the server uses: the display names of JSON bodies
//! (`ApprovalWaiting`) and the engine enum names of the execute response and legacy values
//! (`APPROVAL_WAITING`). Matching ignores case and underscores, so `approvalWaiting`,
//! `ApprovalWaiting` and `APPROVAL_WAITING` are one status. The raw text is always kept.

use crate::domain::{ExecStatus, Status};

/// Normalizes a Harness execution, stage or step status; unknown values become `Unknown`.
pub fn exec_status(raw: &str) -> ExecStatus {
    let key: String = raw
        .chars()
        .filter(|c| *c != '_' && !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match key.as_str() {
        // `Discontinuing` is an abort in progress; it is not final yet, so it must keep
        // being polled until the server reports `Aborted`.
        "running" | "asyncwaiting" | "taskwaiting" | "timedwaiting" | "discontinuing" => {
            ExecStatus::Running
        }
        "queued" | "queuedlicenselimitreached" | "queuedexecutionconcurrencyreached" => {
            ExecStatus::Queued
        }
        "notstarted" => ExecStatus::NotStarted,
        "paused" | "pausing" => ExecStatus::Paused,
        // Everything that waits for a person or an outside resource; the raw text says which.
        "approvalwaiting"
        | "interventionwaiting"
        | "inputwaiting"
        | "resourcewaiting"
        | "waitsteprunning"
        | "waiting" => ExecStatus::Waiting,
        "success" | "succeeded" | "ignorefailed" => ExecStatus::Succeeded,
        "failed" | "errored" | "suspended" => ExecStatus::Failed,
        "aborted" | "abortedbyfreeze" | "freezefailed" => ExecStatus::Aborted,
        "approvalrejected" => ExecStatus::Rejected,
        "expired" => ExecStatus::Expired,
        "skipped" => ExecStatus::Skipped,
        _ => ExecStatus::Unknown,
    }
}

/// A status with its raw text; a missing status is `Unknown` with an empty raw text.
pub fn status(raw: Option<&str>) -> Status {
    let raw = raw.unwrap_or_default();
    Status::new(exec_status(raw), raw)
}

/// Whether a raw status is exactly "waiting for an approval" (not input or intervention).
pub fn is_approval_waiting(raw: Option<&str>) -> bool {
    raw.is_some_and(|r| {
        r.chars()
            .filter(|c| *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .eq("approvalwaiting".chars())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExecStatus::*;

    #[test]
    fn every_display_name_of_the_spec_table() {
        let table = [
            ("Running", Running),
            ("AsyncWaiting", Running),
            ("TaskWaiting", Running),
            ("TimedWaiting", Running),
            ("Queued", Queued),
            ("QueuedLicenseLimitReached", Queued),
            ("QueuedExecutionConcurrencyReached", Queued),
            ("NotStarted", NotStarted),
            ("Paused", Paused),
            ("Pausing", Paused),
            ("Discontinuing", Running),
            ("ResourceWaiting", Waiting),
            ("InterventionWaiting", Waiting),
            ("ApprovalWaiting", Waiting),
            ("InputWaiting", Waiting),
            ("WaitStepRunning", Waiting),
            ("Success", Succeeded),
            ("IgnoreFailed", Succeeded),
            ("Skipped", Skipped),
            ("Failed", Failed),
            ("Errored", Failed),
            ("Aborted", Aborted),
            ("AbortedByFreeze", Aborted),
            ("Expired", Expired),
            ("ApprovalRejected", Rejected),
            ("Suspended", Failed),
        ];
        for (raw, want) in table {
            assert_eq!(exec_status(raw), want, "{raw}");
        }
    }

    #[test]
    fn engine_names_and_legacy_spellings() {
        let table = [
            ("RUNNING", Running),
            ("ASYNC_WAITING", Running),
            ("QUEUED_LICENSE_LIMIT_REACHED", Queued),
            ("SUCCEEDED", Succeeded),
            ("APPROVAL_WAITING", Waiting),
            ("INTERVENTION_WAITING", Waiting),
            ("WAIT_STEP_RUNNING", Waiting),
            ("APPROVAL_REJECTED", Rejected),
            ("NOT_STARTED", NotStarted),
            ("FREEZE_FAILED", Aborted),
            ("IGNORE_FAILED", Succeeded),
            ("WAITING", Waiting),
            ("Waiting", Waiting),
            ("approvalWaiting", Waiting),
            ("success", Succeeded),
        ];
        for (raw, want) in table {
            assert_eq!(exec_status(raw), want, "{raw}");
        }
    }

    #[test]
    fn unknown_values_keep_their_raw_text() {
        assert_eq!(exec_status("TeleportWaiting"), Unknown);
        assert_eq!(exec_status(""), Unknown);
        assert_eq!(
            status(Some("TeleportWaiting")),
            Status::new(Unknown, "TeleportWaiting")
        );
        assert_eq!(
            status(Some("InputWaiting")),
            Status::new(Waiting, "InputWaiting")
        );
        assert_eq!(status(None), Status::new(Unknown, ""));
    }

    #[test]
    fn approval_waiting_is_exact() {
        assert!(is_approval_waiting(Some("ApprovalWaiting")));
        assert!(is_approval_waiting(Some("APPROVAL_WAITING")));
        assert!(!is_approval_waiting(Some("InputWaiting")));
        assert!(!is_approval_waiting(None));
    }
}
