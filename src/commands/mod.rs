//! The scriptable subcommands: the same reads and actions as the TUI, without it.
//!
//! Every mutating subcommand goes through the read-only check and the audit log, like the
//! TUI's effects do. Results go to stdout (a table, or the stable JSON of [`json`]); errors
//! go to stderr, and in JSON mode also to stdout as `{"error": {...}}`, with the documented
//! exit code.

mod bulk;
mod check;
mod control;
mod decide;
pub mod failure;
mod filter;
mod inputs;
pub mod json;
mod list;
mod logs;
mod setup;
mod start;
mod status;
mod table;
mod target;
mod vars;

use std::path::PathBuf;

use serde::Serialize;

use crate::cli::{Commands, Output};
use crate::launch::{self, Loaded};
use crate::out;
use crate::write::{Guard, Source, Writes, local_user};
pub use failure::Failure;
pub use filter::ListFilter;
pub use target::format as format_target;

/// Options every subcommand sees.
pub struct Global {
    pub config: Option<PathBuf>,
    pub read_only: bool,
    pub output: Output,
    /// Where mutating actions are recorded; `None` when no state dir can be found.
    pub audit: Option<PathBuf>,
    /// `--log`: where this run writes its debug log, if anywhere.
    pub log: Option<PathBuf>,
    /// A result went to stdout: an error must not add a second JSON document after it.
    pub printed: std::cell::Cell<bool>,
}

impl Global {
    fn load(&self) -> Result<Loaded, Failure> {
        launch::load(self.config.as_deref()).map_err(Failure::bad_input)
    }

    /// The write rules of this run (the TUI's own, see `crate::write`), once mutations on
    /// `backend` have passed the read-only rule; refused with exit code 9 otherwise. Asks
    /// `backend` who its key acts as, for the audit entry (one read before the write).
    async fn writable(&self, loaded: &Loaded, backend: &str) -> Result<Writes, Failure> {
        let guards = loaded
            .backends
            .iter()
            .map(|p| Guard {
                name: p.backend.name().clone(),
                kind: p.backend.kind(),
                read_only: p.read_only,
                production: p.production,
                identity: p.identity.clone(),
            })
            .collect();
        let read_only = self.read_only || loaded.config.ui.read_only;
        let mut writes = Writes::new(local_user(), Source::Cli, read_only, guards);
        writes
            .check(backend)
            .map_err(|refused| Failure::read_only(&refused.backend))?;
        if let Some(p) = loaded
            .backends
            .iter()
            .find(|p| &**p.backend.name() == backend)
        {
            writes.learn(backend, crate::backend::identity::ask(&*p.backend).await);
        }
        Ok(writes)
    }

    fn audit(&self, entry: &crate::audit::Entry) {
        let Some(path) = &self.audit else { return };
        // The action already happened: failing to record it must not hide its result.
        if let Err(e) = crate::audit::append(path, entry) {
            out::note(&format!(
                "warning: could not write the audit log {}: {e}",
                path.display()
            ));
        }
    }

    /// Prints a result: JSON as is, or the table for people.
    fn print<T: Serialize>(&self, value: &T, table: impl FnOnce() -> String) {
        self.printed.set(true);
        match self.output {
            Output::Json => out::json(value, false),
            Output::Table => out::text(&table()),
        }
    }
}

/// Runs one scriptable subcommand. `Demo` and `Sim` are not: the caller handles them.
pub async fn run(command: Commands, global: &Global) -> Result<(), Failure> {
    match command {
        Commands::List {
            what,
            backend,
            filter,
        } => list::run(global, what, backend.as_deref(), &filter).await,
        Commands::Status { target } => status::run(global, &target).await,
        Commands::Inputs { target } => inputs::run(global, &target).await,
        Commands::Logs(args) => logs::run(global, args).await,
        Commands::Start(args) => match args.bulk.records.clone() {
            Some(records) => bulk::run(global, args, records).await,
            None => start::run(global, args).await,
        },
        Commands::Approve(args) => {
            decide::run(global, crate::domain::DecisionAction::Approve, args).await
        }
        Commands::Reject(args) => {
            decide::run(global, crate::domain::DecisionAction::Reject, args).await
        }
        Commands::Abort(args) => control::abort(global, args).await,
        Commands::Retry(args) => control::retry(global, args).await,
        Commands::Rerun(args) => control::rerun(global, args).await,
        Commands::Suspend { target } => control::suspend(global, &target).await,
        Commands::Resume { target } => control::resume(global, &target).await,
        Commands::Config {
            action: crate::cli::ConfigAction::Check { connect },
        } => check::run(global, connect).await,
        Commands::Config {
            action: crate::cli::ConfigAction::Init { kinds, to },
        } => setup::init(global, &kinds, to.as_deref()),
        Commands::Config {
            action: crate::cli::ConfigAction::Path,
        } => setup::path(global),
        // Rendered first, then printed through `out`, so a closed stdout exits 141 here too.
        Commands::Completions { shell } => {
            out::raw(&crate::complete::script(shell));
            Ok(())
        }
        Commands::Man { dir: None } => {
            out::raw(&crate::man::root());
            Ok(())
        }
        Commands::Man { dir: Some(dir) } => {
            let io = |e: std::io::Error| {
                Failure::new(failure::BACKEND, "io", format!("{}: {e}", dir.display()))
            };
            std::fs::create_dir_all(&dir).map_err(io)?;
            for page in crate::man::pages() {
                let path = dir.join(&page.file);
                std::fs::write(&path, &page.roff).map_err(io)?;
                out::text(&format!("{}\n", path.display()));
            }
            Ok(())
        }
        Commands::Demo { .. } => Err(Failure::bad_input("demo is not a scriptable subcommand")),
        Commands::Sim(_) => Err(Failure::bad_input("sim is not a scriptable subcommand")),
    }
}

/// Reports a failure the documented way and returns its exit code. In JSON mode stdout
/// carries exactly one document: the result if one was printed (a partial list), else the
/// error.
pub fn report(global: &Global, failure: &Failure) -> u8 {
    if !failure.noted {
        out::note(&failure.message);
    }
    if global.output == Output::Json && !global.printed.get() {
        let body = serde_json::json!({
            "error": json::ErrorJson {
                kind: failure.kind.to_string(),
                code: failure.code,
                message: failure.message.clone(),
            }
        });
        out::json(&body, false);
    }
    failure.code
}
