//! `flightdeck abort|retry|rerun|suspend|resume`: the real binary against the embedded
//! simulator, checking what is sent, the exit codes (5 conflict, 9 read-only, 11 not
//! supported, 1 with the run read again for an unknown outcome), the JSON and the audit log.

use std::path::PathBuf;
use std::time::Duration;

use flightdeck_sim::{ClockMode, Face, Fault, Faults, Rule, SimHandle, SimOptions};
use serde_json::Value;

use super::run::{BIN, Run};
const INTERRUPT: &str = "/pipeline/api/pipeline/execute/interrupt/{planExecutionId}";

struct Env {
    sim: SimHandle,
    dir: tempfile::TempDir,
    config: PathBuf,
    audit: PathBuf,
}

async fn env(extra: &str) -> Env {
    env_with(ClockMode::Manual, extra).await
}

async fn env_with(clock: ClockMode, extra: &str) -> Env {
    let sim = SimHandle::start(SimOptions {
        seed: 42,
        clock,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    sim.world().set_failures(false);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("flightdeck.toml");
    let projects: Vec<String> = sim.projects().iter().map(|p| format!("{p:?}")).collect();
    std::fs::write(
        &config,
        format!(
            "[[backend]]\nname = \"h\"\nkind = \"harness\"\nbase_url = \"{}\"\naccount = \"{}\"\n\
             org = \"{}\"\nprojects = [{}]\napi_key = {{ env = \"FD_TEST_KEY\" }}\n{extra}\n\
             [[backend]]\nname = \"argo\"\nkind = \"argo\"\nbase_url = \"{}\"\nnamespace = \"argo\"\n\
             token = {{ env = \"FD_ARGO_TOKEN\" }}\n",
            sim.harness_url(),
            sim.account(),
            sim.org(),
            projects.join(", "),
            sim.argo_url(),
        ),
    )
    .unwrap();
    let audit = dir.path().join("audit.jsonl");
    Env {
        sim,
        dir,
        config,
        audit,
    }
}

impl Env {
    async fn run(&self, args: &[&str]) -> Run {
        let out = tokio::process::Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("FD_TEST_KEY", self.sim.harness_token())
            .env("FD_ARGO_TOKEN", self.sim.argo_token())
            .env("FLIGHTDECK_AUDIT_LOG", &self.audit)
            .env_remove("FLIGHTDECK_CONFIG")
            .current_dir(self.dir.path())
            .output()
            .await
            .unwrap();
        Run::of(out)
    }

    fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn abort_sends_one_interrupt_audits_it_and_refuses_a_second_with_5() {
    let env = env("").await;
    let id = env
        .sim
        .world()
        .start("payments", "ledger_migrations")
        .unwrap();
    env.sim.advance(Duration::from_secs(1));
    let target = format!("h/payments/{id}");

    let run = env.run(&["-o", "json", "abort", &target]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["action"], "abort");
    assert_eq!(json["result_execution_id"], id.as_str());
    assert_eq!(json["status"]["raw"], "Discontinuing");
    assert_eq!(env.sim.stats().requests_to("PUT", INTERRUPT), 1);

    let again = env.run(&["-o", "json", "abort", &target]).await;
    assert_eq!(again.code, 5, "{}", again.stderr);
    assert_eq!(again.json()["error"]["kind"], "conflict");
    assert!(
        again
            .stderr
            .contains("Execution abort is already under progress."),
        "{}",
        again.stderr
    );
    env.sim.advance(Duration::from_secs(5));
    let finished = env.run(&["abort", &target]).await;
    assert_eq!(finished.code, 5);
    assert!(
        finished
            .stderr
            .contains("Execution is already finished with status: [ABORTED]"),
        "{}",
        finished.stderr
    );
    assert_eq!(env.sim.stats().controls_of("harness", "AbortAll"), 1);

    let entries = env.audit();
    assert_eq!(entries.len(), 3, "one entry per action sent: {entries:?}");
    assert_eq!(entries[0]["action"], "abort");
    assert_eq!(entries[0]["target"]["execution"], id.as_str());
    assert_eq!(entries[0]["result"]["ok"], true);
    assert_eq!(entries[1]["result"]["ok"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_exits_9_and_unsupported_exits_11_sending_nothing() {
    let env = env("read_only = true").await;
    let id = env
        .sim
        .world()
        .start("payments", "ledger_migrations")
        .unwrap();
    let run = env.run(&["abort", &format!("h/payments/{id}")]).await;
    assert_eq!(run.code, 9, "{}", run.stderr);
    let run = env
        .run(&["--read-only", "suspend", &format!("argo/argo/{id}")])
        .await;
    assert_eq!(run.code, 9, "{}", run.stderr);
    assert_eq!(env.sim.stats().requests_to("PUT", INTERRUPT), 0);
    assert!(env.audit().is_empty());

    let env = self::env("").await;
    let id = env
        .sim
        .world()
        .start("payments", "ledger_migrations")
        .unwrap();
    let run = env
        .run(&["-o", "json", "suspend", &format!("h/payments/{id}")])
        .await;
    assert_eq!(run.code, 11, "{}", run.stderr);
    assert_eq!(run.json()["error"]["kind"], "unsupported");
    assert!(run.stderr.contains("no suspend"), "{}", run.stderr);
    assert!(env.audit().is_empty(), "nothing sent, nothing audited");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_abort_whose_answer_is_lost_reads_the_run_again_and_is_not_resent() {
    let env = env("").await;
    let id = env
        .sim
        .world()
        .start("payments", "ledger_migrations")
        .unwrap();
    env.sim.advance(Duration::from_secs(1));
    env.sim.set_faults(Faults::new([Rule::new(Fault::Reset)
        .on(Face::Harness)
        .paths("/execute/interrupt/")
        .times(1)]));
    let run = env.run(&["abort", &format!("h/payments/{id}")]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("outcome is unknown"), "{}", run.stderr);
    assert!(
        run.stderr.contains("now reads Discontinuing"),
        "{}",
        run.stderr
    );
    assert_eq!(env.sim.stats().requests_to("PUT", INTERRUPT), 1);
    let entries = env.audit();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["result"]["status"], "unknown");
}

#[tokio::test(flavor = "multi_thread")]
async fn argo_stop_terminate_suspend_resume_retry_and_rerun() {
    let env = env("").await;
    let name = env.sim.world().start("argo", "canary").unwrap();
    env.sim.advance(Duration::from_secs(1));
    let target = format!("argo/argo/{name}");

    let run = env.run(&["-o", "json", "suspend", &target]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Stop of a suspended workflow: Argo answers 200 and does nothing (#17041): exit 5.
    let run = env.run(&["-o", "json", "abort", &target]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.json()["pending"].as_str().unwrap().contains("17041"));
    let run = env.run(&["resume", &target]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    env.sim.advance(Duration::from_secs(1));
    let run = env.run(&["-o", "json", "retry", &target]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["status"]["raw"], "Running");
    let run = env
        .run(&["-o", "json", "abort", "--terminate", &target])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["action"], "terminate");
    let run = env.run(&["-o", "json", "rerun", &target]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["new_run"], true);
    assert_ne!(json["result_execution_id"], name.as_str());
    // Finished: suspend is a conflict.
    let run = env.run(&["suspend", &target]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    let actions: Vec<String> = env
        .audit()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        actions,
        [
            "suspend",
            "abort",
            "resume",
            "retry",
            "terminate",
            "rerun",
            "suspend"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rerun_wait_follows_the_new_run_to_its_end() {
    let env = env_with(ClockMode::Real { speed: 300.0 }, "").await;
    let id = env
        .sim
        .world()
        .start("platform", "dns_record_sync")
        .unwrap();
    let run = env
        .run(&[
            "-o",
            "json",
            "rerun",
            &format!("h/platform/{id}"),
            "--wait",
            "--poll",
            "100ms",
        ])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let json = run.json();
    assert_eq!(json["new_run"], true);
    assert_ne!(json["result_execution_id"], id.as_str());
    assert_eq!(json["final_status"]["status"], "success", "{json}");
    assert!(run.stderr.contains("waiting for"), "{}", run.stderr);
}
