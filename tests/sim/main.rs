//! The simulator as an oracle: each face's paths, envelopes, errors and state rules, the vendors'
//! own examples, the standalone `flightdeck sim`, and the config it prints for itself read back by
//! the client's loader.

#[path = "../common/mod.rs"]
mod common;

mod argo;
mod config;
mod control;
mod harness;
mod identity;
mod logs;
mod standalone;
mod state;
mod vendor_examples;
