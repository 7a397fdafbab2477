//! `flightdeck start <backend>/<pipeline> --var k=v ... [--wait]`.

use crate::out;
use std::time::Duration;

use super::json::{StartJson, StatusJson};
use super::{Failure, Global, failure, target};
use crate::cli::StartArgs;
use crate::domain::{ExecStatus, StartForm, StartRequest, VarKind};

pub(super) fn duration(flag: &str, text: &str) -> Result<Duration, Failure> {
    let parsed: Result<jiff::SignedDuration, _> = text.parse();
    match parsed.ok().and_then(|d| Duration::try_from(d).ok()) {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(Failure::bad_input(format!(
            "--{flag} {text:?}: expected a duration like \"500ms\", \"10s\" or \"30m\""
        ))),
    }
}

/// Refuses unknown names, missing required inputs and values outside a choice before
/// anything is sent.
fn check(form: &StartForm, values: &[(String, String)]) -> Result<(), Failure> {
    for (name, value) in values {
        let Some(spec) = form.variables.iter().find(|v| &v.name == name) else {
            let known: Vec<&str> = form.variables.iter().map(|v| v.name.as_str()).collect();
            return Err(Failure::bad_input(format!(
                "unknown input {name:?}; this pipeline takes: {}",
                if known.is_empty() {
                    "nothing".to_string()
                } else {
                    known.join(", ")
                }
            )));
        };
        if let VarKind::Choice(options) = &spec.kind
            && !options.is_empty()
            && !options.contains(value)
        {
            return Err(Failure::bad_input(format!(
                "{name} must be one of {}",
                options.join(", ")
            )));
        }
    }
    let missing: Vec<&str> = form
        .variables
        .iter()
        .filter(|v| v.required && v.default.is_none())
        .filter(|v| {
            !values
                .iter()
                .any(|(n, val)| n == &v.name && !val.is_empty())
        })
        .map(|v| v.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Failure::bad_input(format!(
            "missing required input: {} (give --var name=value)",
            missing.join(", ")
        )));
    }
    Ok(())
}

pub async fn run(global: &Global, args: StartArgs) -> Result<(), Failure> {
    let loaded = global.load()?;
    let t = target::Target::parse(&args.target, "pipeline")?;
    let p = target::find(&loaded.backends, &t.backend)?;
    let writes = global.writable(&loaded, &t.backend)?;
    let poll = duration("poll", &args.poll)?;
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| duration("timeout", t))
        .transpose()?;
    let mut values = target::pairs("var", &args.vars)?;
    for (source, build) in target::pairs("artifact", &args.artifacts)? {
        values.push((format!("artifact:{source}"), build));
    }

    let backend = &p.backend;
    let pipeline = target::pipeline(backend, &t).await?;
    let form = backend
        .start_form(&pipeline.project, &pipeline.id)
        .await
        .map_err(|e| Failure::backend(&t.backend, &e))?;
    check(&form, &values)?;
    let request = StartRequest {
        project: pipeline.project.clone(),
        pipeline_id: pipeline.id.clone(),
        values,
        notes: args.notes,
    };
    let secrets: Vec<String> = form
        .variables
        .iter()
        .filter(|v| v.kind == VarKind::Secret)
        .map(|v| v.name.clone())
        .collect();
    let result = backend.start(&request).await;
    global.audit(&writes.start_entry(
        &t.backend,
        &pipeline.name,
        &request,
        &secrets,
        &result,
        jiff::Timestamp::now(),
    ));
    let started = result.map_err(|e| Failure::backend(&t.backend, &e))?;
    let mut out = StartJson {
        backend: t.backend.clone(),
        project: pipeline.project.clone(),
        pipeline_id: pipeline.id.clone(),
        execution_id: started.execution_id.clone(),
        status: (&started.status).into(),
        final_status: None,
    };
    if !args.wait {
        global.print(&out, || {
            format!(
                "started {}/{}/{}: {}\n",
                t.backend, pipeline.project, started.execution_id, started.status.raw
            )
        });
        return Ok(());
    }

    let exec = crate::domain::ExecRef {
        project: pipeline.project.clone(),
        id: started.execution_id.clone(),
    };
    out::note(&format!(
        "started {}/{}/{}; waiting for it to finish",
        t.backend,
        exec.project,
        crate::sanitize::clean(&exec.id)
    ));
    let begun = tokio::time::Instant::now();
    let mut last = String::new();
    let status = loop {
        match backend.execution(&exec).await {
            Ok(detail) => {
                let s = detail.execution.status.clone();
                let progress = format!(
                    "{} ({}/{} stages)",
                    s.raw, detail.execution.stages_done, detail.execution.stages_total
                );
                if progress != last {
                    out::note(&format!(
                        "{}: {}",
                        crate::sanitize::clean(&exec.id),
                        crate::sanitize::clean(&progress)
                    ));
                    last = progress;
                }
                if s.status.is_terminal() {
                    break s;
                }
            }
            // Reads may fail transiently while following; the start itself is not retried.
            Err(e) if e.is_transient() => out::note(&format!(
                "{}: {} (still waiting)",
                crate::sanitize::clean(&exec.id),
                crate::sanitize::clean(&e.to_string())
            )),
            Err(e) => return Err(Failure::backend(&t.backend, &e)),
        }
        if timeout.is_some_and(|limit| begun.elapsed() >= limit) {
            return Err(Failure::new(
                failure::TIMEOUT,
                "timeout",
                format!(
                    "{} still {} after {:?}",
                    exec.id,
                    last,
                    timeout.unwrap_or_default()
                ),
            ));
        }
        tokio::time::sleep(poll).await;
    };
    out.final_status = Some(StatusJson::from(&status));
    global.print(&out, || {
        format!(
            "{}/{}/{} finished: {} ({})\n",
            t.backend,
            exec.project,
            exec.id,
            status.status.label(),
            status.raw
        )
    });
    if status.status == ExecStatus::Succeeded {
        Ok(())
    } else {
        Err(Failure::new(
            failure::UNSUCCESSFUL,
            "unsuccessful",
            // The normalized word first: an Argo run whose gate was rejected ends with the
            // phase `Succeeded`.
            format!(
                "{} ended {} ({})",
                exec.id,
                status.status.label(),
                status.raw
            ),
        ))
    }
}
