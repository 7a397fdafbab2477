//! flightdeck: a keyboard-driven terminal dashboard for deployments.

pub mod alert;
pub mod app;
pub mod audit;
pub mod backend;
pub mod cli;
pub mod clipboard;
pub mod commands;
pub mod complete;
pub mod config;
pub mod domain;
pub mod format;
pub mod launch;
pub mod man;
pub mod out;
pub mod sanitize;
pub mod service;
pub mod tui;
pub mod ui;
pub mod write;
