//! Live executions from the workflow watch stream (spec §10).
//!
//! List once (all pages, with nodes), then watch from the list's `resourceVersion`, so
//! nothing that changed in between is missed and nothing listed is sent again. Every event
//! carries the whole (projected, node-less) workflow, which replaces the listed one;
//! `DELETED` removes it. Rows are mapped with the facts last read with nodes
//! (`map::Facts`); a workflow whose phase moved past them is read once with its nodes
//! before the list is sent on. Events
//! arriving together are applied as one batch before the list is sent on, so a burst of
//! changes costs one redraw.
//!
//! The stream ends in three ways. The server's `{"error":{…"message":"EOF"}}` chunk (the
//! k8s watch timed out, every 30–60 min) and a clean close are routine: the watch reopens
//! at once from the last `resourceVersion` seen. A broken or silent connection reopens the
//! same way after a pause. Only when reopening fails (or the server sends an `ERROR` event,
//! e.g. a `resourceVersion` too old to resume from) does `run` return, and the service
//! polls until it calls again, which relists.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use super::stream::Frames;
use super::wire::{StreamMessage, Workflow};
use super::{ArgoBackend, DETAIL_FIELDS, LIST_FIELDS, LIST_NODE_FIELDS, MAX_WORKFLOWS};
use crate::backend::Result;
use crate::domain::{BackendError, Execution};

/// Events arriving within this window are applied together.
const BATCH: Duration = Duration::from_millis(100);
/// Pause before reopening after a broken connection.
const REOPEN_PAUSE: Duration = Duration::from_secs(1);
/// Streams that end at once, this many times in a row, mean the server cannot watch.
const MAX_EMPTY_STREAMS: u32 = 5;

