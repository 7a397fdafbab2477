//! `flightdeck list pipelines|executions|approvals`.

use crate::out;
use futures::future::join_all;

use super::json::{ExecutionJson, FailedJson, GateJson, ListJson, PipelineJson};
use super::{Failure, Global, ListFilter, failure, table, target};
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

/// Lists every backend at once. A failing backend is reported (once, on stderr; in JSON in
/// the document's `failed`) and sets the exit code, but the others' rows are still printed:
/// rows that could not be read are unknown, never "none".
pub async fn run(
    global: &Global,
    what: ListWhat,
    only: Option<&str>,
    filter: &ListFilter,
) -> Result<(), Failure> {
    let now = jiff::Timestamp::now();
    let rows = filter.parse(what, now)?;
    if filter.quiet && global.output == crate::cli::Output::Json {
        return Err(Failure::bad_input(
            "-q prints targets only; leave out -o json (its items carry `target`)",
        ));
    }
    let loaded = global.load()?;
    let chosen: Vec<&Prepared> = match only {
        Some(name) => vec![target::find(&loaded.backends, name)?],
        None => loaded.backends.iter().collect(),
    };
    let results = join_all(chosen.iter().map(|p| read(p, what))).await;
    let mut failed: Vec<(String, Failure)> = Vec::new();
    let (mut pipelines, mut executions, mut approvals) = (Vec::new(), Vec::new(), Vec::new());
    for (p, result) in chosen.iter().zip(results) {
        match result {
            Ok(Rows::Pipelines(mut v)) => pipelines.append(&mut v),
            Ok(Rows::Executions(mut v)) => executions.append(&mut v),
            Ok(Rows::Approvals(mut v)) => approvals.append(&mut v),
            Err(f) => failed.push((p.backend.name().to_string(), f)),
        }
    }
    if chosen.len() == 1
        && let Some((_, failure)) = failed.pop()
    {
        // Nothing to show from the only backend asked: the error is the whole answer.
        return Err(failure);
    }
    for (_, f) in &failed {
        out::note(&f.message);
    }
    let failed_json: Vec<FailedJson> = failed
        .iter()
        .map(|(backend, f)| FailedJson {
            backend: backend.clone(),
            kind: f.kind.to_string(),
            code: f.code,
            message: f.message.clone(),
        })
        .collect();
    let quiet = |targets: Vec<String>| {
        global.printed.set(true);
        out::text(&targets.iter().map(|t| format!("{t}\n")).collect::<String>());
    };
    match what {
        ListWhat::Pipelines => {
            crate::domain::order::pipelines(&mut pipelines);
            rows.cut(&mut pipelines);
            if filter.quiet {
                quiet(
                    pipelines
                        .iter()
                        .map(|p| target::format(&p.backend, &p.project, &p.id))
                        .collect(),
                );
            } else {
                let items: Vec<PipelineJson> = pipelines.iter().map(Into::into).collect();
                let doc = ListJson {
                    items,
                    failed: failed_json,
                };
                global.print(&doc, || pipeline_table(&pipelines));
            }
        }
        ListWhat::Executions => {
            crate::domain::order::executions(&mut executions);
            rows.executions(&mut executions);
            if filter.quiet {
                quiet(
                    executions
                        .iter()
                        .map(|e| target::format(&e.backend, &e.project, &e.id))
                        .collect(),
                );
            } else {
                let items: Vec<ExecutionJson> = executions.iter().map(Into::into).collect();
                let doc = ListJson {
                    items,
                    failed: failed_json,
                };
                global.print(&doc, || execution_table(&executions, now));
            }
        }
        ListWhat::Approvals => {
            crate::domain::order::approvals(&mut approvals);
            rows.approvals(&mut approvals);
            if filter.quiet {
                quiet(
                    approvals
                        .iter()
                        .map(|a| target::format(&a.backend, &a.project, &a.execution_id))
                        .collect(),
                );
            } else {
                let items: Vec<GateJson> = approvals.iter().map(Into::into).collect();
                let doc = ListJson {
                    items,
                    failed: failed_json,
                };
                global.print(&doc, || approval_table(&approvals, now));
            }
        }
    }
    match failed.len() {
        0 => Ok(()),
        n => {
            let names: Vec<&str> = failed.iter().map(|(b, _)| b.as_str()).collect();
            // Exit code 1 whatever each backend's own error was: the run was partial.
            Err(Failure::new(
                failure::BACKEND,
                "backend",
                format!(
                    "{n} of {} backends could not be read ({}): their rows are unknown",
                    chosen.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

fn ago(now: jiff::Timestamp, t: Option<jiff::Timestamp>) -> String {
    crate::format::ago(now, t)
}

fn pipeline_table(list: &[Pipeline]) -> String {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            vec![
                target::format(&p.backend, &p.project, &p.id),
                p.name.clone(),
                p.last_status
                    .as_ref()
                    .map(|s| s.status.label().to_string())
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
                target::format(&e.backend, &e.project, &e.id),
                e.pipeline_name.clone(),
                // The one vocabulary of the dashboard, the filter and JSON's `status`;
                // the vendor's own word is in JSON's `raw` and in `status`.
                e.status.status.label().into(),
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
                target::format(&a.backend, &a.project, &a.execution_id),
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
