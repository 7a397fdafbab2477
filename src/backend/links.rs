//! Where an execution or a gate lives in the vendor's web UI (control-logs-identity.md §4),
//! and the one check every such URL passes before anything else sees it.
//!
//! - Harness NextGen: `{ui}/account/{acc}/{module}/orgs/{org}/projects/{proj}/pipelines/
//!   {pipe}/executions/{id}/pipeline`, the non-hash form Harness's own CLI prints; `{ui}` is
//!   the config's `ui_url`, else the API base without its `/gateway`, plus `/ng`. A gate adds
//!   `?stage={layout key}&step={step node id}`.
//! - Harness First Gen: the API's own `executionUrl` (vanity domains included); built from
//!   the spec's pipeline form only when the server sent none.
//! - Argo: `{server}{base href}workflows/{namespace}/{name}`, the base href being the path
//!   of `base_url` (or of `ui_url`); a gate adds `?tab=workflow&nodeId={node}`.
//! - Infraxys: none. Its only known UI link starts a run (§4.4).

use url::Url;

/// `text` as a link flightdeck may print, put in an OSC 8 hyperlink, or copy: an absolute
/// `http`/`https` URL without credentials, re-serialized (so spaces and control characters
/// are percent-encoded) and then checked to be printable ASCII only. Anything else, e.g.
/// server text trying to end an escape sequence early, is no link at all.
pub fn safe(text: &str) -> Option<String> {
    let url = Url::parse(text.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none_or(str::is_empty)
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return None;
    }
    let out = url.to_string();
    (out.len() <= 2048 && out.bytes().all(|b| b.is_ascii_graphic())).then_some(out)
}

/// `base` with `segments` appended as path segments (each escaped), keeping its own path.
fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Harness NextGen's UI root: `ui_url` as configured, else the API base (`…/gateway`) with
/// `/gateway` replaced by `/ng`.
pub fn harness_ui(base: &Url, ui_url: Option<&Url>) -> Url {
    if let Some(ui) = ui_url {
        return ui.clone();
    }
    let mut ui = base.clone();
    ui.set_query(None);
    ui.set_fragment(None);
    if let Ok(mut path) = ui.path_segments_mut() {
        path.pop_if_empty();
    }
    let gateway = ui
        .path_segments()
        .and_then(|mut s| s.next_back())
        .is_some_and(|last| last == "gateway");
    if let Ok(mut path) = ui.path_segments_mut() {
        if gateway {
            path.pop();
        }
        path.push("ng");
    }
    ui
}

/// Where a Harness NextGen execution is (§4.1).
pub struct HarnessExecution<'a> {
    pub account: &'a str,
    pub org: &'a str,
    pub project: &'a str,
    pub pipeline: &'a str,
    pub execution: &'a str,
    /// The execution's first module other than `pms` (`cd`, `ci`, …); `cd` by default.
    pub module: Option<&'a str>,
}

pub fn harness_execution(ui: &Url, e: &HarnessExecution<'_>) -> Option<String> {
    if e.pipeline.is_empty() || e.execution.is_empty() {
        return None;
    }
    let url = join(
        ui,
        &[
            "account",
            e.account,
            e.module.unwrap_or("cd"),
            "orgs",
            e.org,
            "projects",
            e.project,
            "pipelines",
            e.pipeline,
            "executions",
            e.execution,
            "pipeline",
        ],
    );
    safe(url.as_str())
}

/// An execution's link with a gate selected by the UI's query parameters.
pub fn with_query(execution_url: &str, pairs: &[(&str, &str)]) -> Option<String> {
    let mut url = Url::parse(execution_url).ok()?;
    url.query_pairs_mut().extend_pairs(pairs);
    safe(url.as_str())
}

/// Harness First Gen's pipeline-execution page (§4.2), for a server that sent no
/// `executionUrl`: `{ui}/#/account/{acc}/app/{app}/pipeline-execution/{id}/workflow-execution/undefined/details`.
pub fn harness_fg_execution(
    ui: &Url,
    account: &str,
    app_id: &str,
    execution: &str,
) -> Option<String> {
    if app_id.is_empty() || execution.is_empty() {
        return None;
    }
    let mut url = join(ui, &[]);
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    url.set_fragment(Some(&format!(
        "/account/{}/app/{}/pipeline-execution/{}/workflow-execution/undefined/details",
        enc(account),
        enc(app_id),
        enc(execution)
    )));
    safe(url.as_str())
}

/// An Argo workflow's page (§4.3): the server URL's path is its base href.
pub fn argo_workflow(ui: &Url, namespace: &str, name: &str) -> Option<String> {
    if namespace.is_empty() || name.is_empty() {
        return None;
    }
    safe(join(ui, &["workflows", namespace, name]).as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn harness_links_follow_the_spec_s_form() {
        let ui = harness_ui(&url("https://app.harness.io/gateway"), None);
        assert_eq!(ui.as_str(), "https://app.harness.io/ng");
        let link = harness_execution(
            &ui,
            &HarnessExecution {
                account: "acc",
                org: "default",
                project: "payments",
                pipeline: "deploy_api",
                execution: "kmB2tEJ8Ry2sQlJqGxP1dw",
                module: Some("cd"),
            },
        )
        .unwrap();
        assert_eq!(
            link,
            "https://app.harness.io/ng/account/acc/cd/orgs/default/projects/payments/pipelines/deploy_api/executions/kmB2tEJ8Ry2sQlJqGxP1dw/pipeline"
        );
        assert_eq!(
            with_query(&link, &[("stage", "s1"), ("step", "n 2")]).unwrap(),
            format!("{link}?stage=s1&step=n+2")
        );
        // A self-managed install without /gateway, and a configured ui_url.
        assert_eq!(
            harness_ui(&url("https://harness.corp.example/"), None).as_str(),
            "https://harness.corp.example/ng"
        );
        let own = url("https://vanity.example/ng");
        assert_eq!(harness_ui(&url("https://x/gateway"), Some(&own)), own);
    }

    #[test]
    fn argo_links_keep_the_base_href() {
        assert_eq!(
            argo_workflow(&url("https://argo.example.com"), "argo", "release-kgfn7").unwrap(),
            "https://argo.example.com/workflows/argo/release-kgfn7"
        );
        assert_eq!(
            argo_workflow(&url("https://example.com/argo/"), "argo", "wf").unwrap(),
            "https://example.com/argo/workflows/argo/wf"
        );
        assert_eq!(
            with_query(
                "https://argo.example.com/workflows/argo/release-kgfn7",
                &[("tab", "workflow"), ("nodeId", "release-kgfn7-1234567890")]
            )
            .unwrap(),
            "https://argo.example.com/workflows/argo/release-kgfn7?tab=workflow&nodeId=release-kgfn7-1234567890"
        );
    }

    #[test]
    fn first_gen_fallback_is_the_pipeline_execution_page() {
        assert_eq!(
            harness_fg_execution(&url("https://app.harness.io"), "acc", "app1", "ex1").unwrap(),
            "https://app.harness.io/#/account/acc/app/app1/pipeline-execution/ex1/workflow-execution/undefined/details"
        );
    }

    #[test]
    fn only_plain_web_urls_are_links() {
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "not a url",
            "",
        ] {
            assert_eq!(safe(bad), None, "{bad:?}");
        }
        // Escapes and spaces are encoded, never passed through.
        let s = safe("https://example.com/a b\u{1b}]8;;\u{7}x").unwrap();
        assert!(s.bytes().all(|b| b.is_ascii_graphic()), "{s}");
        assert!(!s.contains('\u{1b}'));
    }
}
