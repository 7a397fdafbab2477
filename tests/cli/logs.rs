//! `flightdeck logs TARGET [--step NAME] [--follow] [-o json]`: the real binary against the
//! embedded simulator (every backend kind it serves): a Harness NextGen step's log as text
//! and as JSON Lines, a running step followed to its end, and the exit codes for First Gen
//! (11, nothing sent), a missing execution or step (4) and bad input (2).

use std::time::Duration;

use serde_json::Value;

use super::run::{SimEnv, deref_sim_env};

struct Env {
    env: SimEnv,
}
deref_sim_env!(Env);

/// Every backend the simulator serves, each with its own credential.
async fn env() -> Env {
    Env {
        env: SimEnv::builder().start().await.with_whole_sim(),
    }
}

impl Env {
    /// Starts a payments deploy and returns its target.
    async fn start(&self) -> String {
        let run = self
            .run(&[
                "-o",
                "json",
                "start",
                "harness/payments/payments_api_deploy",
                "--var",
                "image_tag=1.44.0",
            ])
            .await;
        assert_eq!(run.code, 0, "{run:?}");
        let id = run.json()["execution_id"].as_str().unwrap().to_string();
        format!("harness/payments/{id}")
    }

    /// Moves the clock until `step` of `target` reads `status`.
    async fn until(&self, target: &str, step: &str, status: &str) {
        for _ in 0..600 {
            let run = self.run(&["-o", "json", "status", target]).await;
            let detail = run.json();
            let done = detail["stages"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| s["steps"].as_array().unwrap())
                .any(|s| s["name"] == step && s["status"]["raw"] == status);
            if done {
                return;
            }
            self.sim.advance(Duration::from_secs(2));
        }
        panic!("{step} never became {status}");
    }
}

fn no_escapes(text: &str) {
    assert!(
        text.chars()
            .all(|c| c == '\n' || flightdeck::sanitize::is_plain(c)),
        "raw control in {text:?}"
    );
}

#[tokio::test]
async fn a_steps_log_prints_as_text_and_as_json_lines() {
    let env = env().await;
    let target = env.start().await;
    env.until(&target, "Build and push image", "Success").await;
    env.sim.advance(Duration::from_secs(10));

    let text = env
        .run(&["logs", &target, "--step", "Build and push image"])
        .await;
    assert_eq!(text.code, 0, "{text:?}");
    no_escapes(&text.stdout);
    let lines: Vec<&str> = text.stdout.lines().collect();
    assert!(lines.len() >= 5, "{lines:?}");
    assert!(lines.contains(&"warning: 2 dependencies use a deprecated API"));

    // The step's identifier names it as well as its name.
    let by_id = env.run(&["logs", &target, "--step", "build_image"]).await;
    assert_eq!(by_id.stdout, text.stdout);

    let json = env
        .run(&[
            "-o",
            "json",
            "logs",
            &target,
            "--step",
            "Build and push image",
        ])
        .await;
    assert_eq!(json.code, 0, "{json:?}");
    let objects: Vec<Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(objects.len(), lines.len());
    for (o, text) in objects.iter().zip(&lines) {
        let keys: Vec<&str> = o.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 4, "{o}");
        assert_eq!(o["step"], "Build and push image");
        assert_eq!(o["line"], *text);
        assert!(
            ["info", "warn", "error"].contains(&o["level"].as_str().unwrap()),
            "{o}"
        );
        let time = o["time"].as_str().unwrap();
        time.parse::<jiff::Timestamp>().expect("RFC 3339");
        assert!(
            time.ends_with('Z') && time.len() == 20,
            "whole seconds: {time}"
        );
    }
    assert_eq!(
        objects
            .iter()
            .filter(|o| o["level"] == "warn")
            .map(|o| o["line"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["warning: 2 dependencies use a deprecated API"]
    );

    // Without --step: every line names its step.
    let all = env.run(&["logs", &target]).await;
    assert_eq!(all.code, 0, "{all:?}");
    assert!(all.stdout.starts_with("[Checkout] "), "{}", all.stdout);
    assert!(all.stdout.contains("\n[Build and push image] "));
    no_escapes(&all.stdout);
}

#[tokio::test]
async fn follow_streams_a_running_step_until_it_ends() {
    let env = env().await;
    let target = env.start().await;
    env.sim.advance(Duration::from_secs(1));
    let mut child = env
        .command(&["logs", &target, "--step", "Checkout", "--follow"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut ticks = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        env.sim.advance(Duration::from_millis(700));
        ticks += 1;
        assert!(ticks < 100, "--follow never ended");
    };
    let out = child.wait_with_output().await.unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ticks >= 2, "it waited for the step");
    assert_eq!(
        stdout.lines().last(),
        Some("Command completed with exit code 0"),
        "{stdout}"
    );
    // The same lines as the finished step's blob afterwards.
    env.sim.advance(Duration::from_secs(10));
    let after = env.run(&["logs", &target, "--step", "Checkout"]).await;
    assert_eq!(after.stdout, stdout);
}

#[tokio::test]
async fn exit_codes_first_gen_missing_and_bad_input() {
    let env = env().await;
    // First Gen: no log API; said in one line, nothing sent.
    let list = env
        .run(&[
            "-o",
            "json",
            "list",
            "executions",
            "--backend",
            "harness-fg",
        ])
        .await;
    let fg = &list.json()["items"][0];
    let fg_target = format!(
        "harness-fg/{}/{}",
        fg["project"].as_str().unwrap(),
        fg["id"].as_str().unwrap()
    );
    let before = env.sim.stats().total_requests;
    let run = env.run(&["logs", &fg_target]).await;
    assert_eq!(run.code, 11, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "flightdeck: harness-fg: no logs: Harness First Gen has no log API for API keys; read them in the Harness web UI\n"
    );
    let json = env.run(&["-o", "json", "logs", &fg_target]).await;
    assert_eq!(json.code, 11);
    assert_eq!(json.json()["error"]["kind"], "unsupported");
    assert_eq!(json.json()["error"]["code"], 11);
    assert_eq!(env.sim.stats().total_requests, before);

    // A missing execution, with and without its project; a missing step; a missing backend.
    for target in [
        "harness/payments/NoSuchExecution",
        "harness/NoSuchExecution",
    ] {
        let run = env.run(&["-o", "json", "logs", target]).await;
        assert_eq!(run.code, 4, "{target}: {run:?}");
        assert_eq!(run.json()["error"]["kind"], "not_found");
    }
    let target = env.start().await;
    env.sim.advance(Duration::from_secs(1));
    let run = env.run(&["logs", &target, "--step", "No such step"]).await;
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr.contains("no step \"No such step\""),
        "{}",
        run.stderr
    );
    assert_eq!(env.run(&["logs", "nobody/x"]).await.code, 4);

    // Bad input.
    assert_eq!(env.run(&["logs", "harness"]).await.code, 2);
    assert_eq!(env.run(&["logs", &target, "--step", " "]).await.code, 2);
    assert_eq!(env.run(&["logs"]).await.code, 2);
}

