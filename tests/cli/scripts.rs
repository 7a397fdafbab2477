//! What script authors use (README, "From scripts"): `list`'s filters and `-q`, the `target`
//! of every listed item fed back into the next command, `inputs`, `--var-file` and
//! `--var NAME=@FILE|@-`, shell completion of targets, and `sim --write-config`. The real
//! binary against the simulator's every face, configured as `sim --print-config` does.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use flightdeck_sim::ClockMode;
use flightdeck_sim::client_config::{TokenSource, backends_toml};
use serde_json::Value;

use super::run::{BIN, Run, SimEnv, deref_sim_env};

struct Env {
    env: SimEnv,
    token: String,
}
deref_sim_env!(Env);

/// The simulator on a real clock (so `--since` has a "now" to count from) with every
/// backend configured.
async fn env() -> Env {
    let token = flightdeck_sim::new_token(42);
    let env = SimEnv::builder()
        .clock(ClockMode::Real { speed: 1.0 })
        .token(&token)
        .start()
        .await;
    let config = backends_toml(&env.sim.endpoints(), TokenSource::Env("FD_TEST_KEY"));
    let cache = env.dir.path().join("cache");
    let env = env
        .with_config(&config)
        .var("FD_TEST_KEY", &token)
        .var("XDG_CACHE_HOME", cache.to_str().unwrap());
    Env { env, token }
}

impl Env {
    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = self.env.command(args);
        cmd.env_remove("FLIGHTDECK_COMPLETE");
        cmd
    }

    fn audit(&self) -> PathBuf {
        self.audit.clone()
    }

    async fn run(&self, args: &[&str]) -> Run {
        let run = Run::of(self.command(args).output().await.unwrap());
        self.assert_no_token(&run);
        run
    }

    async fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let run = self.env.run_stdin(self.command(args), stdin).await;
        self.assert_no_token(&run);
        run
    }

    fn assert_no_token(&self, run: &Run) {
        let secret = self.token.rsplit('.').next().unwrap();
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "the token leaked:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }

    async fn items(&self, args: &[&str]) -> Vec<Value> {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        let run = self.run(&all).await;
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let doc = run.json();
        assert_eq!(doc["failed"], serde_json::json!([]), "{args:?}");
        doc["items"].as_array().unwrap().clone()
    }
}

fn targets(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["target"].as_str().unwrap().to_string())
        .collect()
}

