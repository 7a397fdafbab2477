//! Who a backend's key acts as, and where that came from: the backend's own "who am I"
//! (verified), the config's `identity = "…"` (configured: nobody checked it), or nothing.
//! Read once per backend when its client starts (the key is resolved once per process), and
//! written into every audit entry with its source.
//!
//! Also here: the correlation id of a write's request, which the audit log records as
//! `request_id`. A backend that gets one from its server notes it ([`note_request_id`]) while
//! a write runs inside [`capture_request_id`]; outside one, noting costs nothing.

use std::future::Future;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Where an identity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentitySource {
    /// The backend's API said who the key belongs to.
    Verified,
    /// The config names it (`identity = "…"`); the backend did not confirm it.
    Configured,
    /// Nobody can tell.
    Unknown,
}

impl IdentitySource {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentitySource::Verified => "verified",
            IdentitySource::Configured => "configured",
            IdentitySource::Unknown => "unknown",
        }
    }
}

/// Who acts on a backend, as the audit log and the backends view say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The name, e-mail or account the key acts as; `None` when unknown.
    pub who: Option<String>,
    pub source: IdentitySource,
    /// How it was learnt (`token/validate: service account token`), or why nobody can tell.
    pub via: String,
}

impl Identity {
    pub fn verified(who: impl Into<String>, via: impl Into<String>) -> Identity {
        Identity {
            who: Some(who.into()),
            source: IdentitySource::Verified,
            via: via.into(),
        }
    }

    pub fn configured(who: impl Into<String>) -> Identity {
        Identity {
            who: Some(who.into()),
            source: IdentitySource::Configured,
            via: "the config's `identity`".into(),
        }
    }

    pub fn unknown(why: impl Into<String>) -> Identity {
        Identity {
            who: None,
            source: IdentitySource::Unknown,
            via: why.into(),
        }
    }

    /// What the backend said, with the config's `identity` as the fallback where it could
    /// not say: a verified answer always wins over what a config claims.
    pub fn or_configured(self, configured: Option<&str>) -> Identity {
        match (self.source, configured) {
            (IdentitySource::Verified, _) | (_, None) => self,
            (_, Some(name)) => Identity::configured(name),
        }
    }

    /// One line for the backends view: `alice@example.com (verified: currentUser)`.
    pub fn describe(&self) -> String {
        match &self.who {
            Some(who) => format!("{who} ({}: {})", self.source.as_str(), self.via),
            None => format!("unknown ({})", self.via),
        }
    }
}

/// Asks `backend` who its key acts as; a failed answer is an unknown identity saying why
/// (it never stops the write it was asked for).
pub async fn ask(backend: &dyn crate::backend::Backend) -> Identity {
    match backend.whoami().await {
        Ok(identity) => identity,
        Err(e) => Identity::unknown(format!("who-am-I failed: {}", e)),
    }
}

tokio::task_local! {
    /// The correlation ids the requests of one write got, with whether each request was a
    /// write (anything but GET).
    static REQUEST_IDS: Mutex<Vec<(bool, String)>>;
}

/// Runs one write and returns, with its result, the correlation id the backend gave the
/// request that acted: the last request other than a GET, else the last one.
pub async fn capture_request_id<T>(op: impl Future<Output = T>) -> (T, Option<String>) {
    REQUEST_IDS
        .scope(Mutex::new(Vec::new()), async {
            let out = op.await;
            let ids = REQUEST_IDS
                .try_with(|ids| std::mem::take(&mut *ids.lock().unwrap_or_else(|e| e.into_inner())))
                .unwrap_or_default();
            let id = ids
                .iter()
                .rev()
                .find(|(write, _)| *write)
                .or(ids.last())
                .map(|(_, id)| id.clone());
            (out, id)
        })
        .await
}

/// Whether a write is being captured: the caller then looks for the id (which may mean
/// parsing a body a second time, not worth it for polls).
pub fn capturing() -> bool {
    REQUEST_IDS.try_with(|_| ()).is_ok()
}

/// Records the correlation id one request got; nothing outside [`capture_request_id`].
/// Control characters are dropped and the id is capped, as it is server text.
pub fn note_request_id(write: bool, id: &str) {
    let id: String = id.chars().filter(|c| !c.is_control()).take(128).collect();
    if id.is_empty() {
        return;
    }
    let _ = REQUEST_IDS.try_with(|ids| {
        ids.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((write, id));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_acting_request_s_id_is_kept() {
        let ((), id) = capture_request_id(async {
            note_request_id(true, "template");
            note_request_id(true, "execute");
            note_request_id(false, "read-after");
        })
        .await;
        assert_eq!(id.as_deref(), Some("execute"));
        let ((), id) =
            capture_request_id(async { note_request_id(false, "only\u{1b}[2Jread") }).await;
        assert_eq!(id.as_deref(), Some("only[2Jread"));
        let ((), none) = capture_request_id(async {}).await;
        assert_eq!(none, None);
        // Outside a capture nothing is kept, and nothing fails.
        note_request_id(true, "lost");
        assert!(!capturing());
    }

    #[test]
    fn verified_wins_over_configured() {
        let v = Identity::verified("alice", "currentUser");
        assert_eq!(v.clone().or_configured(Some("bob")), v);
        let u = Identity::unknown("no API");
        assert_eq!(
            u.clone().or_configured(Some("bob")).source,
            IdentitySource::Configured
        );
        assert_eq!(u.clone().or_configured(None), u);
        assert_eq!(
            Identity::configured("ops-bot").describe(),
            "ops-bot (configured: the config's `identity`)"
        );
    }
}
