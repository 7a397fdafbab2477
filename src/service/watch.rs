//! Keeps a backend's watch running: starts it, forwards the lists it pushes, and restarts
//! it after a pause when it stops. The task loop polls whenever the watch is down.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::backend::Backend;
use crate::domain::{BackendError, Execution};

/// What the watch tells the task loop.
pub(super) enum Note {
    /// The whole executions list, fresh from the stream.
    List(Vec<Execution>),
    /// The watch stopped; the loop polls until the next `List`.
    Down(BackendError),
}

/// Backoff between restarts, as the Argo UI does it: from 3 s, ×1.5, at most a minute.
const FIRST_PAUSE: Duration = Duration::from_secs(3);
const MAX_PAUSE: Duration = Duration::from_secs(60);
/// A watch that ran this long was healthy: the next failure starts the backoff afresh.
const HEALTHY: Duration = Duration::from_secs(60);

pub(super) async fn supervise(backend: Arc<dyn Backend>, notes: mpsc::UnboundedSender<Note>) {
    let mut pause = FIRST_PAUSE;
    loop {
        let started = Instant::now();
        let (lists, mut pushed) = mpsc::unbounded_channel();
        let watch = backend.watch_executions(&lists);
        tokio::pin!(watch);
        let result = loop {
            tokio::select! {
                result = &mut watch => break result,
                Some(list) = pushed.recv() => {
                    if notes.send(Note::List(list)).is_err() {
                        return;
                    }
                }
            }
        };
        while let Ok(list) = pushed.try_recv() {
            if notes.send(Note::List(list)).is_err() {
                return;
            }
        }
        let error = match result {
            Err(e) => e,
            Ok(()) => BackendError::Network("the watch ended".to_owned()),
        };
        let unsupported = matches!(error, BackendError::Unsupported(_));
        tracing::debug!(backend = %backend.name(), %error, "watch down; polling");
        if notes.send(Note::Down(error)).is_err() || unsupported {
            return;
        }
        if started.elapsed() >= HEALTHY {
            pause = FIRST_PAUSE;
        }
        tokio::time::sleep(pause).await;
        pause = pause.mul_f64(1.5).min(MAX_PAUSE);
    }
}
