//! `flightdeck config check [--connect]`.

use futures::future::join_all;

use super::json::{CheckJson, CheckedBackend};
use super::{Failure, Global, table};
use crate::backend::identity;

pub async fn run(global: &Global, connect: bool) -> Result<(), Failure> {
    // Loading resolves every secret and prints the warnings; any problem is a bad config.
    let loaded = global.load()?;
    let source = loaded.config.origin();
    let reads = loaded.backends.iter().map(|p| async move {
        if !connect {
            return (p, None);
        }
        // Who the key acts as, as every audit entry of a write will say it.
        let (probe, acts_as) = tokio::join!(p.backend.probe(), identity::ask(&*p.backend));
        (
            p,
            Some((probe, acts_as.or_configured(p.identity.as_deref()))),
        )
    });
    let mut first_failure = None;
    let mut backends = Vec::new();
    for (p, read) in join_all(reads).await {
        let name = p.backend.name().to_string();
        let (read, identity) = match read {
            Some((probe, identity)) => (Some(probe), Some(identity)),
            None => (None, None),
        };
        let (state, pipelines, checked, error) = match read {
            None => ("skipped", None, None, None),
            Some(Ok(probe)) => ("ok", Some(probe.pipelines), Some(probe.checked), None),
            Some(Err(e)) => {
                let failure = Failure::backend(&name, &e);
                let message = failure.message.clone();
                first_failure.get_or_insert(failure);
                ("error", None, None, Some(message))
            }
        };
        backends.push(CheckedBackend {
            name,
            kind: p.backend.kind().as_str().into(),
            state: state.into(),
            pipelines,
            checked,
            error,
            identity,
        });
    }
    let out = CheckJson {
        config: source.clone(),
        warnings: loaded.config.warnings(),
        backends,
    };
    let failed = out.backends.iter().filter(|b| b.state == "error").count();
    global.print(&out, || {
        let rows: Vec<Vec<String>> = out
            .backends
            .iter()
            .map(|b| {
                vec![
                    b.name.clone(),
                    b.kind.clone(),
                    b.state.clone(),
                    b.pipelines.map(|n| n.to_string()).unwrap_or_default(),
                    b.identity
                        .as_ref()
                        .map(|i| i.describe())
                        .unwrap_or_default(),
                    b.error
                        .clone()
                        .or_else(|| b.checked.clone())
                        .unwrap_or_default(),
                ]
            })
            .collect();
        let verdict = match failed {
            0 => "ok".to_owned(),
            n => format!(
                "read, but {n} of {} backends failed the check",
                out.backends.len()
            ),
        };
        format!(
            "config {source}: {verdict}\n{}",
            table::render(
                &[
                    "BACKEND",
                    "KIND",
                    "STATE",
                    "PIPELINES",
                    "ACTS AS",
                    "CHECKED OR ERROR"
                ],
                &rows
            )
        )
    });
    first_failure.map_or(Ok(()), Err)
}
