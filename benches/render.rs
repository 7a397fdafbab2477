//! Drawing cost of the dashboard with a large state, measured in-process (issue: frame
//! time of the Executions pane with 10,000 executions at 200x50, bytes written to the
//! terminal when one row's status changes versus a full repaint, memory with 10,000
//! executions and 1,000 pipelines loaded). Prints figures; asserts nothing about time.
//!
//!     cargo bench --bench render

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flightdeck::app::{App, BackendInfo, Msg};
use flightdeck::config::Theme as ThemeName;
use flightdeck::domain::*;
use flightdeck::service::{Intervals, Payload, Reply};
use flightdeck::tui::QuietBackend;
use flightdeck::ui::depth::Depth;
use flightdeck::ui::{self, Theme};
use jiff::{SignedDuration, Timestamp};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const EXECUTIONS: usize = 10_000;
const PIPELINES: usize = 1_000;
const FRAMES: usize = 500;
const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

fn t0() -> Timestamp {
    "2026-11-22T10:00:00Z".parse().expect("time")
}

fn reply(payload: Payload) -> Msg {
    Msg::Reply(Reply {
        backend: "bench".into(),
        epoch: 0,
        elapsed: Duration::from_millis(20),
        payload,
    })
}

fn executions(changed: Option<usize>) -> Vec<Execution> {
    executions_n(EXECUTIONS, changed)
}

fn executions_n(n: usize, changed: Option<usize>) -> Vec<Execution> {
    (0..n)
        .map(|i| {
            let (status, raw) = match (Some(i) == changed, i % 5) {
                (true, _) => (ExecStatus::Failed, "Failed"),
                (_, 0) => (ExecStatus::Running, "Running"),
                (_, 1) => (ExecStatus::Waiting, "ApprovalWaiting"),
                _ => (ExecStatus::Succeeded, "Success"),
            };
            Execution {
                backend: "bench".into(),
                project: format!("project-{}", i % 20),
                id: format!("exec-{i:05}"),
                pipeline_id: format!("pipeline-{}", i % PIPELINES),
                pipeline_name: format!("Deploy service {}", i % PIPELINES),
                status: Status::new(status, raw),
                started: Some(t0() - SignedDuration::from_secs(i as i64 * 60)),
                ended: None,
                triggered_by: "jane@example.com".into(),
                run_number: Some(i as u64),
                stages_done: 2,
                stages_total: 4,
                message: None,
                url: None,
            }
        })
        .collect()
}

fn pipelines() -> Vec<Pipeline> {
    (0..PIPELINES)
        .map(|i| Pipeline {
            backend: "bench".into(),
            project: format!("project-{}", i % 20),
            id: format!("pipeline-{i}"),
            name: format!("Deploy service {i}"),
            description: "a pipeline".into(),
            tags: vec![("team".into(), "payments".into())],
            last_status: None,
            last_run: None,
            stages: Some(4),
        })
        .collect()
}

fn loaded_app() -> App {
    let mut app = App::new(flightdeck::app::Settings {
        backends: vec![BackendInfo {
            name: "bench".into(),
            kind: BackendKind::Harness,
            production: false,
            read_only: false,
            insecure: false,
            identity: None,
        }],
        intervals: Intervals::default(),
        read_only: false,
        ..Default::default()
    });
    app.update(
        Msg::Resize {
            width: WIDTH,
            height: HEIGHT,
        },
        t0(),
    );
    app.update(reply(Payload::Pipelines(Ok(pipelines()))), t0());
    app.update(reply(Payload::Executions(Ok(executions(None)))), t0());
    app
}

/// A terminal that only counts the bytes written to it.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Counter {
    fn take(&self) -> usize {
        self.0.swap(0, Ordering::SeqCst)
    }
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.fetch_add(buf.len(), Ordering::SeqCst);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The terminal the event loop draws on, writing into `sink`.
fn terminal(sink: Counter) -> Terminal<QuietBackend<Counter>> {
    Terminal::with_options(
        QuietBackend::new(sink),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, WIDTH, HEIGHT)),
        },
    )
    .expect("terminal")
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    // Truecolor: the most bytes per styled cell, so the byte figures are an upper bound.
    let theme = Theme::new(ThemeName::Dark, Depth::TrueColor);
    let before = rss_kib();
    let app = loaded_app();
    let after = rss_kib();

    // Frame time: every frame is a full draw of the Executions pane on the event loop's own
    // terminal (the diff against the previous frame included; nothing changed, so nothing
    // is written), as the loop does on each dirty frame. The same pane holding 50
    // executions shows what part of the cost the list size adds.
    let mut small = loaded_app();
    small.update(reply(Payload::Executions(Ok(executions_n(50, None)))), t0());
    for (app, n) in [(&app, EXECUTIONS), (&small, 50)] {
        let mut terminal = terminal(Counter::default());
        let mut times: Vec<Duration> = (0..FRAMES)
            .map(|_| {
                let started = Instant::now();
                terminal
                    .draw(|f| {
                        ui::draw(f, app, &theme);
                    })
                    .expect("draw");
                started.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "frame, Executions pane, {n} executions at {WIDTH}x{HEIGHT}: median {:.3} ms, p99 {:.3} ms ({FRAMES} frames)",
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
        );
    }

    // Applying a whole refreshed list (what a poll or a watch batch costs the UI thread).
    let mut app = app;
    let started = Instant::now();
    for round in 0..20 {
        app.update(
            reply(Payload::Executions(Ok(executions(Some(round))))),
            t0(),
        );
    }
    println!(
        "update, one refreshed list of {EXECUTIONS} executions applied: {:.2} ms each (20 runs)",
        started.elapsed().as_secs_f64() * 1e3 / 20.0
    );
    // The same list again, as most polls bring: compared, found equal, nothing rebuilt.
    app.dirty = false;
    let started = Instant::now();
    for _ in 0..20 {
        app.update(reply(Payload::Executions(Ok(executions(Some(19))))), t0());
    }
    println!(
        "update, the same list of {EXECUTIONS} executions again: {:.2} ms each (20 runs; the app stays clean: {})",
        started.elapsed().as_secs_f64() * 1e3 / 20.0,
        !app.dirty
    );

    // Bytes: what the event loop's terminal writes for the first frame (a full repaint),
    // then for the frame after the top row's status changed, then for an unchanged one.
    let mut app = loaded_app();
    let written = Counter::default();
    let mut terminal = terminal(written.clone());
    terminal
        .draw(|f| {
            ui::draw(f, &app, &theme);
        })
        .expect("draw");
    let full = written.take();
    app.update(reply(Payload::Executions(Ok(executions(Some(0))))), t0());
    terminal
        .draw(|f| {
            ui::draw(f, &app, &theme);
        })
        .expect("draw");
    let one_row = written.take();
    terminal
        .draw(|f| {
            ui::draw(f, &app, &theme);
        })
        .expect("draw");
    let unchanged = written.take();
    println!(
        "bytes to the terminal at {WIDTH}x{HEIGHT}: full repaint {full}, one row's status changed {one_row} ({:.1}% of a repaint), nothing changed {unchanged}",
        one_row as f64 * 100.0 / full as f64
    );

    if let (Some(before), Some(after)) = (before, after) {
        println!(
            "memory: RSS {:.1} MiB with {EXECUTIONS} executions and {PIPELINES} pipelines loaded ({:.1} MiB for the data)",
            after as f64 / 1024.0,
            after.saturating_sub(before) as f64 / 1024.0
        );
    }
}
