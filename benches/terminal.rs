//! The dashboard in a real terminal (a tmux pane, 120x40) against a standalone simulator
//! running at 1/100 speed, so almost nothing changes: startup, then, with 50 more runs
//! started and followed, idle on the Executions pane (running durations tick every second)
//! and on the Approvals pane filtered to one project (its times move once a minute):
//! frames written, frames drawn and found unchanged (which write nothing), bytes written
//! to the terminal and CPU used. Prints figures; asserts nothing. Needs tmux (and GNU
//! `date`, for the moment of exec).
//!
//! Startup is timed from the debug log (`--log`, `RUST_LOG=flightdeck=debug`), whose lines
//! carry timestamps: each frame, each HTTP request, each completed read, each list a watch
//! pushed. Time zero is the pane's shell writing the clock just before it execs flightdeck,
//! in a tmux server already running. Whether a frame shows every backend's data is read off
//! the pane once per frame, a few milliseconds after the frame's log line, so the check
//! neither loads the machine (a `tmux capture-pane` is a process) nor adds its own latency:
//! the time reported is the frame's. Several fresh starts against the same simulator give
//! the median and the range.
//!
//!     cargo bench --bench terminal

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use common::{BIN, TOKEN, Tmux};

const BACKENDS: usize = 5;
const STARTS: usize = 7;
const IDLE: Duration = Duration::from_secs(30);
/// Runs started before the idle measurement.
const RUNS: usize = 50;
const DEADLINE: Duration = Duration::from_secs(60);
/// Between a frame's log line and reading the pane: the line is written after the frame's
/// bytes, and tmux needs a moment to take them from the pty.
const SETTLE: Duration = Duration::from_millis(5);
/// The rest of a start's reads (gates, the selected execution) land within this.
const STARTUP: Duration = Duration::from_secs(1);

fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// One line of the debug log: its time, its message and its `key=value` fields.
struct Line {
    at: SystemTime,
    message: String,
    fields: HashMap<String, String>,
}

fn log(path: &Path) -> Vec<Line> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let at = words.next()?.parse::<jiff::Timestamp>().ok()?;
            let words: Vec<&str> = words.skip(2).collect();
            let (fields, message): (Vec<&str>, Vec<&str>) =
                words.into_iter().partition(|w| w.contains('='));
            Some(Line {
                at: SystemTime::from(at),
                message: message.join(" "),
                fields: fields
                    .iter()
                    .filter_map(|f| f.split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
                    .collect(),
            })
        })
        .collect()
}

/// Timestamps of the `frame drawn` lines.
fn frames(lines: &[Line]) -> Vec<SystemTime> {
    lines
        .iter()
        .filter(|l| l.message == "frame drawn")
        .map(|l| l.at)
        .collect()
}

/// User plus system CPU time of a process.
fn cpu(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("process alive");
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let after = &stat[stat.rfind(')').expect("stat") + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    let hz: u64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100);
    Duration::from_millis(ticks * 1000 / hz)
}

/// Milliseconds from `zero` to `t`.
fn ms(zero: SystemTime, t: SystemTime) -> f64 {
    match t.duration_since(zero) {
        Ok(d) => d.as_secs_f64() * 1e3,
        Err(e) => -e.duration().as_secs_f64() * 1e3,
    }
}

/// What one start took, in ms after exec.
struct Start {
    first_frame: f64,
    /// The first request's start (its completion less its duration, to the millisecond).
    first_request: f64,
    /// Each backend's first successful read.
    answered: BTreeMap<String, f64>,
    /// Each backend's executions: a completed list read, or a watch's first list.
    executions: BTreeMap<String, f64>,
    /// The first frame on which every backend showed data, and its index.
    all_data: f64,
    all_data_frame: usize,
    requests: usize,
    /// CPU time the start cost the simulator and flightdeck (to the clock tick, 10 ms).
    sim_cpu: Duration,
    cpu: Duration,
    /// Reads completed during the start, by backend and read.
    reads: BTreeMap<(String, String), usize>,
}

