//! The display order of every list, in one place: the TUI's panes and the CLI's `list`
//! output use these and nothing else, and backends return their rows unsorted. Every order
//! ends on the id, so rows that tie on everything shown still come in the same order on
//! every refresh and in every process.

use std::cmp::Ordering;

use super::{Approval, Execution, Pipeline};

/// Pipelines by backend, project and name.
pub fn pipelines(list: &mut [Pipeline]) {
    list.sort_by(|a, b| {
        (&a.backend, &a.project, &a.name, &a.id).cmp(&(&b.backend, &b.project, &b.name, &b.id))
    });
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

/// Waiting gates oldest first: the one that has waited longest is on top.
pub fn approvals(list: &mut [Approval]) {
    list.sort_by(|a, b| {
        (a.created, &a.backend, &a.project, &a.id).cmp(&(b.created, &b.backend, &b.project, &b.id))
    });
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
}
