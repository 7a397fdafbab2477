//! The display order of every list, in one place: the TUI's panes and the CLI's `list`
//! output use these and nothing else, and backends return their rows unsorted. Every order
//! ends on the id, so rows that tie on everything shown still come in the same order on
//! every refresh and in every process.

use std::cmp::Ordering;

use jiff::Timestamp;

use super::{Approval, ExecStatus, Execution, Pipeline};

/// Pipelines by backend, project and name.
pub fn pipelines(list: &mut [Pipeline]) {
    list.sort_by(pipeline);
}

fn pipeline(a: &Pipeline, b: &Pipeline) -> Ordering {
    (&a.backend, &a.project, &a.name, &a.id).cmp(&(&b.backend, &b.project, &b.name, &b.id))
}

/// Executions newest first; those not started yet (queued) on top, since they are newer
/// than anything that has started.
pub fn executions(list: &mut [Execution]) {
    list.sort_by(execution);
}

fn execution(a: &Execution, b: &Execution) -> Ordering {
    match (a.started, b.started) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => y.cmp(&x),
    }
    .then_with(|| (&a.backend, &a.project, &a.id).cmp(&(&b.backend, &b.project, &b.id)))
}

/// Waiting gates by urgency: the soonest deadline on top, gates without a deadline after
/// them, and among equals the one that has waited longest first.
pub fn approvals(list: &mut [Approval]) {
    list.sort_by(approval);
}

fn approval(a: &Approval, b: &Approval) -> Ordering {
    earliest(a.deadline, b.deadline)
        .then_with(|| earliest(a.created, b.created))
        .then_with(|| (&a.backend, &a.project, &a.id).cmp(&(&b.backend, &b.project, &b.id)))
}

/// The earlier time first; an unknown time after every known one.
fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The later time first; an unknown time after every known one.
fn latest(a: Option<Timestamp>, b: Option<Timestamp>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.cmp(&x),
        _ => earliest(a, b),
    }
}

/// Text as a person sorts it: letters regardless of case.
fn text(a: &str, b: &str) -> Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// Statuses by how much they ask of a person: waiting for one first, then failures, then
/// what is still moving, then what ended well.
fn attention(s: ExecStatus) -> u8 {
    match s {
        ExecStatus::Waiting => 0,
        ExecStatus::Failed => 1,
        ExecStatus::Expired => 2,
        ExecStatus::Rejected => 3,
        ExecStatus::Aborted => 4,
        ExecStatus::Running => 5,
        ExecStatus::Paused => 6,
        ExecStatus::Queued => 7,
        ExecStatus::NotStarted => 8,
        ExecStatus::Unknown => 9,
        ExecStatus::Skipped => 10,
        ExecStatus::Succeeded => 11,
    }
}

/// A column a list can be sorted by (`o` in the TUI cycles through them, `O` reverses).
/// Each pane's first column is its default order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Deadline,
    Waiting,
    Pipeline,
    Stage,
    Backend,
    Environment,
    Project,
    StartedBy,
    Started,
    Status,
    Run,
    LastRun,
    When,
    Stages,
}

impl Column {
    /// The column's header, as the pane title names the sort in force.
    pub fn label(self) -> &'static str {
        match self {
            Column::Deadline => "deadline",
            Column::Waiting => "waiting",
            Column::Pipeline => "pipeline",
            Column::Stage => "stage",
            Column::Backend => "backend",
            Column::Environment => "env",
            Column::Project => "project",
            Column::StartedBy => "started by",
            Column::Started => "started",
            Column::Status => "status",
            Column::Run => "run",
            Column::LastRun => "last run",
            Column::When => "when",
            Column::Stages => "stages",
        }
    }
}

/// The Approvals columns a sort can use, the default (deadline) first.
pub const APPROVAL_COLUMNS: &[Column] = &[
    Column::Deadline,
    Column::Waiting,
    Column::Pipeline,
    Column::Stage,
    Column::Backend,
    Column::Environment,
    Column::Project,
    Column::StartedBy,
];

/// The Executions columns a sort can use, the default (newest started) first.
pub const EXECUTION_COLUMNS: &[Column] = &[
    Column::Started,
    Column::Status,
    Column::Pipeline,
    Column::Backend,
    Column::Project,
    Column::Run,
    Column::StartedBy,
];

