//! Every backend client against the simulator (or a small test server where the wire must be exact)
//! over real HTTP on loopback, and the service's scheduling on a paused clock.

#[path = "../common/mod.rs"]
mod common;

mod argo;
mod batch;
mod budget;
mod control;
mod harness;
mod harness_fg;
mod harness_wire;
mod identity_links;
mod infraxys;
mod logs;
mod preview_is_sent;
mod service;
