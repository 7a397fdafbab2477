//! Zero-config Argo: with no config file, the argo CLI's variables give one Argo backend,
//! checked against the simulator's Argo face; with a config file they are ignored.

use flightdeck_sim::{SimHandle, SimOptions};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

async fn run(
    sim: &SimHandle,
    home: &std::path::Path,
    token: &str,
    extra: &[&str],
    args: &[&str],
) -> (Option<i32>, Value, String) {
    let server = sim.argo_url();
    let server = server.trim_start_matches("http://");
    let out = tokio::process::Command::new(BIN)
        .args(extra)
        .args(args)
        .env_remove("FLIGHTDECK_CONFIG")
        // No config in the per-user directory either.
        .env("XDG_CONFIG_HOME", home)
        .env("HOME", home)
        .env("FLIGHTDECK_AUDIT_LOG", home.join("audit.jsonl"))
        .env("ARGO_SERVER", server)
        .env("ARGO_SECURE", "false")
        .env("ARGO_HTTP1", "true")
        .env("ARGO_NAMESPACE", &sim.argo_namespaces()[0])
        .env("ARGO_TOKEN", token)
        .output()
        .await
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_argo_cli_variables_are_a_backend_without_a_config() {
    let sim = SimHandle::start(SimOptions::default()).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    // The argo CLI's convention: the token with its `Bearer ` prefix.
    let (code, checked, stderr) = run(
        &sim,
        home.path(),
        &format!("Bearer {}", sim.argo_token()),
        &[],
        &["-o", "json", "config", "check", "--connect"],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        checked["config"].as_str().unwrap().contains("ARGO_SERVER"),
        "config check says where the backend came from: {checked}"
    );
    assert_eq!(checked["backends"][0]["kind"], "argo");
    assert_eq!(checked["backends"][0]["state"], "ok");

    // A config file wins, and the variables are not read.
    let config = home.path().join("c.toml");
    std::fs::write(
        &config,
        "[[backend]]\nname = \"only\"\nkind = \"infraxys\"\nbase_url = \"http://127.0.0.1:9\"\n\
         [[backend.alias]]\nname = \"x\"\nalias = \"x\"\n",
    )
    .unwrap();
    let (code, checked, stderr) = run(
        &sim,
        home.path(),
        &sim.argo_token(),
        &["--config", config.to_str().unwrap()],
        &["-o", "json", "config", "check"],
    )
    .await;
    assert_eq!(code, Some(0), "{stderr}");
    let names: Vec<&str> = checked["backends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["only"]);
}
