//! Argo gates through the real binary against the simulator: a soft-rejected release ends
//! `--wait` with exit 10 and `status` names the rejected gate (USER-AUDIT 9), and an approve
//! without `--input` is audited with the verdict that was sent (USER-AUDIT 26).

use std::process::Stdio;
use std::time::Duration;

use flightdeck::backend::Backend;
use flightdeck::backend::argo::{ArgoBackend, ArgoOptions, RejectMode};
use flightdeck::domain::Approval;
use serde_json::Value;

use super::run::{Run, SimEnv, argo_backend, deref_sim_env};

struct Env {
    env: SimEnv,
}
deref_sim_env!(Env);

/// Argo alone, its token read from `FD_TEST_ARGO`.
async fn env() -> Env {
    let env = SimEnv::builder().start().await;
    let config = argo_backend(&env.sim, "FD_TEST_ARGO");
    let token = env.sim.argo_token();
    Env {
        env: env.with_config(&config).var("FD_TEST_ARGO", token),
    }
}

impl Env {
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = self.env.command(args);
        c.kill_on_drop(true);
        c
    }

    /// Runs to the end: (exit code, stdout, stderr).
    async fn run(&self, args: &[&str]) -> (i32, String, String) {
        let run = Run::of(self.command(args).output().await.unwrap());
        (run.code, run.stdout, run.stderr)
    }

    fn client(&self) -> ArgoBackend {
        ArgoBackend::new(ArgoOptions {
            name: "argo".into(),
            base_url: self.sim.argo_url().parse().unwrap(),
            namespace: "argo".into(),
            token: Some(self.sim.argo_token().into()),
            cluster_templates: false,
            label_selector: None,
            reject: RejectMode::Stop,
            events: vec![],
            timeout: Duration::from_secs(10),
            ca_file: None,
            insecure_skip_verify: false,
        })
        .unwrap()
    }

    /// The waiting gates of `release` workflows.
    async fn release_gates(&self) -> Vec<Approval> {
        self.client()
            .waiting_approvals()
            .await
            .unwrap()
            .into_iter()
            .filter(|g| g.pipeline_id == "release")
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_soft_rejected_release_ends_wait_with_10_and_status_names_the_gate() {
    let env = env().await;
    let before: Vec<String> = env
        .release_gates()
        .await
        .into_iter()
        .map(|g| g.execution_id)
        .collect();
    let waiting = env
        .command(&[
            "-o",
            "json",
            "start",
            "argo/release",
            "--wait",
            "--poll",
            "100ms",
            "--timeout",
            "60s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Move the clock until the new release waits at its gate (the CLI polls meanwhile).
    let gate = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            env.sim.advance(Duration::from_secs(20));
            if let Some(g) = env
                .release_gates()
                .await
                .into_iter()
                .find(|g| !before.contains(&g.execution_id))
            {
                return g;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the release reached its gate");
    let target = format!("argo/{}", gate.execution_id);
    let (code, _, stderr) = env
        .run(&["reject", &target, "--comment", "not this week"])
        .await;
    assert_eq!(code, 0, "{stderr}");
    let done = async {
        loop {
            env.sim.advance(Duration::from_secs(30));
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    };
    let out = tokio::select! {
        out = waiting.wait_with_output() => out.unwrap(),
        _ = done => unreachable!(),
        _ = tokio::time::sleep(Duration::from_secs(60)) => panic!("--wait never ended"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit 10 (unsuccessful) as documented, though Argo's own phase is Succeeded.
    assert_eq!(out.status.code(), Some(10), "{stdout}\n{stderr}");
    let started: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(started["execution_id"], gate.execution_id.as_str());
    assert_eq!(
        started["final_status"],
        serde_json::json!({"status": "rejected", "raw": "Succeeded"}),
        "{stdout}"
    );
    assert!(stderr.contains("ended rejected (Succeeded)"), "{stderr}");

    let (code, json, stderr) = env.run(&["-o", "json", "status", &target]).await;
    assert_eq!(code, 0, "{stderr}");
    let detail: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        detail["execution"]["status"],
        serde_json::json!({"status": "rejected", "raw": "Succeeded"})
    );
    assert_eq!(detail["rejection"]["gate"], gate.id.as_str());
    assert_eq!(detail["rejection"]["step"], "approval");
    assert_eq!(
        detail["rejection"]["by"],
        "system:serviceaccount:argo:flightdeck"
    );
    let (code, table, _) = env.run(&["status", &target]).await;
    assert_eq!(code, 0);
    assert!(table.contains("status   rejected (Succeeded)"), "{table}");
    assert!(
        table.contains(&format!(
            "rejected gate {}  release / approval by system:serviceaccount:argo:flightdeck",
            gate.id
        )),
        "{table}"
    );
    // The list says the same as the detail.
    let (_, list, _) = env
        .run(&["-o", "json", "list", "executions", "--backend", "argo"])
        .await;
    let list: Value = serde_json::from_str(&list).unwrap();
    let row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == gate.execution_id.as_str())
        .unwrap();
    assert_eq!(row["status"], detail["execution"]["status"]);
    assert_eq!(row["stages_done"], detail["execution"]["stages_done"]);
    assert_eq!(row["stages_total"], detail["execution"]["stages_total"]);
    drop(env.env.dir);
}

/// USER-AUDIT 26: `approve` without `--input` sends approve=YES (the action is the verdict);
/// the audit entry records exactly that, not the parameter's default NO.
#[tokio::test(flavor = "multi_thread")]
async fn an_argo_approve_is_audited_with_the_verdict_it_sent() {
    let env = env().await;
    let gate = env
        .release_gates()
        .await
        .into_iter()
        .next()
        .expect("a seeded release waits at its gate");
    let target = format!("argo/{}", gate.execution_id);
    let (code, _, stderr) = env.run(&["approve", &target, "--comment", "ok"]).await;
    assert_eq!(code, 0, "{stderr}");
    let sent: Vec<Value> = env
        .sim
        .argo_requests()
        .into_iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/set"))
        .map(|r| r.body)
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["outputParameters"], r#"{"approve":"YES"}"#);
    let entries = env.audit_entries();
    let entry = entries.last().expect("an audit entry");
    assert_eq!(entry["action"], "approve");
    assert_eq!(
        entry["inputs"]["values"],
        serde_json::json!([{"name": "approve", "value": "YES"}]),
        "{entry}"
    );

    // Asking for the opposite verdict is refused before anything is sent, and audited as
    // refused with what was asked.
    let other = env
        .release_gates()
        .await
        .into_iter()
        .next()
        .expect("a second seeded release waits");
    let target = format!("argo/{}", other.execution_id);
    let (code, _, stderr) = env
        .run(&["approve", &target, "--input", "approve=NO"])
        .await;
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("contradicts approving"), "{stderr}");
    let puts = env
        .sim
        .argo_requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .count();
    assert_eq!(puts, 2, "only the first approve's set and resume were sent");
}
