//! `flightdeck list pipelines|executions|approvals`.

use crate::out;
use futures::future::join_all;

use super::json::{ExecutionJson, GateJson, PipelineJson};
use super::{Failure, Global, table, target};
use crate::cli::ListWhat;
use crate::domain::{Approval, Compact, Execution, Pipeline};
use crate::launch::Prepared;

enum Rows {
    Pipelines(Vec<Pipeline>),
    Executions(Vec<Execution>),
    Approvals(Vec<Approval>),
}

async fn read(p: &Prepared, what: ListWhat) -> Result<Rows, Failure> {
    let name = p.backend.name().to_string();
    let b = &p.backend;
    let rows = match what {
        ListWhat::Pipelines => b.list_pipelines().await.map(Rows::Pipelines),
        ListWhat::Executions => b.list_executions().await.map(Rows::Executions),
        ListWhat::Approvals => b.waiting_approvals().await.map(Rows::Approvals),
    };
    rows.map_err(|e| Failure::backend(&name, &e))
}

/// Lists every backend at once. A failing backend is reported and sets the exit code, but
/// the others' rows are still printed.
pub async fn run(global: &Global, what: ListWhat, only: Option<&str>) -> Result<(), Failure> {
    let loaded = global.load()?;
    let chosen: Vec<&Prepared> = match only {
        Some(name) => vec![target::find(&loaded.backends, name)?],
        None => loaded.backends.iter().collect(),
    };
    let results = join_all(chosen.iter().map(|p| read(p, what))).await;
    let mut first_failure = None;
    let (mut pipelines, mut executions, mut approvals) = (Vec::new(), Vec::new(), Vec::new());
    for result in results {
        match result {
            Ok(Rows::Pipelines(mut v)) => pipelines.append(&mut v),
            Ok(Rows::Executions(mut v)) => executions.append(&mut v),
            Ok(Rows::Approvals(mut v)) => approvals.append(&mut v),
            Err(f) => {
                out::note(&f.message);
                first_failure.get_or_insert(f);
            }
        }
    }
    if let Some(failure) = first_failure.take_if(|_| chosen.len() == 1) {
        // Nothing to show from the only backend asked: the error is the whole answer.
        return Err(failure);
    }
    let now = jiff::Timestamp::now();
    match what {
        ListWhat::Pipelines => {
            crate::domain::order::pipelines(&mut pipelines);
            let json: Vec<PipelineJson> = pipelines.iter().map(Into::into).collect();
            global.print(&json, || pipeline_table(&pipelines));
        }
        ListWhat::Executions => {
            crate::domain::order::executions(&mut executions);
            let json: Vec<ExecutionJson> = executions.iter().map(Into::into).collect();
            global.print(&json, || execution_table(&executions, now));
        }
        ListWhat::Approvals => {
            crate::domain::order::approvals(&mut approvals);
            let json: Vec<GateJson> = approvals.iter().map(Into::into).collect();
            global.print(&json, || approval_table(&approvals, now));
        }
    }
    first_failure.map_or(Ok(()), Err)
}

fn ago(now: jiff::Timestamp, t: Option<jiff::Timestamp>) -> String {
    crate::format::ago(now, t)
}

fn pipeline_table(list: &[Pipeline]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            vec![
                format!("{}/{}/{}", p.backend, p.project, p.id),
                p.name.clone(),
                p.last_status
                    .as_ref()
                    .map(|s| s.raw.clone())
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table::render(&["TARGET", "NAME", "LAST RUN"], &rows)
}

pub fn execution_table(list: &[Execution], now: jiff::Timestamp) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|e| {
            vec![
                format!("{}/{}/{}", e.backend, e.project, e.id),
                e.pipeline_name.clone(),
                e.status.raw.clone(),
                format!("{}/{}", e.stages_done, e.stages_total),
                ago(now, e.started),
                e.triggered_by.clone(),
            ]
        })
        .collect();
    table::render(
        &["EXECUTION", "PIPELINE", "STATUS", "STAGES", "STARTED", "BY"],
        &rows,
    )
}

pub fn approval_table(list: &[Approval], now: jiff::Timestamp) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|a| {
            let left = a.deadline.map(|d| {
                let secs = d.as_second() - now.as_second();
                if secs >= 0 {
                    format!(
                        "in {}",
                        Compact(std::time::Duration::from_secs(secs as u64))
                    )
                } else {
                    "overdue".into()
                }
            });
            vec![
                a.id.clone(),
                format!("{}/{}/{}", a.backend, a.project, a.execution_id),
                a.pipeline_name.clone(),
                format!("{} / {}", a.stage, a.step),
                left.unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table::render(
        &["GATE", "EXECUTION", "PIPELINE", "STAGE / STEP", "DEADLINE"],
        &rows,
    )
}
