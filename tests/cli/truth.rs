//! What the scriptable subcommands say is true (issue 21): exit codes as `--help` documents
//! them, JSON that names every failure, `--wait` that always ends, and the smaller promises.
//! The real binary against the embedded simulator of every backend, over HTTP.

use std::path::PathBuf;
use std::time::Duration;

use flightdeck_sim::ClockMode;
use flightdeck_sim::client_config::{TokenSource, backends_toml};
use serde_json::Value;

use super::run::{BIN, SimEnv, deref_sim_env};
const TOKEN_ENV: &str = "FD_TRUTH_TOKEN";

struct Env {
    env: SimEnv,
    token: String,
}
deref_sim_env!(Env);

/// Every backend of the simulator, configured as `flightdeck sim --print-config` does;
/// `extra` is appended to the config.
async fn env_with(clock: ClockMode, extra: &str) -> Env {
    let token = flightdeck_sim::new_token(42);
    let env = SimEnv::builder()
        .clock(clock)
        .token(&token)
        .config_name("sim.toml")
        .start()
        .await;
    env.sim.set_infraxys_latency(Duration::from_millis(30));
    let text = backends_toml(&env.sim.endpoints(), TokenSource::Env(TOKEN_ENV));
    Env {
        env: env
            .with_config(&format!("{text}\n{extra}"))
            .var(TOKEN_ENV, &token),
        token,
    }
}

async fn env() -> Env {
    env_with(ClockMode::Manual, "").await
}

