//! End to end: the real binary in demo mode inside tmux, driven with keys. Every wait polls
//! the screen with a deadline; nothing sleeps for a fixed time and asserts.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use flightdeck_sim::{ClockMode, Face, Fault, Faults, Rule, SimHandle, SimOptions};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const DEADLINE: Duration = Duration::from_secs(20);

/// A private tmux server (own socket, own config) running one pane of fixed size.
struct Tmux {
    dir: tempfile::TempDir,
}

impl Tmux {
    fn start(cols: u16, rows: u16, command: &str) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("tmux.conf");
        // status off in the config file applies before the app starts, so its first frame
        // already has the final size.
        std::fs::write(
            &conf,
            "set -g status off\nset -g default-terminal tmux-256color\nset -g remain-on-exit on\nset -g escape-time 0\n",
        )
        .unwrap();
        let t = Tmux { dir };
        let out = t.tmux(&[
            "-f",
            conf.to_str().unwrap(),
            "-u",
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            &cols.to_string(),
            "-y",
            &rows.to_string(),
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(self.socket())
            .args(args)
            .env("LC_ALL", "C.UTF-8")
            .output()
            .expect("tmux is installed (.ci/run installs it)")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "e2e"]).stdout)
            .into_owned()
    }

    /// Sends tmux key names one call at a time (Escape glued to a key reads as Alt-key).
    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "e2e", k]);
        }
    }

    fn literal(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "e2e", "-l", text]);
    }

    fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait_until(text, |s| s.contains(text))
    }

    /// A left click at column `x`, line `y` (0-based), as a terminal reports it once the
    /// application asked for SGR mouse reports: press, then release.
    fn click(&self, x: usize, y: usize) {
        let (x, y) = (x + 1, y + 1);
        self.literal(&format!("\x1b[<0;{x};{y}M"));
        self.literal(&format!("\x1b[<0;{x};{y}m"));
    }

    /// One notch of the wheel, down, at column `x`, line `y` (0-based).
    fn wheel_down(&self, x: usize, y: usize) {
        self.literal(&format!("\x1b[<65;{};{}M", x + 1, y + 1));
    }

    /// A tmux format variable of the pane (`#{mouse_any_flag}`...).
    fn pane_format(&self, variable: &str) -> String {
        let out = self.tmux(&["display", "-p", "-t", "e2e", variable]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// Column and line (0-based) of the first `text` on `screen`.
fn position(screen: &str, text: &str) -> (usize, usize) {
    screen
        .lines()
        .enumerate()
        .find_map(|(y, line)| line.find(text).map(|i| (line[..i].chars().count(), y)))
        .unwrap_or_else(|| panic!("{text:?} is not on the screen:\n{screen}"))
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

fn wait_for_file(path: &Path) -> String {
    let start = Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.is_empty()
        {
            return text;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn approve_a_waiting_gate_with_keys_in_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let rc = dir.path().join("rc");
    let audit = dir.path().join("audit.jsonl");
    // The exit code goes through a file: tmux's pane_dead_status is racy.
    let command = format!(
        "FLIGHTDECK_AUDIT_LOG='{}' '{BIN}' demo --seed 42 --stats-out '{}'; echo $? > '{}'",
        audit.display(),
        stats.display(),
        rc.display()
    );
    let t = Tmux::start(120, 40, &command);

    t.wait_for("Executions");
    t.keys(&["Tab"]);
    t.wait_until("a waiting gate in the Approvals pane", |s| {
        s.contains("▸Approvals") && s.contains("DEADLINE") && s.contains(" ◆ ")
    });
    t.keys(&["a"]);
    t.wait_for("Approve gate");
    // Cancel is focused: Tab reaches the comment.
    t.keys(&["Tab"]);
    t.literal("approved by e2e");
    t.wait_for("approved by e2e");
    // Back from the comment: Cancel, then the Approve button.
    t.keys(&["BTab", "BTab"]);
    t.keys(&["Enter"]);
    // "approved: ..." or, on a gate needing two approvers, "approved (more approvals needed): ..."
    let screen = t.wait_until("the approval result", |s| {
        s.contains("approved:") || s.contains("needed):") || s.contains("failed:")
    });
    assert!(
        !screen.contains("failed:"),
        "approval failed; screen:\n{screen}"
    );

    t.keys(&["q"]);
    assert_eq!(wait_for_file(&rc).trim(), "0", "flightdeck exits cleanly");
    let after = t.screen();
    assert!(
        !after.contains("Tab pane"),
        "the alternate screen was left on exit; screen:\n{after}"
    );
    let stats: serde_json::Value = serde_json::from_str(&wait_for_file(&stats)).unwrap();
    assert_eq!(
        stats["approvals"], 1,
        "exactly one approval reached the simulator: {stats}"
    );
    assert_eq!(stats["rejections"], 0, "{stats}");

    // The decision is in the audit log, once, with the comment typed.
    let log = std::fs::read_to_string(&audit).expect("the TUI wrote the audit log");
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["action"], "approve");
    assert_eq!(entries[0]["source"], "tui");
    assert_eq!(entries[0]["result"]["ok"], true);
    assert_eq!(entries[0]["inputs"]["comment"], "approved by e2e");
}

#[test]
fn batch_approve_every_marked_gate_with_keys() {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let rc = dir.path().join("rc");
    let command = format!(
        "FLIGHTDECK_AUDIT_LOG='{}' '{BIN}' demo --seed 42 --stats-out '{}'; echo $? > '{}'",
        dir.path().join("audit.jsonl").display(),
        stats.display(),
        rc.display()
    );
    let t = Tmux::start(120, 40, &command);
    t.keys(&["Tab"]);
    // Every backend's gates, not just the first to answer.
    t.wait_until("every backend's gates", |s| {
        s.contains("▸Approvals")
            && s.contains("harness-fg")
            && s.contains("argo-data")
            && s.contains("updated")
            && !s.contains("connecting")
    });
    t.keys(&["*"]);
    // The header counts the marks: "Approvals 15 ●15".
    let marks = |s: &str| -> Option<usize> {
        let header = s.lines().next()?;
        let after = header.split("Approvals ").nth(1)?.split(" ●").nth(1)?;
        after.split_whitespace().next()?.parse().ok()
    };
    let screen = t.wait_until("the mark count in the header", |s| marks(s).is_some());
    let waiting = marks(&screen).unwrap_or_default();
    assert!(
        waiting >= 2,
        "the demo starts with gates waiting:\n{screen}"
    );
    t.keys(&["A"]);
    t.wait_for(&format!("Approve {waiting} marked gates"));
    // Cancel is focused: Tab to the comment, then the typed confirmation.
    t.keys(&["Tab"]);
    t.literal("batch from e2e");
    t.keys(&["Tab"]);
    t.literal("yes");
    t.wait_for("type yes: yes");
    t.keys(&["Tab"]);
    t.wait_for(&format!("▶[ Approve {waiting} ]"));
    t.keys(&["Enter"]);
    let screen = t.wait_for("done — Enter or Esc closes");
    assert!(!screen.contains("sending…"), "{screen}");
    // Every row reported approved must be exactly one accepted decision in the simulator.
    // Result lines start at the dialog's left border.
    let approved = screen.matches("│approved").count();
    assert!(approved > 0, "{screen}");
    t.keys(&["Enter"]);
    t.wait_until("the dialog to close", |s| !s.contains("marked gates"));
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&rc).trim(), "0");

    let stats: serde_json::Value = serde_json::from_str(&wait_for_file(&stats)).unwrap();
    let decisions = stats["decisions"].as_object().unwrap();
    assert_eq!(
        decisions.len(),
        approved,
        "one accepted decision per gate reported approved: {stats}\n{screen}"
    );
    for (gate, count) in decisions {
        assert_eq!(count["approve"], 1, "gate {gate}: {stats}");
        assert_eq!(count["reject"], 0, "gate {gate}: {stats}");
    }
}

/// Two running Harness NextGen executions marked and aborted as one batch: one
/// confirmation (typed `yes`), exactly one abort request per execution, one audit entry
/// each.
#[test]
fn batch_abort_two_marked_executions_with_keys() {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let rc = dir.path().join("rc");
    let audit = dir.path().join("audit.jsonl");
    let command = format!(
        "FLIGHTDECK_AUDIT_LOG='{}' '{BIN}' demo --seed 42 --stats-out '{}'; echo $? > '{}'",
        audit.display(),
        stats.display(),
        rc.display()
    );
    let t = Tmux::start(120, 40, &command);
    t.wait_for("Executions");
    t.keys(&["/"]);
    t.literal("backend:harness status:running");
    t.keys(&["Enter"]);
    // At least two running workflows shown (the header reads "Executions N/M").
    let shown = |s: &str| -> Option<usize> {
        let header = s.lines().next()?;
        let count = header
            .split("Executions ")
            .nth(1)?
            .split_whitespace()
            .next()?;
        count.split('/').next()?.parse().ok()
    };
    t.wait_until("two running Harness executions", |s| {
        shown(s).is_some_and(|n| n >= 2) && s.contains("↻ running")
    });
    t.keys(&["Space", "Space"]);
    t.wait_until("two marks in the header", |s| {
        s.lines().next().is_some_and(|h| h.contains("●2"))
    });
    t.keys(&["K"]);
    t.wait_for("Abort 2 marked executions");
    // Cancel is focused: Tab reaches the typed confirmation.
    t.keys(&["Tab"]);
    t.literal("yes");
    t.wait_for("type yes: yes");
    t.keys(&["Tab"]);
    t.wait_for("▶[ Abort 2 ]");
    t.keys(&["Enter"]);
    let screen = t.wait_for("done — Enter or Esc closes");
    let accepted =
        screen.matches("│abort requested").count() + screen.matches("│abort recorded").count();
    t.keys(&["Enter"]);
    t.wait_until("the dialog to close", |s| !s.contains("marked executions"));
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&rc).trim(), "0");

    let stats: serde_json::Value = serde_json::from_str(&wait_for_file(&stats)).unwrap();
    assert_eq!(
        stats["abort_requests"], 2,
        "one abort request per marked execution, none sent twice: {stats}\n{screen}"
    );
    let controls = stats["controls"].as_object().unwrap();
    assert_eq!(
        controls.get("harness AbortAll").and_then(|n| n.as_u64()),
        Some(accepted as u64),
        "every row reported aborted is one accepted abort, and nothing else: {stats}\n{screen}"
    );
    assert_eq!(controls.len(), 1, "{stats}");
    assert_eq!(accepted, 2, "both were running when marked: {screen}");

    let log = std::fs::read_to_string(&audit).expect("the TUI wrote the audit log");
    let actions: Vec<String> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["action"].to_string())
        .collect();
    assert_eq!(actions, ["\"abort\"", "\"abort\""], "{log}");
}