pub async fn run(
    backend: &ArgoBackend,
    lists: &mpsc::UnboundedSender<Vec<Execution>>,
) -> Result<()> {
    let (listed, mut version) = backend.list_workflows(LIST_NODE_FIELDS, None).await?;
    let listed = backend.expand(listed, DETAIL_FIELDS).await?;
    backend.remember(&listed);
    // The facts are kept; the nodes, which can be large, are not.
    let mut workflows: HashMap<String, Workflow> = listed
        .into_iter()
        .map(|mut w| {
            w.status.nodes = None;
            w.status.compressed_nodes = None;
            (w.metadata.name.clone(), w)
        })
        .collect();
    send(backend, lists, &workflows).await?;
    let mut empty_streams = 0;
    loop {
        let opened = Instant::now();
        let mut frames = open(backend, &version).await?;
        let mut events = 0usize;
        // When the first change not yet sent on arrived: a batch is sent BATCH after its
        // first change, however busy the stream (a steady flood must not hold it forever).
        let mut pending: Option<Instant> = None;
        let end = loop {
            let next = if let Some(first) = pending {
                match tokio::time::timeout_at(first + BATCH, frames.next::<StreamMessage>()).await {
                    Ok(next) => next,
                    Err(_) => {
                        send(backend, lists, &workflows).await?;
                        pending = None;
                        continue;
                    }
                }
            } else {
                frames.next::<StreamMessage>().await
            };
            match next {
                Ok(Some(message)) => match apply(message, &mut workflows, &mut version)? {
                    Applied::Changed => {
                        events += 1;
                        pending.get_or_insert_with(Instant::now);
                        if workflows.len() > MAX_WORKFLOWS {
                            // Memory is bounded by items too: an endless stream of new names
                            // must not grow the map without limit. The service polls (one
                            // bounded list) and relists when it watches again.
                            return Err(BackendError::Decode(format!(
                                "the watch stream named more than {MAX_WORKFLOWS} workflows, \
                                 flightdeck's limit; polling instead"
                            )));
                        }
                    }
                    Applied::Nothing => {}
                    Applied::StreamEnded => break Ok(()),
                },
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        if pending.is_some() {
            send(backend, lists, &workflows).await?;
        }
        match end {
            Ok(()) => {
                tracing::debug!(backend = %backend.name, events, "watch stream ended; reopening")
            }
            Err(e) => {
                tracing::debug!(backend = %backend.name, error = %e, "watch stream broke; reopening");
                tokio::time::sleep(REOPEN_PAUSE).await;
            }
        }
        if events == 0 && opened.elapsed() < REOPEN_PAUSE * 2 {
            empty_streams += 1;
            if empty_streams >= MAX_EMPTY_STREAMS {
                return Err(BackendError::Network(
                    "the watch stream keeps ending at once".to_owned(),
                ));
            }
            tokio::time::sleep(REOPEN_PAUSE).await;
        } else {
            empty_streams = 0;
        }
    }
}

enum Applied {
    Changed,
    Nothing,
    StreamEnded,
}

fn apply(
    message: StreamMessage,
    workflows: &mut HashMap<String, Workflow>,
    version: &mut String,
) -> Result<Applied> {
    if let Some(error) = message.error {
        // The routine end of a k8s watch comes as ResourceExhausted "EOF" (spec §2.5).
        if error.grpc_code == Some(8) || error.is_eof() {
            return Ok(Applied::StreamEnded);
        }
        return Err(error.into_error("watch stream"));
    }
    let Some(event) = message.result else {
        return Ok(Applied::Nothing);
    };
    let object = event.object;
    if event.type_ == "ERROR" {
        return Err(BackendError::Server {
            status: 410,
            message: "the watch cannot resume from where it was (ERROR event); relisting"
                .to_owned(),
        });
    }
    if !object.metadata.resource_version.is_empty() {
        version.clone_from(&object.metadata.resource_version);
    }
    let name = object.metadata.name.clone();
    if name.is_empty() {
        return Ok(Applied::Nothing);
    }
    match event.type_.as_str() {
        "DELETED" => {
            workflows.remove(&name);
        }
        // ADDED, MODIFIED, and anything newer servers may send with a whole object.
        _ => {
            workflows.insert(name, object);
        }
    }
    Ok(Applied::Changed)
}

/// Sends the list on, after reading the nodes of workflows whose phase moved past what
/// was last read of them. A failed read is the watch's failure: the service then polls
/// the list, which carries every node, rather than show a row mapped from its phase alone
/// (an Argo run rejected at its gate would read `success`) with nothing to correct it.
async fn send(
    backend: &ArgoBackend,
    lists: &mpsc::UnboundedSender<Vec<Execution>>,
    workflows: &HashMap<String, Workflow>,
) -> Result<()> {
    backend.refresh_facts(workflows.values()).await?;
    lists
        .send(backend.executions_of(workflows.values()))
        .map_err(|_| BackendError::Network("nobody is listening to the watch".to_owned()))
}

/// The watch URL: the list's projection under `result.object.`, plus `result.type`, which
/// the gateway would prune otherwise.
fn url(backend: &ArgoBackend, version: &str) -> url::Url {
    let mut url = backend.url(&["workflow-events", &backend.namespace]);
    let fields: Vec<String> = std::iter::once("result.type".to_owned())
        .chain(
            LIST_FIELDS
                .split(',')
                .filter_map(|f| f.strip_prefix("items."))
                .map(|f| format!("result.object.{f}")),
        )
        .collect();
    {
        let mut query = url.query_pairs_mut();
        query.append_pair(
            "listOptions.fieldSelector",
            &format!("metadata.namespace={}", backend.namespace),
        );
        if let Some(labels) = &backend.label_selector {
            query.append_pair("listOptions.labelSelector", labels);
        }
        if !version.is_empty() {
            query.append_pair("listOptions.resourceVersion", version);
        }
        query.append_pair("fields", &fields.join(","));
    }
    url
}

async fn open<'a>(backend: &'a ArgoBackend, version: &str) -> Result<Frames<'a>> {
    backend.open_stream(url(backend, version)).await
}
