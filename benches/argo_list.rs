//! Listing 5,000 Argo workflows against the simulator: `flightdeck list executions --output
//! json` (the release binary, as a user runs it) versus the official Python client
//! (`argo-workflows` on PyPI, installed into a throwaway venv), plus the bytes one list
//! refresh downloads with and without flightdeck's `fields=` projection. Prints figures;
//! asserts nothing about time.
//!
//!     cargo bench --bench argo_list
//!
//! Needs `python3` with `venv` and access to the package index for the Python side; without
//! them that side is reported as not measured.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use flightdeck::backend::argo::LIST_FIELDS;
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};

const WORKFLOWS: usize = 5_000;
const RUNS: usize = 5;
const PYTHON_CLIENT: &str = "argo-workflows==6.7.18";
const TOKEN_ENV: &str = "FLIGHTDECK_BENCH_ARGO_TOKEN";

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let sim = SimHandle::start(SimOptions {
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator");
    let world = sim.world();
    for _ in 0..WORKFLOWS {
        world.start("argo", "canary").expect("pipeline");
    }
    let url = sim.argo_url();
    let token = sim.argo_token();

    // Bytes of one whole list, as the server sends it, with and without the projection.
    let http = reqwest::Client::new();
    let list = |fields: Option<&'static str>| {
        let mut request = http
            .get(format!("{url}/api/v1/workflows/argo"))
            .bearer_auth(&token);
        if let Some(fields) = fields {
            request = request.query(&[("fields", fields)]);
        }
        async move {
            let body = request
                .send()
                .await
                .expect("list")
                .bytes()
                .await
                .expect("body");
            let count = serde_json::from_slice::<serde_json::Value>(&body).expect("json")["items"]
                .as_array()
                .map_or(0, Vec::len);
            (body.len(), count)
        }
    };
    let (full, count) = list(None).await;
    let (projected, _) = list(Some(LIST_FIELDS)).await;
    println!(
        "bytes per list refresh of {count} workflows: {full} without fields=, {projected} with flightdeck's projection ({:.1}x less)",
        full as f64 / projected as f64
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("flightdeck.toml");
    std::fs::write(
        &config,
        format!(
            "[[backend]]\nname = \"argo\"\nkind = \"argo\"\nbase_url = \"{url}\"\nnamespace = \"argo\"\ntoken = {{ env = \"{TOKEN_ENV}\" }}\n"
        ),
    )
    .expect("config");
    let flightdeck = {
        let (config, token) = (config.clone(), token.clone());
        tokio::task::spawn_blocking(move || time_flightdeck(&config, &token))
            .await
            .expect("flightdeck runs")
    };
    println!(
        "flightdeck list executions --output json, {count} workflows: median {} of {RUNS} runs",
        secs(flightdeck)
    );

    let python = {
        let (dir, url, token) = (dir.path().to_owned(), url.clone(), token.clone());
        tokio::task::spawn_blocking(move || time_python(&dir, &url, &token))
            .await
            .expect("python runs")
    };
    match python {
        Ok(python) => println!(
            "official Python client ({PYTHON_CLIENT}) list_workflows, {count} workflows: median {} of {RUNS} runs; ratio python/flightdeck {:.1}x",
            secs(python),
            python.as_secs_f64() / flightdeck.as_secs_f64()
        ),
        Err(why) => println!("official Python client: not measured ({why})"),
    }
}

fn time_flightdeck(config: &Path, token: &str) -> Duration {
    let times = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            let out = Command::new(env!("CARGO_BIN_EXE_flightdeck"))
                .args(["--config"])
                .arg(config)
                .args(["list", "executions", "--output", "json"])
                .env(TOKEN_ENV, token)
                .output()
                .expect("flightdeck starts");
            let elapsed = started.elapsed();
            assert!(
                out.status.success(),
                "flightdeck failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            elapsed
        })
        .collect();
    median(times)
}

fn time_python(dir: &Path, url: &str, token: &str) -> Result<Duration, String> {
    let venv = dir.join("venv");
    let run = |cmd: &mut Command| -> Result<String, String> {
        let out = cmd.output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    run(Command::new(venv.join("bin/pip")).args(["install", "--quiet", PYTHON_CLIENT]))?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/argo_list.py");
    let out = run(Command::new(venv.join("bin/python")).arg(script).args([
        url,
        token,
        "argo",
        &RUNS.to_string(),
    ]))?;
    let times: Vec<Duration> = out
        .lines()
        .filter_map(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
        .collect();
    if times.len() != RUNS {
        return Err(format!("unexpected output: {out}"));
    }
    Ok(median(times))
}
