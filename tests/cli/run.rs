//! What one run of the real binary gave a script: the exit code, stdout and stderr. Every
//! CLI test reads runs through this one type.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Stdio;

use flightdeck_sim::client_config::{TokenSource, backends_toml};
use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
use serde_json::Value;
use tokio::io::AsyncWriteExt;

pub const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn of(out: std::process::Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Stdout as the one JSON document it must be.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// The variable each kind's credential is read from in [`sim_config`]: every simulated
/// backend has its own.
const TOKEN_VARS: [(&str, &str); 4] = [
    ("kind = \"harness-fg\"", "FD_FG_TOKEN"),
    ("kind = \"argo\"", "FD_ARGO_TOKEN"),
    ("kind = \"infraxys\"", "FD_IX_TOKEN"),
    ("", "FD_TOKEN"),
];

/// Every backend of `sim` as the simulator prints them (`harness`, `infraxys`, `harness-fg`,
/// `argo`…), each reading its credential from its own variable of [`sim_tokens`].
pub fn sim_config(sim: &SimHandle) -> String {
    backends_toml(&sim.endpoints(), TokenSource::Env("FD_TOKEN"))
        .split("[[backend]]")
        .map(|block| {
            let (_, var) = TOKEN_VARS
                .iter()
                .find(|(kind, _)| block.contains(kind))
                .expect("the last entry matches every block");
            block.replace("\"FD_TOKEN\"", &format!("\"{var}\""))
        })
        .collect::<Vec<_>>()
        .join("[[backend]]")
}

/// The variables [`sim_config`] reads, with `sim`'s credentials.
pub fn sim_tokens(sim: &SimHandle) -> [(&'static str, String); 4] {
    [
        ("FD_TOKEN", sim.harness_token()),
        ("FD_FG_TOKEN", sim.harness_fg_api_key()),
        ("FD_ARGO_TOKEN", sim.argo_token()),
        ("FD_IX_TOKEN", sim.infraxys_token()),
    ]
}

/// A simulator (seed 42, failures off) with a scratch directory holding the config the
/// binary reads and the audit log it writes: what nearly every CLI test starts from.
/// What differs per file (the clock, the config text, the credentials) is said by the
/// file through [`SimEnv::builder`], [`SimEnv::with_config`] and [`SimEnv::var`].
pub struct SimEnv {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
    pub audit: PathBuf,
    vars: Vec<(String, String)>,
}

pub struct SimEnvBuilder {
    clock: ClockMode,
    token: Option<String>,
    config_name: &'static str,
}

impl SimEnvBuilder {
    pub fn clock(mut self, clock: ClockMode) -> Self {
        self.clock = clock;
        self
    }

    /// The one token every face of the simulator accepts.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_string());
        self
    }

    pub fn config_name(mut self, name: &'static str) -> Self {
        self.config_name = name;
        self
    }

    /// Starts the simulator; no config is written yet.
    pub async fn start(self) -> SimEnv {
        let sim = SimHandle::start(SimOptions {
            seed: 42,
            clock: self.clock,
            token: self.token,
            ..SimOptions::default()
        })
        .await
        .unwrap();
        sim.world().set_failures(false);
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join(self.config_name);
        let audit = dir.path().join("audit.jsonl");
        SimEnv {
            sim,
            dir,
            config,
            audit,
            vars: Vec::new(),
        }
    }
}

impl SimEnv {
    /// A manual clock and `flightdeck.toml`, unless the builder says otherwise.
    pub fn builder() -> SimEnvBuilder {
        SimEnvBuilder {
            clock: ClockMode::Manual,
            token: None,
            config_name: "flightdeck.toml",
        }
    }

    /// Writes `text` as the config.
    pub fn with_config(self, text: &str) -> Self {
        std::fs::write(&self.config, text).unwrap();
        self
    }

    /// Every backend of the simulator as [`sim_config`] names them, each with its credential.
    pub fn with_whole_sim(self) -> Self {
        let config = sim_config(&self.sim);
        let tokens = sim_tokens(&self.sim);
        tokens
            .into_iter()
            .fold(self.with_config(&config), |env, (name, value)| {
                env.var(name, value)
            })
    }

    /// An environment variable every run gets (a credential the config names).
    pub fn var(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.push((name.to_string(), value.into()));
        self
    }

    /// The binary with `--config`, `args`, the variables and the audit log, and no
    /// `FLIGHTDECK_CONFIG` from the caller's environment.
    pub fn command(&self, args: &[&str]) -> tokio::process::Command {
        self.command_os(args)
    }

    /// [`SimEnv::command`] with arguments that need not be text (paths).
    pub fn command_os<I, S>(&self, args: I) -> tokio::process::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.arg("--config")
            .arg(&self.config)
            .args(args)
            .envs(self.vars.iter().map(|(k, v)| (k, v)))
            .env("FLIGHTDECK_AUDIT_LOG", &self.audit)
            .env_remove("FLIGHTDECK_CONFIG");
        cmd
    }

    pub async fn run(&self, args: &[&str]) -> Run {
        Run::of(self.command(args).output().await.unwrap())
    }

    /// Runs with `stdin` as the binary's standard input.
    pub async fn run_stdin(&self, mut cmd: tokio::process::Command, stdin: &str) -> Run {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).await.unwrap();
        drop(input);
        Run::of(child.wait_with_output().await.unwrap())
    }

    /// The audit log's entries, none if nothing was written.
    pub fn audit_entries(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.audit)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// One Harness backend named `h` with every project of `sim`, its key read from
/// `FD_TEST_KEY`; `extra` is appended to its table.
pub fn harness_h(sim: &SimHandle, extra: &str) -> String {
    let projects: Vec<String> = sim.projects().iter().map(|p| format!("{p:?}")).collect();
    format!(
        "[[backend]]\nname = \"h\"\nkind = \"harness\"\nbase_url = \"{}\"\naccount = \"{}\"\norg = \"{}\"\n\
         projects = [{}]\napi_key = {{ env = \"FD_TEST_KEY\" }}\n{extra}",
        sim.harness_url(),
        sim.account(),
        sim.org(),
        projects.join(", ")
    )
}

/// One Argo backend named `argo` in namespace `argo`, its token read from `var`.
pub fn argo_backend(sim: &SimHandle, var: &str) -> String {
    format!(
        "[[backend]]\nname = \"argo\"\nkind = \"argo\"\nbase_url = \"{}\"\nnamespace = \"argo\"\n\
         token = {{ env = \"{var}\" }}\n",
        sim.argo_url()
    )
}

/// A file's own `Env` (`struct Env { env: SimEnv, … }`) reads `SimEnv`'s fields and
/// methods through; the file's methods of the same name come first.
macro_rules! deref_sim_env {
    ($name:ident) => {
        impl std::ops::Deref for $name {
            type Target = super::run::SimEnv;
            fn deref(&self) -> &super::run::SimEnv {
                &self.env
            }
        }
    };
}
pub(crate) use deref_sim_env;
