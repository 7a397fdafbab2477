//! `config init` and `config path`: a newcomer's first config loads as written, an existing
//! config is never replaced, and each file's place is printed for people and scripts.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

fn run(config: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env("HARNESS_API_KEY", "pat.YOUR_ACCOUNT_ID.id.secret")
        .env("HARNESS_FG_API_KEY", "fg-key")
        .env("ARGO_TOKEN", "Bearer argo-token")
        .env("INFRAXYS_TOKEN", "infraxys-token")
        .env("FLIGHTDECK_AUDIT_LOG", config.with_extension("audit.jsonl"))
        .output()
        .unwrap()
}

#[test]
fn config_init_writes_a_starter_that_loads_and_never_replaces_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("new").join("config.toml");
    let init = run(&config, &["config", "init"]);
    assert_eq!(
        init.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let text = std::fs::read_to_string(&config).unwrap();
    let secrets: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("api_key") || l.starts_with("token"))
        .collect();
    assert_eq!(secrets.len(), 4);
    assert!(
        secrets.iter().all(|l| l.contains("= { env = \"")),
        "no secret is written, only where to read it: {secrets:?}"
    );

    let check = run(&config, &["-o", "json", "config", "check"]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let kinds: Vec<&str> = doc["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["harness", "harness-fg", "argo", "infraxys"]);

    std::fs::write(&config, "# mine\n").unwrap();
    let again = run(&config, &["config", "init", "argo"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists and is left as it is"));
    assert_eq!(std::fs::read_to_string(&config).unwrap(), "# mine\n");

    let argo = run(&config, &["config", "init", "argo", "--to", "-"]);
    assert_eq!(argo.status.code(), Some(0));
    let only = String::from_utf8(argo.stdout).unwrap();
    assert_eq!(only.matches("[[backend]]").count(), 1);
    assert!(only.contains("kind = \"argo\""));
}

#[test]
fn config_path_names_each_file_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("c.toml");
    let path = run(&config, &["-o", "json", "config", "path"]);
    assert_eq!(path.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&path.stdout).unwrap();
    assert_eq!(doc["config"], config.display().to_string());
    assert_eq!(doc["config_from"], "--config");
    assert_eq!(doc["config_exists"], false);
    assert_eq!(
        doc["audit_log"],
        config.with_extension("audit.jsonl").display().to_string()
    );
    assert_eq!(doc["debug_log"], serde_json::Value::Null);
}
