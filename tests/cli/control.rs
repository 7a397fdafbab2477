//! `flightdeck abort|retry|rerun|suspend|resume`: the real binary against the embedded
//! simulator, checking what is sent, the exit codes (5 conflict, 9 read-only, 11 not
//! supported, 1 with the run read again for an unknown outcome), the JSON and the audit log.

use std::time::Duration;

use flightdeck_sim::{ClockMode, Face, Fault, Faults, Rule};
use serde_json::Value;

use super::run::{Run, SimEnv, argo_backend, deref_sim_env, harness_h, sim_config, sim_tokens};
const INTERRUPT: &str = "/pipeline/api/pipeline/execute/interrupt/{planExecutionId}";

struct Env {
    env: SimEnv,
}
deref_sim_env!(Env);

async fn env(extra: &str) -> Env {
    env_with(ClockMode::Manual, extra).await
}

/// `h` (with `extra`) and `argo`, each with its own credential.
async fn env_with(clock: ClockMode, extra: &str) -> Env {
    let env = SimEnv::builder().clock(clock).start().await;
    let config =
        harness_h(&env.sim, &format!("{extra}\n")) + &argo_backend(&env.sim, "FD_ARGO_TOKEN");
    let (key, argo) = (env.sim.harness_token(), env.sim.argo_token());
    let mut env = env
        .with_config(&config)
        .var("FD_TEST_KEY", key)
        .var("FD_ARGO_TOKEN", argo);
    for (name, value) in sim_tokens(&env.sim) {
        env = env.var(name, value);
    }
    Env { env }
}

/// Every backend of the simulator, as it prints its own config (`harness`, `infraxys`,
/// `harness-fg`, `argo`…).
async fn whole_env(clock: ClockMode) -> Env {
    let env = env_with(clock, "").await;
    std::fs::write(&env.config, sim_config(&env.sim)).unwrap();
    env
}

impl Env {
    async fn run(&self, args: &[&str]) -> Run {
        let mut cmd = self.command(args);
        Run::of(cmd.current_dir(self.dir.path()).output().await.unwrap())
    }

    fn audit(&self) -> Vec<Value> {
        self.audit_entries()
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
        run.stderr.contains("now reads running (Discontinuing)"),
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

/// Waits until the First Gen run `id` (at `target`) has ended, letting its gates lapse.
async fn until_ended(env: &Env, target: &str, id: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let status = env.run(&["-o", "json", "status", target]).await;
        let word = status.json()["execution"]["status"]["status"]
            .as_str()
            .unwrap()
            .to_string();
        if ["success", "failed", "aborted", "rejected", "expired"].contains(&word.as_str()) {
            break;
        }
        // Its approval stage: let it lapse, which ends the run.
        for gate in env.sim.world().gates_of(id) {
            env.sim.world().expire(&gate.approval);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{id} never ended: {word}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn first_gen_and_infraxys_rerun_start_again_what_the_run_was_started_with() {
    let env = whole_env(ClockMode::Real { speed: 300.0 }).await;
    let pipeline = "harness-fg/Legacy Billing/Invoice batch rerun";
    let run = env
        .run(&[
            "-o",
            "json",
            "start",
            pipeline,
            "--var",
            "billing_period=2026-11",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    // Stopped at its approval stage, as the list will say too.
    assert_eq!(json["status"]["status"], "waiting", "{json}");
    assert_eq!(json["status"]["raw"], "PAUSED");
    let id = json["execution_id"].as_str().unwrap().to_string();
    let target = format!("harness-fg/Legacy Billing/{id}");

    // A run that has not ended is not re-run: First Gen would start a second one beside it.
    let run = env.run(&["-o", "json", "rerun", &target]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("has not ended"), "{}", run.stderr);
    until_ended(&env, &target, &id).await;

    let starts = env.sim.stats().starts;
    let run = env.run(&["-o", "json", "rerun", &target]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    assert_eq!(json["action"], "rerun");
    assert_eq!(json["new_run"], true);
    let new = json["result_execution_id"].as_str().unwrap();
    assert_ne!(new, id);
    assert_eq!(env.sim.stats().starts, starts + 1, "one start");
    let inputs = env.sim.world().execution_inputs(new).unwrap();
    assert!(
        inputs.contains(&("billing_period".to_string(), "2026-11".to_string())),
        "{inputs:?}"
    );
    let audit = env.audit();
    let last = audit.last().unwrap();
    assert_eq!(last["action"], "rerun");
    assert_eq!(last["result"]["ok"], true);

    // First Gen does not give a run's artifacts back: a pipeline that asks for one is
    // refused before anything is sent (the dashboard's form asks for it instead).
    let run = env
        .run(&[
            "-o",
            "json",
            "start",
            "harness-fg/Legacy Billing/Billing API deploy",
            "--var",
            "Environment=qa",
            "--var",
            "image_tag=2.4.1",
            "--var",
            "artifact:billing-api=docker_billing-api/1.0.0",
        ])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.json()["execution_id"].as_str().unwrap().to_string();
    let target = format!("harness-fg/Legacy Billing/{id}");
    until_ended(&env, &target, &id).await;
    let starts = env.sim.stats().starts;
    let run = env.run(&["-o", "json", "rerun", &target]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("artifact:billing-api"),
        "{}",
        run.stderr
    );
    assert_eq!(env.sim.stats().starts, starts, "nothing started");

    // Infraxys: a run started by another process cannot be read back, so not re-run (4);
    // what it has no API for is refused before anything is read (11).
    let run = env
        .run(&["-o", "json", "start", "infraxys/actions/Restart ingress"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ix = format!(
        "infraxys/actions/{}",
        run.json()["execution_id"].as_str().unwrap()
    );
    let requests = env.sim.stats().total_requests;
    let run = env.run(&["-o", "json", "rerun", &ix]).await;
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("not started by this flightdeck"),
        "{}",
        run.stderr
    );
    let run = env.run(&["-o", "json", "abort", &ix]).await;
    assert_eq!(run.code, 11, "{}", run.stderr);
    assert_eq!(run.json()["error"]["kind"], "unsupported");
    assert_eq!(env.sim.stats().total_requests, requests, "nothing sent");
}
