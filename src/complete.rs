//! Shell completion (README, "Shell completion"): clap_complete's dynamic engine, so the
//! shell asks the binary at each Tab (`FLIGHTDECK_COMPLETE=bash flightdeck -- flightdeck
//! status h…`)
//! and targets come from the configured backends.
//!
//! A Tab must never hang a shell: everything that reads the config or a backend runs on its
//! own thread and is given up after [`DEADLINE`]; each backend's list is cached for
//! [`FRESH`] (in the XDG cache dir), and a stale copy is used when a read fails or is late.
//! Nothing here prints on stderr: a shell prompt is no place for warnings.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use serde::{Deserialize, Serialize};

use crate::cli::Cli;
use crate::config::Config;

/// The longest a Tab waits for the config and a backend's answer.
pub const DEADLINE: Duration = Duration::from_millis(1500);
/// How long a backend's list is used without asking it again.
pub const FRESH: Duration = Duration::from_secs(60);
/// The variable the shell scripts set to ask for completions. Not clap's default `COMPLETE`:
/// any value of a variable that common in someone's environment would turn every run into
/// a completion request.
pub const VAR: &str = "FLIGHTDECK_COMPLETE";

/// Answers the shell and exits when it is asking ([`VAR`] set); returns otherwise.
pub fn answer_shell() {
    BEGUN.get_or_init(std::time::Instant::now);
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .complete();
}

/// The script `flightdeck completions SHELL` prints: it registers the binary as its own
/// completer, the same script `FLIGHTDECK_COMPLETE=SHELL flightdeck` prints.
pub fn script(shell: clap_complete::Shell) -> Vec<u8> {
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::PowerShell => &Powershell,
        // A shell added to clap_complete later: its static script, no targets.
        other => {
            let mut script = Vec::new();
            clap_complete::generate(other, &mut Cli::command(), "flightdeck", &mut script);
            return script;
        }
    };
    let mut script = Vec::new();
    // Writing into memory cannot fail.
    let _ =
        completer.write_registration(VAR, "flightdeck", "flightdeck", "flightdeck", &mut script);
    script
}

/// `--backend NAME`: the configured backends' names.
pub fn backends(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let names = within_deadline(backend_names).unwrap_or_default();
    names
        .into_iter()
        .filter(|n| n.starts_with(&*current))
        .map(CompletionCandidate::new)
        .collect()
}

/// A pipeline target (`start`, `inputs`): `backend/` first, then that backend's pipelines as
/// `backend/project/id` and `backend/id`.
pub fn pipeline_targets(current: &OsStr) -> Vec<CompletionCandidate> {
    targets(current, List::Pipelines)
}

/// An execution target (`status`, `approve`, `abort`...): that backend's recent executions.
pub fn execution_targets(current: &OsStr) -> Vec<CompletionCandidate> {
    targets(current, List::Executions)
}

/// `list --pipeline`: pipeline ids of every backend.
pub fn pipelines(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy().into_owned();
    let names = within_deadline(backend_names).unwrap_or_default();
    // Every backend at once: the deadline is for the whole answer.
    let lists: Vec<Vec<Item>> = std::thread::scope(|scope| {
        let reads: Vec<_> = names
            .iter()
            .map(|name| scope.spawn(|| items(name, List::Pipelines)))
            .collect();
        reads
            .into_iter()
            .map(|r| r.join().unwrap_or_default())
            .collect()
    });
    let mut out: Vec<CompletionCandidate> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for list in lists {
        for item in list {
            if item.id.starts_with(&current) && seen.insert(item.id.clone()) {
                out.push(CompletionCandidate::new(&item.id).help(Some(item.help.clone().into())));
            }
        }
    }
    out
}

