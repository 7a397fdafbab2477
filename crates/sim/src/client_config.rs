//! The flightdeck config that points at a simulator: one `[[backend]]` per face and kind,
//! written as TOML. It is the one place that knows how the simulator maps to config:
//! `flightdeck sim --print-config` prints it (the token as `{ env = ... }`), and `flightdeck
//! demo` loads it through the ordinary config loader (the token as a literal that never
//! leaves memory), so the printed config is exactly what the demo runs on.
//!
//! Backends: `harness` (NextGen, every project), `infraxys` with the face's whole catalogue,
//! `harness-fg` (First Gen, every application), and one Argo backend per namespace (`argo`
//! for the namespace of that name, `argo-<namespace>` for the others), the first also with
//! the ClusterWorkflowTemplates and the push event of the simulator's WorkflowEventBinding.

use std::fmt::Write;

use super::infraxys::{Argument, ArgumentKind, InfraxysCatalogue};

/// Where a simulator listens and what it serves: everything a client needs besides the
/// token.
#[derive(Clone, Debug, PartialEq)]
pub struct SimEndpoints {
    /// Harness NextGen base URL; First Gen's is this plus `/gateway`.
    pub harness_url: String,
    pub argo_url: String,
    pub infraxys_url: String,
    pub account: String,
    pub org: String,
    /// NextGen projects.
    pub projects: Vec<String>,
    /// First Gen application names.
    pub applications: Vec<String>,
    /// Argo namespaces.
    pub namespaces: Vec<String>,
    pub infraxys: InfraxysCatalogue,
}

impl SimEndpoints {
    /// First Gen's base URL, as on SaaS: the GraphQL endpoint is `<it>/api/graphql`.
    pub fn harness_fg_url(&self) -> String {
        format!("{}/gateway", self.harness_url)
    }
}