/// A dropped SSH session hangs up the terminal: flightdeck must leave the alternate screen
/// and exit with 128 + SIGHUP, not hang or leave the terminal in raw mode.
#[test]
fn sighup_and_sigterm_restore_the_terminal_and_exit() {
    for (signal, code) in [("HUP", "129"), ("TERM", "143")] {
        let dir = tempfile::tempdir().unwrap();
        let rc = dir.path().join("rc");
        let command = format!("'{BIN}' demo; echo $? > '{}'", rc.display());
        let t = Tmux::start(100, 30, &command);
        t.wait_for("Executions");
        let shell = String::from_utf8_lossy(
            &t.tmux(&["display", "-p", "-t", "e2e", "#{pane_pid}"])
                .stdout,
        )
        .trim()
        .to_string();
        let pid = child_of(&shell).expect("flightdeck runs under the pane's shell");
        let sent = Command::new("sh")
            .args(["-c", &format!("kill -{signal} {pid}")])
            .status()
            .unwrap();
        assert!(sent.success());
        assert_eq!(wait_for_file(&rc).trim(), code, "SIG{signal} exit code");
        assert_eq!(
            t.pane_format("#{mouse_any_flag} #{mouse_sgr_flag}"),
            "0 0",
            "SIG{signal}: the mouse is given back"
        );
        let screen = t.screen();
        assert!(
            !screen.contains("Tab pane"),
            "SIG{signal}: the alternate screen was left:\n{screen}"
        );
    }
}

