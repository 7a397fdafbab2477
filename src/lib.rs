//! flightdeck: a keyboard-driven terminal dashboard for deployments.

pub mod backend;
pub mod config;
pub mod domain;
