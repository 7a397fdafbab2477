use std::process::ExitCode;

use flightdeck::cli::{Cli, Commands};
use flightdeck::commands::{self, Global};
use flightdeck::config::Config;
use flightdeck::launch;
use flightdeck::service::Intervals;
use flightdeck::tui::Exit;
use flightdeck_sim::client_config::{TokenSource, backends_toml};
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};

fn main() -> ExitCode {
    // A shell asking for completions (`FLIGHTDECK_COMPLETE=bash flightdeck -- ...`) is answered here.
    flightdeck::complete::answer_shell();
    let cli = Cli::parse_checked();
    // Kept alive for the whole run: dropping it flushes and stops the log writer.
    let _log = match cli.log.as_deref().map(start_log).transpose() {
        Ok(guard) => guard,
        Err(message) => {
            flightdeck::out::note(&message);
            return ExitCode::from(commands::failure::BAD_INPUT);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            flightdeck::out::note(&format!("cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Some(Commands::Sim(args)) => {
            match runtime.block_on(flightdeck_sim::standalone::run(&args.options())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => {
                    flightdeck::out::note(&failure.message);
                    ExitCode::from(failure.code)
                }
            }
        }
        // The dashboards: the TUI owns the terminal until it exits.
        None | Some(Commands::Demo { .. }) => match runtime.block_on(dashboard(cli)) {
            Ok(exit) => exit_code(exit),
            Err(message) => {
                flightdeck::out::note(&message);
                ExitCode::from(commands::failure::BAD_INPUT)
            }
        },
        Some(command) => {
            let global = Global {
                config: cli.config,
                read_only: cli.read_only,
                output: cli.output,
                audit: flightdeck::audit::path(),
                log: cli.log.clone(),
                printed: Default::default(),
            };
            match runtime.block_on(commands::run(command, &global)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => ExitCode::from(commands::report(&global, &failure)),
            }
        }
    }
}

/// Logs to a file, never to the terminal: the TUI owns the screen, and scripts own stdout.
fn start_log(
    path: &std::path::Path,
) -> Result<tracing_appender::non_blocking::WorkerGuard, String> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open the log {}: {e}", path.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,flightdeck=debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .init();
    Ok(guard)
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

async fn dashboard(cli: Cli) -> Result<Exit, String> {
    match cli.command {
        Some(Commands::Demo {
            seed,
            speed,
            stats_out,
        }) => demo(seed, speed, stats_out, cli.read_only, cli.config.as_deref()).await,
        _ => from_config(cli.config.as_deref(), cli.read_only).await,
    }
}

async fn from_config(explicit: Option<&std::path::Path>, read_only: bool) -> Result<Exit, String> {
    let loaded = launch::load(explicit)?;
    let ui = &loaded.config.ui;
    let intervals = Intervals {
        lists: ui.refresh,
        running: ui.refresh_running,
        selected: ui.refresh_selected,
    };
    let read_only = read_only || ui.read_only;
    let audit = flightdeck::audit::path();
    launch::dashboard(loaded.backends, intervals, read_only, audit, &loaded.config)
        .await
        .map_err(|e| e.to_string())
}

async fn demo(
    seed: u64,
    speed: f64,
    stats_out: Option<std::path::PathBuf>,
    read_only: bool,
    config: Option<&std::path::Path>,
) -> Result<Exit, String> {
    // `--config` lends the demo its look and keys ([ui], [keys], [filter.NAME]); its
    // backends are not used.
    let config = match config {
        Some(path) => Config::load(path).map_err(|e| e.to_string())?,
        None => Config::default(),
    };
    // One token for every face, so the simulator's backends are exactly the config
    // `flightdeck sim --print-config` prints, with the token given in memory.
    let token = flightdeck_sim::new_token(seed);
    let sim = SimHandle::start(SimOptions {
        seed,
        clock: ClockMode::Real { speed },
        token: Some(token.clone()),
        ..SimOptions::default()
    })
    .await
    .map_err(|e| format!("cannot start the simulator: {e}"))?;
    let simulated = backends_toml(&sim.endpoints(), TokenSource::Literal(&token));
    let backends = Config::from_toml_str(&simulated, "the simulator's config")
        .map_err(|e| e.to_string())?
        .backends
        .into_iter()
        .map(|mut b| {
            // The demo's simulator enforces no vendor limit: the demo does not wait out
            // budgets meant to share a real vendor's.
            b.max_requests_per_minute = Some(flightdeck::backend::budget::MAX_SHARE);
            launch::prepare(&b)
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The demo acts on a simulator: it stays out of the real audit log unless a log is
    // named explicitly.
    let audit = flightdeck::audit::path_from_env();
    // The config's `[ui] read_only` holds in the demo too: it is a safety setting.
    let read_only = read_only || config.ui.read_only;
    let exit = launch::dashboard(backends, Intervals::default(), read_only, audit, &config)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(path) = stats_out {
        let stats = sim.stats();
        let json = serde_json::json!({
            "requests": stats.total_requests,
            "starts": stats.starts,
            "approvals": stats.decisions.values().map(|d| d.approve).sum::<u64>(),
            "rejections": stats.decisions.values().map(|d| d.reject).sum::<u64>(),
            "decisions": stats.decisions.iter().map(|(id, d)| {
                (id.clone(), serde_json::json!({"approve": d.approve, "reject": d.reject}))
            }).collect::<serde_json::Map<_, _>>(),
            // Accepted control actions by "face action" (`harness AbortAll`, `argo Stop`),
            // and every abort request (Harness interrupts, Argo stop and terminate),
            // accepted or not.
            "controls": stats.controls.iter().map(|((face, action), n)| {
                (format!("{face} {action}"), serde_json::json!(n))
            }).collect::<serde_json::Map<_, _>>(),
            "abort_requests": stats.requests.iter().filter(|((method, route), _)| {
                method == "PUT"
                    && (route.contains("/execute/interrupt/")
                        || route.ends_with("/stop")
                        || route.ends_with("/terminate"))
            }).map(|(_, n)| n).sum::<u64>(),
        });
        std::fs::write(&path, json.to_string())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(exit)
}