/// How the config names the token every backend sends.
#[derive(Clone, Copy, Debug)]
pub enum TokenSource<'a> {
    /// `{ env = "NAME" }`: read from an environment variable when the config is loaded.
    Env(&'a str),
    /// The token itself, for configs that stay in memory.
    Literal(&'a str),
    /// `{ file = "PATH" }`: read from an owner-only file (`flightdeck sim --write-config`).
    File(&'a str),
}

/// The Argo backend's name for a namespace: `argo` reads better than `argo-argo`.
fn argo_backend_name(namespace: &str) -> String {
    if namespace == "argo" {
        namespace.to_string()
    } else {
        format!("argo-{namespace}")
    }
}

/// The push event the simulator's WorkflowEventBinding `github-push` (namespace `argo`, see
/// `seed/argo.rs`) starts the cluster template on.
const PUSH_EVENT: (&str, &str, &str, &str) = (
    "github-push",
    "github",
    "what a push to main sends",
    r#"{"ref":"refs/heads/main","repo":"payments","revision":"4f2a9c1"}"#,
);

/// Every backend of the simulator as `[[backend]]` tables, in the order the demo shows them.
pub fn backends_toml(sim: &SimEndpoints, token: TokenSource<'_>) -> String {
    let secret = match token {
        TokenSource::Env(name) => format!("{{ env = {} }}", quote(name)),
        TokenSource::Literal(value) => quote(value),
        TokenSource::File(path) => format!("{{ file = {} }}", quote(path)),
    };
    let mut out = String::new();
    backend(
        &mut out,
        ("harness", "harness", &sim.harness_url, 8),
        &format!(
            "account = {}\norg = {}\nprojects = {}\napi_key = {secret}\n",
            quote(&sim.account),
            quote(&sim.org),
            list(&sim.projects),
        ),
    );
    let catalogue = &sim.infraxys;
    backend(
        &mut out,
        ("infraxys", "infraxys", &sim.infraxys_url, 4),
        &format!("branch = {}\ntoken = {secret}\n", quote(&catalogue.branch)),
    );
    infraxys_entries(&mut out, catalogue);
    // First Gen GraphQL allows 30 calls a minute per account: few at once.
    backend(
        &mut out,
        ("harness-fg", "harness-fg", &sim.harness_fg_url(), 2),
        &format!(
            "account = {}\napplications = []\napi_key = {secret}\n",
            quote(&sim.account)
        ),
    );
    for (i, ns) in sim.namespaces.iter().enumerate() {
        // The first namespace also lists the ClusterWorkflowTemplates (once is enough) and
        // offers the push event its binding listens for.
        let first = i == 0;
        let cluster = if first {
            "cluster_templates = true\n"
        } else {
            ""
        };
        backend(
            &mut out,
            (&argo_backend_name(ns), "argo", &sim.argo_url, 8),
            &format!("namespace = {}\ntoken = {secret}\n{cluster}", quote(ns)),
        );
        if first {
            let (name, discriminator, description, payload) = PUSH_EVENT;
            let _ = write!(
                out,
                "[[backend.event]]\nname = {}\ndiscriminator = {}\ndescription = {}\n\
                 payload = {}\n\n",
                quote(name),
                quote(discriminator),
                quote(description),
                quote(payload),
            );
        }
    }
    out
}

/// One `[[backend]]` table: (name, kind, base URL, concurrency), the kind's own keys, then
/// the request timeout.
fn backend(out: &mut String, (name, kind, url, concurrency): (&str, &str, &str, u8), rest: &str) {
    let _ = write!(
        out,
        "[[backend]]\nname = {}\nkind = {}\nbase_url = {}\n{rest}timeout = \"10s\"\n\
         concurrency = {concurrency}\n\n",
        quote(name),
        quote(kind),
        quote(url),
    );
}

/// The Infraxys face's whole catalogue, as the entries of the backend table just written.
fn infraxys_entries(out: &mut String, catalogue: &InfraxysCatalogue) {
    for w in &catalogue.workflows {
        entry(
            out,
            "workflow",
            &[
                ("name", quote(&w.name)),
                ("environment_id", quote(&w.environment_id)),
                ("workflow_id", quote(&w.workflow_id)),
                ("asynchronous", w.asynchronous.to_string()),
            ],
            &w.arguments,
        );
    }
    for a in &catalogue.actions {
        entry(
            out,
            "action",
            &[
                ("name", quote(&a.name)),
                ("instance_id", quote(&a.instance_id)),
                ("filename", quote(&a.filename)),
                ("asynchronous", a.asynchronous.to_string()),
            ],
            &a.arguments,
        );
    }
    for a in &catalogue.aliases {
        entry(
            out,
            "alias",
            &[
                ("name", quote(&a.name)),
                ("alias", quote(&a.alias)),
                ("asynchronous", a.asynchronous.to_string()),
            ],
            &a.arguments,
        );
    }
}

/// One `[[backend.<table>]]` Infraxys entry with its argument fields.
fn entry(out: &mut String, table: &str, keys: &[(&str, String)], arguments: &[Argument]) {
    let _ = writeln!(out, "[[backend.{table}]]");
    for (key, value) in keys {
        let _ = writeln!(out, "{key} = {value}");
    }
    for a in arguments {
        let _ = write!(
            out,
            "[[backend.{table}.argument_fields]]\nname = {}\ntype = {}\nrequired = {}\n",
            quote(&a.name),
            quote(type_name(a.kind)),
            a.required
        );
        if let Some(default) = &a.default {
            // Numbers and booleans are written bare, as the loader checks their type.
            let value = match a.kind {
                ArgumentKind::String => quote(default),
                ArgumentKind::Number | ArgumentKind::Bool => default.clone(),
            };
            let _ = writeln!(out, "default = {value}");
        }
    }
    out.push('\n');
}

/// An argument field's `type` in the config.
fn type_name(kind: ArgumentKind) -> &'static str {
    match kind {
        ArgumentKind::String => "string",
        ArgumentKind::Number => "number",
        ArgumentKind::Bool => "bool",
    }
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}