/// The pid of a process whose parent is `parent`, read from /proc (no procps needed).
fn child_of(parent: &str) -> Option<String> {
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
            let after = &stat[stat.rfind(')')? + 2..];
            let ppid = after.split_whitespace().nth(1)?;
            (ppid == parent).then(|| entry.file_name().to_string_lossy().into_owned())
        })
}

/// A simulator in the test process and a config naming it, so the simulator outlives the
/// binary and can be asked what it received after the binary is gone.
struct External {
    sim: SimHandle,
    dir: tempfile::TempDir,
    // Serves the simulator; dropped last.
    _runtime: tokio::runtime::Runtime,
}

impl External {
    /// With a Harness backend, and an Argo one when `argo`.
    fn start(argo: bool) -> External {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let sim = runtime
            .block_on(SimHandle::start(SimOptions {
                clock: ClockMode::Manual,
                ..SimOptions::default()
            }))
            .unwrap();
        sim.world().set_failures(false);
        let dir = tempfile::tempdir().unwrap();
        let projects: Vec<String> = sim.projects().iter().map(|p| format!("{p:?}")).collect();
        let mut config = format!(
            "[ui]\nrefresh = \"2s\"\n\n\
             [[backend]]\nname = \"harness\"\nkind = \"harness\"\nbase_url = \"{}\"\ntimeout = \"2s\"\n\
             account = \"{}\"\norg = \"{}\"\nprojects = [{}]\napi_key = {{ env = \"FD_HARNESS_KEY\" }}\n",
            sim.harness_url(),
            sim.account(),
            sim.org(),
            projects.join(", "),
        );
        if argo {
            config.push_str(&format!(
                "\n[[backend]]\nname = \"argo\"\nkind = \"argo\"\nbase_url = \"{}\"\ntimeout = \"2s\"\n\
                 namespace = \"argo\"\ntoken = {{ env = \"FD_ARGO_TOKEN\" }}\n",
                sim.argo_url()
            ));
        }
        let path = dir.path().join("flightdeck.toml");
        std::fs::write(&path, config).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        External {
            sim,
            dir,
            _runtime: runtime,
        }
    }

