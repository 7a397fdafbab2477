//! `list`'s filters and `-q` (README, "From scripts"): which rows a script asked for, applied
//! after the backends' rows are merged and ordered, so `--limit` keeps the first rows of the
//! order the table shows (executions newest first, gates oldest first).

use std::time::Duration;

use super::{Failure, target};
use crate::cli::ListWhat;
use crate::domain::{Approval, ExecStatus, Execution};

/// `list`'s row filters and output switch.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ListFilter {
    /// executions: only these statuses, the words the table shows (`failed`, `waiting`,
    /// `not started` or `not_started`...); repeat or separate with commas for several.
    #[arg(long = "status", value_name = "STATUS", value_delimiter = ',')]
    pub statuses: Vec<String>,
    /// executions, approvals: only this pipeline, by id or name (or its target
    /// `backend/project/id`).
    #[arg(
        long,
        value_name = "PIPELINE",
        add = clap_complete::engine::ArgValueCompleter::new(crate::complete::pipelines)
    )]
    pub pipeline: Option<String>,
    /// executions, approvals: only those started (gates: created) within this long before
    /// now: `30m`, `2h`, `1d`, `1w`, `1h30m`; rows with no known start are left out.
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// At most N rows, the first in the list's order (executions newest first).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Print only each row's target, one per line, ready to be the next command's argument:
    /// `flightdeck status $(flightdeck list executions -q --limit 1)`. For approvals the
    /// target is the gate's execution (as `approve` takes it). Not with `-o json`.
    #[arg(short, long)]
    pub quiet: bool,
}

/// The filters, checked and parsed.
pub struct Filter {
    statuses: Vec<ExecStatus>,
    pipeline: Option<String>,
    since: Option<jiff::Timestamp>,
    pub limit: Option<usize>,
}

const STATUSES: &[ExecStatus] = &[
    ExecStatus::Waiting,
    ExecStatus::Running,
    ExecStatus::Queued,
    ExecStatus::Paused,
    ExecStatus::NotStarted,
    ExecStatus::Succeeded,
    ExecStatus::Failed,
    ExecStatus::Aborted,
    ExecStatus::Rejected,
    ExecStatus::Expired,
    ExecStatus::Skipped,
    ExecStatus::Unknown,
];

impl ListFilter {
    /// Refuses a filter that does not apply to `what` (exit 2) rather than ignoring it.
    pub fn parse(&self, what: ListWhat, now: jiff::Timestamp) -> Result<Filter, Failure> {
        let refuse = |flag: &str| {
            Failure::bad_input(format!(
                "--{flag} does not apply to `list {}`",
                match what {
                    ListWhat::Pipelines => "pipelines",
                    ListWhat::Executions => "executions",
                    ListWhat::Approvals => "approvals",
                }
            ))
        };
        if !self.statuses.is_empty() && what != ListWhat::Executions {
            return Err(refuse("status"));
        }
        if what == ListWhat::Pipelines {
            if self.pipeline.is_some() {
                return Err(refuse("pipeline"));
            }
            if self.since.is_some() {
                return Err(refuse("since"));
            }
        }
        let statuses = self
            .statuses
            .iter()
            .map(|word| status(word))
            .collect::<Result<Vec<_>, _>>()?;
        let since = match &self.since {
            Some(text) => {
                let back = duration(text).ok_or_else(|| {
                    Failure::bad_input(format!(
                        "--since {text:?}: expected a duration like \"30m\", \"2h\", \"1d\" or \"1h30m\""
                    ))
                })?;
                let back = jiff::SignedDuration::try_from(back)
                    .map_err(|_| Failure::bad_input(format!("--since {text:?} is too long")))?;
                Some(now.checked_sub(back).unwrap_or(jiff::Timestamp::MIN))
            }
            None => None,
        };
        Ok(Filter {
            statuses,
            pipeline: self.pipeline.clone(),
            since,
            limit: self.limit,
        })
    }
}

impl Filter {
    fn pipeline_matches(&self, backend: &str, project: &str, id: &str, name: &str) -> bool {
        let Some(wanted) = &self.pipeline else {
            return true;
        };
        if wanted == id || wanted == name {
            return true;
        }
        // A pipeline target, as `list pipelines -q` prints it.
        match target::Target::parse(wanted, "pipeline") {
            Ok(t) => {
                t.backend == backend
                    && t.project.as_deref().is_none_or(|p| p == project)
                    && t.id == id
            }
            Err(_) => false,
        }
    }

    pub fn executions(&self, list: &mut Vec<Execution>) {
        list.retain(|e| {
            (self.statuses.is_empty() || self.statuses.contains(&e.status.status))
                && self.pipeline_matches(&e.backend, &e.project, &e.pipeline_id, &e.pipeline_name)
                && self
                    .since
                    .is_none_or(|since| e.started.is_some_and(|s| s >= since))
        });
        self.cut(list);
    }

    pub fn approvals(&self, list: &mut Vec<Approval>) {
        list.retain(|a| {
            self.pipeline_matches(&a.backend, &a.project, &a.pipeline_id, &a.pipeline_name)
                && self
                    .since
                    .is_none_or(|since| a.created.is_some_and(|c| c >= since))
        });
        self.cut(list);
    }

    pub fn cut<T>(&self, list: &mut Vec<T>) {
        if let Some(n) = self.limit {
            list.truncate(n);
        }
    }
}

/// A status as the table shows it (`not started`) or JSON writes it (`not_started`).
fn status(word: &str) -> Result<ExecStatus, Failure> {
    let wanted = word.trim().to_ascii_lowercase().replace('_', " ");
    STATUSES
        .iter()
        .copied()
        .find(|s| s.label() == wanted)
        .ok_or_else(|| {
            let words: Vec<String> = STATUSES
                .iter()
                .map(|s| s.label().replace(' ', "_"))
                .collect();
            Failure::bad_input(format!(
                "--status {word:?}: expected one of {}",
                words.join(", ")
            ))
        })
}

/// `30s`, `30m`, `2h`, `1d`, `1w`, or several run together (`1h30m`).
fn duration(text: &str) -> Option<Duration> {
    let mut total: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[unit_len..];
    }
    Some(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_usual_units() {
        let secs = |t: &str| duration(t).map(|d| d.as_secs());
        assert_eq!(secs("30m"), Some(1800));
        assert_eq!(secs("2h"), Some(7200));
        assert_eq!(secs("1d"), Some(86_400));
        assert_eq!(secs("1w"), Some(604_800));
        assert_eq!(secs("1h30m"), Some(5400));
        assert_eq!(secs("45s"), Some(45));
        for bad in [
            "",
            "h",
            "2",
            "2x",
            "-1h",
            "1.5h",
            "2 h",
            "99999999999999999999w",
        ] {
            assert_eq!(secs(bad), None, "{bad}");
        }
    }

    #[test]
    fn statuses_are_the_table_words() {
        assert_eq!(status("failed").unwrap(), ExecStatus::Failed);
        assert_eq!(status("success").unwrap(), ExecStatus::Succeeded);
        assert_eq!(status("not started").unwrap(), ExecStatus::NotStarted);
        assert_eq!(status("not_started").unwrap(), ExecStatus::NotStarted);
        let bad = status("Succeeded").unwrap_err();
        assert_eq!(bad.code, 2);
        assert!(bad.message.contains("not_started"), "{}", bad.message);
    }
}
