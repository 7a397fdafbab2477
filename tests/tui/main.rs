//! The dashboard without a terminal or network: `App::update` driven by messages, every screen
//! drawn into insta snapshots (80x24 and 120x40, with and without colour, and with hostile server
//! text), the idle frame budget, and the config loader with its errors.

#[path = "../common/mod.rs"]
mod common;

mod app_update;
mod config_errors;
mod config_load;
#[cfg(unix)]
mod config_secrets;
mod control_snapshots;
mod control_update;
mod cursor_truth;
mod idle_frames;
mod inbox;
mod production;
mod ui_snapshots;