/// The Pipelines columns a sort can use, the default (backend, project, name) first.
pub const PIPELINE_COLUMNS: &[Column] = &[
    Column::Backend,
    Column::Pipeline,
    Column::Project,
    Column::LastRun,
    Column::When,
    Column::Stages,
];

/// Two gates by `column` alone (equal when it ties; a stable sort of rows already in
/// [`approvals`] order then keeps that order among them). Deadline is the default order.
pub fn approvals_by(column: Column, a: &Approval, b: &Approval) -> Ordering {
    match column {
        Column::Waiting => earliest(a.created, b.created),
        Column::Pipeline => text(&a.pipeline_name, &b.pipeline_name),
        Column::Stage => text(&a.stage, &b.stage).then_with(|| text(&a.step, &b.step)),
        Column::Backend => a.backend.cmp(&b.backend),
        Column::Environment => match (&a.environment, &b.environment) {
            (Some(x), Some(y)) => text(x, y),
            (x, y) => x.is_none().cmp(&y.is_none()),
        },
        Column::Project => text(&a.project, &b.project),
        Column::StartedBy => text(&a.triggered_by, &b.triggered_by),
        _ => approval(a, b),
    }
}

/// Two executions by `column` alone, as [`approvals_by`]. Started is the default order.
pub fn executions_by(column: Column, a: &Execution, b: &Execution) -> Ordering {
    match column {
        Column::Status => attention(a.status.status).cmp(&attention(b.status.status)),
        Column::Pipeline => text(&a.pipeline_name, &b.pipeline_name),
        Column::Backend => a.backend.cmp(&b.backend),
        Column::Project => text(&a.project, &b.project),
        // The newest run first, as the default order has it.
        Column::Run => match (a.run_number, b.run_number) {
            (Some(x), Some(y)) => y.cmp(&x),
            (x, y) => x.is_none().cmp(&y.is_none()),
        },
        Column::StartedBy => text(&a.triggered_by, &b.triggered_by),
        _ => execution(a, b),
    }
}

/// What a pipeline's LAST RUN and WHEN columns show: the backend's report, or the newest
/// run listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastRun {
    pub status: ExecStatus,
    pub at: Option<Timestamp>,
}

/// Two pipelines, each with its last run, by `column` alone, as [`approvals_by`]. Backend
/// is the default order.
pub fn pipelines_by(
    column: Column,
    (a, a_last): (&Pipeline, Option<LastRun>),
    (b, b_last): (&Pipeline, Option<LastRun>),
) -> Ordering {
    match column {
        Column::Pipeline => text(&a.name, &b.name),
        Column::Project => text(&a.project, &b.project),
        Column::LastRun => match (a_last, b_last) {
            (Some(x), Some(y)) => attention(x.status).cmp(&attention(y.status)),
            (x, y) => x.is_none().cmp(&y.is_none()),
        },
        // The most recent first; never run (as far as is known) last.
        Column::When => latest(a_last.and_then(|l| l.at), b_last.and_then(|l| l.at)),
        Column::Stages => earliest_count(a.stages, b.stages),
        _ => pipeline(a, b),
    }
}

