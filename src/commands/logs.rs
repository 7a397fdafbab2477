//! `flightdeck logs TARGET [--step NAME] [--follow]`: an execution's log on stdout, the same
//! lines the log view shows.
//!
//! Each line as it arrives: `[step] text` for people (just the text with `--step`), or with
//! `-o json` one object per line, `{"step","time","level","line"}` (JSON Lines; `time` and
//! `level` are null where the backend gives none). Server text is cleaned (or, in JSON,
//! escaped) on the way out, like every other output. First Gen has no log API: exit 11,
//! nothing sent.

use serde::Serialize;
use tokio::sync::mpsc;

use super::{Failure, Global, control, target};
use crate::cli::{LogsArgs, Output};
use crate::domain::{BackendError, LogLine};
use crate::out;

/// One line of `-o json`.
#[derive(Debug, Serialize)]
struct LineJson<'a> {
    step: &'a str,
    /// RFC 3339 in whole seconds, where the backend stamps its lines (Harness NextGen).
    time: Option<String>,
    /// `info`, `warn`, `error`..., where the backend has levels (Harness NextGen).
    level: Option<String>,
    line: &'a str,
}

pub async fn run(global: &Global, args: LogsArgs) -> Result<(), Failure> {
    let loaded = global.load()?;
    let t = target::Target::parse(&args.target, "execution")?;
    if args.step.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(Failure::bad_input("--step needs a step name"));
    }
    let p = target::find(&loaded.backends, &t.backend)?;
    let kind = p.backend.kind();
    if !crate::app::offers_logs(kind) {
        return Err(Failure::new(
            control::UNSUPPORTED,
            "unsupported",
            format!("{}: {}", t.backend, crate::app::no_logs(kind)),
        ));
    }
    let exec = target::execution(&p.backend, &t).await?;
    let (tx, mut rx) = mpsc::unbounded_channel::<LogLine>();
    let backend = p.backend.clone();
    let step = args.step.clone();
    let follow = args.follow;
    let task = tokio::spawn(async move {
        let result = backend.logs(&exec, step.as_deref(), follow, &tx).await;
        drop(tx);
        result
    });
    let bare = args.step.is_some();
    while let Some(line) = rx.recv().await {
        print(global, &line, bare);
    }
    let result = task.await.unwrap_or_else(|e| {
        Err(BackendError::Network(format!(
            "the log reader stopped: {e}"
        )))
    });
    result.map_err(|e| match e {
        BackendError::Unsupported(_) => Failure::new(
            control::UNSUPPORTED,
            "unsupported",
            Failure::backend(&t.backend, &e).message,
        ),
        e => Failure::backend(&t.backend, &e),
    })
}

fn print(global: &Global, line: &LogLine, bare: bool) {
    global.printed.set(true);
    match global.output {
        Output::Json => out::json(
            &LineJson {
                step: &line.source,
                // Whole seconds, like every time in the JSON output (README, "JSON output").
                time: line
                    .time
                    .and_then(|t| jiff::Timestamp::from_second(t.as_second()).ok())
                    .map(|t| t.to_string()),
                level: line.level.as_deref().map(str::to_lowercase),
                line: &line.text,
            },
            false,
        ),
        Output::Table if bare => out::text(&format!("{}\n", one_line(&line.text))),
        Output::Table => out::text(&format!(
            "[{}] {}\n",
            one_line(&line.source),
            one_line(&line.text)
        )),
    }
}

/// A line of text never becomes two: `out::text` keeps line breaks.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