    fn audit(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }

    fn rc(&self) -> PathBuf {
        self.dir.path().join("rc")
    }

    /// The terminal's settings after the dashboard exited (`stty -a`).
    fn tty_mode(&self) -> PathBuf {
        self.dir.path().join("stty")
    }

    /// The pane's command: the dashboard on this simulator, then the terminal's settings and
    /// the exit code written to files by a shell that survives the terminal's hangup.
    fn command(&self) -> String {
        format!(
            "trap '' HUP; FD_HARNESS_KEY='{}' FD_ARGO_TOKEN='{}' FLIGHTDECK_AUDIT_LOG='{}' \
             '{BIN}' --config '{}'; rc=$?; stty -a > '{}' 2>&1; echo $rc > '{}'",
            self.sim.harness_token(),
            self.sim.argo_token(),
            self.audit().display(),
            self.dir.path().join("flightdeck.toml").display(),
            self.tty_mode().display(),
            self.rc().display()
        )
    }
}

/// The keyboard never waits for a backend: with every Argo request hanging, the Harness
/// data arrives, keys act at once, the hang is reported, and Argo recovers when it ends.
#[test]
fn keys_respond_while_one_backend_hangs() {
    let ext = External::start(true);
    ext.sim
        .set_faults(Faults::new([Rule::new(Fault::Hang).on(Face::Argo)]));
    let t = Tmux::start(120, 40, &ext.command());
    t.wait_until("Harness data while Argo hangs", |s| {
        s.contains("● harness ok") && s.contains("Rotate TLS certificates")
    });
    for (key, shows) in [
        ("Tab", "▸Approvals"),
        ("Tab", "▸Audit"),
        ("BTab", "▸Approvals"),
    ] {
        let sent = Instant::now();
        t.keys(&[key]);
        t.wait_for(shows);
        assert!(
            sent.elapsed() < Duration::from_secs(2),
            "{key} took {:?} while a backend hangs",
            sent.elapsed()
        );
    }
    t.wait_for("▲ argo failing");
    ext.sim.set_faults(Faults::default());
    t.wait_for("● argo ok");
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&ext.rc()).trim(), "0");
}

