//! Command-line interface: the dashboard, the demo, and the scriptable subcommands.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use clap_complete::engine::ArgValueCompleter;

use flightdeck_sim::standalone::{StandaloneOptions, TOKEN_ENV};

#[derive(Debug, Parser)]
#[command(
    name = "flightdeck",
    version,
    about = "Keyboard-driven terminal dashboard for deployments",
    long_about = "Lists the pipelines of Harness, Argo Workflows and Infraxys backends, follows \
                  executions live, starts them and approves or rejects their gates.\n\n\
                  Without a subcommand, opens the dashboard for the backends in the config file \
                  (--config, $FLIGHTDECK_CONFIG, or config.toml in the XDG config directory). \
                  `flightdeck demo` runs it against the built-in simulator, no config needed. \
                  The other subcommands do the same things from scripts.",
    after_long_help = EXIT_CODES
)]
pub struct Cli {
    /// Config file (default: $FLIGHTDECK_CONFIG, then the XDG config dir's flightdeck/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Remove and block every mutating action (start, approve, reject, abort, retry, rerun,
    /// suspend, resume).
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Write a debug log (requests, timings, errors; never secrets) to this file. The level
    /// follows $RUST_LOG when set (default: debug for flightdeck, warn for the rest).
    #[arg(long, global = true, value_name = "PATH")]
    pub log: Option<PathBuf>,

    /// Output format of the scriptable subcommands. json: one document on one line; a list is
    /// {"items": [...], "failed": [{backend, kind, code, message}]}, failed always present.
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,

    #[command(subcommand)]
    pub command: Option<Commands>,
}

/// The global flags each of these subcommands would silently ignore: given there, they are
/// refused (exit 2) rather than accepted and dropped.
const IGNORED: &[(&str, &[&str])] = &[
    ("completions", &["config", "read_only", "log", "output"]),
    ("man", &["config", "read_only", "log", "output"]),
    ("sim", &["config", "read_only", "output"]),
    ("demo", &["output"]),
];