impl Env {
    /// A copy of the config with `from` replaced by `to`.
    fn config_with(&self, name: &str, from: &str, to: &str) -> PathBuf {
        let text = std::fs::read_to_string(&self.config).unwrap();
        assert!(text.contains(from), "{from} is not in the config");
        let path = self.dir.path().join(name);
        std::fs::write(&path, text.replace(from, to)).unwrap();
        path
    }
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// `--help`: 5 already decided, 8 expired, 4 not found. A second approve, an expired gate
/// and a mistyped `--gate` or `--callback-id` each get their own code, read from the
/// execution's gates before anything is sent.
#[tokio::test(flavor = "multi_thread")]
async fn decisions_tell_decided_expired_and_mistyped_gates_apart() {
    let env = env().await;
    let world = env.sim.world();
    let (execution, gates) = world.two_waiting_gates().unwrap();
    let train = format!("harness/{}/{}", gates[0].project, execution);

    let first = env
        .run(&[
            "approve",
            &train,
            "--gate",
            &gates[0].approval,
            "-o",
            "json",
        ])
        .await;
    assert_eq!(first.code, 0, "{}", first.stderr);
    let again = env
        .run(&[
            "approve",
            &train,
            "--gate",
            &gates[0].approval,
            "-o",
            "json",
        ])
        .await;
    assert_eq!(again.code, 5, "{}", again.stderr);
    assert_eq!(again.json()["error"]["kind"], "conflict");
    assert!(
        again.stderr.contains("was already decided"),
        "{}",
        again.stderr
    );

    let typo = env
        .run(&["approve", &train, "--gate", "0123456789abcdef01234567"])
        .await;
    assert_eq!(typo.code, 4, "{}", typo.stderr);
    assert!(!typo.stderr.contains("already"), "{}", typo.stderr);
    let cb_typo = env
        .run(&["approve", &train, "--callback-id", "nope", "-o", "json"])
        .await;
    assert_eq!(cb_typo.code, 4, "{}", cb_typo.stderr);
    assert_eq!(cb_typo.json()["error"]["kind"], "not_found");
    assert!(
        !cb_typo.stderr.contains("already decided"),
        "{}",
        cb_typo.stderr
    );

    assert!(world.expire(&gates[1].approval));
    let expired = env
        .run(&["reject", &train, "--gate", &gates[1].approval, "-o", "json"])
        .await;
    assert_eq!(expired.code, 8, "{}", expired.stderr);
    assert_eq!(expired.json()["error"]["kind"], "expired");
    assert_eq!(
        env.sim.stats().total_decisions(),
        1,
        "only the first approve was sent"
    );

    // Argo: the second approve of a workflow finds its Suspend node already resumed.
    let argo = world.argo_waiting_gates();
    let gate = argo
        .iter()
        .find(|g| g.project == "argo" && world.gates_of(&g.execution).len() == 1)
        .expect("an Argo workflow with one gate");
    let target = format!("argo/{}", gate.execution);
    let run = env.run(&["approve", &target, "--comment", "ok"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = env.run(&["approve", &target, "--comment", "ok"]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("already decided"), "{}", run.stderr);
    // Argo steps have no callback ids: refused as such, not looked for.
    let run = env.run(&["approve", &target, "--callback-id", "x"]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no callback ids"), "{}", run.stderr);
}

/// `--callback-id` reads the gate first: the table names its stage and step, the audit
/// entry its name, and the gate JSON of `list approvals` and `status` carries the callback
/// ids `--callback-id` takes.
#[tokio::test(flavor = "multi_thread")]
async fn callback_ids_are_listed_and_keep_the_gates_name() {
    let env = env().await;
    let gate = env.sim.world().waiting_gate().unwrap();
    let callback = gate
        .callback_id
        .clone()
        .expect("the gate has a callback id");
    let listed = env.run(&["list", "approvals", "-o", "json"]).await.json();
    let row = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == gate.approval.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["callback_id"], callback.as_str());
    let target = format!("harness/{}/{}", gate.project, gate.execution);
    let status = env.run(&["status", &target, "-o", "json"]).await.json();
    assert_eq!(status["gates"][0]["callback_id"], callback.as_str());

    let run = env
        .run(&["approve", &target, "--callback-id", &callback])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let named = format!(
        "{} / {}",
        row["stage"].as_str().unwrap(),
        row["step"].as_str().unwrap()
    );
    assert!(
        run.stdout
            .contains(&format!("approved: {named} in {target}"))
            || run
                .stdout
                .contains(&format!("approved (more approvals needed): {named}")),
        "{}",
        run.stdout
    );
    let entries = env.audit_entries();
    let name = entries[0]["target"]["name"].as_str().unwrap();
    assert!(name.ends_with(&named), "{name}");
    assert_eq!(entries[0]["target"]["id"], gate.approval.as_str());
}

/// A backend that cannot be read is named, with its error, in the JSON document itself; the
/// table run prints each error once.
#[tokio::test(flavor = "multi_thread")]
async fn list_json_names_each_failed_backend() {
    let env = env().await;
    let port = closed_port();
    let argo = env.sim.argo_url();
    let down = env.config_with("down.toml", &argo, &format!("http://127.0.0.1:{port}"));
    let run = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&down)
        .args(["list", "approvals", "-o", "json"])
        .env(TOKEN_ENV, &env.token)
        .output()
        .await
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    let failed: Vec<&str> = doc["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["backend"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["argo", "argo-data"], "{doc}");
    assert_eq!(doc["failed"][0]["kind"], "backend");
    assert_eq!(doc["failed"][0]["code"], 1);
    assert!(
        doc["failed"][0]["message"]
            .as_str()
            .unwrap()
            .contains("cannot connect"),
        "{doc}"
    );
    assert!(!doc["items"].as_array().unwrap().is_empty(), "{doc}");

    let ok = env.run(&["list", "pipelines", "-o", "json"]).await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(ok.json()["failed"], serde_json::json!([]));

    let table = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&down)
        .args(["list", "approvals"])
        .env(TOKEN_ENV, &env.token)
        .output()
        .await
        .unwrap();
    assert_eq!(table.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&table.stderr);
    assert_eq!(
        stderr.matches("argo: network").count(),
        1,
        "each error once:\n{stderr}"
    );
}

/// An asynchronous Infraxys run ends without an outcome: `--wait` stops there with the
/// documented 12 instead of polling "ended" forever.
#[tokio::test(flavor = "multi_thread")]
async fn wait_ends_on_an_infraxys_run_whose_outcome_cannot_be_known() {
    let env = env().await;
    let run = env
        .run(&[
            "start",
            "infraxys/Rotate DB credentials",
            "--wait",
            "--poll",
            "50ms",
            "--timeout",
            "60s",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(run.code, 12, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(doc["final_status"]["status"], "unknown", "{doc}");
    assert_eq!(doc["error"]["kind"], "outcome_unknown");
    assert_eq!(doc["error"]["code"], 12);
}

/// `--wait --timeout`: the start document is still printed, its id beside the error.
#[tokio::test(flavor = "multi_thread")]
async fn wait_timeout_keeps_the_execution_id() {
    let env = env().await;
    let run = env
        .run(&[
            "start",
            "harness/platform/dns_record_sync",
            "--wait",
            "--poll",
            "100ms",
            "--timeout",
            "300ms",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(run.code, 6, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let id = doc["execution_id"].as_str().unwrap();
    assert!(env.sim.world().execution_status(id).is_some(), "{doc}");
    assert_eq!(doc["final_status"], Value::Null);
    assert_eq!(doc["error"]["kind"], "timeout");
    assert_eq!(doc["error"]["code"], 6);
}

/// `--wait` that reaches a gate names it and the exact command that decides it, which works.
#[tokio::test(flavor = "multi_thread")]
async fn wait_at_a_gate_names_the_gate_and_the_command() {
    let env = env_with(ClockMode::Real { speed: 200.0 }, "").await;
    let run = env
        .run(&[
            "start",
            "harness/payments/payments_api_deploy",
            "--var",
            "image_tag=1.2.3",
            "--wait",
            "--poll",
            "50ms",
            "--timeout",
            "4s",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(run.code, 6, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let waited = &doc["waited_at"][0];
    let gate = waited["id"].as_str().expect("the wait stopped at a gate");
    assert!(
        run.stderr.contains(&format!("waiting at gate {gate}")),
        "{}",
        run.stderr
    );
    let approve = waited["approve"].as_str().unwrap();
    assert!(run.stderr.contains(approve), "{}", run.stderr);
    let words: Vec<&str> = approve.split(' ').collect();
    assert_eq!(words[0], "flightdeck");
    assert_eq!(words[1], "--config");
    assert_eq!(words[2], env.config.to_str().unwrap());
    let decided = env.run(&words[3..]).await;
    assert_eq!(decided.code, 0, "{approve}: {}", decided.stderr);
    assert_eq!(env.sim.stats().decisions[gate].approve, 1);
}

/// `ARGO_TOKEN='Bearer …'` (the argo CLI's form, as the sim banner prints it) works; a
/// refused token's message says how the token is sent.
#[tokio::test(flavor = "multi_thread")]
async fn argo_tokens_work_with_or_without_bearer() {
    let env = env().await;
    let argo = env.config_with(
        "argo.toml",
        "namespace = \"argo\"\ntoken = { env = \"FD_TRUTH_TOKEN\" }",
        "namespace = \"argo\"\ntoken = { env = \"ARGO_TOKEN\" }",
    );
    let bearer = format!("Bearer {}", env.token);
    let run = |token: String| {
        let argo = argo.clone();
        let main = env.token.clone();
        async move {
            tokio::process::Command::new(BIN)
                .arg("--config")
                .arg(&argo)
                .args(["list", "pipelines", "--backend", "argo"])
                .env(TOKEN_ENV, main)
                .env("ARGO_TOKEN", token)
                .output()
                .await
                .unwrap()
        }
    };
    let ok = run(bearer).await;
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let refused = run("Bearer not-the-token".into()).await;
    assert_eq!(refused.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("Authorization: Bearer <token>"), "{stderr}");
}

/// `config check --connect` contacts Infraxys: a closed port or a refused token is an error,
/// never "ok", and the table says what was checked.
#[tokio::test(flavor = "multi_thread")]
async fn config_check_connect_contacts_infraxys() {
    let env = env().await;
    let ok = env
        .run(&["config", "check", "--connect", "-o", "json"])
        .await;
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let doc = ok.json();
    let ix = doc["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == "infraxys")
        .unwrap();
    assert_eq!(ix["state"], "ok");
    assert!(
        ix["checked"]
            .as_str()
            .unwrap()
            .contains("reached the server"),
        "{ix}"
    );
    assert_eq!(env.sim.stats().infraxys_starts, 0, "nothing was started");
    // Who each key acts as, as the audit log will say it: Harness verifies its key, Infraxys
    // cannot say.
    let harness = doc["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == "harness")
        .unwrap();
    assert_eq!(harness["identity"]["source"], "verified", "{harness}");
    assert!(harness["identity"]["who"].is_string(), "{harness}");
    assert_eq!(ix["identity"]["source"], "unknown", "{ix}");
    let table = env.run(&["config", "check", "--connect"]).await;
    assert!(table.stdout.contains("ACTS AS"), "{}", table.stdout);
    assert!(table.stdout.contains("(verified: "), "{}", table.stdout);

    let port = closed_port();
    let closed = env.config_with(
        "closed.toml",
        &env.sim.infraxys_url(),
        &format!("http://127.0.0.1:{port}"),
    );
    let run = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&closed)
        .args(["config", "check", "--connect"])
        .env(TOKEN_ENV, &env.token)
        .output()
        .await
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&run.stdout);
    let row = stdout.lines().find(|l| l.starts_with("infraxys")).unwrap();
    assert!(row.contains("error") && !row.contains(" ok "), "{stdout}");
    assert!(
        !stdout.lines().next().unwrap().ends_with(": ok"),
        "{stdout}"
    );

    env.sim.set_infraxys_token_required(true);
    let wrong = env.config_with(
        "wrong.toml",
        "branch = \"master\"\ntoken = { env = \"FD_TRUTH_TOKEN\" }",
        "branch = \"master\"\ntoken = \"not-the-token\"",
    );
    let run = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&wrong)
        .args(["config", "check", "--connect", "-o", "json"])
        .env(TOKEN_ENV, &env.token)
        .output()
        .await
        .unwrap();
    assert_eq!(run.status.code(), Some(3));
    let doc: Value = serde_json::from_slice(&run.stdout).unwrap();
    let ix = doc["backends"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["kind"] == "infraxys")
        .unwrap();
    assert_eq!(ix["state"], "error", "{ix}");
}

/// Infraxys ids are unique across processes; another process cannot read a run back and
/// says so; approving on Infraxys says it has no gates.
#[tokio::test(flavor = "multi_thread")]
async fn infraxys_runs_are_unique_and_say_what_can_be_read() {
    let env = env().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let run = env
            .run(&["start", "infraxys/Restart ingress", "-o", "json"])
            .await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        ids.push(run.json()["execution_id"].as_str().unwrap().to_owned());
    }
    assert_ne!(ids[0], ids[1]);
    let status = env
        .run(&["status", &format!("infraxys/{}", ids[0]), "-o", "json"])
        .await;
    assert_eq!(status.code, 4, "{}", status.stderr);
    assert!(
        status.stderr.contains("no API to read past runs"),
        "{}",
        status.stderr
    );
    let approve = env.run(&["approve", &format!("infraxys/{}", ids[0])]).await;
    assert_eq!(approve.code, 2, "{}", approve.stderr);
    assert!(
        approve.stderr.contains("Infraxys has no approval gates"),
        "{}",
        approve.stderr
    );
}

/// Every time in the JSON documents is whole seconds with `Z` (what jq 1.6's
/// `fromdateiso8601` reads), and the documents are one line each, like the errors.
#[tokio::test(flavor = "multi_thread")]
async fn json_times_are_whole_seconds_and_documents_one_line() {
    let env = env().await;
    let mut times = 0;
    for what in ["executions", "approvals", "pipelines"] {
        let run = env.run(&["list", what, "-o", "json"]).await;
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout.lines().count(), 1, "one line: {what}");
        let doc = run.json();
        let mut stack = vec![&doc];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(map) => {
                    for (k, v) in map {
                        if ["started", "ended", "created", "deadline", "last_run"]
                            .contains(&k.as_str())
                            && let Some(t) = v.as_str()
                        {
                            times += 1;
                            let ok = t.len() == 20
                                && t.ends_with('Z')
                                && t.as_bytes()[10] == b'T'
                                && !t.contains('.');
                            assert!(ok, "{k}: {t}");
                        }
                        stack.push(v);
                    }
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }
    assert!(times > 50, "{times}");
    let gate = env.sim.world().waiting_gate().unwrap();
    let run = env
        .run(&[
            "approve",
            &format!("harness/{}/{}", gate.project, gate.execution),
            "-o",
            "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
}

/// `--var` twice for one input is refused, naming it, before anything is sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_duplicate_var_is_refused() {
    let env = env().await;
    let run = env
        .run(&[
            "start",
            "harness/platform/dns_record_sync",
            "--var",
            "zone=a",
            "--var",
            "zone=b",
        ])
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--var zone"), "{}", run.stderr);
    assert_eq!(env.sim.stats().starts, 0);
}

/// Config mistakes a newcomer makes: a base_url without a scheme says to add one; a plain
/// http:// base_url to another machine warns that the token goes in cleartext; a failing
/// secret command shows its first stderr line and names the backend.
#[tokio::test(flavor = "multi_thread")]
async fn config_hints_for_urls_cleartext_and_secret_commands() {
    let env = env().await;
    let check = |path: PathBuf| async move {
        tokio::process::Command::new(BIN)
            .arg("--config")
            .arg(&path)
            .args(["config", "check"])
            .env(TOKEN_ENV, "pat.x.y.z")
            .output()
            .await
            .unwrap()
    };
    let bare = env.config_with(
        "bare.toml",
        &format!("base_url = \"{}\"", env.sim.harness_url()),
        &format!(
            "base_url = \"{}\"",
            env.sim.harness_url().trim_start_matches("http://")
        ),
    );
    let out = check(bare).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("add http:// or https://"), "{stderr}");

    let remote = env.config_with(
        "remote.toml",
        &format!("base_url = \"{}\"", env.sim.harness_url()),
        "base_url = \"http://harness.example.com\"",
    );
    let out = check(remote).await;
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("cleartext").count(),
        1,
        "only the remote backend is warned about:\n{stderr}"
    );
    assert!(
        stderr.contains("backend harness: base_url is plain http://"),
        "{stderr}"
    );

    let cmd = env.config_with(
        "cmd.toml",
        "api_key = { env = \"FD_TRUTH_TOKEN\" }",
        "api_key = { cmd = \"echo 'vault: permission denied' >&2; exit 3\" }",
    );
    let out = check(cmd).await;
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("backend harness: api_key")
            && stderr.contains("failed (exit status: 3): vault: permission denied"),
        "{stderr}"
    );

    // A slow command is named while it is waited for (before a dashboard would start).
    let slow = env.config_with(
        "slow.toml",
        "api_key = { env = \"FD_TRUTH_TOKEN\" }",
        "api_key = { cmd = \"sleep 1.3; echo pat.x.y.z\" }",
    );
    let out = check(slow).await;
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("fetching backend harness's api_key: waiting for `sleep 1.3; echo pat.x.y.z` (stopped after 30s)"),
        "{stderr}"
    );
}

/// A global flag a subcommand would ignore is refused there, not accepted and dropped; the
/// documented exit codes, 12 included, are in `--help`.
#[test]
fn ignored_global_flags_are_refused_and_help_lists_every_code() {
    for args in [
        &["man", "-o", "json"][..],
        &["completions", "bash", "--read-only"],
        &["--config", "x.toml", "sim", "--listen", "127.0.0.1:0"],
        &["demo", "--output", "json"],
    ] {
        let out = std::process::Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("has no effect on `flightdeck"), "{stderr}");
    }
    let help = std::process::Command::new(BIN)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("12  --wait: the execution ended, but its backend does not report how"),
        "{help}"
    );
}

/// The table's STATUS and LAST RUN columns speak the dashboard's one vocabulary, the words
/// JSON's `status` and the `status:` filter use, whichever backend answered; the vendor's
/// own word stays in JSON's `raw`.
#[tokio::test(flavor = "multi_thread")]
async fn tables_say_the_normalized_status_word() {
    let env = env().await;
    let words = [
        "waiting",
        "running",
        "queued",
        "paused",
        "not started",
        "success",
        "failed",
        "aborted",
        "rejected",
        "expired",
        "skipped",
        "unknown",
    ];
    let json = env.run(&["-o", "json", "list", "executions"]).await.json();
    let raws: Vec<String> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"]["raw"].as_str().unwrap().to_string())
        .filter(|raw| !words.contains(&raw.as_str()))
        .collect();
    assert!(!raws.is_empty(), "the vendors' words differ from ours");
    for (what, column) in [("executions", "STATUS"), ("pipelines", "LAST RUN")] {
        let table = env.run(&["list", what]).await;
        assert_eq!(table.code, 0, "{}", table.stderr);
        let header = table.stdout.lines().next().unwrap();
        let at = header.find(column).unwrap();
        for line in table.stdout.lines().skip(1) {
            let cell = line[at..].split("  ").next().unwrap().trim();
            assert!(
                cell == "-" || words.contains(&cell),
                "{what}: {cell:?} is not one of our words in {line:?}"
            );
        }
    }
}
