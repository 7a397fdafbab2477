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

use super::InfraxysCatalogue;
use crate::backend::infraxys::{ArgumentField, ArgumentType};

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
            &w.argument_fields,
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
            &a.argument_fields,
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
            &a.argument_fields,
        );
    }
}

/// One `[[backend.<table>]]` Infraxys entry with its argument fields.
fn entry(out: &mut String, table: &str, keys: &[(&str, String)], fields: &[ArgumentField]) {
    let _ = writeln!(out, "[[backend.{table}]]");
    for (key, value) in keys {
        let _ = writeln!(out, "{key} = {value}");
    }
    for f in fields {
        let _ = write!(
            out,
            "[[backend.{table}.argument_fields]]\nname = {}\ntype = {}\nrequired = {}\n",
            quote(&f.name),
            quote(f.field_type.as_str()),
            f.required
        );
        if let Some(default) = &f.default {
            // Numbers and booleans are written bare, as the loader checks their type.
            let value = match f.field_type {
                ArgumentType::String => quote(default),
                ArgumentType::Number | ArgumentType::Bool => default.clone(),
            };
            let _ = writeln!(out, "default = {value}");
        }
    }
    out.push('\n');
}

/// A TOML basic string.
fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| quote(s)).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{BackendSettings, Config, SecretSource};
    use crate::domain::BackendKind;

    fn endpoints() -> SimEndpoints {
        SimEndpoints {
            harness_url: "http://127.0.0.1:7000".into(),
            argo_url: "http://127.0.0.1:7001".into(),
            infraxys_url: "http://127.0.0.1:7002".into(),
            account: "Acc\"ount".into(),
            org: "default".into(),
            projects: vec!["payments".into(), "checkout".into()],
            applications: vec!["Legacy Billing".into()],
            namespaces: vec!["argo".into(), "data".into()],
            infraxys: super::super::infraxys::demo_catalogue(),
        }
    }

    #[test]
    fn the_loader_reads_every_backend_back() {
        let text = backends_toml(&endpoints(), TokenSource::Env("SIM_TOKEN"));
        let config =
            Config::from_toml_str(&text, "printed").unwrap_or_else(|e| panic!("{e}\n{text}"));
        let names: Vec<&str> = config.backends.iter().map(|b| &*b.name).collect();
        assert_eq!(
            names,
            ["harness", "infraxys", "harness-fg", "argo", "argo-data"]
        );
        let kinds: Vec<BackendKind> = config.backends.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [
                BackendKind::Harness,
                BackendKind::Infraxys,
                BackendKind::HarnessFg,
                BackendKind::Argo,
                BackendKind::Argo,
            ]
        );
        for b in &config.backends {
            assert!(
                matches!(b.credential(), Some((_, SecretSource::Env(v))) if v == "SIM_TOKEN"),
                "{}",
                b.name
            );
        }
        let BackendSettings::Harness {
            account, projects, ..
        } = &config.backends[0].settings
        else {
            panic!("harness first")
        };
        assert_eq!(account, "Acc\"ount");
        assert_eq!(projects, &["payments", "checkout"]);
        assert_eq!(
            config.backends[2].base_url.as_str(),
            "http://127.0.0.1:7000/gateway"
        );
        // The first namespace lists the cluster templates and offers the push event.
        let argo = |i: usize| match &config.backends[i].settings {
            BackendSettings::Argo {
                cluster_templates,
                events,
                ..
            } => (*cluster_templates, events.clone()),
            _ => panic!("{} is not argo", config.backends[i].name),
        };
        let (cluster, events) = argo(3);
        assert!(cluster);
        assert_eq!(events[0].discriminator, "github");
        serde_json::from_str::<serde_json::Value>(&events[0].payload).unwrap();
        assert_eq!(argo(4), (false, Vec::new()));
        let BackendSettings::Infraxys {
            workflows,
            actions,
            aliases,
            ..
        } = &config.backends[1].settings
        else {
            panic!("infraxys second")
        };
        let catalogue = super::super::infraxys::demo_catalogue();
        assert_eq!(workflows, &catalogue.workflows);
        assert_eq!(actions, &catalogue.actions);
        assert_eq!(aliases, &catalogue.aliases);
        assert!(config.warnings().is_empty(), "{:?}", config.warnings());
    }

    #[test]
    fn a_literal_token_is_a_literal_secret() {
        let text = backends_toml(&endpoints(), TokenSource::Literal("pat.a.b.c"));
        let config = Config::from_toml_str(&text, "demo").unwrap();
        assert!(
            config
                .backends
                .iter()
                .all(|b| matches!(b.credential(), Some((_, SecretSource::Literal(_)))))
        );
    }
}
