//! `flightdeck sim` as a user runs it: the real binary as a child process, waited on through
//! its printed readiness line (with a deadline, never a fixed sleep), stopped with SIGINT or
//! SIGTERM; its port layout, refusals, and `--print-config` driving the CLI against it.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use flightdeck::config::Config;
use flightdeck::domain::BackendKind;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");
const DEADLINE: Duration = Duration::from_secs(30);
const TOKEN: &str = "pat.simAccount01.tok1.standaloneSecret";

/// A running `flightdeck sim`, killed if a test fails before stopping it.
struct Sim {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    /// Everything printed up to and including the readiness line.
    banner: String,
    harness: String,
    argo: String,
    infraxys: String,
}

/// Why a start did not reach readiness: its exit code and stderr.
struct Refused {
    code: Option<i32>,
    stderr: String,
}

fn spawn(args: &[&str], token: Option<&str>) -> Child {
    let mut cmd = Command::new(BIN);
    cmd.arg("sim")
        .args(args)
        .env_remove("FLIGHTDECK_SIM_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(t) = token {
        cmd.env("FLIGHTDECK_SIM_TOKEN", t);
    }
    cmd.spawn().expect("flightdeck runs")
}

/// Starts `flightdeck sim ARGS` and waits for its `ready:` line.
fn start(args: &[&str], token: Option<&str>) -> Result<Sim, Refused> {
    let mut child = spawn(args, token);
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let until = Instant::now() + DEADLINE;
    let mut banner = String::new();
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                banner.push_str(&line);
                banner.push('\n');
                if let Some(urls) = line.strip_prefix("ready: ") {
                    let url = |face: &str| -> String {
                        urls.split(' ')
                            .find_map(|kv| kv.strip_prefix(&format!("{face}=")))
                            .unwrap_or_else(|| panic!("no {face} in {line}"))
                            .to_string()
                    };
                    return Ok(Sim {
                        harness: url("harness"),
                        argo: url("argo"),
                        infraxys: url("infraxys"),
                        child: Some(child),
                        lines,
                        banner,
                    });
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().unwrap();
                let mut stderr = String::new();
                child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut stderr)
                    .unwrap();
                return Err(Refused {
                    code: status.code(),
                    stderr,
                });
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!("no readiness line within {DEADLINE:?}; printed:\n{banner}");
            }
        }
    }
}

/// Starts a simulator on PORT, PORT+1 and PORT+2 for some free PORT, retrying when another
/// process takes one of them first.
fn start_consecutive(extra: &[&str], token: Option<&str>) -> (Sim, u16) {
    for _ in 0..20 {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if port > 65_000 {
            continue;
        }
        let listen = format!("127.0.0.1:{port}");
        let mut args = vec!["--listen", listen.as_str()];
        args.extend_from_slice(extra);
        match start(&args, token) {
            Ok(sim) => return (sim, port),
            Err(r) if r.stderr.contains("cannot listen") => continue,
            Err(r) => panic!("exit {:?}: {}", r.code, r.stderr),
        }
    }
    panic!("no three free consecutive ports found");
}

