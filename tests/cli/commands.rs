//! The scriptable subcommands: the real binary against the embedded simulator over HTTP,
//! checking output shapes, exit codes, the audit log, and that no token ever shows up in
//! anything the binary prints or writes.

use flightdeck_sim::ClockMode;
use serde_json::Value;

use super::run::{BIN, Run, SimEnv, deref_sim_env, harness_h};

struct Env {
    env: SimEnv,
}
deref_sim_env!(Env);

/// A simulator and a config naming it; `backend_extra` is appended to the backend table.
async fn env_with(clock: ClockMode, backend_extra: &str) -> Env {
    let env = SimEnv::builder().clock(clock).start().await;
    let config = harness_h(&env.sim, backend_extra);
    Env {
        env: env.with_config(&config),
    }
}

async fn env() -> Env {
    env_with(ClockMode::Manual, "").await
}

impl Env {
    async fn run_with_key(&self, key: &str, args: &[&str]) -> Run {
        let log = self.dir.path().join("debug.log");
        let mut cmd = self.command_os(
            [std::ffi::OsStr::new("--log"), log.as_os_str()]
                .into_iter()
                .chain(args.iter().map(std::ffi::OsStr::new)),
        );
        let out = cmd.env("FD_TEST_KEY", key).output().await.unwrap();
        let run = Run::of(out);
        self.assert_no_secrets(&run.stdout);
        self.assert_no_secrets(&run.stderr);
        // The debug log records every request, never a credential.
        let log = std::fs::read_to_string(self.dir.path().join("debug.log")).unwrap_or_default();
        self.assert_no_secrets(&log);
        run
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.run_with_key(&self.sim.harness_token(), args).await
    }

    fn assert_no_secrets(&self, text: &str) {
        for token in [
            self.sim.harness_token(),
            self.sim.harness_sat_token(),
            self.sim.harness_unauthorized_token(),
        ] {
            // The secret part is what matters; the account id inside the token is not secret.
            let secret = token.rsplit('.').next().unwrap();
            assert!(
                !text.contains(secret),
                "a token leaked into output:\n{text}"
            );
        }
    }