fn start(tmux: &Tmux, sim: &str, dir: &Path, config: &Path, n: usize) -> Start {
    let log_path = dir.join(format!("start{n}.log"));
    let stamp = dir.join(format!("start{n}.exec"));
    let command = format!(
        "date +%s%N > '{}'; exec env FLIGHTDECK_SIM_TOKEN='{TOKEN}' FLIGHTDECK_AUDIT_LOG='{}' RUST_LOG=flightdeck=debug '{BIN}' --config '{}' --log '{}'",
        stamp.display(),
        dir.join("audit.jsonl").display(),
        config.display(),
        log_path.display()
    );
    let sim_before = cpu(sim);
    tmux.run(&["respawn-pane", "-k", "-t", "bench", &command]);
    let mut seen = 0;
    let mut read_at = Instant::now();
    let (all_data, all_data_frame) = until("every backend's data", || {
        let drawn = frames(&log(&log_path));
        if drawn.len() == seen && read_at.elapsed() < Duration::from_millis(50) {
            return None;
        }
        seen = drawn.len();
        std::thread::sleep(SETTLE);
        let screen = tmux.run(&["capture-pane", "-p", "-t", "bench"]);
        read_at = Instant::now();
        let shown = screen.matches(" ok").count() >= BACKENDS;
        // A frame drawn meanwhile may be the one the pane shows: look again then.
        let still = frames(&log(&log_path)).len() == seen;
        (shown && still && seen > 0).then(|| (drawn[seen - 1], seen - 1))
    });
    std::thread::sleep(STARTUP);
    let sim_cpu = cpu(sim) - sim_before;
    let pid = tmux
        .run(&["display-message", "-p", "-t", "bench", "#{pane_pid}"])
        .trim()
        .to_owned();
    let fd_cpu = cpu(&pid);
    let exec = until("the exec stamp", || {
        let text = std::fs::read_to_string(&stamp).ok()?;
        let nanos: u64 = text.trim().parse().ok()?;
        Some(SystemTime::UNIX_EPOCH + Duration::from_nanos(nanos))
    });
    let lines = log(&log_path);
    let first_frame = ms(exec, frames(&lines)[0]);
    let http: Vec<&Line> = lines.iter().filter(|l| l.message == "http").collect();
    let first_request = http
        .iter()
        .filter_map(|l| {
            let took: f64 = l.fields.get("elapsed_ms")?.parse().ok()?;
            Some(ms(exec, l.at) - took)
        })
        .fold(f64::INFINITY, f64::min);
    let mut answered = BTreeMap::new();
    let mut executions = BTreeMap::new();
    let mut reads = BTreeMap::new();
    for l in &lines {
        let Some(backend) = l.fields.get("backend") else {
            continue;
        };
        let at = ms(exec, l.at);
        if let (true, Some(read)) = (l.message == "read done", l.fields.get("read")) {
            *reads.entry((backend.clone(), read.clone())).or_default() += 1;
        }
        let read_ok = l.message == "read done" && l.fields.get("ok").is_some_and(|v| v == "true");
        if read_ok {
            answered.entry(backend.clone()).or_insert(at);
        }
        let listed = (read_ok && l.fields.get("read").is_some_and(|r| r == "executions"))
            || l.message == "watched list";
        if listed {
            executions.entry(backend.clone()).or_insert(at);
        }
    }
    Start {
        first_frame,
        first_request,
        answered,
        executions,
        all_data: ms(exec, all_data),
        all_data_frame,
        requests: http.len(),
        sim_cpu,
        cpu: fd_cpu,
        reads,
    }
}

/// The median, min and max of some figures, as "median [min–max]".
fn spread(mut values: Vec<f64>) -> String {
    values.sort_by(f64::total_cmp);
    let median = values[values.len() / 2];
    format!(
        "{median:5.0} [{:.0}–{:.0}]",
        values[0],
        values[values.len() - 1]
    )
}

