//! `flightdeck start <backend>/<pipeline> --var k=v ... [--wait]`.

use crate::out;
use std::time::Duration;

use super::json::{ErrorJson, StartJson, StatusJson, WaitedGate};
use super::{Failure, Global, failure, target, vars};
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
    let writes = global.writable(&loaded, &t.backend).await?;
    let poll = duration("poll", &args.poll)?;
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| duration("timeout", t))
        .transpose()?;
    let given = vars::gather(&args.vars, args.var_file.as_deref(), None)?;
    let mut values = given.values;
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
        .chain(given.from_files)
        .collect();
    let (result, request_id) =
        crate::backend::identity::capture_request_id(backend.start(&request)).await;
    global.audit(&writes.start_entry(
        &t.backend,
        &pipeline.name,
        &request,
        &secrets,
        &result,
        request_id,
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
        waited_at: Vec::new(),
        error: None,
    };
    if !args.wait {
        global.print(&out, || {
            format!(
                "started {}/{}/{}: {}\n",
                t.backend,
                pipeline.project,
                started.execution_id,
                started.status.said()
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
    // Infraxys never learns more about a run than it knew: its unknown is final.
    let unknown_is_final = backend.kind() == crate::domain::BackendKind::Infraxys;
    let begun = tokio::time::Instant::now();
    let mut last = String::new();
    let status = loop {
        match backend.execution(&exec).await {
            Ok(detail) => {
                let s = detail.execution.status.clone();
                let progress = format!(
                    "{} ({}/{} stages)",
                    s.said(),
                    detail.execution.stages_done,
                    detail.execution.stages_total
                );
                if progress != last {
                    out::note(&format!(
                        "{}: {}",
                        crate::sanitize::clean(&exec.id),
                        crate::sanitize::clean(&progress)
                    ));
                    last = progress;
                }
                for gate in &detail.approvals {
                    if out.waited_at.iter().any(|w| w.id == gate.id) {
                        continue;
                    }
                    let waited = WaitedGate::new(global, &t.backend, gate);
                    out::note(&format!(
                        "{}: waiting at gate {} ({} / {}); decide it with:\n  {}\n  {}",
                        crate::sanitize::clean(&exec.id),
                        waited.id,
                        waited.stage,
                        waited.step,
                        waited.approve,
                        waited.reject
                    ));
                    out.waited_at.push(waited);
                }
                let ended_unknown = s.status == ExecStatus::Unknown
                    && (unknown_is_final || detail.execution.ended.is_some());
                if s.status.is_terminal() || ended_unknown {
                    break s;
                }
            }
            // Reads may fail transiently while following; the start itself is not retried.
            Err(e) if e.is_transient() => out::note(&format!(
                "{}: {} (still waiting)",
                crate::sanitize::clean(&exec.id),
                crate::sanitize::clean(&e.to_string())
            )),
            Err(e) => return Err(keep_id(global, out, Failure::backend(&t.backend, &e))),
        }
        if timeout.is_some_and(|limit| begun.elapsed() >= limit) {
            let failure = Failure::new(
                failure::TIMEOUT,
                "timeout",
                format!(
                    "{} still {} after {:?}",
                    exec.id,
                    last,
                    timeout.unwrap_or_default()
                ),
            );
            return Err(keep_id(global, out, failure));
        }
        tokio::time::sleep(poll).await;
    };
    out.final_status = Some(StatusJson::from(&status));
    let failure = match status.status {
        ExecStatus::Succeeded => None,
        ExecStatus::Unknown => Some(Failure::new(
            failure::OUTCOME_UNKNOWN,
            "outcome_unknown",
            format!(
                "{} ended ({}), but {} does not report how: check the run on the server",
                exec.id,
                status.said(),
                backend.kind().as_str()
            ),
        )),
        _ => Some(Failure::new(
            failure::UNSUCCESSFUL,
            "unsuccessful",
            // The normalized word first: an Argo run whose gate was rejected ends with the
            // phase `Succeeded`.
            format!("{} ended {}", exec.id, status.said()),
        )),
    };
    out.error = failure.as_ref().map(ErrorJson::of);
    global.print(&out, || {
        format!(
            "{}/{}/{} finished: {}\n",
            t.backend,
            exec.project,
            exec.id,
            status.said()
        )
    });
    failure.map_or(Ok(()), Err)
}

/// A `--wait` that stops early still prints the start document, with the error beside the
/// execution id, so a script can follow up on the execution it started.
fn keep_id(global: &Global, mut out: StartJson, failure: Failure) -> Failure {
    out.error = Some(ErrorJson::of(&failure));
    if global.output == crate::cli::Output::Json {
        global.print(&out, String::new);
    }
    failure
}

impl WaitedGate {
    /// The gate and the exact commands that decide it, with this run's `--config`.
    fn new(global: &Global, backend: &str, gate: &crate::domain::Approval) -> WaitedGate {
        let config = global
            .config
            .as_ref()
            .map(|p| format!(" --config {}", shell_word(&p.display().to_string())))
            .unwrap_or_default();
        let target = shell_word(&format!("{backend}/{}/{}", gate.project, gate.execution_id));
        let command = |verb: &str| {
            format!(
                "flightdeck{config} {verb} {target} --gate {}",
                shell_word(&gate.id)
            )
        };
        WaitedGate {
            id: gate.id.clone(),
            stage: gate.stage.clone(),
            step: gate.step.clone(),
            approve: command("approve"),
            reject: command("reject"),
        }
    }
}

/// `s` as one shell word: as is when it holds only safe characters, else single-quoted.
fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./:@%+=,".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