    fn audit_entries(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.audit).unwrap_or_default();
        self.assert_no_secrets(&text);
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn list_pipelines_executions_and_approvals() {
    let env = env().await;
    let run = env.run(&["list", "pipelines", "-o", "json"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pipelines = run.json();
    assert_eq!(pipelines["failed"], serde_json::json!([]));
    let pipelines = pipelines["items"].as_array().unwrap();
    assert_eq!(pipelines.len(), 14);
    let ledger = pipelines
        .iter()
        .find(|p| p["id"] == "ledger_migrations")
        .unwrap();
    assert_eq!(ledger["backend"], "h");
    assert_eq!(ledger["project"], "payments");
    assert!(ledger["name"].as_str().unwrap().contains("Ledger"));

    let log = std::fs::read_to_string(env.dir.path().join("debug.log")).unwrap();
    assert!(
        log.contains("pipelines/list"),
        "requests are logged:\n{log}"
    );
    let table = env.run(&["list", "pipelines"]).await;
    assert_eq!(table.code, 0);
    assert!(table.stdout.starts_with("TARGET"), "{}", table.stdout);
    assert!(table.stdout.contains("h/payments/ledger_migrations"));

    let gates = env
        .run(&["list", "approvals", "--output", "json"])
        .await
        .json();
    let mut listed: Vec<&str> = gates["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    let mut waiting: Vec<String> = env
        .sim
        .world()
        .waiting_gates()
        .into_iter()
        .map(|g| g.approval)
        .collect();
    listed.sort_unstable();
    waiting.sort_unstable();
    assert_eq!(listed, waiting);

    let executions = env.run(&["list", "executions", "-o", "json"]).await.json();
    let first = &executions["items"].as_array().unwrap()[0];
    for field in [
        "backend",
        "project",
        "id",
        "pipeline_id",
        "pipeline_name",
        "status",
        "started",
        "stages_total",
    ] {
        assert!(
            first.get(field).is_some(),
            "executions JSON has {field}: {first}"
        );
    }
    assert!(first["status"]["status"].is_string() && first["status"]["raw"].is_string());

    let unknown = env
        .run(&["list", "pipelines", "--backend", "nope", "-o", "json"])
        .await;
    assert_eq!(unknown.code, 4);
    assert_eq!(unknown.json()["error"]["kind"], "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn status_finds_an_execution_without_its_project() {
    let env = env().await;
    let gate = env.sim.world().waiting_gate().unwrap();
    let run = env
        .run(&["status", &format!("h/{}", gate.execution), "-o", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let detail = run.json();
    assert_eq!(detail["execution"]["id"], gate.execution.as_str());
    assert_eq!(detail["execution"]["project"], gate.project.as_str());
    assert_eq!(detail["execution"]["status"]["status"], "waiting");
    assert!(!detail["stages"].as_array().unwrap().is_empty());
    assert_eq!(detail["gates"][0]["id"], gate.approval.as_str());

    let missing = env
        .run(&["status", "h/payments/doesNotExist0000000000", "-o", "json"])
        .await;
    assert_eq!(missing.code, 4, "{}", missing.stderr);
    let bad = env.run(&["status", "just-an-id"]).await;
    assert_eq!(bad.code, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn start_checks_inputs_before_sending_and_audits_without_secrets() {
    let env = env().await;
    let missing = env
        .run(&["start", "h/ledger_migrations", "-o", "json"])
        .await;
    assert_eq!(missing.code, 2, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("migration_version"),
        "{}",
        missing.stderr
    );
    let unknown = env
        .run(&["start", "h/ledger_migrations", "--var", "nope=1"])
        .await;
    assert_eq!(unknown.code, 2);
    assert_eq!(env.sim.stats().starts, 0, "nothing was sent");

    let run = env
        .run(&[
            "start",
            "h/payments/ledger_migrations",
            "--var",
            "migration_version=20260303",
            "--var",
            "db_admin_password=account.ledger_db_admin",
            "--notes",
            "from the cli test",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    let id = out["execution_id"].as_str().unwrap();
    assert_eq!(out["pipeline_id"], "ledger_migrations");
    assert_eq!(env.sim.stats().starts, 1);
    assert!(env.sim.world().execution_status(id).is_some());

    let entries = env.audit_entries();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["action"], "start");
    assert_eq!(entry["source"], "cli");
    assert_eq!(entry["target"]["execution"], id);
    assert_eq!(entry["inputs"]["notes"], "from the cli test");
    let values = entry["inputs"]["values"].as_array().unwrap();
    let secret = values
        .iter()
        .find(|v| v["name"] == "db_admin_password")
        .unwrap();
    assert_eq!(secret["value"], "***", "secret-typed inputs are masked");
}

#[tokio::test(flavor = "multi_thread")]
async fn start_wait_follows_the_execution_to_its_end() {
    let env = env_with(ClockMode::Real { speed: 300.0 }, "").await;
    let run = env
        .run(&[
            "start",
            "h/platform/dns_record_sync",
            "--wait",
            "--poll",
            "100ms",
            "--timeout",
            "60s",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out = run.json();
    assert_eq!(out["final_status"]["status"], "success", "{out}");
    assert!(run.stderr.contains("waiting for it to finish"));
}

#[tokio::test(flavor = "multi_thread")]
async fn approve_reject_and_their_conflicts() {
    let env = env().await;
    let world = env.sim.world();
    let gate = world.waiting_gate().unwrap();
    let target = format!("h/{}/{}", gate.project, gate.execution);

    let run = env
        .run(&["approve", &target, "--comment", "ship it", "-o", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["gate"], gate.approval.as_str());
    assert!(
        out["outcome"] == "approved" || out["outcome"] == "approved_more_needed",
        "{out}"
    );
    assert_eq!(env.sim.stats().decisions[&gate.approval].approve, 1);

    // The release train has two gates waiting in one execution: the CLI makes you pick.
    let (execution, gates) = world.two_waiting_gates().unwrap();
    let train = format!("h/{}/{}", gates[0].project, execution);
    let several = env.run(&["reject", &train, "-o", "json"]).await;
    assert_eq!(several.code, 5, "{}", several.stderr);
    assert_eq!(several.json()["error"]["kind"], "conflict");
    let picked = env
        .run(&[
            "reject",
            &train,
            "--gate",
            &gates[1].approval,
            "--comment",
            "not today",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(picked.code, 0, "{}", picked.stderr);
    assert_eq!(picked.json()["outcome"], "rejected");
    assert_eq!(env.sim.stats().decisions[&gates[1].approval].reject, 1);

    let unknown_input = env
        .run(&[
            "approve",
            &train,
            "--gate",
            &gates[0].approval,
            "--input",
            "nope=1",
        ])
        .await;
    assert_eq!(unknown_input.code, 2, "{}", unknown_input.stderr);

    let entries = env.audit_entries();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["approve", "reject"]);
    assert_eq!(entries[0]["inputs"]["comment"], "ship it");
    assert_eq!(env.sim.stats().total_decisions(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_refuses_every_mutation_before_sending() {
    let env = env().await;
    let gate = env.sim.world().waiting_gate().unwrap();
    let target = format!("h/{}/{}", gate.project, gate.execution);
    for args in [
        vec!["--read-only", "start", "h/platform/dns_record_sync"],
        vec!["--read-only", "approve", target.as_str()],
        vec!["--read-only", "reject", target.as_str()],
    ] {
        let run = env.run(&args).await;
        assert_eq!(run.code, 9, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("read-only"));
    }
    let per_backend = env_with(ClockMode::Manual, "read_only = true\n").await;
    let run = per_backend
        .run(&["approve", &format!("h/{}/{}", gate.project, gate.execution)])
        .await;
    assert_eq!(run.code, 9, "{}", run.stderr);
    for e in [&env, &per_backend] {
        assert_eq!(e.sim.stats().starts, 0);
        assert_eq!(e.sim.stats().total_decisions(), 0);
        assert!(e.audit_entries().is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_refused_or_lacking_permission_exit_3() {
    let env = env().await;
    let bogus = format!("pat.{}.bogus.bogussecret", env.sim.account());
    let run = env
        .run_with_key(&bogus, &["list", "pipelines", "-o", "json"])
        .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(run.json()["error"]["kind"], "not_authorized");

    let gate = env.sim.world().waiting_gate().unwrap();
    let target = format!("h/{}/{}", gate.project, gate.execution);
    let run = env
        .run_with_key(&env.sim.harness_unauthorized_token(), &["approve", &target])
        .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    let run = env
        .run_with_key(&env.sim.harness_sat_token(), &["approve", &target])
        .await;
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(env.sim.stats().total_decisions(), 0);
    // Refused attempts are audited too, as failures.
    let entries = env.audit_entries();
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e["result"]["ok"] == false));
}

#[tokio::test(flavor = "multi_thread")]
async fn config_check_completions_and_man_page() {
    let env = env().await;
    let run = env
        .run(&["config", "check", "--connect", "-o", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = run.json();
    assert_eq!(out["backends"][0]["state"], "ok");
    assert_eq!(out["backends"][0]["pipelines"], 14);

    let no_key = tokio::process::Command::new(BIN)
        .args(["--config"])
        .arg(&env.config)
        .args(["config", "check"])
        .env_remove("FD_TEST_KEY")
        .output()
        .await
        .unwrap();
    assert_eq!(no_key.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("FD_TEST_KEY"));

    let broken = env.dir.path().join("broken.toml");
    std::fs::write(&broken, "[ui]\nrefresh = 10\n").unwrap();
    let run = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&broken)
        .args(["config", "check"])
        .output()
        .await
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("broken.toml:2:11: ui.refresh"));

    // Neither reads a config: they take none of the global flags.
    let plain = |args: &'static [&'static str]| async move {
        let out = tokio::process::Command::new(BIN)
            .args(args)
            .output()
            .await
            .unwrap();
        Run::of(out)
    };
    let bash = plain(&["completions", "bash"]).await;
    assert_eq!(bash.code, 0, "{}", bash.stderr);
    // The script registers the binary as its own completer; subcommands come at each Tab.
    assert!(
        bash.stdout.contains("FLIGHTDECK_COMPLETE=\"bash\"") && bash.stdout.contains("flightdeck")
    );
    let tab = tokio::process::Command::new(BIN)
        .args(["--", "flightdeck", "appr"])
        .env("FLIGHTDECK_COMPLETE", "fish")
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&tab.stdout).starts_with("approve"));
    let man = plain(&["man"]).await;
    assert!(
        man.stdout.contains(".TH flightdeck"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
    assert!(
        man.stdout.contains("not authorized"),
        "exit codes are in the man page"
    );
}

/// `flightdeck list … | head -c 1`: stdout closes before the JSON is written. The run ends
/// with the documented 141 and a quiet stderr, not a panic (exit 101 and a backtrace).
#[tokio::test]
async fn a_closed_stdout_exits_141_quietly() {
    let env = env().await;
    let mut child = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&env.config)
        .args(["list", "executions", "-o", "json"])
        .env("FD_TEST_KEY", env.sim.harness_token())
        .env("FLIGHTDECK_AUDIT_LOG", &env.audit)
        .env_remove("FLIGHTDECK_CONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The read end closes before anything is written: the first write fails.
    drop(child.stdout.take());
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
