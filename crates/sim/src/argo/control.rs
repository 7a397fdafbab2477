//! The open bug argo-workflows#17041 (spec `control-logs-identity.md` §1.3): on a workflow
//! suspended as a whole (`spec.suspend: true`), `stop` and `terminate` answer 200 and record
//! `spec.shutdown`, but the controller does not act while it stays suspended; once resumed,
//! it honours the recorded shutdown. A client must read the phase after acting.

use std::sync::atomic::Ordering;

use crate::Shared;
use crate::world::World;

/// Whether a shutdown of `name` is only recorded, not acted on, for now.
pub(super) fn shutdown_ignored(s: &Shared, w: &World, name: &str) -> bool {
    s.argo.shutdown_bug.load(Ordering::Relaxed) && w.execution(name).is_some_and(|e| e.held)
}

/// After a resume: a shutdown recorded while suspended takes effect now.
pub(super) fn shutdown_after_resume(w: &mut World, name: &str, shutdown: Option<&str>, user: &str) {
    if shutdown.is_some() && w.execution(name).is_some_and(|e| !e.held) {
        let _ = w.abort(name, user);
    }
}
