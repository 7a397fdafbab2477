//! Where a credential comes from, and fetching it when a backend is built.
//!
//! Parsing only records the source; resolving is separate so `config check` can report every
//! secret's problem, and so a broken `pass` entry does not stop other backends from loading.
//! No error, `Debug` or warning here ever includes a secret value.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
        self.resolve_as("a secret")
    }

    /// `resolve`, naming what is fetched (`backend prod's api_key`) in the note printed while
    /// a slow command is waited for.
    pub fn resolve_as(&self, what: &str) -> std::result::Result<SecretString, ConfigError> {
        match self {
            SecretSource::Cmd(cmd) => run(cmd, what),
            _ => self.resolve_with(&|name| std::env::var_os(name)),
        }
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
            SecretSource::Cmd(cmd) => run(cmd, "a secret"),
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

/// How long a secret command may take before it is stopped: long enough for a `pass` or
/// `vault` round trip, or a graphical pinentry, short enough that a hung helper is reported
/// instead of freezing startup.
pub const CMD_TIMEOUT: Duration = Duration::from_secs(30);

/// After this long, a note says which command is being waited for.
const CMD_NOTE_AFTER: Duration = Duration::from_secs(1);

/// Runs the command with no stdin (a prompt would hang a dashboard) in a process group of its
/// own, for at most [`CMD_TIMEOUT`]. On failure the first line of its stderr is shown,
/// cleaned and cut, because that is what tells a `pass` or `vault` problem; stdout (which
/// may hold the secret) never is.
fn run(cmd: &str, what: &str) -> std::result::Result<SecretString, ConfigError> {
    run_bounded(cmd, what, CMD_TIMEOUT)
}

fn run_bounded(
    cmd: &str,
    what: &str,
    limit: Duration,
) -> std::result::Result<SecretString, ConfigError> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| fail(format!("command `{cmd}` could not be run: {e}")))?;
    // Read both pipes while waiting, so a chatty command cannot block on a full pipe.
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(pipe) = pipe {
                let _ = pipe.take(1 << 20).read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let out = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let begun = Instant::now();
    let mut noted = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => {
                return Err(fail(format!(
                    "command `{cmd}` could not be waited for: {e}"
                )));
            }
        }
        if begun.elapsed() >= limit {
            // The whole group: `sh -c` may have started the process that hangs.
            // `--` makes the negative number a process group, never an option.
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--"])
                .arg(format!("-{}", child.id()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
            return Err(fail(format!(
                "command `{cmd}` did not finish within {limit:?} and was stopped"
            )));
        }
        if !noted && begun.elapsed() >= CMD_NOTE_AFTER {
            noted = true;
            crate::out::note(&format!(
                "fetching {what}: waiting for `{cmd}` (stopped after {limit:?})"
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = out.join().unwrap_or_default();
    let mut stderr = err.join().unwrap_or_default();
    if !status.success() {
        let mut first = first_line(&stderr);
        // A helper that echoes what it read to stderr would put the secret in the message.
        let echoed = String::from_utf8_lossy(&stdout).trim().to_owned();
        if !echoed.is_empty()
            && first
                .as_deref()
                .is_some_and(|line| line.contains(echoed.as_str()))
        {
            first = Some("its stderr repeats its output, which is never shown".to_owned());
        }
        let mut echoed = echoed;
        echoed.zeroize();
        stdout.zeroize();
        stderr.zeroize();
        return Err(fail(format!(
            "command `{cmd}` failed ({status}){}",
            match first {
                Some(line) => format!(": {line}"),
                None => "; it printed nothing on stderr".to_owned(),
            }
        )));
    }
    stderr.zeroize();
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

/// The first non-blank line of a command's stderr, made safe for a terminal and cut to 200
/// characters.
fn first_line(stderr: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let clean = crate::sanitize::clean(line);
    let mut cut: String = clean.chars().take(200).collect();
    if clean.chars().count() > 200 {
        cut.push('…');
    }
    Some(cut)
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
    fn a_hanging_command_is_stopped_and_said_so() {
        let begun = Instant::now();
        let err = run_bounded("sleep 30", "x", Duration::from_millis(300)).unwrap_err();
        assert!(
            begun.elapsed() < Duration::from_secs(5),
            "{:?}",
            begun.elapsed()
        );
        assert_eq!(
            err.to_string(),
            "command `sleep 30` did not finish within 300ms and was stopped"
        );
    }

    #[test]
    fn a_failing_command_shows_its_first_stderr_line_cleaned() {
        let err = run_bounded(
            "printf '\\n  gpg: decryption failed: No secret key\\033[31m\\nmore\\n' >&2; echo s3c''ret; exit 2",
            "x",
            CMD_TIMEOUT,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.ends_with("failed (exit status: 2): gpg: decryption failed: No secret key"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
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