fn started(item: &Value) -> jiff::Timestamp {
    item["started"].as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_executions_filters_by_status_pipeline_since_and_limit() {
    let env = env().await;
    let all = env.items(&["list", "executions"]).await;
    assert!(all.len() > 10, "the seeded history has executions");

    // --status: the table's words, several at once, `not started` as the table writes it.
    let success = env
        .items(&["list", "executions", "--status", "success"])
        .await;
    assert!(!success.is_empty());
    assert!(success.iter().all(|e| e["status"]["status"] == "success"));
    let ended = env
        .items(&[
            "list",
            "executions",
            "--status",
            "failed,success",
            "--status",
            "aborted",
        ])
        .await;
    assert!(ended.len() > success.len());
    assert!(ended.iter().all(|e| {
        ["failed", "success", "aborted"].contains(&e["status"]["status"].as_str().unwrap())
    }));
    let table = env
        .run(&["list", "executions", "--status", "not started"])
        .await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    let bad = env
        .run(&["list", "executions", "--status", "Succeeded"])
        .await;
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not_started"), "{}", bad.stderr);

    // --pipeline: by id, by name, by target; never another pipeline's runs.
    let first = &all[0];
    let (id, name) = (
        first["pipeline_id"].as_str().unwrap(),
        first["pipeline_name"].as_str().unwrap(),
    );
    for wanted in [id, name] {
        let runs = env
            .items(&["list", "executions", "--pipeline", wanted])
            .await;
        assert!(!runs.is_empty(), "{wanted}");
        assert!(runs.iter().all(|e| e["pipeline_id"] == id), "{wanted}");
    }
    let pipeline_target = format!(
        "{}/{}/{}",
        first["backend"].as_str().unwrap(),
        first["project"].as_str().unwrap(),
        id
    );
    let runs = env
        .items(&["list", "executions", "--pipeline", &pipeline_target])
        .await;
    assert!(!runs.is_empty());
    assert!(
        runs.iter()
            .all(|e| e["pipeline_id"] == id && e["backend"] == first["backend"])
    );
    let none = env
        .items(&["list", "executions", "--pipeline", "no-such-pipeline"])
        .await;
    assert!(none.is_empty());

    // --limit keeps the first rows of the list's order, newest first. The world moves on
    // a real clock, so a run may start between the two reads: compare a few times.
    let mut same = false;
    for _ in 0..5 {
        let limited = env.items(&["list", "executions", "--limit", "3"]).await;
        let all = env.items(&["list", "executions"]).await;
        assert_eq!(limited.len(), 3);
        assert!(started(&limited[0]) >= started(&limited[2]), "newest first");
        if targets(&limited) == targets(&all[..3]) {
            same = true;
            break;
        }
    }
    assert!(same, "--limit 3 is the first 3 rows of the full list");
    let two = env
        .items(&["list", "executions", "--status", "success", "--limit", "2"])
        .await;
    assert_eq!(two.len(), 2, "the limit applies after the filter");
    assert!(two.iter().all(|e| e["status"]["status"] == "success"));

    // --since: a window ending now. Pick a cut in a gap of the history so that a second
    // or two between reads cannot move a row across it.
    let now = jiff::Timestamp::now();
    let times: Vec<jiff::Timestamp> = all
        .iter()
        .filter(|e| !e["started"].is_null())
        .map(started)
        .collect();
    let (newer, older) = times
        .windows(2)
        .map(|w| (w[0], w[1]))
        .find(|(a, b)| a.as_second() - b.as_second() > 120 && now.as_second() - b.as_second() > 300)
        .expect("a gap of two minutes in the history");
    let cut = older.as_second() + (newer.as_second() - older.as_second()) / 2;
    let since = format!("{}s", now.as_second() - cut);
    let recent = env.items(&["list", "executions", "--since", &since]).await;
    let expected = all
        .iter()
        .filter(|e| !e["started"].is_null() && started(e) >= newer)
        .count();
    assert!(
        recent.len() >= expected && recent.len() < all.len(),
        "{} of {}",
        recent.len(),
        all.len()
    );
    assert!(recent.iter().all(|e| started(e).as_second() >= cut));
    let day = env.items(&["list", "executions", "--since", "1d"]).await;
    assert!(day.len() >= recent.len());
    let week = env
        .items(&["list", "executions", "--since", "1w", "--limit", "1"])
        .await;
    assert_eq!(week.len(), 1);
    for bad in [
        &["list", "executions", "--since", "2x"][..],
        &["list", "pipelines", "--status", "failed"][..],
        &["list", "pipelines", "--since", "1h"][..],
        &["list", "approvals", "--status", "waiting"][..],
    ] {
        let run = env.run(bad).await;
        assert_eq!(run.code, 2, "{bad:?}: {}", run.stderr);
    }

    // Gates: --pipeline and --limit too.
    let gates = env.items(&["list", "approvals"]).await;
    assert!(gates.len() > 1);
    let gate_pipeline = gates[0]["pipeline_id"].as_str().unwrap();
    let of_pipeline = env
        .items(&["list", "approvals", "--pipeline", gate_pipeline])
        .await;
    assert!(!of_pipeline.is_empty());
    assert!(
        of_pipeline
            .iter()
            .all(|g| g["pipeline_id"] == gate_pipeline)
    );
    assert_eq!(
        env.items(&["list", "approvals", "--limit", "1"])
            .await
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_targets_and_json_targets_feed_the_next_command() {
    let env = env().await;
    // The README's example, through a real shell's word splitting.
    let config = env.config.display().to_string();
    let line = format!(
        "set -e; t=$('{BIN}' --config '{config}' list executions -q --limit 1); \
         '{BIN}' --config '{config}' -o json status $t"
    );
    let shell = tokio::process::Command::new("sh")
        .args(["-c", &line])
        .env("FD_TEST_KEY", &env.token)
        .env_remove("FLIGHTDECK_CONFIG")
        .output()
        .await
        .unwrap();
    let shell = Run::of(shell);
    assert_eq!(shell.code, 0, "{}", shell.stderr);
    assert!(shell.json()["execution"]["id"].is_string());

    // -q prints exactly JSON's targets, one per line.
    let mut same = false;
    for _ in 0..5 {
        let quiet = env.run(&["list", "executions", "-q", "--limit", "8"]).await;
        assert_eq!(quiet.code, 0, "{}", quiet.stderr);
        let json = env.items(&["list", "executions", "--limit", "8"]).await;
        if quiet.stdout.lines().collect::<Vec<_>>() == targets(&json) {
            same = true;
            break;
        }
    }
    assert!(same, "-q lines are the JSON targets");
    let both = env.run(&["list", "executions", "-q", "-o", "json"]).await;
    assert_eq!(both.code, 2);

    // One execution of each backend that lists runs, First Gen's `Legacy Billing`
    // application included: its target leaves the project out, and still names the run.
    let all = env.items(&["list", "executions"]).await;
    let mut backends: Vec<&str> = all.iter().map(|e| e["backend"].as_str().unwrap()).collect();
    backends.sort_unstable();
    backends.dedup();
    assert!(
        backends.contains(&"harness-fg") && backends.contains(&"argo"),
        "{backends:?}"
    );
    for backend in backends {
        let e = all.iter().find(|e| e["backend"] == backend).unwrap();
        let target = e["target"].as_str().unwrap();
        assert!(!target.contains(' '), "{target}: one shell word");
        let status = env.run(&["status", target, "-o", "json"]).await;
        assert_eq!(status.code, 0, "{target}: {}", status.stderr);
        assert_eq!(status.json()["execution"]["id"], e["id"], "{target}");
        assert_eq!(status.json()["execution"]["target"], e["target"]);
    }

    // A gate's target is its execution, as approve takes it.
    let gates = env.items(&["list", "approvals"]).await;
    let gate = &gates[0];
    let status = env
        .run(&["status", gate["target"].as_str().unwrap(), "-o", "json"])
        .await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    let detail = status.json();
    assert!(
        detail["gates"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["id"] == gate["id"])
    );
    let quiet = env.run(&["list", "approvals", "-q"]).await;
    assert_eq!(quiet.stdout.lines().count(), gates.len());

    // A pipeline target feeds `inputs` (and `start`).
    let pipelines = env.items(&["list", "pipelines"]).await;
    let quiet = env.run(&["list", "pipelines", "-q"]).await;
    assert_eq!(
        quiet.stdout.lines().collect::<Vec<_>>(),
        targets(&pipelines)
    );
    for p in &pipelines {
        let target = p["target"].as_str().unwrap();
        if p["backend"] == "infraxys" || p["backend"] == "harness-fg" {
            let inputs = env.run(&["inputs", target, "-o", "json"]).await;
            assert_eq!(inputs.code, 0, "{target}: {}", inputs.stderr);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn inputs_lists_names_types_choices_defaults_and_secrets() {
    let env = env().await;
    let table = env.run(&["inputs", "harness/ledger_migrations"]).await;
    assert_eq!(table.code, 0, "{}", table.stderr);
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["NAME", "TYPE", "REQUIRED", "CHOICES", "DEFAULT", "SECRET"]
    );
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(name))
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row("migration_version"),
        ["migration_version", "number", "yes", "-", "-", "no"]
    );
    assert_eq!(
        row("dry_run"),
        ["dry_run", "choice", "no", "true,false", "true", "no"]
    );
    assert_eq!(
        row("db_admin_password"),
        ["db_admin_password", "secret", "yes", "-", "-", "yes"]
    );

    let json = env
        .items(&["inputs", "harness/payments/ledger_migrations"])
        .await;
    let by_name = |n: &str| json.iter().find(|i| i["name"] == n).unwrap().clone();
    assert_eq!(
        by_name("db_admin_password"),
        serde_json::json!({
            "name": "db_admin_password", "type": "secret", "required": true, "choices": [],
            "default": null, "secret": true,
            "description": by_name("db_admin_password")["description"].clone()
        })
    );
    assert_eq!(
        by_name("dry_run")["choices"],
        serde_json::json!(["true", "false"])
    );
    assert_eq!(by_name("dry_run")["default"], "true");
    assert_eq!(by_name("migration_version")["secret"], false);

    // The README's exit codes: bad target 2, no such backend or pipeline 4.
    for (args, code) in [
        (&["inputs", "harness"][..], 2),
        (&["inputs", "nope/deploy"][..], 4),
        (&["inputs", "harness/nope"][..], 4),
    ] {
        let run = env.run(args).await;
        assert_eq!(run.code, code, "{args:?}: {}", run.stderr);
    }
    let missing = env.run(&["inputs", "harness/nope", "-o", "json"]).await;
    assert_eq!(missing.json()["error"]["kind"], "not_found");
}

#[tokio::test(flavor = "multi_thread")]
async fn var_files_at_files_and_stdin_give_values_never_echoed() {
    let env = env().await;
    let dir = env.dir.path();
    let secret = "account.from_a_file_xq7";
    let start = ["start", "harness/payments/ledger_migrations", "-o", "json"];
    let started = |run: &Run| -> Vec<(String, String)> {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
        let id = run.json()["execution_id"].as_str().unwrap().to_string();
        let mut inputs = env.sim.world().execution_inputs(&id).unwrap();
        inputs.sort();
        inputs
    };

    // JSON: numbers become their text.
    let json = dir.join("vars.json");
    std::fs::write(
        &json,
        format!(
            r#"{{"migration_version": 42, "dry_run": "false", "db_admin_password": "{secret}"}}"#
        ),
    )
    .unwrap();
    let run = env
        .run(&[&start[..], &["--var-file", json.to_str().unwrap()]].concat())
        .await;
    let sent = started(&run);
    assert!(
        sent.contains(&("migration_version".into(), "42".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&("db_admin_password".into(), secret.into())),
        "{sent:?}"
    );

    // TOML, without an extension (whichever parses), and --var wins over it.
    let toml = dir.join("vars");
    std::fs::write(
        &toml,
        format!("migration_version = 7\ndry_run = \"true\"\ndb_admin_password = \"{secret}\"\n"),
    )
    .unwrap();
    let run = env
        .run(
            &[
                &start[..],
                &[
                    "--var-file",
                    toml.to_str().unwrap(),
                    "--var",
                    "migration_version=8",
                ],
            ]
            .concat(),
        )
        .await;
    let sent = started(&run);
    assert!(
        sent.contains(&("migration_version".into(), "8".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&("dry_run".into(), "true".into())),
        "{sent:?}"
    );

    // @FILE: one trailing newline dropped.
    let pw = dir.join("pw");
    std::fs::write(&pw, format!("{secret}\n")).unwrap();
    let at_file = format!("db_admin_password=@{}", pw.display());
    let run = env
        .run(
            &[
                &start[..],
                &["--var", "migration_version=1", "--var", &at_file],
            ]
            .concat(),
        )
        .await;
    let sent = started(&run);
    assert!(
        sent.contains(&("migration_version".into(), "1".into())),
        "{sent:?}"
    );
    assert!(
        sent.contains(&("db_admin_password".into(), secret.into())),
        "{sent:?}"
    );

    // @-: stdin, once.
    let run = env
        .run_stdin(
            &[
                &start[..],
                &[
                    "--var",
                    "migration_version=2",
                    "--var",
                    "db_admin_password=@-",
                ],
            ]
            .concat(),
            &format!("{secret}\n"),
        )
        .await;
    let sent = started(&run);
    assert!(
        sent.contains(&("db_admin_password".into(), secret.into())),
        "{sent:?}"
    );
    let twice = env
        .run_stdin(
            &[
                &start[..],
                &[
                    "--var",
                    "migration_version=@-",
                    "--var",
                    "db_admin_password=@-",
                ],
            ]
            .concat(),
            "x\n",
        )
        .await;
    assert_eq!(twice.code, 2, "{}", twice.stderr);

    // A name given twice with --var is still refused, whatever the files say.
    let dup = env
        .run(
            &[
                &start[..],
                &[
                    "--var-file",
                    json.to_str().unwrap(),
                    "--var",
                    "migration_version=1",
                    "--var",
                    "migration_version=2",
                ],
            ]
            .concat(),
        )
        .await;
    assert_eq!(dup.code, 2);
    assert!(dup.stderr.contains("more than once"), "{}", dup.stderr);
    let missing = env
        .run(
            &[
                &start[..],
                &["--var-file", dir.join("absent.json").to_str().unwrap()],
            ]
            .concat(),
        )
        .await;
    assert_eq!(missing.code, 2);
    let broken = dir.join("broken.toml");
    std::fs::write(&broken, format!("db_admin_password = {secret}\n")).unwrap();
    let run = env
        .run(&[&start[..], &["--var-file", broken.to_str().unwrap()]].concat())
        .await;
    assert_eq!(run.code, 2);
    assert!(
        !run.stderr.contains(secret) && !run.stdout.contains(secret),
        "{}",
        run.stderr
    );

    // The audit log never holds the value: secret-typed, or read through @.
    let audit = std::fs::read_to_string(env.audit()).unwrap();
    assert!(!audit.contains(secret), "{audit}");
    let entries = env.audit_entries();
    assert_eq!(entries.len(), 4, "four starts were sent");
    let at_entry = &entries[2];
    let values = at_entry["inputs"]["values"].as_array().unwrap();
    assert!(
        values
            .iter()
            .any(|v| v["name"] == "db_admin_password" && v["value"] == "***")
    );
    assert!(
        values
            .iter()
            .any(|v| v["name"] == "migration_version" && v["value"] == "1")
    );

    // Argo has no secret type: a value read through @FILE is masked all the same.
    let version = dir.join("version");
    std::fs::write(&version, "9.9.9-hidden\n").unwrap();
    let var = format!("version=@{}", version.display());
    let run = env
        .run(&["start", "argo/argo/release", "--var", &var, "-o", "json"])
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let id = run.json()["execution_id"].as_str().unwrap().to_string();
    let sent = env.sim.world().execution_inputs(&id).unwrap();
    let audit = std::fs::read_to_string(env.audit()).unwrap();
    assert!(!audit.contains("9.9.9-hidden"), "{audit}");
    assert_eq!(audit.lines().count(), 5, "{audit}");
    // What Argo received is checked where the simulator records it.
    if !sent.is_empty() {
        assert!(
            sent.contains(&("version".into(), "9.9.9-hidden".into())),
            "{sent:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn completion_offers_backends_pipelines_and_targets() {
    let env = env().await;
    let token = env.token.clone();
    let cache = env.dir.path().join("cache");
    // The command line being completed names the config, as a user's would.
    let complete_with = |config: PathBuf, words: &[&str]| {
        let mut full: Vec<String> = vec!["--".into(), "flightdeck".into(), "--config".into()];
        full.push(config.display().to_string());
        full.extend(words.iter().map(|w| w.to_string()));
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(&full)
            .env("FLIGHTDECK_COMPLETE", "fish")
            .env("FD_TEST_KEY", &token)
            .env("XDG_CACHE_HOME", &cache)
            .env_remove("FLIGHTDECK_CONFIG");
        async move {
            let begun = std::time::Instant::now();
            let run = Run::of(cmd.output().await.unwrap());
            (run, begun.elapsed())
        }
    };
    let config = env.config.clone();
    let complete = |words: &[&str]| complete_with(config.clone(), words);
    let values = |run: &Run| -> Vec<String> {
        run.stdout
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect()
    };

    // clap's usual variable means nothing here: a stray COMPLETE=1 is no completion request.
    let plain = Run::of(
        env.command(&["list", "pipelines", "-q", "--limit", "1"])
            .env("COMPLETE", "1")
            .output()
            .await
            .unwrap(),
    );
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    assert_eq!(plain.stdout.lines().count(), 1);

    let (run, _) = complete(&["start", "har"]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(values(&run), ["harness/", "harness-fg/"]);
    let (run, _) = complete(&["start", "harness/payments/led"]).await;
    assert_eq!(values(&run), ["harness/payments/ledger_migrations"]);
    assert!(
        run.stdout.contains("Ledger"),
        "the name is the help: {}",
        run.stdout
    );
    let (run, _) = complete(&["inputs", "harness/led"]).await;
    assert_eq!(values(&run), ["harness/ledger_migrations"]);
    let (run, _) = complete(&["list", "executions", "--pipeline", "ledger_m"]).await;
    assert_eq!(values(&run), ["ledger_migrations"]);
    let (run, _) = complete(&["list", "pipelines", "--backend", "argo"]).await;
    assert_eq!(values(&run), ["argo", "argo-data"]);
    let (run, _) = complete(&["status", "argo/"]).await;
    let listed = env
        .items(&["list", "executions", "--backend", "argo"])
        .await;
    let offered = values(&run);
    assert!(!offered.is_empty());
    assert!(
        offered
            .iter()
            .all(|t| targets(&listed).contains(t) || t.starts_with("argo/argo/"))
    );

    // Cached: the simulator gone, the same answer comes at once.
    let config_text = std::fs::read_to_string(&env.config).unwrap();
    drop(env.env.sim);
    let (run, _) = complete(&["start", "harness/payments/led"]).await;
    assert_eq!(values(&run), ["harness/payments/ledger_migrations"]);
    use std::os::unix::fs::PermissionsExt;
    let cache_dir = env.env.dir.path().join("cache/flightdeck/complete");
    let mode = std::fs::metadata(&cache_dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "the cache is owner-only");
    // Stale (older than 60 s) and the simulator unreachable: the stale copy answers.
    for entry in std::fs::read_dir(&cache_dir).unwrap() {
        let file = std::fs::File::options()
            .write(true)
            .open(entry.unwrap().path())
            .unwrap();
        file.set_modified(std::time::SystemTime::now() - Duration::from_secs(120))
            .unwrap();
    }
    let (run, _) = complete(&["start", "harness/payments/led"]).await;
    assert_eq!(values(&run), ["harness/payments/ledger_migrations"]);

    // A backend that accepts and never answers: the Tab is answered within the deadline.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hung = format!("http://{}", silent.local_addr().unwrap());
    let harness_url = config_text
        .lines()
        .find_map(|l| {
            l.strip_prefix("base_url = \"")
                .map(|u| u.trim_end_matches('"').to_string())
        })
        .unwrap();
    let hung_config = env.env.dir.path().join("hung.toml");
    std::fs::write(&hung_config, config_text.replace(&harness_url, &hung)).unwrap();
    let (run, took) = complete_with(hung_config, &["start", "harness/che"]).await;
    assert_eq!(run.code, 0);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // 1.5 s, plus starting the process on a busy machine; the backend's own request
    // timeout is 15 s.
    assert!(took < Duration::from_secs(4), "a Tab waited {took:?}");
    drop(silent);

    // The scripts the README installs register the binary as its completer.
    for (shell, needle) in [
        ("bash", "FLIGHTDECK_COMPLETE=\"bash\""),
        ("zsh", "FLIGHTDECK_COMPLETE=\"zsh\""),
        ("fish", "FLIGHTDECK_COMPLETE=fish flightdeck"),
        ("elvish", "FLIGHTDECK_COMPLETE=\"elvish\""),
        ("powershell", "FLIGHTDECK_COMPLETE"),
    ] {
        let out = tokio::process::Command::new(BIN)
            .args(["completions", shell])
            .output()
            .await
            .unwrap();
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains(needle), "{shell}: {script}");
    }
    let help = tokio::process::Command::new(BIN)
        .args(["completions", "--help"])
        .output()
        .await
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for shell in ["bash", "zsh", "fish"] {
        assert!(
            help.contains(&format!("flightdeck completions {shell}")),
            "{help}"
        );
    }
}

/// bash itself runs the installed script's function on a partial pipeline name.
#[tokio::test(flavor = "multi_thread")]
async fn bash_completes_a_partial_pipeline_name() {
    let env = env().await;
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!(
        "source <(flightdeck completions bash)\n\
         COMP_WORDS=(flightdeck --config '{}' start harness/payments/ledg)\n\
         COMP_CWORD=4\n\
         _clap_complete_flightdeck flightdeck harness/payments/ledg start\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        env.config.display()
    );
    let out = tokio::process::Command::new("bash")
        .args(["--norc", "-c", &script])
        .env("PATH", path)
        .env("FD_TEST_KEY", &env.token)
        .env("XDG_CACHE_HOME", env.dir.path().join("cache"))
        .env_remove("FLIGHTDECK_CONFIG")
        .output()
        .await
        .unwrap();
    let run = Run::of(out);
    assert_eq!(
        run.stdout.trim(),
        "harness/payments/ledger_migrations",
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sim_write_config_on_port_0_serves_a_list_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sim.toml");
    let mut sim = tokio::process::Command::new(BIN)
        .args(["sim", "--listen", "127.0.0.1:0", "--write-config"])
        .arg(&file)
        .env_remove("FLIGHTDECK_SIM_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // The config is written before the ready line.
    let mut lines = tokio::io::BufReader::new(sim.stdout.take().unwrap());
    let mut banner = String::new();
    let ready = tokio::time::timeout(Duration::from_secs(30), async {
        use tokio::io::AsyncBufReadExt;
        loop {
            let mut line = String::new();
            if lines.read_line(&mut line).await.unwrap() == 0 {
                return false;
            }
            banner.push_str(&line);
            if line.starts_with("ready: ") {
                return true;
            }
        }
    })
    .await
    .unwrap();
    assert!(ready, "{banner}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(":0\""), "the bound ports, not 0: {text}");
    let token_file = dir.path().join("sim.toml.token");
    let token = std::fs::read_to_string(&token_file).unwrap();
    assert!(
        !text.contains(token.trim()),
        "the token is beside the config, not in it"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // From another directory, with no token in the environment.
    let run = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&file)
        .args(["list", "pipelines", "-o", "json"])
        .current_dir("/")
        .env_remove("FLIGHTDECK_SIM_TOKEN")
        .env_remove("FLIGHTDECK_CONFIG")
        .output()
        .await
        .unwrap();
    let run = Run::of(run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["failed"], serde_json::json!([]));
    assert!(doc["items"].as_array().unwrap().len() > 10);

    let both = tokio::process::Command::new(BIN)
        .args([
            "sim",
            "--listen",
            "127.0.0.1:0",
            "--print-config",
            "--write-config",
        ])
        .arg(&file)
        .output()
        .await
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    sim.kill().await.unwrap();
}

/// The man pages carry the new subcommand and options, and the install steps.
#[test]
fn man_pages_document_the_script_options() {
    let dir = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(BIN)
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let page = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let inputs = page("flightdeck-inputs.1");
    assert!(
        inputs.contains("EXIT STATUS") && inputs.contains("secret"),
        "{inputs}"
    );
    let list = page("flightdeck-list.1");
    for flag in [
        "\\-\\-status",
        "\\-\\-pipeline",
        "\\-\\-since",
        "\\-\\-limit",
        "\\-\\-quiet",
    ] {
        assert!(list.contains(flag), "{flag}");
    }
    assert!(page("flightdeck-start.1").contains("\\-\\-var\\-file"));
    assert!(page("flightdeck-sim.1").contains("\\-\\-write\\-config"));
    let completions = page("flightdeck-completions.1");
    assert!(completions.contains("INSTALL"), "{completions}");
    for shell in ["bash", "zsh", "fish"] {
        assert!(
            completions.contains(&format!("flightdeck completions {shell}")),
            "{shell}"
        );
    }
    let root = page("flightdeck.1");
    assert!(root.contains("FLIGHTDECK_COMPLETE") && root.contains("flightdeck/complete"));
}

/// `start --records` takes `--var-file` and `@FILE` as `start` does; a value read through
/// `@` is masked in the preview, and `@-` cannot share stdin with `--records -`.
#[tokio::test(flavor = "multi_thread")]
async fn bulk_starts_take_var_files_and_at_files() {
    let env = env().await;
    let dir = env.dir.path();
    let records = dir.join("ledger.jsonl");
    std::fs::write(
        &records,
        "{\"migration_version\": \"101\"}\n{\"migration_version\": \"102\"}\n",
    )
    .unwrap();
    let vars = dir.join("vars.json");
    std::fs::write(&vars, r#"{"dry_run": "false"}"#).unwrap();
    let pw = dir.join("pw");
    std::fs::write(&pw, "bulk-secret-55\n").unwrap();
    let at = format!("db_admin_password=@{}", pw.display());
    let base = [
        "start",
        "harness/payments/ledger_migrations",
        "--records",
        records.to_str().unwrap(),
        "--var-file",
        vars.to_str().unwrap(),
        "--var",
        &at,
    ];
    let run = env
        .run(&[&base[..], &["--preview", "2", "-o", "json"]].concat())
        .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("bulk-secret-55"), "{}", run.stdout);
    let previews = run.json();
    let body = previews[0]["body"].as_str().unwrap();
    assert!(body.contains("101") && body.contains("false"), "{body}");
    assert!(body.contains("***"), "{body}");
    assert_eq!(env.sim.stats().starts, 0);

    let run = env
        .run_stdin(
            &[
                "start",
                "harness/payments/ledger_migrations",
                "--records",
                "-",
                "--var",
                "db_admin_password=@-",
            ],
            "{\"migration_version\": \"1\"}\n",
        )
        .await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--records -"), "{}", run.stderr);
}
