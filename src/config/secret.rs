//! Where a credential comes from, and fetching it when a backend is built.
//!
//! Parsing only records the source; resolving is separate so `config check` can report every
//! secret's problem, and so a broken `pass` entry does not stop other backends from loading.
//! No error, `Debug` or warning here ever includes a secret value.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use secrecy::SecretString;
use secrecy::zeroize::Zeroize;
use toml::de::DeValue;

use super::error::ConfigError;
use super::reader::{Item, Result};

/// A credential as written in the config.
#[derive(Debug, Clone)]
pub enum SecretSource {
    /// The value itself, written in the config (works, but warned about).
    Literal(SecretString),
    /// `{ env = "VAR" }`: an environment variable.
    Env(String),
    /// `{ file = "path" }`: a file's contents, trailing newline removed.
    File(PathBuf),
    /// `{ cmd = "pass show x" }`: the stdout of `sh -c <cmd>`, trimmed.
    Cmd(String),
}

impl SecretSource {
    /// Fetches the secret now. Errors name the variable, file or command, never the value.
    pub fn resolve(&self) -> std::result::Result<SecretString, ConfigError> {
        self.resolve_with(&|name| std::env::var_os(name))
    }

    /// `resolve` with the environment passed in, so tests need not mutate the process env.
    fn resolve_with(
        &self,
        env: &dyn Fn(&str) -> Option<OsString>,
    ) -> std::result::Result<SecretString, ConfigError> {
        match self {
            SecretSource::Literal(value) => Ok(value.clone()),
            SecretSource::Env(name) => {
                let value = env(name)
                    .ok_or_else(|| fail(format!("environment variable {name} is not set")))?;
                let value = value
                    .into_string()
                    .map_err(|_| fail(format!("environment variable {name} is not valid UTF-8")))?;
                nonempty(value, || format!("environment variable {name} is empty"))
            }
            SecretSource::File(path) => {
                let mut text = std::fs::read_to_string(path).map_err(|e| {
                    fail(format!("cannot read secret file {}: {e}", path.display()))
                })?;
                let value = text.trim_end_matches(['\n', '\r']).to_owned();
                text.zeroize();
                nonempty(value, || format!("secret file {} is empty", path.display()))
            }
            SecretSource::Cmd(cmd) => run(cmd),
        }
    }
}

fn fail(message: String) -> ConfigError {
    ConfigError::Secret { key: None, message }
}

fn nonempty(
    value: String,
    why_empty: impl FnOnce() -> String,
) -> std::result::Result<SecretString, ConfigError> {
    if value.is_empty() {
        Err(fail(why_empty()))
    } else {
        Ok(SecretString::from(value))
    }
}

/// Runs the command with no stdin (a prompt would hang a dashboard) and captures both
/// streams; stderr is dropped unseen because a failing helper may echo what it read.
fn run(cmd: &str) -> std::result::Result<SecretString, ConfigError> {
    let output = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| fail(format!("command `{cmd}` could not be run: {e}")))?;
    let mut stdout = output.stdout;
    let mut stderr = output.stderr;
    stderr.zeroize();
    if !output.status.success() {
        stdout.zeroize();
        return Err(fail(format!(
            "command `{cmd}` failed ({}); its output is not shown",
            output.status
        )));
    }
    let text = match std::str::from_utf8(&stdout) {
        Ok(text) => text.trim().to_owned(),
        Err(_) => {
            stdout.zeroize();
            return Err(fail(format!(
                "command `{cmd}` printed text that is not UTF-8"
            )));
        }
    };
    stdout.zeroize();
    nonempty(text, || format!("command `{cmd}` printed nothing"))
}

/// Reads `api_key = ...` / `token = ...`: a literal string or a one-key table.
pub(crate) fn parse(item: &Item<'_>) -> Result<SecretSource> {
    const FORMS: &str = r#"{ env = "VAR" }, { file = "path" }, { cmd = "command" } or a string"#;
    match item.value {
        DeValue::String(s) if s.is_empty() => Err(item.invalid("must not be empty")),
        DeValue::String(s) => Ok(SecretSource::Literal(SecretString::from(s.as_ref()))),
        DeValue::Table(_) => {
            let table = item.table()?;
            table.check_keys(&["env", "file", "cmd"], &|_| None)?;
            match (table.item("env"), table.item("file"), table.item("cmd")) {
                (Some(env), None, None) => Ok(SecretSource::Env(env.nonempty_string()?)),
                (None, Some(file), None) => Ok(SecretSource::File(file.path()?)),
                (None, None, Some(cmd)) => Ok(SecretSource::Cmd(cmd.nonempty_string()?)),
                _ => Err(item.invalid(format!("expected exactly one of {FORMS}"))),
            }
        }
        _ => Err(item.wrong_type(FORMS)),
    }
}

/// The permission bits of a file that group or others can read, if it is such a file.
#[cfg(unix)]
pub(crate) fn readable_by_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

#[cfg(not(unix))]
pub(crate) fn readable_by_others(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn env_reads_the_named_variable() {
        let env = |name: &str| (name == "KEY").then(|| OsString::from("s3cr3t-env"));
        let got = SecretSource::Env("KEY".into()).resolve_with(&env).unwrap();
        assert_eq!(got.expose_secret(), "s3cr3t-env");
    }

    #[test]
    fn env_missing_or_empty_names_the_variable() {
        let unset = |_: &str| None;
        let err = SecretSource::Env("NOPE".into())
            .resolve_with(&unset)
            .unwrap_err();
        assert_eq!(err.to_string(), "environment variable NOPE is not set");
        let empty = |_: &str| Some(OsString::new());
        let err = SecretSource::Env("E".into())
            .resolve_with(&empty)
            .unwrap_err();
        assert_eq!(err.to_string(), "environment variable E is empty");
    }
}
