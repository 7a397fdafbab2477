//! Wiring: backends from the config (or the simulator), the service, the app, the TUI.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::app::{App, BackendInfo};
use crate::backend::Backend;
use crate::service::{Intervals, Limits, Service};
use crate::tui::{self, Exit};
use crate::ui::Theme;

/// One backend ready to run, with the facts the UI needs about it.
pub struct Prepared {
    pub backend: Arc<dyn Backend>,
    pub limits: Limits,
    pub production: bool,
    pub read_only: bool,
}

impl Prepared {
    pub fn new(backend: Arc<dyn Backend>, concurrency: usize, timeout: Duration) -> Self {
        Prepared {
            backend,
            limits: Limits {
                concurrency,
                // A paged list is several requests; allow a few request timeouts in a row.
                operation_timeout: timeout * 4,
            },
            production: false,
            read_only: false,
        }
    }
}

/// Runs the dashboard until the user quits or the terminal goes away.
pub async fn dashboard(
    backends: Vec<Prepared>,
    intervals: Intervals,
    read_only: bool,
) -> std::io::Result<Exit> {
    let infos = backends
        .iter()
        .map(|p| BackendInfo {
            name: p.backend.name().clone(),
            kind: p.backend.kind(),
            production: p.production,
            read_only: p.read_only,
        })
        .collect();
    let (tx, rx) = mpsc::unbounded_channel();
    let service = Service::spawn(
        backends
            .into_iter()
            .map(|p| (p.backend, p.limits))
            .collect(),
        intervals,
        tx,
    );
    let app = App::new(infos, intervals, read_only);
    tui::run(app, service, rx, Theme::from_env()).await
}
