//! Findings 1 and 4 of the hostile-server review, guarded: every backend's answers carry
//! poisoned display strings (the simulator's `Fault::Poison`: an OSC 52 clipboard write,
//! 8-bit CSI/OSC, C1, bidi overrides and isolates, DEL) and the CLI's human output, its
//! `-o json` output and the audit log must hold none of them raw. JSON may carry them only
//! as `\uXXXX` escapes, so the data stays exact for scripts and inert on a terminal.

use flightdeck_sim::{ClockMode, Fault, Faults, Rule};
use serde_json::Value;

use super::run::{Run, SimEnv, deref_sim_env};

struct Env {
    env: SimEnv,
}
deref_sim_env!(Env);

/// Every backend, each answering with poisoned display strings.
async fn env(clock: ClockMode) -> Env {
    let env = SimEnv::builder().clock(clock).start().await;
    env.sim.set_faults(Faults::new([Rule::new(Fault::Poison)]));
    Env {
        env: env.with_whole_sim(),
    }
}

/// The first character a terminal would act on or reorder by: ESC and the other C0
/// controls but newline and tab, DEL, C1, and the bidi controls.
fn hostile(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fn assert_inert(what: &str, text: &str) {
    if let Some(c) = hostile(text) {
        panic!("{what} holds U+{:04X} raw:\n{text:?}", c as u32);
    }
}

impl Env {
    async fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().await.unwrap();
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        };
        let what = args.join(" ");
        assert_inert(&format!("stdout of {what}"), &run.stdout);
        assert_inert(&format!("stderr of {what}"), &run.stderr);
        run
    }

    /// Runs `args` as a table and as JSON; the JSON's value (what is read from the server,
    /// escapes undone) is returned.
    async fn both(&self, args: &[&str]) -> (Run, Value) {
        let table = self.run(args).await;
        let mut json_args = args.to_vec();
        json_args.extend(["-o", "json"]);
        let json = self.run(&json_args).await;
        let value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?} -o json is not JSON ({e}):\n{}\n{}",
                json.stdout, json.stderr
            )
        });
        (table, value)
    }

    fn audit(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.audit).unwrap_or_default();
        assert_inert("the audit log", &text);
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// Whether the poison reached this value (so the test proves something).
fn poisoned(value: &Value) -> bool {
    value.to_string().contains('\u{202e}')
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_and_status_show_poisoned_names_inert() {
    let env = env(ClockMode::Manual).await;
    let (table, pipelines) = env.both(&["list", "pipelines"]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        poisoned(&pipelines),
        "the poison reached no pipeline: {pipelines}"
    );
    assert!(table.stdout.contains("gnp.exe"), "{}", table.stdout);

    let (table, executions) = env.both(&["list", "executions"]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(poisoned(&executions));

    let (table, approvals) = env.both(&["list", "approvals"]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(poisoned(&approvals), "{approvals}");

    // Status of an execution of each backend that lists some.
    let mut seen = std::collections::BTreeSet::new();
    for e in executions["items"].as_array().unwrap() {
        let backend = e["backend"].as_str().unwrap().to_owned();
        if !seen.insert(backend.clone()) {
            continue;
        }
        let target = format!(
            "{backend}/{}/{}",
            e["project"].as_str().unwrap(),
            e["id"].as_str().unwrap()
        );
        let (table, detail) = env.both(&["status", &target]).await;
        assert_eq!(table.code, 0, "{target}: {}", table.stderr);
        assert!(detail.is_object(), "{detail}");
    }
    assert!(seen.len() >= 3, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn decisions_and_starts_print_and_audit_poisoned_names_inert() {
    let env = env(ClockMode::Real { speed: 300.0 }).await;
    let approvals = env.run(&["list", "approvals", "-o", "json"]).await;
    let approvals: Value = serde_json::from_str(&approvals.stdout).unwrap();
    let target = |a: &Value| {
        format!(
            "{}/{}/{}",
            a["backend"].as_str().unwrap(),
            a["project"].as_str().unwrap(),
            a["execution_id"].as_str().unwrap()
        )
    };
    let mut decided = 0;
    let mut shown = String::new();
    for (i, a) in approvals["items"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .take(6)
    {
        let verb = if i % 2 == 0 { "approve" } else { "reject" };
        let gate = a["id"].as_str().unwrap();
        let mut args = vec![verb, "--gate", gate, "--comment", "ok"];
        let target = target(a);
        args.insert(1, &target);
        if i % 3 == 2 {
            args.extend(["-o", "json"]);
        }
        let run = env.run(&args).await;
        eprintln!("{args:?} -> {}: {}{}", run.code, run.stdout, run.stderr);
        if run.code == 0 {
            decided += 1;
            shown.push_str(&run.stdout);
        }
    }
    assert!(decided >= 2, "too few decisions went through");
    assert!(
        shown.contains("gnp.exe"),
        "no poisoned stage or step shown: {shown}"
    );

    // A Harness start followed to its end: the progress lines and the last line.
    let run = env
        .run(&[
            "start",
            "harness/platform/dns_record_sync",
            "--wait",
            "--poll",
            "100ms",
            "--timeout",
            "60s",
        ])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    eprintln!("start --wait: {}{}", run.stdout, run.stderr);
    let run = env
        .run(&["start", "harness/platform/dns_record_sync", "-o", "json"])
        .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    // Infraxys: its status words are poisoned.
    let pipelines = env.run(&["list", "pipelines", "-o", "json"]).await;
    let pipelines: Value = serde_json::from_str(&pipelines.stdout).unwrap();
    let infraxys = pipelines["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["backend"].as_str().unwrap().contains("infraxys"))
        .take(3);
    for p in infraxys {
        let target = format!(
            "{}/{}/{}",
            p["backend"].as_str().unwrap(),
            p["project"].as_str().unwrap(),
            p["id"].as_str().unwrap()
        );
        let run = env.run(&["start", &target]).await;
        eprintln!(
            "start {target} -> {}: {}{}",
            run.code, run.stdout, run.stderr
        );
        env.run(&["start", &target, "-o", "json"]).await;
    }

    let entries = env.audit();
    assert!(entries.len() >= 4, "{entries:?}");
    assert!(
        entries.iter().any(poisoned),
        "the poison reached no audit entry"
    );
}
