//! The real binary: the scriptable subcommands against the simulator, bulk starts with their
//! results file, and the dashboard driven by keys in tmux.

#[path = "../common/mod.rs"]
mod common;

mod bulk;
mod commands;
mod e2e_tmux;
