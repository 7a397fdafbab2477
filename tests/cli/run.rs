//! What one run of the real binary gave a script: the exit code, stdout and stderr. Every
//! CLI test reads runs through this one type.

use flightdeck_sim::SimHandle;
use flightdeck_sim::client_config::{TokenSource, backends_toml};
use serde_json::Value;

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