/// The latest of a per-backend figure, with the backend it belongs to.
fn last(per_backend: &BTreeMap<String, f64>) -> (f64, String) {
    per_backend
        .iter()
        .map(|(b, t)| (*t, b.clone()))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .unwrap_or((f64::NAN, "none".to_owned()))
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (sim, config) = common::simulator(dir.path());
    let sim_pid = sim.pid();

    let tmux = Tmux {
        socket: dir.path().join("tmux.sock"),
    };
    // The server and the pane exist before the clock starts: what is timed is flightdeck.
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "bench",
        "-x",
        "120",
        "-y",
        "40",
        "sleep 86400",
    ]);
    let starts: Vec<Start> = (0..STARTS)
        .map(|n| start(&tmux, &sim_pid, dir.path(), &config, n))
        .collect();
    println!(
        "startup, {STARTS} fresh starts against one simulator, ms after exec (median [min–max]):"
    );
    let figure = |label: &str, f: &dyn Fn(&Start) -> f64| {
        println!("  {label:<58} {}", spread(starts.iter().map(f).collect()));
    };
    figure("first frame", &|s| s.first_frame);
    figure("first request sent", &|s| s.first_request);
    figure("every backend answered a read (the last one)", &|s| {
        last(&s.answered).0
    });
    figure("every backend's executions listed (the last list)", &|s| {
        last(&s.executions).0
    });
    figure("first frame showing every backend's data", &|s| s.all_data);
    figure("  the same, after the first frame", &|s| {
        s.all_data - s.first_frame
    });
    figure(
        "  the last backend's first answer, after the first frame",
        &|s| last(&s.answered).0 - s.first_frame,
    );
    let mean = |f: &dyn Fn(&Start) -> f64| starts.iter().map(f).sum::<f64>() / STARTS as f64;
    println!(
        "  a start's first {:.0} s, on average: {:.0} requests; CPU {:.0} ms in the simulator, {:.0} ms in flightdeck",
        STARTUP.as_secs_f64(),
        mean(&|s| s.requests as f64),
        mean(&|s| s.sim_cpu.as_secs_f64() * 1e3),
        mean(&|s| s.cpu.as_secs_f64() * 1e3),
    );
    // Reads that ran more than once in every start.
    let twice: Vec<String> = starts[0]
        .reads
        .keys()
        .filter(|k| {
            starts
                .iter()
                .all(|s| s.reads.get(*k).is_some_and(|n| *n > 1))
        })
        .map(|(backend, read)| format!("{backend} {read}"))
        .collect();
    println!(
        "  reads done more than once in every start's first {:.0} s: {}",
        STARTUP.as_secs_f64(),
        if twice.is_empty() {
            "none".to_owned()
        } else {
            twice.join(", ")
        }
    );
    for (n, s) in starts.iter().enumerate() {
        let per_backend: Vec<String> = s
            .answered
            .iter()
            .map(|(b, t)| {
                let listed = s
                    .executions
                    .get(b)
                    .map_or("-".to_owned(), |e| format!("{e:.0}"));
                format!("{b} {t:.0}/{listed}")
            })
            .collect();
        println!(
            "  start {n}: frame {:.0}, data on frame {} at {:.0}; per backend first answer/executions: {}",
            s.first_frame,
            s.all_data_frame,
            s.all_data,
            per_backend.join(", ")
        );
    }

    // Idle: 50 more runs started (they stay running at 1/100 speed), the service following
    // every active execution (the list read every 3 s), nothing else changing.
    let records = dir.path().join("runs.jsonl");
    std::fs::write(&records, "{}\n".repeat(RUNS)).expect("records");
    let started = Command::new(BIN)
        .env("FLIGHTDECK_SIM_TOKEN", TOKEN)
        .arg("--config")
        .arg(&config)
        .args(["start", "harness/platform/base_image_rebuild", "--records"])
        .arg(&records)
        .output()
        .expect("bulk start");
    assert!(started.status.success(), "bulk start: {started:?}");
    let listed = Command::new(BIN)
        .env("FLIGHTDECK_SIM_TOKEN", TOKEN)
        .arg("--config")
        .arg(&config)
        .args(["list", "executions", "-o", "json"])
        .output()
        .expect("list");
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("list json");
    let running = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["status"]["status"] == "running")
        .count();
    let pid = tmux
        .run(&["display-message", "-p", "-t", "bench", "#{pane_pid}"])
        .trim()
        .to_owned();
    let log_path = dir.path().join(format!("start{}.log", STARTS - 1));
    let bytes = dir.path().join("bytes.out");
    tmux.run(&[
        "pipe-pane",
        "-t",
        "bench",
        "-o",
        &format!("cat >> '{}'", bytes.display()),
    ]);
    println!(
        "idle for {:.0} s per pane, {running} executions running and followed (simulator at 1/100 speed):",
        IDLE.as_secs_f64()
    );
    // On the gates pane, a filter leaves out the seeded gate whose deadline falls in the
    // first minutes of the world (a countdown in its last minute, or just overdue, counts
    // seconds): what remains changes only when a minute turns.
    let panes: [(&str, &[&str]); 2] = [
        ("Executions", &[]),
        ("Approvals", &["Tab", "/", "project:payments", "Enter"]),
    ];
    for (pane, keys) in panes {
        for key in keys {
            tmux.run(&["send-keys", "-t", "bench", key]);
        }
        // The runs started appear, the pane switch lands, a minute of ages may turn.
        std::thread::sleep(Duration::from_secs(5));
        let lines = log(&log_path);
        let before = (
            count(&lines, "frame drawn"),
            count(&lines, "frame unchanged"),
            cpu(&pid),
            std::fs::metadata(&bytes).map(|m| m.len()).unwrap_or(0),
        );
        std::thread::sleep(IDLE);
        let lines = log(&log_path);
        let seconds = IDLE.as_secs_f64();
        let per_s = |n: usize, m: usize| (n - m) as f64 / seconds;
        let written = std::fs::metadata(&bytes).map(|m| m.len()).unwrap_or(0);
        println!(
            "  {pane:<10} pane: {:.2} frames/s written, {:.2} frames/s drawn and found unchanged (0 bytes), {:.0} bytes/s to the terminal, {:.2}% of one core",
            per_s(count(&lines, "frame drawn"), before.0),
            per_s(count(&lines, "frame unchanged"), before.1),
            (written - before.3) as f64 / seconds,
            (cpu(&pid) - before.2).as_secs_f64() * 100.0 / seconds
        );
    }
}

fn count(lines: &[Line], message: &str) -> usize {
    lines.iter().filter(|l| l.message == message).count()
}
