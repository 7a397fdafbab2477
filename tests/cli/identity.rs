//! Who acted and which request did it, in the audit entries of CLI writes against the
//! simulator; and each execution's and gate's web UI link in `status` and `list` JSON.

use super::run::{Run, SimEnv, deref_sim_env, harness_h};

struct Env {
    env: SimEnv,
}
deref_sim_env!(Env);

async fn env(backend_extra: &str) -> Env {
    let env = SimEnv::builder().start().await;
    let config = harness_h(&env.sim, backend_extra);
    Env {
        env: env.with_config(&config),
    }
}

impl Env {
    async fn run(&self, key: &str, args: &[&str]) -> Run {
        let mut cmd = self.command(args);
        cmd.env("FD_TEST_KEY", key).current_dir(self.dir.path());
        Run::of(cmd.output().await.unwrap())
    }

    async fn start(&self, key: &str) -> Run {
        self.run(
            key,
            &[
                "start",
                "h/payments/ledger_migrations",
                "--var",
                "migration_version=20260303",
                "--var",
                "db_admin_password=account.ledger_db_admin",
                "-o",
                "json",
            ],
        )
        .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cli_start_records_who_acted_and_the_request_that_did_it() {
    // The config names someone, but the key's own answer wins: it is verified.
    let env = env("identity = \"someone-else\"\n").await;
    let run = env.start(&env.sim.harness_token()).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let entries = env.audit_entries();
    assert_eq!(entries.len(), 1);
    let identity = &entries[0]["identity"];
    assert_eq!(identity["who"], "Demo Admin <demo.admin@example.com>");
    assert_eq!(identity["source"], "verified");
    let request_id = entries[0]["request_id"].as_str().expect("a request id");
    assert_eq!(request_id.len(), 36, "{request_id}");

    // A service-account token is the account, verified by token/validate.
    let run = env.start(&env.sim.harness_sat_token()).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let entries = env.audit_entries();
    let identity = &entries[1]["identity"];
    assert!(
        identity["who"]
            .as_str()
            .unwrap()
            .starts_with("service account "),
        "{identity}"
    );
    assert_eq!(identity["source"], "verified");
    assert!(identity["via"].as_str().unwrap().contains("token/validate"));
    assert_ne!(entries[1]["request_id"], entries[0]["request_id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_and_list_carry_the_web_ui_link() {
    let env = env("ui_url = \"https://harness.corp.example/ng\"\n").await;
    let key = env.sim.harness_token();
    let list = env.run(&key, &["list", "executions", "-o", "json"]).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    let items = list.json()["items"].as_array().unwrap().clone();
    assert!(!items.is_empty());
    let prefix = format!(
        "https://harness.corp.example/ng/account/{}/",
        env.sim.account()
    );
    for e in &items {
        let url = e["url"].as_str().unwrap();
        assert!(url.starts_with(&prefix), "{url}");
        assert!(url.ends_with(&format!(
            "/executions/{}/pipeline",
            e["id"].as_str().unwrap()
        )));
    }
    let gate = env.sim.world().waiting_gate().expect("a gate waits");
    let status = env
        .run(
            &key,
            &["status", &format!("h/{}", gate.execution), "-o", "json"],
        )
        .await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    let out = status.json();
    assert!(
        out["execution"]["url"]
            .as_str()
            .unwrap()
            .starts_with(&prefix),
        "{out}"
    );
    let gates = out["gates"].as_array().unwrap();
    assert!(
        gates[0]["url"].as_str().unwrap().contains("?stage="),
        "{out}"
    );
    let table = env
        .run(&key, &["status", &format!("h/{}", gate.execution)])
        .await;
    assert!(
        table
            .stdout
            .lines()
            .any(|l| l.starts_with("web      ") && l.contains(&prefix)),
        "{}",
        table.stdout
    );
    let approvals = env.run(&key, &["list", "approvals", "-o", "json"]).await;
    assert!(
        approvals.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["url"].as_str().is_some_and(|u| u.starts_with(&prefix)))
    );
}