impl Cli {
    /// Parses the command line like `Cli::parse`, and refuses a global flag given to a
    /// subcommand that does not use it (`flightdeck man -o json`).
    pub fn parse_checked() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        let mut command = Cli::command();
        let matches = command.clone().get_matches();
        if let Some((sub, _)) = matches.subcommand()
            && let Some((_, flags)) = IGNORED.iter().find(|(name, _)| *name == sub)
        {
            for flag in *flags {
                if matches.value_source(flag) == Some(clap::parser::ValueSource::CommandLine) {
                    let long = flag.replace('_', "-");
                    command
                        .error(
                            clap::error::ErrorKind::ArgumentConflict,
                            format!("--{long} has no effect on `flightdeck {sub}`; leave it out"),
                        )
                        .exit();
                }
            }
        }
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// Documented in `--help` and the man page; scripts rely on these numbers.
pub const EXIT_CODES: &str = "\
Exit codes:
  0   success (for --wait: the execution succeeded)
  1   failure talking to a backend (network, server error, unreadable response); list: some backends could not be read (each named in the JSON's failed)
  2   bad input: usage, config, unknown or repeated variable, missing required input
  3   not authorized: the credentials were refused or lack permission
  4   not found: no such backend, pipeline, execution or gate (a mistyped --gate or --callback-id)
  5   conflict: several gates waiting (pick one), the gate was already decided, or the run is not in a state for the action
  6   timed out
  7   rate limited by the backend
  8   the gate expired before the decision
  9   refused: read-only mode
  10  --wait: the execution finished unsuccessfully (failed, aborted, rejected, expired)
  11  not supported: the backend has no API for this action; nothing was sent
  12  --wait: the execution ended, but its backend does not report how (asynchronous Infraxys)
  130 start --records: stopped by SIGINT (143: SIGTERM); run again with the same --results
  141 stdout was closed before everything was written (`| head`): nothing more is printed";

/// `flightdeck completions --help`; the README's "Shell completion" says the same.
pub const COMPLETION_INSTALL: &str = "\
Install (the script calls flightdeck at each Tab, so it follows upgrades):
  bash  flightdeck completions bash > ~/.local/share/bash-completion/completions/flightdeck
        (or in ~/.bashrc: source <(flightdeck completions bash))
  zsh   in ~/.zshrc, after compinit: source <(flightdeck completions zsh)
  fish  flightdeck completions fish > ~/.config/fish/completions/flightdeck.fish

Targets are read from the backends of the config the command line names (--config,
$FLIGHTDECK_CONFIG, or the default file). A Tab waits at most 1.5 s for them; each
backend's list is kept for 60 s in the XDG cache dir (flightdeck/complete), and used
when a backend is slow or unreachable.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns for people.
    Table,
    /// Stable JSON for scripts (documented in the README).
    Json,
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
    /// Run the simulator of every backend alone, in the foreground, for scripts, curl and
    /// API clients: Harness (NextGen REST and First Gen GraphQL) on PORT, Argo Workflows on
    /// PORT+1, Infraxys on PORT+2. Prints the URLs, identifiers and tokens, then serves until
    /// Ctrl-C or SIGTERM (exit 0).
    Sim(SimArgs),
    /// List pipelines, recent executions or waiting gates of every configured backend.
    List {
        #[arg(value_enum)]
        what: ListWhat,
        /// Only this backend.
        #[arg(long, value_name = "NAME", add = ArgValueCompleter::new(crate::complete::backends))]
        backend: Option<String>,
        #[command(flatten)]
        filter: crate::commands::ListFilter,
    },
    /// Show one execution with its stages, steps and waiting gates.
    Status {
        /// `backend/execution` or `backend/project/execution`.
        #[arg(add = ArgValueCompleter::new(crate::complete::execution_targets))]
        target: String,
    },
    /// List the runtime inputs a pipeline's start takes: name, type, required, choices,
    /// default (a secret's as ***) and whether it is secret.
    Inputs {
        /// `backend/pipeline` or `backend/project/pipeline`, as `start` takes it.
        #[arg(add = ArgValueCompleter::new(crate::complete::pipeline_targets))]
        target: String,
    },
    /// Print the log of an execution, or follow it as it is written.
    ///
    /// Harness NextGen (the log service), Argo, and Infraxys runs started by this process;
    /// First Gen has no log API (exit 11, nothing sent). Each line as `[step] text`, the text
    /// alone with --step; with -o json one object per line, {step, time, level, line}.
    Logs(LogsArgs),
    /// Start a pipeline, or (with --records) one execution per record of a file.
    Start(StartArgs),
    /// Approve a waiting gate of an execution.
    Approve(DecideArgs),
    /// Reject a waiting gate of an execution.
    Reject(DecideArgs),
    /// Abort an execution: Harness NextGen AbortAll (of one stage with --stage), Argo stop
    /// (exit handlers still run) or with --terminate Argo terminate (they do not).
    Abort(AbortArgs),
    /// Run again what failed: Harness NextGen retries from the failed stages (a new run in the
    /// same retry chain), First Gen resumes the pipeline from a stage, Argo retries the same
    /// workflow (Failed or Error only).
    Retry(RetryArgs),
    /// Start a new run with the original run's inputs: Harness NextGen rerun, Argo resubmit;
    /// First Gen and Infraxys start the pipeline again with the inputs the run was started
    /// with (First Gen as it recorded them, Infraxys only in the process that started it),
    /// once the run has ended.
    Rerun(RerunArgs),
    /// Argo: suspend a whole workflow (running pods go on; nothing new starts).
    Suspend {
        /// `backend/execution` or `backend/project/execution`.
        #[arg(add = ArgValueCompleter::new(crate::complete::execution_targets))]
        target: String,
    },
    /// Argo: resume a workflow suspended as a whole (not its gates: approve or reject those).
    Resume {
        /// `backend/execution` or `backend/project/execution`.
        #[arg(add = ArgValueCompleter::new(crate::complete::execution_targets))]
        target: String,
    },
    /// Check the config file: syntax, secrets, and (with --connect) each backend.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a shell completion script: subcommands and options, and backend names,
    /// pipelines and targets read from the configured backends at each Tab.
    #[command(after_long_help = COMPLETION_INSTALL)]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or with --dir write every page: flightdeck(1) and one
    /// flightdeck-<subcommand>(1) per subcommand.
    Man {
        /// Write flightdeck.1 and every flightdeck-*.1 into this directory (created if
        /// missing) and print their paths.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

/// `flightdeck sim` (README, "Simulator").
#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Address and port of the Harness face (`127.0.0.1:7400`, `localhost:7400`, `[::1]:7400`);
    /// Argo Workflows listens on the next port and Infraxys on the one after. Port 0 picks
    /// free ports. A non-loopback address is warned about.
    #[arg(long, value_name = "HOST:PORT", value_parser = parse_listen)]
    pub listen: std::net::SocketAddr,
    /// Seed of the simulated world: the same seed gives the same pipelines, history and
    /// account.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The token every face accepts with every permission, shaped like a Harness PAT
    /// (pat.<account>.<tokenId>.<secret>; its account part becomes the account). Default: a
    /// new one each start.
    #[arg(long, env = TOKEN_ENV, hide_env_values = true)]
    pub token: Option<String>,
    /// Speed of the simulated clock (2 = twice as fast).
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Print a flightdeck config for a simulator started with the same --listen and --seed
    /// (in another terminal), and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Once listening, write a flightdeck config for this simulator to FILE, with the ports
    /// actually bound (port 0 allowed); the token goes to FILE.token (owner-only), which the
    /// config names. Both are replaced if they exist.
    #[arg(long, value_name = "FILE", conflicts_with = "print_config")]
    pub write_config: Option<PathBuf>,
}

/// `flightdeck start`: one execution, or with --records one per record; the same flags
/// reach `commands::start` and `commands::bulk`.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// `backend/pipeline` or `backend/project/pipeline`.
    #[arg(add = ArgValueCompleter::new(crate::complete::pipeline_targets))]
    pub target: String,
    /// A runtime variable, `name=value`; repeat for several. `name=@FILE` reads the value
    /// from FILE and `name=@-` from stdin (once; one trailing newline dropped), so a secret
    /// stays off the command line; `name=@@x` sends `@x`.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// A JSON or TOML object of variable names to values (by extension, else whichever
    /// parses; `-` for stdin). --var wins over it.
    #[arg(long, value_name = "FILE")]
    pub var_file: Option<String>,
    /// An artifact input, `source=build` (sent as the variable `artifact:source`).
    #[arg(long = "artifact", value_name = "SOURCE=BUILD")]
    pub artifacts: Vec<String>,
    /// Notes recorded with the execution.
    #[arg(long)]
    pub notes: Option<String>,
    /// Follow the execution to its end; the exit code tells the outcome. A gate it stops at
    /// is named on stderr with the commands that decide it (in JSON: `waited_at`).
    #[arg(long)]
    pub wait: bool,
    /// With --wait: give up after this long ("30m", "2h"; default: never).
    #[arg(long, value_name = "DURATION", requires = "wait")]
    pub timeout: Option<String>,
    /// With --wait: how often to read the execution's status.
    #[arg(long, value_name = "DURATION", default_value = "2s", requires = "wait")]
    pub poll: String,
    #[command(flatten)]
    pub bulk: BulkArgs,
}

impl SimArgs {
    /// The simulator's own options for what was asked on the command line.
    pub fn options(&self) -> StandaloneOptions {
        StandaloneOptions {
            listen: self.listen,
            seed: self.seed,
            token: self.token.clone(),
            speed: self.speed,
            print_config: self.print_config,
            write_config: self.write_config.clone(),
        }
    }
}

/// `start --records`: one execution per record (README, "Bulk starts").
#[derive(Debug, clap::Args)]
pub struct BulkArgs {
    /// JSON Lines or CSV file (by extension, else by content), `-` for stdin: one execution
    /// per record, fields mapped to variables by name. Record values win over --var.
    #[arg(long, value_name = "FILE")]
    pub records: Option<String>,
    /// Send record field FIELD as variable VARIABLE; repeat for several.
    #[arg(long = "map", value_name = "FIELD=VARIABLE", requires = "records")]
    pub maps: Vec<String>,
    /// Ignore record field FIELD; repeat for several.
    #[arg(long = "exclude", value_name = "FIELD", requires = "records")]
    pub excludes: Vec<String>,
    /// Print the exact requests of the first N records (secrets as ***) and send nothing.
    #[arg(long, value_name = "N", requires = "records", conflicts_with_all = ["test_one", "wait"])]
    pub preview: Option<usize>,
    /// Send only the first record (a real execution) and stop.
    #[arg(long, requires = "records")]
    pub test_one: bool,
    /// Starts in flight at once (default: the backend's `concurrency`; at most 32).
    #[arg(long, value_name = "N", requires = "records")]
    pub concurrency: Option<usize>,
    /// Append one JSON line per record event here; running again with the same file skips
    /// records already started.
    #[arg(long, value_name = "FILE", requires = "records")]
    pub results: Option<PathBuf>,
    /// With --results: also send again the records whose earlier start had an unknown outcome
    /// (timeout, network or server error, killed mid-request). They may run twice.
    #[arg(long, requires = "results")]
    pub retry_unknown: bool,
}

#[cfg(test)]
mod tests {
    #[test]
    fn listen_takes_a_host_name() {
        assert_eq!(
            super::parse_listen("localhost:7600").unwrap(),
            "127.0.0.1:7600".parse().unwrap()
        );
        assert_eq!(
            super::parse_listen("[::1]:0").unwrap(),
            "[::1]:0".parse().unwrap()
        );
        assert!(super::parse_listen("7600").is_err());
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListWhat {
    Pipelines,
    Executions,
    Approvals,
}

#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    /// `backend/execution` or `backend/project/execution`.
    #[arg(add = ArgValueCompleter::new(crate::complete::execution_targets))]
    pub target: String,
    /// The gate to decide, by its id (see `flightdeck list approvals`); needed when several wait.
    #[arg(long, value_name = "ID", conflicts_with = "callback_id")]
    pub gate: Option<String>,
    /// Harness: the approval step's callback id, to pick one of several waiting gates (listed
    /// as `callback_id` by `list approvals -o json`).
    #[arg(long, value_name = "ID")]
    pub callback_id: Option<String>,
    /// Comment recorded with the decision.
    #[arg(long, default_value = "")]
    pub comment: String,
    /// An approver input, `name=value`; repeat for several.
    #[arg(long = "input", value_name = "NAME=VALUE")]
    pub inputs: Vec<String>,
}

/// `flightdeck logs`.
#[derive(Debug, clap::Args)]
pub struct LogsArgs {
    /// `backend/execution` or `backend/project/execution`.
    #[arg(add = ArgValueCompleter::new(crate::complete::execution_targets))]
    pub target: String,
    /// Only the log of this step (its name or identifier, as `status` lists it).
    #[arg(long, value_name = "NAME")]
    pub step: Option<String>,
    /// Keep printing new lines as they are written, until the execution (or with --step, the
    /// step) ends.
    #[arg(long)]
    pub follow: bool,
}

/// `flightdeck abort`.
#[derive(Debug, clap::Args)]
pub struct AbortArgs {
    /// `backend/execution` or `backend/project/execution`.
    #[arg(add = ArgValueCompleter::new(crate::complete::execution_targets))]
    pub target: String,
    /// Harness NextGen: abort only this stage (its identifier, name or node execution id).
    #[arg(long, value_name = "ID", conflicts_with = "terminate")]
    pub stage: Option<String>,
    /// Argo: terminate (no exit handlers) instead of stop.
    #[arg(long)]
    pub terminate: bool,
}

/// `flightdeck retry`.
#[derive(Debug, clap::Args)]
pub struct RetryArgs {
    /// `backend/execution` or `backend/project/execution`.
    #[arg(add = ArgValueCompleter::new(crate::complete::execution_targets))]
    pub target: String,
    /// Harness: the stage to retry from (repeat for each stage of a parallel group); default:
    /// the first group with a stage that did not succeed, as retryStages lists it. First Gen:
    /// the stage name to resume from (required).
    #[arg(long = "stage", value_name = "ID")]
    pub stages: Vec<String>,
    /// Follow the retried run to its end; the exit code tells the outcome.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: how often to read the execution's status.
    #[arg(long, value_name = "DURATION", default_value = "2s", requires = "wait")]
    pub poll: String,
}

/// `flightdeck rerun`.
#[derive(Debug, clap::Args)]
pub struct RerunArgs {
    /// `backend/execution` or `backend/project/execution`.
    #[arg(add = ArgValueCompleter::new(crate::complete::execution_targets))]
    pub target: String,
    /// Follow the new run to its end; the exit code tells the outcome.
    #[arg(long)]
    pub wait: bool,
    /// With --wait: how often to read the execution's status.
    #[arg(long, value_name = "DURATION", default_value = "2s", requires = "wait")]
    pub poll: String,
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Load the config, resolve every secret, print warnings; exit 0 when usable.
    Check {
        /// Also send each backend one read that needs its URL and credentials (its pipelines;
        /// Infraxys, which cannot list: a run that does not exist, answered 404), say what
        /// it proved, and ask who the key acts as (ACTS AS: what audit entries will record).
        #[arg(long)]
        connect: bool,
    },
    /// Write a commented starter config for the backend kinds named (all four when none
    /// is), secrets read from environment variables. An existing file is never replaced.
    Init {
        #[arg(value_enum)]
        kinds: Vec<InitKind>,
        /// Where to write (`-`: stdout). Default: the config file this run would read
        /// (--config, $FLIGHTDECK_CONFIG, or the XDG config dir's flightdeck/config.toml).
        #[arg(long, value_name = "PATH")]
        to: Option<String>,
    },
    /// Print where the config file, the audit log and the debug log are.
    Path,
}

/// A backend kind `config init` writes a starter block for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitKind {
    Harness,
    HarnessFg,
    Argo,
    Infraxys,
}

/// `IP:PORT`, or `HOST:PORT` resolved now (`localhost:7400`), preferring IPv4 as the printed
/// URLs do.
fn parse_listen(s: &str) -> Result<std::net::SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(addr) = s.parse() {
        return Ok(addr);
    }
    let addrs: Vec<std::net::SocketAddr> = s
        .to_socket_addrs()
        .map_err(|e| format!("expected HOST:PORT such as 127.0.0.1:7400 or localhost:7400 ({e})"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{s} resolves to no address"))
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.01..=1000.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "speed must be a number between 0.01 and 1000, got {s:?}"
        )),
    }
}
