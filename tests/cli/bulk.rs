//! `start --records` against the simulator over HTTP with the real binary: parsing and
//! mapping, whole-file refusal, preview, test-one, rate-limit retries, and a run killed
//! half-way then resumed, with exactly one execution per record in the end.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use flightdeck_sim::{ClockMode, Fault, Faults, Rule};
use serde_json::Value;

use super::run::{Run, SimEnv, deref_sim_env, harness_h};
/// Ledger migrations: `migration_version` is required, `db_admin_password` is a secret.
const LEDGER: &str = "h/payments/ledger_migrations";
const SECRET_REF: &str = "account.ledger_db_admin";

struct Env {
    env: SimEnv,
}
deref_sim_env!(Env);

async fn env_with(clock: ClockMode) -> Env {
    let env = SimEnv::builder().clock(clock).start().await;
    // These tests are about exactly-once across kills and resumes, with hundreds of
    // records: a budget far above the default's 100 a minute keeps them to seconds
    // (tests/clients/budget.rs shows a CLI caller paced by its budget).
    let config = harness_h(&env.sim, "max_requests_per_minute = 10000\n");
    let key = env.sim.harness_token();
    Env {
        env: env.with_config(&config).var("FD_TEST_KEY", key),
    }
}

async fn env() -> Env {
    env_with(ClockMode::Manual).await
}

impl Env {
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = self.env.command(args);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    async fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let run = self.env.run_stdin(self.command(args), stdin).await;
        self.assert_no_secrets(&run.stdout);
        self.assert_no_secrets(&run.stderr);
        run
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.run_stdin(args, "").await
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }

    fn assert_no_secrets(&self, text: &str) {
        let token = self.sim.harness_token();
        let secret = token.rsplit('.').next().unwrap();
        assert!(!text.contains(secret), "a token leaked:\n{text}");
    }

    fn audit_entries(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.audit).unwrap_or_default();
        self.assert_no_secrets(&text);
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn result_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Every execution id the results file names, by record line. Panics if a record got two.
fn started_by_line(path: &Path) -> BTreeMap<u64, String> {
    let mut out = BTreeMap::new();
    for line in result_lines(path) {
        if let Some(id) = line["execution_id"].as_str() {
            let record = line["line"].as_u64().unwrap();
            let before = out.insert(record, id.to_string());
            assert!(before.is_none(), "record {record} started twice");
        }
    }
    out
}

