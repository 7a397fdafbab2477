//! What the benchmarks that drive the real binary in a terminal share: the binary, a
//! standalone simulator with the config printed for it, and a tmux server of their own.
// Each benchmark is its own crate and uses only part of this.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
pub const TOKEN: &str = "pat.BenchAccount000000001.0123456789abcdef01234567.benchsecret000000001";

/// A tmux server on its own socket, killed when dropped.
pub struct Tmux {
    pub socket: PathBuf,
}

impl Tmux {
    pub fn run(&self, args: &[&str]) -> String {
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

/// `flightdeck sim`, stopped when dropped.
pub struct Sim(Child);

impl Sim {
    pub fn pid(&self) -> String {
        self.0.id().to_string()
    }
}

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

/// A fresh simulator at 1/100 speed (same seed each time, so runs see the same world), and
/// the flightdeck config printed for it, written into `dir`.
pub fn simulator(dir: &Path) -> (Sim, PathBuf) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(BIN)
        .args([
            "sim", "--listen", &listen, "--speed", "0.01", "--token", TOKEN,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulator starts");
    let stdout = child.stdout.take().expect("stdout");
    let sim = Sim(child);
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    assert!(
        lines.any(|l| l.starts_with("ready:")),
        "the simulator did not start"
    );
    // Its stdout stays read: a closed pipe would fail every line it prints later.
    std::thread::spawn(move || lines.for_each(drop));
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
    let config = dir.join("sim.toml");
    std::fs::write(&config, &printed.stdout).expect("config");
    (sim, config)
}
