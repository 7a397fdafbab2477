//! The real binary: the scriptable subcommands against the simulator, bulk starts with their
//! results file, hostile servers (poisoned text, echoed credentials, memory bombs), and the
//! dashboard driven by keys in tmux.

#[path = "../common/mod.rs"]
mod common;

mod argo_env;
mod argo_rejected;
mod bulk;
mod commands;
mod control;
mod e2e_tmux;
mod hostile_memory;
mod hostile_output;
mod hostile_secrets;
mod identity;
mod logs;
mod man;
mod run;
mod scripts;
mod setup;
mod truth;