/// Fewer first; unknown last.
fn earliest_count(a: Option<u32>, b: Option<u32>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.cmp(&y),
        (x, y) => x.is_none().cmp(&y.is_none()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ExecStatus, Status};
    use jiff::Timestamp;

    fn at(secs: i64) -> Option<Timestamp> {
        Some(Timestamp::from_second(secs).unwrap())
    }

    fn run(backend: &str, id: &str, started: Option<Timestamp>) -> Execution {
        Execution {
            backend: backend.into(),
            project: "p".into(),
            id: id.into(),
            pipeline_id: "pl".into(),
            pipeline_name: "Pl".into(),
            status: Status::new(ExecStatus::Running, "Running"),
            started,
            ended: None,
            triggered_by: String::new(),
            run_number: None,
            stages_done: 0,
            stages_total: 0,
            message: None,
            url: None,
        }
    }

    fn ids<T>(list: &[T], id: impl Fn(&T) -> String) -> Vec<String> {
        list.iter().map(id).collect()
    }

    #[test]
    fn executions_queued_first_then_newest_first_then_by_identity() {
        let mut list = vec![
            run("b", "old", at(100)),
            run("b", "new", at(300)),
            run("b", "queued-2", None),
            run("a", "tie-a", at(200)),
            run("b", "queued-1", None),
            run("a", "tie-b", at(200)),
            run("0", "tie-c", at(200)),
        ];
        executions(&mut list);
        assert_eq!(
            ids(&list, |e| format!("{}/{}", e.backend, e.id)),
            [
                "b/queued-1",
                "b/queued-2",
                "b/new",
                "0/tie-c",
                "a/tie-a",
                "a/tie-b",
                "b/old"
            ]
        );
        // Any input order gives the same answer: the order is total.
        let mut reversed: Vec<Execution> = list.iter().rev().cloned().collect();
        executions(&mut reversed);
        assert_eq!(reversed, list);
    }

    #[test]
    fn approvals_oldest_first_and_pipelines_by_backend_project_name() {
        let gate = |backend: &str, id: &str, created| Approval {
            backend: backend.into(),
            project: "p".into(),
            id: id.into(),
            execution_id: "e".into(),
            pipeline_id: "pl".into(),
            pipeline_name: "Pl".into(),
            stage: String::new(),
            step: String::new(),
            message: String::new(),
            approvers: Vec::new(),
            min_count: 1,
            inputs: Vec::new(),
            created,
            deadline: None,
            triggered_by: String::new(),
            environment: None,
            callback_id: None,
            url: None,
        };
        let mut gates = vec![
            gate("b", "2", at(50)),
            gate("a", "3", at(10)),
            gate("a", "1", at(50)),
        ];
        approvals(&mut gates);
        assert_eq!(ids(&gates, |a| a.id.clone()), ["3", "1", "2"]);

        let pipeline = |backend: &str, project: &str, name: &str| Pipeline {
            backend: backend.into(),
            project: project.into(),
            id: name.to_lowercase(),
            name: name.into(),
            description: String::new(),
            tags: Vec::new(),
            last_status: None,
            last_run: None,
            stages: None,
        };
        let mut list = vec![
            pipeline("b", "x", "Alpha"),
            pipeline("a", "y", "Alpha"),
            pipeline("a", "x", "Zulu"),
            pipeline("a", "x", "Beta"),
        ];
        pipelines(&mut list);
        assert_eq!(
            ids(&list, |p| format!("{}/{}/{}", p.backend, p.project, p.name)),
            ["a/x/Beta", "a/x/Zulu", "a/y/Alpha", "b/x/Alpha"]
        );
    }

    fn gate(id: &str, created: Option<Timestamp>, deadline: Option<Timestamp>) -> Approval {
        Approval {
            backend: "b".into(),
            project: "p".into(),
            id: id.into(),
            execution_id: "e".into(),
            pipeline_id: "pl".into(),
            pipeline_name: id.to_uppercase(),
            stage: String::new(),
            step: String::new(),
            message: String::new(),
            approvers: Vec::new(),
            min_count: 1,
            inputs: Vec::new(),
            created,
            deadline,
            triggered_by: String::new(),
            environment: None,
            callback_id: None,
            url: None,
        }
    }

    #[test]
    fn approvals_soonest_deadline_first_then_no_deadline_then_oldest() {
        let mut gates = vec![
            gate("no-deadline-new", at(90), None),
            gate("late", at(10), at(5000)),
            gate("no-deadline-old", at(20), None),
            gate("soon", at(80), at(100)),
            gate("unknown-age", None, None),
            gate("soon-older", at(30), at(100)),
        ];
        approvals(&mut gates);
        assert_eq!(
            ids(&gates, |a| a.id.clone()),
            [
                "soon-older",
                "soon",
                "late",
                "no-deadline-old",
                "no-deadline-new",
                "unknown-age"
            ]
        );
        let mut reversed: Vec<Approval> = gates.iter().rev().cloned().collect();
        approvals(&mut reversed);
        assert_eq!(reversed, gates);
    }

    #[test]
    fn a_column_sort_ties_keep_the_default_order() {
        let mut gates = vec![
            gate("b", at(10), None),
            gate("a", at(20), at(100)),
            gate("c", at(5), at(50)),
        ];
        approvals(&mut gates);
        // By pipeline name; then by age, where the default order decides nothing.
        gates.sort_by(|x, y| approvals_by(Column::Pipeline, x, y));
        assert_eq!(ids(&gates, |a| a.id.clone()), ["a", "b", "c"]);
        gates.sort_by(|x, y| approvals_by(Column::Waiting, x, y));
        assert_eq!(ids(&gates, |a| a.id.clone()), ["c", "b", "a"]);
        // The default column is the whole default order.
        gates.sort_by(|x, y| approvals_by(APPROVAL_COLUMNS[0], x, y));
        assert_eq!(ids(&gates, |a| a.id.clone()), ["c", "a", "b"]);

        let mut runs = vec![
            run("b", "ok", at(300)),
            run("b", "waiting", at(100)),
            run("a", "failed", at(200)),
        ];
        runs[0].status = Status::new(ExecStatus::Succeeded, "Success");
        runs[1].status = Status::new(ExecStatus::Waiting, "Paused");
        runs[2].status = Status::new(ExecStatus::Failed, "Failed");
        runs.sort_by(|x, y| executions_by(Column::Status, x, y));
        assert_eq!(ids(&runs, |e| e.id.clone()), ["waiting", "failed", "ok"]);
        runs.sort_by(|x, y| executions_by(Column::Backend, x, y));
        assert_eq!(ids(&runs, |e| e.id.clone()), ["failed", "waiting", "ok"]);
    }

    #[test]
    fn every_column_has_an_order_unknowns_last() {
        let mut a = gate("a", at(10), None);
        let mut b = gate("b", at(20), None);
        (a.stage, b.stage) = ("Zulu".into(), "alpha".into());
        (a.project, b.project) = ("x".into(), "Y".into());
        (a.triggered_by, b.triggered_by) = ("zoe".into(), "Adam".into());
        (a.environment, b.environment) = (None, Some("prod".into()));
        assert_eq!(approvals_by(Column::Stage, &a, &b), Ordering::Greater);
        assert_eq!(approvals_by(Column::Project, &a, &b), Ordering::Less);
        assert_eq!(approvals_by(Column::StartedBy, &a, &b), Ordering::Greater);
        assert_eq!(approvals_by(Column::Environment, &a, &b), Ordering::Greater);

        let (mut x, mut y) = (run("b", "x", at(1)), run("a", "y", at(2)));
        (x.run_number, y.run_number) = (Some(7), None);
        assert_eq!(executions_by(Column::Run, &x, &y), Ordering::Less);
        y.run_number = Some(9);
        assert_eq!(
            executions_by(Column::Run, &x, &y),
            Ordering::Greater,
            "newest run first"
        );
        (x.project, y.project) = ("b".into(), "A".into());
        assert_eq!(executions_by(Column::Project, &x, &y), Ordering::Greater);
        (x.triggered_by, y.triggered_by) = ("ann".into(), "Bob".into());
        assert_eq!(executions_by(Column::StartedBy, &x, &y), Ordering::Less);

        let pipeline = |stages| Pipeline {
            backend: "b".into(),
            project: "p".into(),
            id: "i".into(),
            name: "n".into(),
            description: String::new(),
            tags: Vec::new(),
            last_status: None,
            last_run: None,
            stages,
        };
        let (p, q) = (pipeline(Some(3)), pipeline(None));
        assert_eq!(
            pipelines_by(Column::Stages, (&p, None), (&q, None)),
            Ordering::Less
        );
        let ran = |secs| {
            Some(LastRun {
                status: ExecStatus::Succeeded,
                at: at(secs),
            })
        };
        assert_eq!(
            pipelines_by(Column::When, (&p, ran(5)), (&q, ran(9))),
            Ordering::Greater,
            "the most recent first"
        );
        assert_eq!(
            pipelines_by(Column::When, (&p, None), (&q, ran(9))),
            Ordering::Greater,
            "never run last"
        );
    }
}
