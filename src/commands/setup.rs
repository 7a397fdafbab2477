//! `flightdeck config init` and `flightdeck config path`: from nothing to a config that loads,
//! and where each of flightdeck's files lives.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Failure, Global, failure};
use crate::cli::InitKind;
use crate::config::Config;
use crate::out;

#[derive(Serialize)]
struct Paths {
    config: Option<String>,
    config_from: Option<&'static str>,
    config_exists: bool,
    audit_log: Option<String>,
    debug_log: Option<String>,
}

/// `config path`.
pub fn path(global: &Global) -> Result<(), Failure> {
    let config = Config::named(global.config.as_deref());
    let shown = |p: &Path| p.display().to_string();
    let paths = Paths {
        config_exists: config.as_ref().is_some_and(|(p, _)| p.exists()),
        config: config.as_ref().map(|(p, _)| shown(p)),
        config_from: config.as_ref().map(|(_, from)| *from),
        audit_log: global.audit.as_deref().map(shown),
        debug_log: global.log.as_deref().map(shown),
    };
    global.print(&paths, || {
        let config = match (&paths.config, paths.config_from, paths.config_exists) {
            (Some(p), Some(from), true) => format!("{p}  ({from})"),
            (Some(p), Some(from), false) => {
                format!("{p}  ({from}; missing: `flightdeck config init` writes one)")
            }
            _ => "none: no config directory is known; pass --config".into(),
        };
        let audit = paths
            .audit_log
            .clone()
            .unwrap_or_else(|| "none: no state directory is known".into());
        let debug = paths
            .debug_log
            .clone()
            .unwrap_or_else(|| "none (written only with --log PATH)".into());
        format!("config     {config}\naudit log  {audit}\ndebug log  {debug}\n")
    });
    Ok(())
}

/// `config init [KIND...] [--to PATH|-]`.
pub fn init(global: &Global, kinds: &[InitKind], to: Option<&str>) -> Result<(), Failure> {
    let text = starter(kinds);
    let path = match to {
        Some("-") => {
            out::raw(text.as_bytes());
            return Ok(());
        }
        Some(path) => PathBuf::from(path),
        None => Config::named(global.config.as_deref())
            .map(|(p, _)| p)
            .ok_or_else(|| Failure::bad_input("no config directory is known; pass --to PATH"))?,
    };
    let io = |e: std::io::Error| {
        Failure::new(failure::BAD_INPUT, "io", format!("{}: {e}", path.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    // create_new: an existing config is somebody's work; it is never replaced.
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => Failure::bad_input(format!(
                "{} exists and is left as it is; write elsewhere with --to PATH (or - for stdout)",
                path.display()
            )),
            _ => io(e),
        })?;
    file.write_all(text.as_bytes()).map_err(io)?;
    out::note(&format!(
        "wrote {}: fill in the identifiers, export the variables it names, then run \
         `flightdeck config check --connect`",
        path.display()
    ));
    Ok(())
}

/// The starter text for `kinds` (all four when none is named), in the order given.
pub fn starter(kinds: &[InitKind]) -> String {
    let all = [
        InitKind::Harness,
        InitKind::HarnessFg,
        InitKind::Argo,
        InitKind::Infraxys,
    ];
    let kinds = if kinds.is_empty() { &all[..] } else { kinds };
    let mut text = String::from(HEADER);
    let mut seen = Vec::new();
    for kind in kinds {
        if seen.contains(kind) {
            continue;
        }
        seen.push(*kind);
        text.push('\n');
        text.push_str(match kind {
            InitKind::Harness => HARNESS,
            InitKind::HarnessFg => HARNESS_FG,
            InitKind::Argo => ARGO,
            InitKind::Infraxys => INFRAXYS,
        });
    }
    text
}

const HEADER: &str = r#"# flightdeck config, written by `flightdeck config init`.
# Every key is explained in config.example.toml (in the source repository) and in the README.
# Secrets are read from environment variables here ({ env = "NAME" }); { file = "PATH" } and
# { cmd = "pass show NAME" } work too. Check the result with: flightdeck config check --connect

[ui]
# Seconds between reads of executions, gates and pipelines.
# refresh = 5
# true: every mutating action (start, approve, reject) is off, here and on the command line.
# read_only = false
"#;

const HARNESS: &str = r#"# Harness NextGen. The key: a personal access token (pat.…) from your user profile's API
# keys. Approving needs a personal token of a user among the gate's approvers: Harness
# refuses approvals by a service account token (sat.…), which can still read and start.
[[backend]]
name = "harness"
kind = "harness"
# SaaS; a self-managed install: its own URL, with /gateway if it serves one.
base_url = "https://app.harness.io/gateway"
# The account id: the second part of your token (pat.<ACCOUNT>.…), also in the web UI's URLs.
account = "YOUR_ACCOUNT_ID"
org = "default"
# The project identifiers (not display names), as in the URL: /projects/<id>/.
projects = ["YOUR_PROJECT"]
api_key = { env = "HARNESS_API_KEY" }
# production = true   # starting or deciding here asks for the pipeline's name to be typed
"#;

const HARNESS_FG: &str = r#"# Harness First Gen (GraphQL). The key: an API key; it carries the permissions of the user
# groups it is scoped to, which must read (and, to start, execute) the applications.
[[backend]]
name = "harness-fg"
kind = "harness-fg"
base_url = "https://app.harness.io/gateway"
account = "YOUR_ACCOUNT_ID"
# Application names to show; [] shows all.
applications = []
api_key = { env = "HARNESS_FG_API_KEY" }
"#;

const ARGO: &str = r#"# Argo Workflows: one namespace of an argo-server. The token: `argo auth token` (without
# the leading "Bearer ", which is also accepted), or a service account token.
[[backend]]
name = "argo"
kind = "argo"
# The argo-server URL; a path prefix (ARGO_BASE_HREF) goes at its end.
base_url = "https://localhost:2746"
namespace = "argo"
token = { env = "ARGO_TOKEN" }
# ca_file = "argo-ca.pem"   # a private CA; relative paths are taken from this file's directory
"#;

const INFRAXYS: &str = r#"# Infraxys has no listing API: name here what may be started.
[[backend]]
name = "infraxys"
kind = "infraxys"
base_url = "https://localhost:8444"
branch = "master"
token = { env = "INFRAXYS_TOKEN" }

[[backend.alias]]
name = "Example action"
alias = "YOUR_ACTION_ALIAS"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_named_twice_is_written_once() {
        let text = starter(&[InitKind::Argo, InitKind::Argo]);
        assert_eq!(text.matches("[[backend]]").count(), 1);
        assert_eq!(starter(&[]).matches("[[backend]]").count(), 4);
    }
}