fn targets(current: &OsStr, list: List) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy().into_owned();
    let Some((backend, _)) = current.split_once('/') else {
        // No backend yet: only names, read from the config without asking any backend.
        return within_deadline(backend_names)
            .unwrap_or_default()
            .into_iter()
            .map(|n| format!("{n}/"))
            .filter(|n| n.starts_with(&current))
            .map(CompletionCandidate::new)
            .collect();
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for item in items(backend, list) {
        for value in &item.values {
            if value.starts_with(&current) && seen.insert(value.clone()) {
                out.push(CompletionCandidate::new(value).help(Some(item.help.clone().into())));
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum List {
    Pipelines,
    Executions,
}

/// One listed pipeline or execution: the targets that name it, its id and a line of help.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Item {
    values: Vec<String>,
    id: String,
    help: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    items: Vec<Item>,
}

/// `--config` as the command line being completed names it (the words after `--`).
fn config_arg() -> Option<PathBuf> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let start = args.iter().position(|a| a == "--").map_or(0, |i| i + 1);
    let words = &args[start..];
    for (i, word) in words.iter().enumerate() {
        let word = word.to_string_lossy();
        if word == "--config" {
            return words.get(i + 1).map(PathBuf::from);
        }
        if let Some(path) = word.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    None
}

fn config() -> Option<Config> {
    match Config::discover(config_arg().as_deref()).ok()? {
        Some(path) => Config::load(&path).ok(),
        None => Config::from_argo_env().ok().flatten(),
    }
}

fn backend_names() -> Vec<String> {
    config()
        .map(|c| c.backends.iter().map(|b| b.name.to_string()).collect())
        .unwrap_or_default()
}

/// When this Tab's answer began: [`DEADLINE`] is for the whole answer, not each read.
static BEGUN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Runs `work` on its own thread and gives up on it once [`DEADLINE`] has passed since the
/// answer began; the process exits right after answering, which ends a thread still waiting.
fn within_deadline<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let begun = *BEGUN.get_or_init(std::time::Instant::now);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.recv_timeout(DEADLINE.saturating_sub(begun.elapsed()))
        .ok()
}

/// A backend's list: the cached copy while fresh, else read now (within the deadline), else
/// the stale copy, else nothing.
fn items(backend: &str, list: List) -> Vec<Item> {
    let cache = cache_file(backend, list);
    let cached = cache.as_ref().and_then(|path| {
        let age = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())?;
        let text = std::fs::read_to_string(path).ok()?;
        let cached: Cached = serde_json::from_str(&text).ok()?;
        Some((age, cached.items))
    });
    if let Some((age, items)) = &cached
        && *age < FRESH
    {
        return items.clone();
    }
    let name = backend.to_string();
    match within_deadline(move || read(&name, list)) {
        Some(Some(items)) => {
            if let Some(path) = cache {
                store(&path, &items);
            }
            items
        }
        _ => cached.map(|(_, items)| items).unwrap_or_default(),
    }
}

/// Reads one backend's list now; `None` when it cannot be read.
fn read(backend: &str, list: List) -> Option<Vec<Item>> {
    let config = config()?;
    let settings = config.backends.iter().find(|b| &*b.name == backend)?;
    let prepared = crate::launch::prepare(settings).ok()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?;
    let clean = |s: &str| crate::sanitize::clean(s).into_owned();
    let b = &prepared.backend;
    runtime.block_on(async {
        match list {
            List::Pipelines => {
                let pipelines = b.list_pipelines().await.ok()?;
                Some(
                    pipelines
                        .iter()
                        .map(|p| Item {
                            values: vec![
                                clean(&crate::commands::format_target(
                                    &p.backend, &p.project, &p.id,
                                )),
                                clean(&format!("{}/{}", p.backend, p.id)),
                            ],
                            id: clean(&p.id),
                            help: clean(&p.name),
                        })
                        .collect(),
                )
            }
            List::Executions => {
                let mut executions = b.list_executions().await.ok()?;
                crate::domain::order::executions(&mut executions);
                Some(
                    executions
                        .iter()
                        .map(|e| Item {
                            values: vec![clean(&crate::commands::format_target(
                                &e.backend, &e.project, &e.id,
                            ))],
                            id: clean(&e.id),
                            help: clean(&format!(
                                "{} {}",
                                e.pipeline_name,
                                e.status.status.label()
                            )),
                        })
                        .collect(),
                )
            }
        }
    })
}

/// One file per config file, backend and list, so two configs naming a backend alike do not
/// share answers.
fn cache_file(backend: &str, list: List) -> Option<PathBuf> {
    use std::hash::{Hash, Hasher};
    let dirs = directories::ProjectDirs::from("", "", "flightdeck")?;
    // Canonical, so `--config sim.toml` from two directories are two configs.
    let config = Config::discover(config_arg().as_deref())
        .ok()
        .flatten()
        .map(|p| p.canonicalize().unwrap_or(p));
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (config, backend, list).hash(&mut hasher);
    Some(
        dirs.cache_dir()
            .join("complete")
            .join(format!("{:016x}.json", hasher.finish())),
    )
}

/// Best effort: a cache that cannot be written only makes the next Tab ask again.
fn store(path: &std::path::Path, items: &[Item]) {
    let Some(dir) = path.parent() else { return };
    // Owner-only, as the audit log is: pipeline and run names are nobody else's business.
    let made = {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
    };
    if made.is_err() {
        return;
    }
    let Ok(text) = serde_json::to_string(&Cached {
        items: items.to_vec(),
    }) else {
        return;
    };
    // Written aside and renamed, so a Tab in another shell never reads half a file.
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    if std::fs::write(&tmp, text).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
