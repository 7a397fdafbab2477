//! Step logs (spec §11): `GET /api/v1/workflows/{ns}/{name}/log` with
//! `logOptions.container=main`, narrowed to one pod when a step is named. Pod names follow
//! the workflow's `pod-name-format` annotation: v2 (the default) is
//! `<workflow>-<template>-<fnv32a(node name)>`, v1 is the node id.

use std::collections::HashMap;

use tokio::sync::mpsc;

use super::ArgoBackend;
use super::wire::{LogMessage, Node, Workflow};
use crate::backend::Result;
use crate::domain::{BackendError, ExecRef, LogLine};

const POD_NAME_FORMAT: &str = "workflows.argoproj.io/pod-name-format";
/// Kubernetes limits names to 253 characters; Argo keeps the prefix to 242 for the hash.
const MAX_PREFIX: usize = 242;

pub async fn stream(
    backend: &ArgoBackend,
    exec: &ExecRef,
    step: Option<&str>,
    follow: bool,
    lines: &mpsc::UnboundedSender<LogLine>,
) -> Result<()> {
    // Lines name their pod; the view names steps, so map one to the other first.
    let mut steps = steps_by_pod(backend, &exec.id).await?;
    // Pods already looked for after the map was read: a pod still unknown then is not
    // looked for again on each of its lines.
    let mut unknown: std::collections::HashSet<String> = std::collections::HashSet::new();
    let pod = match step {
        Some(step) => Some(
            steps
                .iter()
                .filter(|(_, s)| s.name == step)
                // A step with retries ran one pod per attempt; follow the latest.
                .max_by(|a, b| a.1.started.cmp(&b.1.started))
                .map(|(pod, _)| pod.clone())
                .ok_or_else(|| {
                    BackendError::NotFound(format!(
                        "step {step:?} of {} ran no pod, so it has no log",
                        exec.id
                    ))
                })?,
        ),
        None => None,
    };
    let mut url = backend.url(&["workflows", &backend.namespace, &exec.id, "log"]);
    {
        let mut query = url.query_pairs_mut();
        if let Some(pod) = &pod {
            query.append_pair("podName", pod);
        }
        query.append_pair("logOptions.container", "main");
        if follow {
            query.append_pair("logOptions.follow", "true");
        }
    }
    let mut frames = backend.open_stream(url).await?;
    while let Some(message) = frames.next::<LogMessage>().await? {
        if let Some(error) = message.error {
            // A follow ends like a watch does: EOF means the server is done.
            if error.is_eof() {
                return Ok(());
            }
            return Err(error.into_error("log stream"));
        }
        let Some(entry) = message.result else {
            continue;
        };
        // A step that started after the stream opened ran a pod the map does not know yet:
        // read the pods again. A line is never labelled with its pod's name.
        if !steps.contains_key(&entry.pod_name)
            && unknown.insert(entry.pod_name.clone())
            && let Ok(fresh) = steps_by_pod(backend, &exec.id).await
        {
            steps = fresh;
        }
        let source = match steps.get(&entry.pod_name) {
            Some(step) => step.name.clone(),
            None => "(unknown step)".to_string(),
        };
        let line = LogLine::new(source, entry.content.unwrap_or_default());
        if lines.send(line).is_err() {
            // Nobody reads any more: the log view was closed.
            return Ok(());
        }
    }
    Ok(())
}

/// A step that ran a pod.
struct PodStep {
    name: String,
    started: Option<String>,
}

/// Every pod of the workflow with the step (node display name) it ran.
async fn steps_by_pod(backend: &ArgoBackend, workflow: &str) -> Result<HashMap<String, PodStep>> {
    let w = backend
        .workflow(workflow, "metadata.name,metadata.annotations,status.nodes")
        .await?;
    Ok(w.status
        .nodes
        .iter()
        .flat_map(|n| n.values())
        .filter(|n| matches!(n.type_.as_str(), "Pod" | "Container"))
        .map(|n| {
            let step = PodStep {
                name: n.display_name.clone(),
                started: n.started_at.clone(),
            };
            (pod_name(&w, n), step)
        })
        .collect())
}

pub fn pod_name(workflow: &Workflow, node: &Node) -> String {
    let name = &workflow.metadata.name;
    let v1 = workflow
        .metadata
        .annotations
        .get(POD_NAME_FORMAT)
        .is_some_and(|v| v == "v1");
    if v1 {
        return node.id.clone();
    }
    // A Container node's name ends in `.<container>`, which is not part of the pod's.
    let node_name = match node.type_.as_str() {
        "Container" => node
            .name
            .rsplit_once('.')
            .map_or(node.name.as_str(), |(pod, _)| pod),
        _ => node.name.as_str(),
    };
    if node_name == name {
        return name.clone();
    }
    let mut prefix = match node.template_name.as_deref() {
        Some(t) if !t.is_empty() => format!("{name}-{t}"),
        _ => name.clone(),
    };
    if prefix.len() > MAX_PREFIX {
        let mut cut = MAX_PREFIX;
        while !prefix.is_char_boundary(cut) {
            cut -= 1;
        }
        prefix.truncate(cut);
    }
    format!("{prefix}-{}", fnv32a(node_name.as_bytes()))
}

/// The 32-bit FNV-1a hash Argo names pods and nodes with.
pub fn fnv32a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv32a_matches_the_reference_vectors() {
        assert_eq!(fnv32a(b""), 0x811c_9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c_292c);
        assert_eq!(fnv32a(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn pod_names_follow_the_format_annotation() {
        let mut w = Workflow::default();
        w.metadata.name = "release-kgfn7".into();
        let node = Node {
            id: "release-kgfn7-123".into(),
            name: "release-kgfn7[0].build".into(),
            type_: "Pod".into(),
            template_name: Some("build".into()),
            ..Node::default()
        };
        assert_eq!(
            pod_name(&w, &node),
            format!("release-kgfn7-build-{}", fnv32a(b"release-kgfn7[0].build"))
        );
        w.metadata
            .annotations
            .insert(POD_NAME_FORMAT.into(), "v1".into());
        assert_eq!(pod_name(&w, &node), "release-kgfn7-123");
    }
}
