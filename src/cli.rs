//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "flightdeck",
    version,
    about = "Keyboard-driven terminal dashboard for deployments",
    long_about = "Lists the pipelines of Harness, Argo Workflows and Infraxys backends, follows \
                  executions live, starts them and approves or rejects their gates.\n\n\
                  Without a subcommand, opens the dashboard for the backends in the config file \
                  (--config, $FLIGHTDECK_CONFIG, or config.toml in the XDG config directory). \
                  `flightdeck demo` runs it against the built-in simulator, no config needed."
)]
pub struct Cli {
    /// Config file (default: $FLIGHTDECK_CONFIG, then the XDG config dir's flightdeck/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Remove and block every mutating action (start, approve, reject).
    #[arg(long, global = true)]
    pub read_only: bool,

    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run the dashboard against the built-in simulator of every backend (no config needed).
    Demo {
        /// Seed of the simulated world: the same seed gives the same pipelines and history.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Speed of the simulated clock (2 = twice as fast).
        #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
        speed: f64,
        /// Write the simulator's request and decision counts as JSON to this file on exit
        /// (used by the end-to-end tests).
        #[arg(long, hide = true, value_name = "PATH")]
        stats_out: Option<PathBuf>,
    },
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.01..=1000.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "speed must be a number between 0.01 and 1000, got {s:?}"
        )),
    }
}
