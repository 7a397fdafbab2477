//! The dashboard in a real terminal (a tmux pane, 120x40) against a standalone simulator
//! running at 1/100 speed, so almost nothing changes: startup, then, with 50 more runs
//! started and followed, idle on the Executions pane (running durations tick every second)
//! and on the Approvals pane (times move once a minute): frames written, frames drawn and
//! found unchanged (which write nothing), bytes written to the terminal and CPU used.
//! Prints figures; asserts nothing. Needs tmux (and GNU `date`, for the moment of exec).
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

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const TOKEN: &str = "pat.BenchAccount000000001.0123456789abcdef01234567.benchsecret000000001";
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

struct Tmux {
    socket: std::path::PathBuf,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.run(&["kill-server"]);
    }
}

struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    // Three consecutive ports are needed; a free one is found and the next two assumed free,
    // which the simulator checks (it fails clearly otherwise).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

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
    let running = String::from_utf8_lossy(&listed.stdout)
        .matches(r#""status": "running""#)
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
    for (pane, keys) in [("Executions", None), ("Approvals", Some("Tab"))] {
        if let Some(keys) = keys {
            tmux.run(&["send-keys", "-t", "bench", keys]);
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