/// A batch of decisions is in flight when the terminal hangs up: by SIGHUP with the pane
/// still there (the terminal must be restored), or by the pane closing under the dashboard
/// (a dropped SSH session). Either way flightdeck exits 129, sends nothing more, and every
/// decision the simulator took is in the audit log, once, with nothing half-written.
#[test]
fn a_hangup_mid_batch_exits_cleanly_and_records_what_was_sent() {
    for close_pane in [false, true] {
        let ext = External::start(false);
        // Decisions take a while: they are still in flight at the hangup.
        ext.sim.set_faults(Faults::new([Rule::new(Fault::Latency(
            Duration::from_millis(1500),
        ))
        .paths("/harness/activity")]));
        let t = Tmux::start(120, 40, &ext.command());
        t.keys(&["Tab"]);
        t.wait_until("the gates", |s| {
            s.contains("▸Approvals") && s.contains("DEADLINE") && s.contains(" ◆ ")
        });
        t.keys(&["*", "A", "Tab"]);
        t.literal("hangup test");
        t.keys(&["Tab"]);
        t.literal("yes");
        t.keys(&["Tab", "Enter"]);
        t.wait_for("sending…");
        if close_pane {
            t.tmux(&["kill-pane", "-t", "e2e"]);
        } else {
            let shell = String::from_utf8_lossy(
                &t.tmux(&["display", "-p", "-t", "e2e", "#{pane_pid}"])
                    .stdout,
            )
            .trim()
            .to_string();
            let pid = child_of(&shell).expect("flightdeck runs under the pane's shell");
            assert!(
                Command::new("kill")
                    .args(["-HUP", &pid])
                    .status()
                    .unwrap()
                    .success()
            );
        }
        assert_eq!(
            wait_for_file(&ext.rc()).trim(),
            "129",
            "close_pane {close_pane}"
        );

        if !close_pane {
            let screen = t.screen();
            assert!(
                !screen.contains("Tab pane"),
                "alternate screen left:\n{screen}"
            );
            let mode = std::fs::read_to_string(ext.tty_mode()).unwrap();
            assert!(
                mode.contains(" icanon") && mode.contains(" echo"),
                "raw mode left:\n{mode}"
            );
        }
        // No decision reaches the simulator after the exit. (Total requests may still tick:
        // a read in flight at the exit can be counted by the simulator a moment later.)
        let decided = ext.sim.stats().decisions;
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(ext.sim.stats().decisions, decided);

        let log = std::fs::read_to_string(ext.audit()).expect("the audit log");
        let entries: Vec<serde_json::Value> = log
            .lines()
            .map(|l| serde_json::from_str(l).expect("whole lines only"))
            .collect();
        let stats = ext.sim.stats();
        assert!(!stats.decisions.is_empty(), "decisions were in flight");
        for (gate, count) in &stats.decisions {
            assert_eq!((count.approve, count.reject), (1, 0), "gate {gate}");
            let recorded = entries
                .iter()
                .filter(|e| e["target"]["id"] == gate.as_str() && e["result"]["ok"] == true)
                .count();
            assert_eq!(recorded, 1, "gate {gate} is in the audit log once:\n{log}");
        }
        assert_eq!(
            entries.iter().filter(|e| e["result"]["ok"] == true).count(),
            stats.decisions.len(),
            "the log claims nothing the simulator did not take:\n{log}"
        );
    }
}

