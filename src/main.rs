use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use flightdeck::backend::harness::{HarnessBackend, HarnessOptions};
use flightdeck::backend::harness_fg::{HarnessFgBackend, HarnessFgOptions};
use flightdeck::cli::{Cli, Commands};
use flightdeck::config::{BackendConfig, BackendSettings, Config};
use flightdeck::launch::{self, Prepared};
use flightdeck::service::Intervals;
use flightdeck::sim::{ClockMode, SimHandle, SimOptions};
use flightdeck::tui::Exit;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("flightdeck: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(exit) => exit_code(exit),
        Err(message) => {
            eprintln!("flightdeck: {message}");
            ExitCode::from(2)
        }
    }
}

/// Quit is success; a signal exits the conventional 128 + signal number.
fn exit_code(exit: Exit) -> ExitCode {
    match exit {
        Exit::Quit => ExitCode::SUCCESS,
        Exit::Signal("SIGHUP") => ExitCode::from(129),
        Exit::Signal("SIGTERM") => ExitCode::from(143),
        Exit::Signal(_) => ExitCode::FAILURE,
    }
}

async fn run(cli: Cli) -> Result<Exit, String> {
    match cli.command {
        Some(Commands::Demo {
            seed,
            speed,
            stats_out,
        }) => demo(seed, speed, stats_out, cli.read_only).await,
        None => from_config(cli.config.as_deref(), cli.read_only).await,
    }
}

async fn from_config(explicit: Option<&std::path::Path>, read_only: bool) -> Result<Exit, String> {
    let path = Config::discover(explicit)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| {
            "no config file: pass --config PATH, set $FLIGHTDECK_CONFIG, or create \
             ~/.config/flightdeck/config.toml (see config.example.toml); \
             `flightdeck demo` runs without one"
                .to_string()
        })?;
    let config = Config::load(&path).map_err(|e| e.to_string())?;
    for warning in config.warnings() {
        eprintln!("flightdeck: warning: {warning}");
    }
    let mut backends = Vec::new();
    for backend in &config.backends {
        match prepare(backend)? {
            Some(prepared) => backends.push(prepared),
            None => eprintln!(
                "flightdeck: warning: backend {}: kind {} is not supported by this version yet; skipped",
                backend.name,
                backend.kind.as_str()
            ),
        }
    }
    if backends.is_empty() {
        return Err(format!("{}: no [[backend]] configured", path.display()));
    }
    let ui = &config.ui;
    let intervals = Intervals {
        lists: ui.refresh,
        running: ui.refresh_running,
        selected: ui.refresh_selected,
    };
    launch::dashboard(backends, intervals, read_only || ui.read_only)
        .await
        .map_err(|e| e.to_string())
}

/// Builds the client for one configured backend, resolving its secret now; `None` for a
/// kind this version cannot talk to yet.
fn prepare(config: &BackendConfig) -> Result<Option<Prepared>, String> {
    let backend: Arc<dyn flightdeck::backend::Backend> = match &config.settings {
        BackendSettings::Harness {
            account,
            org,
            projects,
            api_key,
        } => {
            let api_key = api_key
                .resolve()
                .map_err(|e| format!("backend {}: api_key: {e}", config.name))?;
            HarnessBackend::new(HarnessOptions {
                name: config.name.clone(),
                base_url: config.base_url.clone(),
                account: account.clone(),
                org: org.clone(),
                projects: projects.clone(),
                api_key,
                timeout: config.timeout,
                ca_file: config.ca_file.clone(),
                insecure_skip_verify: config.insecure_skip_verify,
            })
            .map_err(|e| format!("backend {}: {e}", config.name))
            .map(Arc::new)?
        }
        BackendSettings::HarnessFg {
            account,
            applications,
            api_key,
        } => {
            let api_key = api_key
                .resolve()
                .map_err(|e| format!("backend {}: api_key: {e}", config.name))?;
            HarnessFgBackend::new(HarnessFgOptions {
                name: config.name.clone(),
                base_url: config.base_url.clone(),
                account: account.clone(),
                applications: applications.clone(),
                api_key,
                timeout: config.timeout,
                ca_file: config.ca_file.clone(),
                insecure_skip_verify: config.insecure_skip_verify,
            })
            .map_err(|e| format!("backend {}: {e}", config.name))
            .map(Arc::new)?
        }
        BackendSettings::Argo { .. } | BackendSettings::Infraxys { .. } => return Ok(None),
    };
    let mut prepared = Prepared::new(backend, config.concurrency, config.timeout);
    prepared.production = config.production;
    prepared.read_only = config.read_only;
    Ok(Some(prepared))
}

async fn demo(
    seed: u64,
    speed: f64,
    stats_out: Option<std::path::PathBuf>,
    read_only: bool,
) -> Result<Exit, String> {
    let sim = SimHandle::start(SimOptions {
        seed,
        clock: ClockMode::Real { speed },
        harness_token: None,
    })
    .await
    .map_err(|e| format!("cannot start the simulator: {e}"))?;
    let base_url = sim
        .harness_url()
        .parse()
        .map_err(|e| format!("simulator URL: {e}"))?;
    let timeout = std::time::Duration::from_secs(10);
    let harness = HarnessBackend::new(HarnessOptions {
        name: "harness".into(),
        base_url,
        account: sim.account(),
        org: sim.org(),
        projects: sim.projects(),
        api_key: sim.harness_token().into(),
        timeout,
        ca_file: None,
        insecure_skip_verify: false,
    })
    .map_err(|e| e.to_string())?;
    // First Gen pipelines and workflows beside the NextGen ones, from the same world.
    let harness_fg = HarnessFgBackend::new(HarnessFgOptions {
        name: "harness-fg".into(),
        base_url: sim
            .harness_fg_url()
            .parse()
            .map_err(|e| format!("simulator URL: {e}"))?,
        account: sim.account(),
        applications: Vec::new(),
        api_key: sim.harness_fg_api_key().into(),
        timeout,
        ca_file: None,
        insecure_skip_verify: false,
    })
    .map_err(|e| e.to_string())?;
    let backends = vec![
        Prepared::new(Arc::new(harness), 4, timeout),
        Prepared::new(Arc::new(harness_fg), 2, timeout),
    ];
    let exit = launch::dashboard(backends, Intervals::default(), read_only)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(path) = stats_out {
        let stats = sim.stats();
        let json = serde_json::json!({
            "requests": stats.total_requests,
            "starts": stats.starts,
            "approvals": stats.decisions.values().map(|d| d.approve).sum::<u64>(),
            "rejections": stats.decisions.values().map(|d| d.reject).sum::<u64>(),
        });
        std::fs::write(&path, json.to_string())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(exit)
}