fn ledger_records(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"migration_version\": {}, \"team\": \"payments\"}}\n",
                20260000 + i
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn jsonl_and_csv_records_map_exclude_and_take_constants() {
    let env = env().await;
    // JSON Lines on stdin: numbers become text, null leaves the constant in place.
    let results = env.path("jsonl-results.jsonl");
    let jsonl = "{\"version\": 20260301, \"team\": \"payments\", \"db_admin_password\": null}\n\n\
                 {\"version\": \"20260302\", \"team\": \"ledger\", \"db_admin_password\": \"account.other\"}\n";
    let run = env
        .run_stdin(
            &[
                "start",
                LEDGER,
                "--records",
                "-",
                "--map",
                "version=migration_version",
                "--exclude",
                "team",
                "--var",
                &format!("db_admin_password={SECRET_REF}"),
                "--results",
                results.to_str().unwrap(),
                "-o",
                "json",
            ],
            jsonl,
        )
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out = run.json();
    assert_eq!(out["started"], 2, "{out}");
    let lines: Vec<u64> = out["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![1, 3], "line numbers count the blank line");
    assert_eq!(env.sim.stats().starts, 2);
    assert_eq!(started_by_line(&results).len(), 2);

    let audit = env.audit_entries();
    assert_eq!(audit.len(), 2);
    for entry in &audit {
        assert_eq!(entry["source"], "cli");
        assert_eq!(entry["action"], "start");
        let values = entry["inputs"]["values"].as_array().unwrap();
        let secret = values
            .iter()
            .find(|v| v["name"] == "db_admin_password")
            .unwrap();
        assert_eq!(secret["value"], "***");
        assert!(
            values.iter().all(|v| v["name"] != "team"),
            "excluded: {entry}"
        );
    }
    let versions: BTreeSet<&str> = audit
        .iter()
        .flat_map(|e| e["inputs"]["values"].as_array().unwrap())
        .filter(|v| v["name"] == "migration_version")
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(versions, BTreeSet::from(["20260301", "20260302"]));

    // CSV by extension, quoted cells, an empty cell meaning "not given" (the default).
    let csv = env.write(
        "records.csv",
        "migration_version,db_admin_password,comment\n\
         20260401,account.ledger_db_admin,\"plain\"\n\
         \"20260402\",account.ledger_db_admin,\"with, comma\"\n",
    );
    let run = env
        .run(&[
            "start",
            LEDGER,
            "--records",
            &csv,
            "--exclude",
            "comment",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.json()["started"], 2);
    assert_eq!(env.sim.stats().starts, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_records_are_all_listed_and_nothing_is_sent() {
    let env = env().await;
    let file = env.write(
        "bad.jsonl",
        "{\"canary_percent\": 10}\n\
         {\"canary_percent\": 7}\n\
         {\"canary_percent\": 5, \"colour\": \"blue\"}\n\
         {not json\n\
         {\"git_branch\": [\"main\"]}\n",
    );
    let run = env
        .run(&[
            "start",
            "h/checkout/checkout_web_deploy",
            "--records",
            &file,
        ])
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    for needle in [
        "line 2: canary_percent \"7\" is not one of",
        "line 3: unknown variable \"colour\"",
        "line 4: not JSON",
        "line 5: git_branch is a list",
    ] {
        assert!(run.stderr.contains(needle), "{needle}:\n{}", run.stderr);
    }
    assert!(!run.stderr.contains("line 1:"), "{}", run.stderr);

    let missing = env.write("missing.csv", "migration_version,note\n1,a\n,b\n");
    let run = env.run(&["start", LEDGER, "--records", &missing]).await;
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("line 2: unknown variable \"note\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "line 3: unknown variable \"note\"; missing required variable migration_version"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(env.sim.stats().starts, 0, "nothing was sent");
    assert!(env.audit_entries().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn preview_sends_nothing_and_test_one_sends_one() {
    let env = env().await;
    let file = env.write("ledger.jsonl", &ledger_records(5));
    let args = |extra: &[&'static str]| {
        let mut v = vec![
            "start",
            LEDGER,
            "--records",
            file.as_str(),
            "--exclude",
            "team",
        ];
        v.extend_from_slice(&["--var", "db_admin_password=account.ledger_db_admin"]);
        v.extend_from_slice(extra);
        v
    };
    let run = env.run(&args(&["--preview", "2", "-o", "json"])).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let previews = run.json();
    let previews = previews.as_array().unwrap();
    assert_eq!(previews.len(), 2);
    assert_eq!(previews[0]["method"], "POST");
    assert!(
        previews[0]["url"]
            .as_str()
            .unwrap()
            .contains("ledger_migrations")
    );
    assert!(previews[0]["body"].as_str().unwrap().contains("20260000"));
    assert!(previews[1]["body"].as_str().unwrap().contains("20260001"));
    assert!(
        previews[0]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["value"] == "***"),
        "the key is masked: {previews:?}"
    );
    let table = env.run(&args(&["--preview", "1"])).await;
    assert!(
        table.stdout.starts_with("# record on line 1\nPOST "),
        "{}",
        table.stdout
    );
    assert_eq!(env.sim.stats().starts, 0, "a preview starts nothing");
    assert!(env.audit_entries().is_empty());

    let results = env.path("one.jsonl");
    let mut one = args(&["--test-one", "--results"]);
    one.push(results.to_str().unwrap());
    let run = env.run(&one).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("caution"), "{}", run.stderr);
    assert_eq!(env.sim.stats().starts, 1);
    assert_eq!(
        started_by_line(&results)
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![1]
    );

    // The full run afterwards skips the record the test already started.
    let mut rest = args(&["-o", "json", "--results"]);
    rest.push(results.to_str().unwrap());
    let run = env.run(&rest).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(env.sim.stats().starts, 5);
    assert_eq!(run.json()["results"][0]["resumed"], true);
    assert_eq!(run.json()["resumed"], 1);
    assert_eq!(started_by_line(&results).len(), 5);
    // The summary counts what this run sent, apart from what the earlier run started.
    assert!(
        run.stderr
            .contains("5 records: 4 started, 0 failed, 0 unknown, 0 not sent; 1 skipped"),
        "{}",
        run.stderr
    );
    let again = env.run(&rest).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(env.sim.stats().starts, 5, "nothing is sent again");
    assert!(
        again.stderr.contains("5 records: 0 started") && again.stderr.contains("5 skipped"),
        "{}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limited_starts_are_retried_without_duplicates() {
    let env = env().await;
    let file = env.write("ledger.jsonl", &ledger_records(5));
    let common = [
        "start",
        LEDGER,
        "--records",
        file.as_str(),
        "--exclude",
        "team",
        "--var",
        "db_admin_password=account.ledger_db_admin",
    ];
    // The requests before the first start (pipelines, form) plus the template call.
    let mut preview = common.to_vec();
    preview.extend_from_slice(&["--preview", "1"]);
    assert_eq!(env.run(&preview).await.code, 0);
    let setup = env.sim.stats().total_requests as u32;
    // Two whole starts fit, the third's execute call is refused.
    env.sim.set_harness_rate_limit(Some(setup + 4));

    let results = env.path("results.jsonl");
    let mut args = common.to_vec();
    args.extend_from_slice(&["--concurrency", "2", "--results", results.to_str().unwrap()]);
    let child = env.command(&args).spawn().unwrap();
    let waiting = tokio::time::Instant::now();
    while env.sim.stats().rate_limited == 0 {
        assert!(
            waiting.elapsed() < Duration::from_secs(20),
            "never rate limited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    env.sim.set_harness_rate_limit(None);
    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("rate limited; trying again"), "{stderr}");
    assert_eq!(env.sim.stats().starts, 5, "each record started once");
    assert_eq!(started_by_line(&results).len(), 5);
    let audit = env.audit_entries();
    let refused = audit.iter().filter(|e| e["result"]["ok"] == false).count();
    assert_eq!(
        refused as u64,
        env.sim.stats().rate_limited,
        "every attempt is audited"
    );
    assert_eq!(audit.len() - refused, 5);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_hundred_records_killed_then_resumed_start_each_exactly_once() {
    let env = env().await;
    const N: usize = 200;
    let file = env.write("ledger.jsonl", &ledger_records(N));
    let results = env.path("results.jsonl");
    let args = [
        "start",
        LEDGER,
        "--records",
        file.as_str(),
        "--exclude",
        "team",
        "--var",
        "db_admin_password=account.ledger_db_admin",
        "--concurrency",
        "4",
        "--results",
        results.to_str().unwrap(),
        "-o",
        "json",
    ];
    let latency = Duration::from_millis(15);
    env.sim
        .set_faults(Faults::new([Rule::new(Fault::Latency(latency))]));
    let mut child = env.command(&args).spawn().unwrap();
    let waiting = tokio::time::Instant::now();
    while started_by_line(&results).len() < 40 {
        assert!(waiting.elapsed() < Duration::from_secs(30), "too slow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Injected failures: from now on every execute call answers 500 unhandled. Requests
    // already past the fault layer finish and are recorded before the kill.
    env.sim.set_faults(Faults::new([
        Rule::new(Fault::Latency(latency)),
        Rule::new(Fault::Status(500)).paths("ledger_migrations"),
    ]));
    tokio::time::sleep(Duration::from_millis(400)).await;
    child.kill().await.unwrap();
    let after_kill = env.sim.stats().starts;
    let first = started_by_line(&results);
    assert_eq!(
        after_kill as usize,
        first.len(),
        "every start the server made is in the file"
    );
    assert!(first.len() < N, "killed half-way");
    env.sim.set_faults(Faults::default());

    // Resume: records that got a 500 or were in flight have an unknown outcome; they are
    // reported and not sent again.
    let run = env.run(&args).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = run.json();
    let unknown = out["unknown"].as_u64().unwrap() as usize;
    assert!(unknown > 0, "{out}");
    assert_eq!(out["started"].as_u64().unwrap() as usize + unknown, N);
    assert!(run.stderr.contains("--retry-unknown"), "{}", run.stderr);
    assert_eq!(env.sim.stats().starts as usize, N - unknown);

    // The test knows those never reached the backend, so sending them again is safe.
    let mut retry = args.to_vec();
    retry.push("--retry-unknown");
    let run = env.run(&retry).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["started"], N as u64);
    assert_eq!(
        env.sim.stats().starts as usize,
        N,
        "one execution per record"
    );
    let ids = started_by_line(&results);
    assert_eq!(ids.len(), N);
    assert_eq!(ids.values().collect::<BTreeSet<_>>().len(), N);
    let ok = env
        .audit_entries()
        .iter()
        .filter(|e| e["result"]["ok"] == true)
        .count();
    assert_eq!(ok, N);

    // A changed records file is refused rather than resumed.
    std::fs::write(&file, ledger_records(N).replacen("20260000", "20269999", 1)).unwrap();
    let run = env.run(&args).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("line 1 changed"), "{}", run.stderr);
    assert_eq!(env.sim.stats().starts as usize, N);
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_follows_every_execution_and_prints_a_summary() {
    let env = env_with(ClockMode::Real { speed: 300.0 }).await;
    let file = env.write("three.jsonl", "{}\n{}\n{}\n");
    let args = [
        "start",
        "h/platform/dns_record_sync",
        "--records",
        file.as_str(),
        "--wait",
        "--poll",
        "100ms",
        "--timeout",
        "60s",
    ];
    let mut json = args.to_vec();
    json.extend_from_slice(&["-o", "json"]);
    let run = env.run(&json).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out = run.json();
    assert_eq!(out["started"], 3);
    for row in out["results"].as_array().unwrap() {
        assert_eq!(row["final_status"]["status"], "success", "{row}");
    }
    let run = env.run(&args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("LINE  EXECUTION"), "{}", run.stdout);
    assert!(run.stdout.contains("FINAL"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_dispatching_and_records_what_was_in_flight() {
    let env = env().await;
    const N: usize = 200;
    let file = env.write("ledger.jsonl", &ledger_records(N));
    let results = env.path("results.jsonl");
    let args = [
        "start",
        LEDGER,
        "--records",
        file.as_str(),
        "--exclude",
        "team",
        "--var",
        "db_admin_password=account.ledger_db_admin",
        "--concurrency",
        "4",
        "--results",
        results.to_str().unwrap(),
        "-o",
        "json",
    ];
    env.sim.set_faults(Faults::new([Rule::new(Fault::Latency(
        Duration::from_millis(15),
    ))]));
    let child = env.command(&args).spawn().unwrap();
    let waiting = tokio::time::Instant::now();
    while started_by_line(&results).len() < 20 {
        assert!(waiting.elapsed() < Duration::from_secs(30), "too slow");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(143),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["interrupted"], true);
    assert!(summary["not_sent"].as_u64().unwrap() > 0, "{summary}");
    // Nothing was left mid-request: every record sent has its outcome.
    let mut last = BTreeMap::new();
    for line in result_lines(&results) {
        last.insert(line["line"].as_u64().unwrap(), line["status"].clone());
    }
    assert!(last.values().all(|s| s == "started"), "{last:?}");
    assert_eq!(env.sim.stats().starts as usize, last.len());

    env.sim.set_faults(Faults::default());
    let run = env.run(&args).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(env.sim.stats().starts as usize, N);
    assert_eq!(started_by_line(&results).len(), N);
}