/// The mouse in the real binary: the demo asks the terminal for mouse reports, a click on a
/// tab switches pane, a double click on a row opens its detail, the wheel moves the
/// selection, and the terminal gets the mouse back on exit.
#[test]
fn the_mouse_switches_panes_opens_rows_and_scrolls_in_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let rc = dir.path().join("rc");
    let command = format!(
        "FLIGHTDECK_AUDIT_LOG='{}' '{BIN}' demo --seed 42; echo $? > '{}'",
        dir.path().join("audit.jsonl").display(),
        rc.display()
    );
    let t = Tmux::start(120, 40, &command);
    let screen = t.wait_for("Executions");
    // Any-motion tracking with SGR coordinates, as crossterm asks for them.
    let start = Instant::now();
    while t.pane_format("#{mouse_any_flag} #{mouse_sgr_flag}") != "1 1" {
        assert!(start.elapsed() < DEADLINE, "the mouse was never captured");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (x, y) = position(&screen, "Approvals");
    t.click(x + 2, y);
    // Every backend's gates (none still connecting), held still with f so that rows do not
    // move between a click and the next look. The list's first row is on line 3 (header,
    // border, column titles).
    t.wait_until("the Approvals pane, by a click on its tab", |s| {
        s.contains("▸Approvals")
            && s.contains("DEADLINE")
            && s.contains("updated")
            && !s.contains("connecting")
            && s.lines().nth(8).is_some_and(|l| l.contains(" ◆ "))
    });
    t.keys(&["f"]);
    let screen = t.wait_for("FROZEN");
    let second = screen.lines().nth(4).unwrap().to_string();
    // The pipeline of the second row, as the detail names it.
    let (from, _) = position(&screen, "PIPELINE");
    let (to, _) = position(&screen, "STAGE/STEP");
    let name: String = second.chars().skip(from).take(to - from).collect();
    let name = name.trim().trim_end_matches('…').to_string();
    t.click(20, 4);
    t.click(20, 4);
    let detail = t.wait_for("Approvals › detail");
    assert!(detail.contains(&name), "the detail of {name:?}:\n{detail}");
    t.keys(&["Escape"]);
    t.wait_until("the list again", |s| {
        !s.contains("› detail") && s.lines().nth(4).is_some_and(|l| l.starts_with("│▶"))
    });
    // One notch moves the selection three rows down: from the second row to the fifth.
    t.wheel_down(20, 6);
    t.wait_until("the selection three rows down", |s| {
        s.lines().nth(7).is_some_and(|l| l.starts_with("│▶"))
    });
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&rc).trim(), "0");
    assert_eq!(
        t.pane_format("#{mouse_any_flag} #{mouse_sgr_flag} #{mouse_standard_flag}"),
        "0 0 0",
        "the mouse is given back on exit"
    );
}

/// `[ui] mouse = false`: the terminal is not asked for mouse reports, and one that arrives
/// anyway does nothing.
#[test]
fn mouse_off_in_the_config_leaves_the_mouse_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let rc = dir.path().join("rc");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[ui]\nmouse = false\n").unwrap();
    let command = format!(
        "FLIGHTDECK_AUDIT_LOG='{}' '{BIN}' demo --seed 42 --config '{}'; echo $? > '{}'",
        dir.path().join("audit.jsonl").display(),
        config.display(),
        rc.display()
    );
    let t = Tmux::start(120, 40, &command);
    let screen = t.wait_until("the executions", |s| {
        s.contains("▸Executions") && s.contains("ago")
    });
    assert_eq!(t.pane_format("#{mouse_any_flag} #{mouse_sgr_flag}"), "0 0");
    let (x, y) = position(&screen, "Approvals");
    t.click(x + 2, y);
    // Keys are read in order: once f has frozen the updates, the click before it was read.
    t.keys(&["f"]);
    let screen = t.wait_for("FROZEN");
    assert!(
        screen.contains("▸Executions"),
        "the click did nothing:\n{screen}"
    );
    t.keys(&["q"]);
    assert_eq!(wait_for_file(&rc).trim(), "0");
}