#[tokio::test]
async fn hostile_log_lines_reach_stdout_inert() {
    use flightdeck_sim::{Fault, Faults, Rule};
    let env = env().await;
    let target = env.start().await;
    env.until(&target, "Checkout", "Success").await;
    env.sim.advance(Duration::from_secs(10));
    env.sim
        .set_faults(Faults::new([Rule::new(Fault::Poison).paths("log-service")]));
    for args in [vec!["logs"], vec!["-o", "json", "logs"]] {
        let mut args = args;
        args.extend([target.as_str(), "--step", "Checkout"]);
        let run = env.run(&args).await;
        assert_eq!(run.code, 0, "{run:?}");
        no_escapes(&run.stdout);
        assert!(
            run.stdout.contains("gnp.exe"),
            "the poison came: {}",
            run.stdout
        );
        assert!(!run.stdout.contains("52;c;"), "{}", run.stdout);
        assert!(run.stdout.lines().count() >= 5);
    }
}

#[tokio::test]
async fn lines_without_time_or_level_have_null_ones() {
    let env = env().await;
    let list = env
        .run(&["-o", "json", "list", "executions", "--backend", "argo"])
        .await;
    let items = list.json()["items"].as_array().unwrap().clone();
    // An Argo workflow that ran pods has a log; its lines carry no time or level.
    let mut checked = false;
    for w in items.iter().filter(|w| w["status"]["status"] == "success") {
        let target = format!(
            "argo/{}/{}",
            w["project"].as_str().unwrap(),
            w["id"].as_str().unwrap()
        );
        let run = env.run(&["-o", "json", "logs", &target]).await;
        assert_eq!(run.code, 0, "{run:?}");
        let objects: Vec<Value> = run
            .stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if objects.is_empty() {
            continue;
        }
        for o in &objects {
            assert!(o["time"].is_null() && o["level"].is_null(), "{o}");
            assert!(o["step"].is_string() && o["line"].is_string(), "{o}");
        }
        checked = true;
        break;
    }
    assert!(checked, "no Argo workflow with a log among {items:?}");
}
