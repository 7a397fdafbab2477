//! Shared test fixtures: a small, fixed world of domain values fed through the real
//! `App::update` path; and `swagger`, checking JSON bodies against the Argo swagger.
#![allow(dead_code)]

pub mod infraxys;
pub mod swagger;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use flightdeck::app::{App, BackendInfo, Effect, Msg};
use flightdeck::domain::*;
use flightdeck::service::{Intervals, Payload, Reply};
use jiff::{SignedDuration, Timestamp};

pub fn t0() -> Timestamp {
    "2026-11-22T10:00:00Z".parse().unwrap()
}

pub fn at(secs: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(secs)
}

pub const BACKEND: &str = "payments";

fn status(s: ExecStatus, raw: &str) -> Status {
    Status::new(s, raw)
}

pub fn pipelines() -> Vec<Pipeline> {
    let p =
        |project: &str, id: &str, name: &str, last: Option<(ExecStatus, &str)>, stages| Pipeline {
            backend: BACKEND.into(),
            project: project.into(),
            id: id.into(),
            name: name.into(),
            description: format!("{name} pipeline"),
            tags: vec![("team".into(), project.into())],
            last_status: last.map(|(s, r)| status(s, r)),
            last_run: last.map(|_| at(-600)),
            stages: Some(stages),
        };
    vec![
        p(
            "payments",
            "deploy_api",
            "Deploy API",
            Some((ExecStatus::Waiting, "ApprovalWaiting")),
            4,
        ),
        p(
            "payments",
            "build",
            "Build",
            Some((ExecStatus::Succeeded, "Success")),
            2,
        ),
        p(
            "checkout",
            "deploy_web",
            "Deploy Web",
            Some((ExecStatus::Failed, "Failed")),
            3,
        ),
        p("platform", "rotate_certs", "Rotate Certificates", None, 1),
    ]
}

pub fn execution(
    id: &str,
    pipeline: &str,
    name: &str,
    s: ExecStatus,
    raw: &str,
    started: i64,
) -> Execution {
    Execution {
        backend: BACKEND.into(),
        project: "payments".into(),
        id: id.into(),
        pipeline_id: pipeline.into(),
        pipeline_name: name.into(),
        status: status(s, raw),
        started: Some(at(started)),
        ended: s.is_terminal().then(|| at(started + 95)),
        triggered_by: "jane@example.com".into(),
        run_number: Some(40 + id.len() as u64),
        stages_done: 2,
        stages_total: 4,
        message: (s == ExecStatus::Failed).then(|| "Shell Script step exited with code 1".into()),
        url: None,
    }
}

pub fn executions() -> Vec<Execution> {
    vec![
        execution(
            "exec-waiting",
            "deploy_api",
            "Deploy API",
            ExecStatus::Waiting,
            "ApprovalWaiting",
            -300,
        ),
        execution(
            "exec-running",
            "build",
            "Build",
            ExecStatus::Running,
            "Running",
            -60,
        ),
        execution(
            "exec-failed",
            "deploy_web",
            "Deploy Web",
            ExecStatus::Failed,
            "Failed",
            -3600,
        ),
        execution(
            "exec-ok",
            "build",
            "Build",
            ExecStatus::Succeeded,
            "Success",
            -7200,
        ),
    ]
}

pub fn approval(id: &str, exec: &str) -> Approval {
    Approval {
        backend: BACKEND.into(),
        project: "payments".into(),
        id: id.into(),
        execution_id: exec.into(),
        pipeline_id: "deploy_api".into(),
        pipeline_name: "Deploy API".into(),
        stage: "Approve prod".into(),
        step: "Release sign-off".into(),
        message: "Ship payments-api 1.4.2 to production?".into(),
        approvers: vec!["release-managers".into()],
        min_count: 1,
        inputs: vec![ApproverInput {
            name: "ticket".into(),
            default: "OPS-1".into(),
            options: vec![],
        }],
        created: Some(at(-240)),
        deadline: Some(at(86_160)),
        triggered_by: "jane@example.com".into(),
        environment: Some("prod".into()),
        callback_id: None,
        url: None,
    }
}

pub fn detail() -> ExecutionDetail {
    let step = |name: &str, kind: &str, s: ExecStatus, raw: &str| Step {
        name: name.into(),
        kind: kind.into(),
        status: status(s, raw),
        started: Some(at(-280)),
        ended: s.is_terminal().then(|| at(-250)),
        message: None,
    };
    ExecutionDetail {
        execution: executions().remove(0),
        stages: vec![
            Stage {
                name: "Build".into(),
                status: status(ExecStatus::Succeeded, "Success"),
                started: Some(at(-300)),
                ended: Some(at(-250)),
                steps: vec![step("Compile", "Run", ExecStatus::Succeeded, "Success")],
            },
            Stage {
                name: "Approve prod".into(),
                status: status(ExecStatus::Waiting, "ApprovalWaiting"),
                started: Some(at(-240)),
                ended: None,
                steps: vec![step(
                    "Release sign-off",
                    "HarnessApproval",
                    ExecStatus::Waiting,
                    "ApprovalWaiting",
                )],
            },
            Stage {
                name: "Deploy prod".into(),
                status: status(ExecStatus::NotStarted, "NotStarted"),
                started: None,
                ended: None,
                steps: vec![],
            },
        ],
        approvals: vec![approval("gate-1", "exec-waiting")],
        rejection: None,
    }
}

pub fn reply(payload: Payload) -> Msg {
    reply_to(0, payload)
}

/// The answer for the dialog or view opened at `epoch` (0: polling).
pub fn reply_to(epoch: u64, payload: Payload) -> Msg {
    Msg::Reply(Reply {
        backend: BACKEND.into(),
        epoch,
        elapsed: Duration::from_millis(20),
        payload,
    })
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

/// An app holding the fixture world, as if every list had just been read at t0.
pub fn loaded_app() -> App {
    loaded_app_with(|_| {})
}

/// [`loaded_app`], with `user` as the local account its audit entries name.
pub fn loaded_app_as(user: &str) -> App {
    loaded_app_with(|s| s.user = user.into())
}

/// [`loaded_app`], built from the fixture's settings as `tweak` changes them.
pub fn loaded_app_with(tweak: impl FnOnce(&mut flightdeck::app::Settings)) -> App {
    let mut settings = flightdeck::app::Settings {
        backends: vec![BackendInfo {
            name: BACKEND.into(),
            kind: BackendKind::Harness,
            production: false,
            read_only: false,
            insecure: false,
            identity: None,
        }],
        intervals: Intervals::default(),
        read_only: false,
        ..Default::default()
    };
    tweak(&mut settings);
    let mut app = App::new(settings);
    app.update(reply(Payload::Pipelines(Ok(pipelines()))), t0());
    app.update(reply(Payload::Executions(Ok(executions()))), t0());
    app.update(
        reply(Payload::Approvals(Ok(vec![approval(
            "gate-1",
            "exec-waiting",
        )]))),
        t0(),
    );
    app
}

/// Sends keys in order at t0, returning every effect.
pub fn press(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    msgs.into_iter().flat_map(|m| app.update(m, t0())).collect()
}