impl Sim {
    /// Sends `signal` and returns the exit code and what was printed after the banner.
    fn stop(mut self, signal: &str) -> (Option<i32>, String) {
        let mut child = self.child.take().unwrap();
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let until = Instant::now() + DEADLINE;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < until, "still running after SIG{signal}");
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest: Vec<String> = self.lines.try_iter().collect();
        (status.code(), rest.join("\n"))
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn port(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

/// A plain HTTP/1.0 GET of a JSON document, as `curl URL` would do it.
fn get_json(url: &str) -> Value {
    use std::io::Write;
    let rest = url.trim_start_matches("http://");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(authority).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"))
}

#[test]
fn serves_every_face_until_sigint_and_exits_zero() {
    let sim = start(&["--listen", "127.0.0.1:0", "--seed", "7"], None)
        .unwrap_or_else(|r| panic!("exit {:?}: {}", r.code, r.stderr));
    let ports = [port(&sim.harness), port(&sim.argo), port(&sim.infraxys)];
    assert!(ports.iter().all(|p| *p != 0), "{ports:?}");
    for (url, face) in [
        (&sim.harness, "harness"),
        (&sim.argo, "argo"),
        (&sim.infraxys, "infraxys"),
    ] {
        let state = get_json(&format!("{url}/_sim/state"));
        assert_eq!(state["face"], face);
        assert_eq!(state["seed"], 7);
    }
    let state = get_json(&format!("{}/_sim/state", sim.harness));
    let account = state["account"].as_str().unwrap();
    // The banner names what a script needs.
    for needle in [
        account,
        "org                default",
        "payments, checkout, platform",
        "Legacy Billing, Storefront Classic",
        "argo, data",
        "export FLIGHTDECK_SIM_TOKEN='pat.",
        "ARGO_TOKEN='Bearer pat.",
        "/api/v1/actions/start/flush-cdn-cache",
        "/gateway/api/graphql?accountId=",
    ] {
        assert!(
            sim.banner.contains(needle),
            "{needle:?} in:\n{}",
            sim.banner
        );
    }
    let (code, rest) = sim.stop("INT");
    assert_eq!(code, Some(0));
    assert!(rest.contains("SIGINT: stopped."), "{rest}");
    assert!(
        rest.contains("0 requests"),
        "inspection is not counted: {rest}"
    );
}

#[test]
fn lays_the_faces_out_on_port_plus_one_and_two_and_stops_on_sigterm() {
    let (sim, base) = start_consecutive(&[], Some(TOKEN));
    assert_eq!(sim.harness, format!("http://127.0.0.1:{base}"));
    assert_eq!(sim.argo, format!("http://127.0.0.1:{}", base + 1));
    assert_eq!(sim.infraxys, format!("http://127.0.0.1:{}", base + 2));
    // The token from the environment is the one every face accepts.
    assert!(
        sim.banner
            .contains(&format!("export FLIGHTDECK_SIM_TOKEN='{TOKEN}'"))
    );
    assert_eq!(
        get_json(&format!("{}/_sim/state", sim.harness))["account"],
        "simAccount01"
    );
    let (code, rest) = sim.stop("TERM");
    assert_eq!(code, Some(0));
    assert!(rest.contains("SIGTERM: stopped."), "{rest}");
}

#[test]
fn a_taken_port_fails_naming_it_and_its_face() {
    for _ in 0..20 {
        // Hold PORT+1 (Argo's) and leave PORT free.
        let held = TcpListener::bind("127.0.0.1:0").unwrap();
        let argo_port = held.local_addr().unwrap().port();
        let base = argo_port - 1;
        if TcpListener::bind(("127.0.0.1", base)).is_err() {
            continue;
        }
        let listen = format!("127.0.0.1:{base}");
        let refused = match start(&["--listen", &listen], None) {
            Ok(_) => panic!("started although 127.0.0.1:{argo_port} is taken"),
            Err(r) => r,
        };
        if refused.stderr.contains(&format!("127.0.0.1:{base} ")) {
            continue; // someone else took PORT meanwhile
        }
        assert_eq!(refused.code, Some(1), "{}", refused.stderr);
        assert!(
            refused.stderr.contains(&format!(
                "cannot listen on 127.0.0.1:{argo_port} for the Argo Workflows face"
            )),
            "{}",
            refused.stderr
        );
        assert!(
            refused.stderr.to_lowercase().contains("in use"),
            "{}",
            refused.stderr
        );
        drop(held);
        return;
    }
    panic!("no free port found next to a held one");
}

#[test]
fn bad_options_are_refused_before_anything_listens() {
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("sim")
            .args(args)
            .env_remove("FLIGHTDECK_SIM_TOKEN")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for speed in ["0", "-1", "NaN", "inf", "fast"] {
        let (code, stderr) = run(&["--listen", "127.0.0.1:0", &format!("--speed={speed}")]);
        assert_eq!(code, Some(2), "--speed {speed}: {stderr}");
        assert!(stderr.contains("speed"), "{stderr}");
    }
    let (code, stderr) = run(&["--listen", "127.0.0.1:0", "--token", "s3cret"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("pat.<account>.<tokenId>.<secret>"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cret"),
        "the token is not echoed: {stderr}"
    );
    let (code, stderr) = run(&["--listen", "127.0.0.1:65534"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("PORT+2"), "{stderr}");
    let (code, stderr) = run(&["--listen", "localhost"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, stderr) = run(&["--print-config", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--print-config"), "{stderr}");
}

#[test]
fn a_non_loopback_address_is_warned_about() {
    let mut child = spawn(&["--listen", "0.0.0.0:0"], None);
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let warning = rx.recv_timeout(DEADLINE);
    let _ = child.kill();
    let _ = child.wait();
    let warning = warning.expect("a warning on stderr");
    assert!(warning.contains("warning"), "{warning}");
    assert!(
        warning.contains("reachable from other machines"),
        "{warning}"
    );
}

/// `flightdeck sim --print-config` in one terminal, `flightdeck sim` in another, then the
/// CLI through the printed config: the whole loop the README describes.
#[test]
fn the_printed_config_drives_the_cli_against_a_running_simulator() {
    let (sim, base) = start_consecutive(&["--seed", "42"], Some(TOKEN));
    let listen = format!("127.0.0.1:{base}");
    let printed = Command::new(BIN)
        .args(["sim", "--print-config", "--listen", &listen, "--seed", "42"])
        .env("FLIGHTDECK_SIM_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(printed.status.success(), "{:?}", printed);
    let text = String::from_utf8(printed.stdout).unwrap();
    assert!(
        text.contains("{ env = \"FLIGHTDECK_SIM_TOKEN\" }"),
        "{text}"
    );
    assert!(
        text.contains(&format!("#   export FLIGHTDECK_SIM_TOKEN='{TOKEN}'")),
        "the export line is a comment: {text}"
    );
    let config = Config::from_toml_str(&text, "printed").unwrap_or_else(|e| panic!("{e}"));
    let kinds: Vec<(String, BackendKind)> = config
        .backends
        .iter()
        .map(|b| (b.name.to_string(), b.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("harness".to_string(), BackendKind::Harness),
            ("infraxys".to_string(), BackendKind::Infraxys),
            ("harness-fg".to_string(), BackendKind::HarnessFg),
            ("argo".to_string(), BackendKind::Argo),
            ("argo-data".to_string(), BackendKind::Argo),
        ]
    );
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim.toml");
    std::fs::write(&file, &text).unwrap();
    let cli = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&file)
            .args(args)
            .env("FLIGHTDECK_SIM_TOKEN", TOKEN)
            .env("FLIGHTDECK_AUDIT_LOG", dir.path().join("audit.jsonl"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(0), "{args:?}\n{stdout}\n{stderr}");
        assert!(!stderr.contains("warning"), "{stderr}");
        serde_json::from_str::<Value>(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    };
    let pipelines = cli(&["list", "pipelines", "--output", "json"]);
    assert_eq!(pipelines["failed"], serde_json::json!([]), "{pipelines}");
    let mut backends: Vec<&str> = pipelines["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["backend"].as_str().unwrap())
        .collect();
    backends.dedup();
    // Listed in `domain::order`'s pipeline order, which groups by backend name.
    assert_eq!(
        backends,
        ["argo", "argo-data", "harness", "harness-fg", "infraxys"],
        "every backend answers through the printed config"
    );
    let approvals = cli(&["list", "approvals", "--output", "json"]);
    assert!(
        !approvals["items"].as_array().unwrap().is_empty(),
        "{approvals}"
    );

    // The simulator counted the CLI's requests on the faces they went to.
    let state = get_json(&format!("{}/_sim/state", sim.argo));
    assert!(state["requests"]["total"].as_u64().unwrap() > 0, "{state}");
    let (code, rest) = sim.stop("TERM");
    assert_eq!(code, Some(0));
    assert!(!rest.contains(" 0 requests"), "{rest}");
}

/// What `--print-config` knows without a running simulator (from the seed, token and
/// addresses) is what a simulator started with the same options serves.
#[tokio::test]
async fn endpoints_known_without_starting_match_a_running_simulator() {
    use flightdeck_sim::{ClockMode, Listen, SimHandle, SimOptions, endpoints_for};
    for token in [None, Some(TOKEN.to_string())] {
        let opts = SimOptions {
            seed: 9,
            clock: ClockMode::Manual,
            token,
            ..SimOptions::default()
        };
        let sim = SimHandle::start(opts.clone()).await.unwrap();
        let addr = |url: String| url.trim_start_matches("http://").parse().unwrap();
        let listen = Listen {
            harness: addr(sim.harness_url()),
            argo: addr(sim.argo_url()),
            infraxys: addr(sim.infraxys_url()),
        };
        assert_eq!(
            endpoints_for(&SimOptions { listen, ..opts }).unwrap(),
            sim.endpoints()
        );
    }
}
