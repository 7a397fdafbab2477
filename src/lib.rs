//! flightdeck: a keyboard-driven terminal dashboard for deployments.

pub mod backend;
pub mod domain;
pub mod sim;
