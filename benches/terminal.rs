//! The dashboard in a real terminal (a tmux pane, 120x40) against a standalone simulator
//! running at 1/100 speed, so almost nothing changes: time from starting the binary to its
//! first frame and to every backend's data on screen, then, while idle, frames drawn,
//! bytes written to the terminal and CPU used. Frames are counted from the `--log` line
//! each frame writes. Prints figures; asserts nothing. Needs tmux.
//!
//!     cargo bench --bench terminal

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const TOKEN: &str = "pat.BenchAccount000000001.0123456789abcdef01234567.benchsecret000000001";
const BACKENDS: usize = 5;
const IDLE: Duration = Duration::from_secs(30);
const DEADLINE: Duration = Duration::from_secs(60);

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
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Timestamps of the `frame drawn` lines of the debug log.
fn frames(log: &Path) -> Vec<SystemTime> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|l| l.contains("frame drawn"))
        .filter_map(|l| l.split_whitespace().next())
        .filter_map(|ts| ts.parse::<jiff::Timestamp>().ok())
        .map(SystemTime::from)
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

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .args([
            "sim", "--listen", &listen, "--speed", "0.01", "--token", TOKEN,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let _sim = Sim(child);
    let mut lines = BufReader::new(stdout).lines();
    until("the simulator", || {
        lines
            .next()
            .and_then(Result::ok)
            .filter(|l| l.starts_with("ready:"))
    });
    let config = dir.path().join("sim.toml");
    let printed = Command::new(BIN)
        .args([
            "sim",
            "--print-config",
            "--listen",
            &listen,
            "--token",
            TOKEN,
        ])
        .output()
        .expect("print-config");
    std::fs::write(&config, &printed.stdout).expect("config");

    let log = dir.path().join("frames.log");
    let tmux = Tmux {
        socket: dir.path().join("tmux.sock"),
    };
    let command = format!(
        "exec env FLIGHTDECK_SIM_TOKEN='{TOKEN}' RUST_LOG=flightdeck=debug '{BIN}' --config '{}' --log '{}'",
        config.display(),
        log.display()
    );
    let spawned = SystemTime::now();
    let spawned_at = Instant::now();
    tmux.run(&["new-session", "-d", "-x", "120", "-y", "40", &command]);
    let first = until("the first frame", || frames(&log).first().copied());
    let first_frame = first.duration_since(spawned).unwrap_or_default();
    until("every backend's data", || {
        let screen = tmux.run(&["capture-pane", "-p"]);
        (screen.matches(" ok").count() >= BACKENDS).then_some(())
    });
    let all_data = spawned_at.elapsed();
    println!(
        "startup: first frame {:.0} ms after exec, every backend's data on screen after {:.0} ms",
        first_frame.as_secs_f64() * 1e3,
        all_data.as_secs_f64() * 1e3
    );

    let pid = tmux
        .run(&["display-message", "-p", "#{pane_pid}"])
        .trim()
        .to_owned();
    let bytes = dir.path().join("bytes.out");
    std::thread::sleep(Duration::from_secs(5));
    tmux.run(&["pipe-pane", "-o", &format!("cat >> '{}'", bytes.display())]);
    let (frames_before, cpu_before) = (frames(&log).len(), cpu(&pid));
    std::thread::sleep(IDLE);
    let (frames_after, cpu_after) = (frames(&log).len(), cpu(&pid));
    let written = std::fs::metadata(&bytes).map(|m| m.len()).unwrap_or(0);
    let seconds = IDLE.as_secs_f64();
    println!(
        "idle for {seconds:.0} s (simulator at 1/100 speed, ages and durations still ticking): {:.2} frames/s, {:.0} bytes/s to the terminal, {:.2}% of one core",
        (frames_after - frames_before) as f64 / seconds,
        written as f64 / seconds,
        (cpu_after - cpu_before).as_secs_f64() * 100.0 / seconds
    );
}
