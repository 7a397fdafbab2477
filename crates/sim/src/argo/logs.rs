//! `GET /api/v1/workflows/{ns}/{name}/log` and the legacy `…/{name}/{podName}/log` (spec §11).
//!
//! Each pod prints its template's log lines spread over its run (a failed run ends with its
//! failure), so a running pod has printed part of them. Lines of all pods come sorted by time,
//! `{"result":{"content","podName"}}` each. Without `logOptions.follow` the stream ends with
//! the lines printed so far; with it, new lines follow until the workflow completes (or the
//! test controls end or cut the stream, as they do watches). Only the
//! `main` container has logs here (another container yields nothing, as on a real server
//! whose container name does not exist). `grep` is a regular expression, applied here.

use std::collections::{BTreeSet, VecDeque};
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use regex_automata::meta::Regex;
use serde_json::{Value, json};
use tokio::time::Interval;

use super::auth::Caller;
use super::errors::{Answer, ApiError};
use super::plan::LeafKind;
use super::watch::{Controls, Framing, Stop, cut, eof_chunk, keepalive, tick};
use super::{json, nodes, workflows};
use crate::Shared;
use crate::harness::Params;
use crate::world::{Ms, RunStatus, World};

/// How often a followed log looks for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

/// One printed line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Line {
    at: Ms,
    pod: String,
    /// Position within its pod's output, to tell equal lines apart.
    seq: usize,
    text: String,
}

/// What the request asks for.
struct Query {
    pod: Option<String>,
    main: bool,
    follow: bool,
    tail: Option<usize>,
    since: Option<Ms>,
    timestamps: bool,
    grep: Option<Regex>,
}

impl Query {
    fn parse(params: &Params, pod: Option<String>) -> Answer<Query> {
        let flag = |key: &str| params.get(key) == Some("true");
        let number = |key: &str| -> Answer<Option<i64>> {
            params
                .get(key)
                .filter(|v| !v.is_empty())
                .map(|v| v.parse::<i64>().map_err(|_| ApiError::bad_int(key, v)))
                .transpose()
        };
        let grep = match params.get("grep").filter(|g| !g.is_empty()) {
            None => None,
            Some(g) => Some(
                Regex::new(g)
                    .map_err(|e| ApiError::invalid(format!("error parsing regexp: {e}: `{g}`")))?,
            ),
        };
        Ok(Query {
            pod: pod
                .or_else(|| params.get("podName").map(str::to_string))
                .filter(|p| !p.is_empty()),
            main: params
                .get("logOptions.container")
                .is_none_or(|c| c.is_empty() || c == "main"),
            follow: flag("logOptions.follow"),
            tail: number("logOptions.tailLines")?.map(|n| n.max(0) as usize),
            since: number("logOptions.sinceSeconds")?.map(|s| s.saturating_mul(1000)),
            timestamps: flag("logOptions.timestamps"),
            grep,
        })
    }

    fn message(&self, line: &Line) -> Value {
        let content = if self.timestamps {
            let at = Timestamp::from_millisecond(line.at)
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S.%fZ").to_string())
                .unwrap_or_default();
            format!("{at} {}", line.text)
        } else {
            line.text.clone()
        };
        let mut result = json!({"podName": line.pod});
        if !content.is_empty() {
            result["content"] = json!(content);
        }
        json!({"result": result})
    }
}

/// The lines a run printed by `now`: the template's lines spread evenly over the run, then
/// the failure if the run failed.
fn run_lines(
    lines: &[String],
    from: Ms,
    to: Ms,
    failure: Option<&str>,
    now: Ms,
) -> Vec<(Ms, String)> {
    let n = lines.len() as i64;
    let mut out: Vec<(Ms, String)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (from + (to - from) * (i as i64 + 1) / (n + 1), l.clone()))
        .collect();
    if let Some(f) = failure {
        out.push((to, f.to_string()));
    }
    out.retain(|(at, _)| *at <= now);
    out
}

/// Every line every pod of workflow `name` has printed, and whether it has completed.
fn printed(w: &World, s: &Shared, name: &str) -> Option<(Vec<Line>, bool)> {
    let e = w.execution(name)?;
    let st = s.argo.state();
    let plan = st.plan(e)?;
    let def = w.pipeline(&e.project, &e.pipeline)?;
    let now = w.now();
    let mut all = Vec::new();
    for (i, leaf) in plan.leaves.iter().enumerate() {
        if leaf.kind != LeafKind::Pod {
            continue;
        }
        let (Some(step), Some(step_def)) = (
            e.stages.get(i).and_then(|st| st.steps.first()),
            def.stages.get(i).and_then(|st| st.steps.first()),
        ) else {
            continue;
        };
        if step.status == RunStatus::Skipped {
            continue;
        }
        let Some(start) = step.start_ms else {
            continue;
        };
        let lines: Vec<String> = if leaf.log.is_empty() {
            vec![
                format!("running {}", leaf.template),
                format!("{} done", leaf.template),
            ]
        } else {
            leaf.log.iter().map(|l| json::fill(l, &e.inputs)).collect()
        };
        let node = nodes::leaf_node_name(&plan, name, leaf);
        for (k, from, to, failed) in step.run_spans(start, now) {
            let node = if leaf.retry {
                format!("{node}({k})")
            } else {
                node.clone()
            };
            let pod = nodes::pod_name(name, &leaf.template, &node);
            let failure = failed.then_some(step_def.failure.as_str());
            for (seq, (at, text)) in run_lines(&lines, from, to, failure, now)
                .into_iter()
                .enumerate()
            {
                all.push(Line {
                    at,
                    pod: pod.clone(),
                    seq,
                    text,
                });
            }
        }
    }
    all.sort();
    Some((all, e.status.is_terminal()))
}

/// The lines a request sees: its pod and container, grep, since, then the tail of each pod.
fn select(q: &Query, lines: Vec<Line>, now: Ms) -> Vec<Line> {
    if !q.main {
        return Vec::new();
    }
    let mut picked: Vec<Line> = lines
        .into_iter()
        .filter(|l| q.pod.as_ref().is_none_or(|p| *p == l.pod))
        .filter(|l| q.since.is_none_or(|s| l.at >= now - s))
        .filter(|l| q.grep.as_ref().is_none_or(|g| g.is_match(&l.text)))
        .collect();
    if let Some(n) = q.tail {
        let pods: BTreeSet<String> = picked.iter().map(|l| l.pod.clone()).collect();
        let mut keep = Vec::new();
        for pod in pods {
            let of_pod: Vec<&Line> = picked.iter().filter(|l| l.pod == pod).collect();
            keep.extend(
                of_pod[of_pod.len().saturating_sub(n)..]
                    .iter()
                    .map(|l| (*l).clone()),
            );
        }
        keep.sort();
        picked = keep;
    }
    picked
}

struct Follow {
    s: Arc<Shared>,
    name: String,
    query: Query,
    framing: Framing,
    sent: BTreeSet<(String, Ms, usize)>,
    pending: VecDeque<Bytes>,
    poll: Interval,
    keepalive: Option<Interval>,
    controls: Controls,
    done: bool,
}

impl Follow {
    /// Queues lines not sent yet; marks the stream done once the workflow has completed (or
    /// is gone) and everything was sent.
    fn refresh(&mut self) {
        let (lines, finished) = {
            let w = self.s.world();
            let now = w.now();
            match printed(&w, &self.s, &self.name) {
                Some((lines, finished)) => (select(&self.query, lines, now), finished),
                None => (Vec::new(), true),
            }
        };
        for l in lines {
            if self.sent.insert((l.pod.clone(), l.at, l.seq)) {
                self.pending
                    .push_back(self.framing.frame(&self.query.message(&l)));
            }
        }
        if finished || !self.query.follow {
            self.done = true;
        }
    }

    async fn next(&mut self) -> Option<io::Result<Bytes>> {
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return Some(Ok(frame));
            }
            if self.done {
                return None;
            }
            let keepalive = &mut self.keepalive;
            tokio::select! {
                _ = self.poll.tick() => {
                    self.s.sync();
                    self.refresh();
                }
                _ = tick(keepalive) => self.pending.push_back(Bytes::from_static(b":\n")),
                stop = self.controls.stopped() => {
                    self.done = true;
                    match stop {
                        Stop::End => self.pending.push_back(self.framing.frame(&eof_chunk())),
                        Stop::Cut => return Some(Err(cut())),
                    }
                }
            }
        }
    }
}

async fn stream(
    s: Arc<Shared>,
    ns: String,
    name: String,
    headers: HeaderMap,
    query: Query,
) -> Answer<Response> {
    let name = {
        let st = s.argo.state();
        let wf = workflows::find(&st, &ns, &name)?;
        wf["metadata"]["name"].as_str().unwrap_or(&name).to_string()
    };
    let framing = Framing::of(&headers);
    let mut follow = Follow {
        keepalive: keepalive(&s, framing),
        controls: Controls::new(&s),
        s,
        name,
        query,
        framing,
        sent: BTreeSet::new(),
        pending: VecDeque::new(),
        poll: tokio::time::interval(FOLLOW_POLL),
        done: false,
    };
    follow.refresh();
    let body = futures::stream::unfold(follow, |mut f| async move {
        let chunk = f.next().await?;
        Some((chunk, f))
    });
    Ok(framing.response(Body::from_stream(body)))
}

pub(crate) async fn workflow_log(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Answer<Response> {
    let query = Query::parse(&params, None)?;
    stream(s, ns, name, headers, query).await
}

/// The legacy form, with the pod in the path.
pub(crate) async fn pod_log(
    State(s): State<Arc<Shared>>,
    _caller: Caller,
    Path((ns, name, pod)): Path<(String, String, String)>,
    headers: HeaderMap,
    params: Params,
) -> Answer<Response> {
    let query = Query::parse(&params, Some(pod))?;
    stream(s, ns, name, headers, query).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_spread_over_a_run_and_end_with_the_failure() {
        let lines = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        let all = run_lines(&lines, 0, 4000, Some("boom"), 10_000);
        let at: Vec<Ms> = all.iter().map(|(t, _)| *t).collect();
        assert_eq!(at, [1000, 2000, 3000, 4000]);
        assert_eq!(all[3].1, "boom");
        assert_eq!(run_lines(&lines, 0, 4000, None, 2500).len(), 2);
    }
}
