//! Loading valid configs: the shipped example, defaults, and every setting read back.

use std::path::Path;
use std::time::Duration;

use flightdeck::backend::infraxys::ArgumentType;
use flightdeck::config::{BackendSettings, Config, SecretSource, Theme, UiConfig};
use flightdeck::domain::BackendKind;

fn load(text: &str) -> Config {
    match Config::from_toml_str(text, "test.toml") {
        Ok(config) => config,
        Err(e) => panic!("config should load: {e}"),
    }
}

#[test]
fn example_config_loads_with_one_backend_of_each_kind() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.source.as_deref(), Some(path.as_path()));
    let kinds: Vec<BackendKind> = config.backends.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        [
            BackendKind::Harness,
            BackendKind::HarnessFg,
            BackendKind::Argo,
            BackendKind::Infraxys
        ]
    );
    assert_eq!(config.ui, UiConfig::default());
    // Who acts, where the backend cannot say: First Gen and Infraxys name it.
    let identities: Vec<Option<&str>> = config
        .backends
        .iter()
        .map(|b| b.identity.as_deref())
        .collect();
    assert_eq!(
        identities,
        [
            None,
            Some("release-team@example.com"),
            None,
            Some("ops-bot")
        ]
    );
    let saved: Vec<&str> = config.filters.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(saved, ["prod-gates", "failed"]);
    // The example's remaps are commented out: it leaves the default keymap.
    assert_eq!(
        config.keys.help(),
        flightdeck::app::Keymap::default().help()
    );
    // The example uses env, file and cmd secrets, so it must not warn about literals.
    assert!(
        config.warnings().iter().all(|w| !w.contains("literal")),
        "{:?}",
        config.warnings()
    );
}

#[test]
fn example_config_documents_every_key() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let keys = [
        "refresh",
        "refresh_running",
        "refresh_selected",
        "theme",
        "bell",
        "desktop",
        "mouse",
        "[keys]",
        "[filter.",
        "query",
        "pane",
        "read_only",
        "name",
        "kind",
        "base_url",
        "production",
        "timeout",
        "concurrency",
        "max_requests_per_minute",
        "ca_file",
        "insecure_skip_verify",
        "identity",
        "ui_url",
        "account",
        "org",
        "project",
        "projects",
        "api_key",
        "applications",
        "namespace",
        "token",
        "cluster_templates",
        "labels",
        "reject",
        "[[backend.event]]",
        "discriminator",
        "payload",
        "branch",
        "environment_id",
        "workflow_id",
        "asynchronous",
        "argument_fields",
        "instance_id",
        "filename",
        "alias",
        "required",
        "default",
        "type",
        "env =",
        "file =",
        "cmd =",
    ];
    for key in keys {
        assert!(text.contains(key), "example does not mention {key}");
    }
}

#[test]
fn empty_config_has_defaults_and_no_backends() {
    let config = load("");
    assert_eq!(config.ui.refresh, Duration::from_secs(10));
    assert_eq!(config.ui.refresh_running, Duration::from_secs(3));
    assert_eq!(config.ui.refresh_selected, Duration::from_secs(1));
    assert_eq!(config.ui.theme, Theme::Dark);
    assert!(!config.ui.read_only);
    assert!(config.ui.mouse, "the mouse is on by default");
    assert!(config.backends.is_empty());
    assert!(config.source.is_none());
    assert!(config.warnings().is_empty());
}

#[test]
fn backend_defaults() {
    let config = load(
        r#"
[[backend]]
name = "h"
kind = "harness"
base_url = "https://app.harness.io"
account = "acc"
project = "p"
api_key = { env = "K" }
"#,
    );
    let b = &config.backends[0];
    assert_eq!(&*b.name, "h");
    assert_eq!(b.base_url.as_str(), "https://app.harness.io/");
    assert!(!b.production);
    assert!(!b.read_only);
    assert_eq!(b.timeout, Duration::from_secs(15));
    assert_eq!(b.concurrency, 8);
    assert_eq!(b.ca_file, None);
    assert!(!b.insecure_skip_verify);
    let BackendSettings::Harness {
        account,
        org,
        projects,
        api_key,
    } = &b.settings
    else {
        panic!("expected harness settings, got {:?}", b.settings);
    };
    assert_eq!(account, "acc");
    assert_eq!(org, "default");
    assert_eq!(projects, &["p"]);
    assert!(matches!(api_key, SecretSource::Env(v) if v == "K"));
}

#[test]
fn every_setting_is_read() {
    let config = load(
        r#"
[ui]
refresh = "2s"
refresh_running = "1s"
refresh_selected = "500ms"
theme = "high-contrast"
read_only = true
mouse = false

[[backend]]
name = "fg"
kind = "harness-fg"
base_url = "http://localhost:8080/gateway"
production = true
read_only = false
timeout = "5m"
concurrency = 32
ca_file = "/etc/ssl/ca.pem"
insecure_skip_verify = true
account = "acc"
applications = ["A", "B"]
api_key = { cmd = "pass show fg" }

[[backend]]
name = "argo"
kind = "argo"
base_url = "https://argo:2746"
timeout = "1s"
concurrency = 1
namespace = "ci"
cluster_templates = true

[[backend]]
name = "ix"
kind = "infraxys"
base_url = "https://ix"
[[backend.workflow]]
name = "wf"
environment_id = 12
workflow_id = "g-1"
asynchronous = true
argument_fields = [
  { name = "n", type = "number", required = true, default = 1.5 },
  { name = "b", type = "bool", default = false },
  { name = "s" },
]
[[backend.action]]
name = "act"
instance_id = "i-1"
filename = "run.sh"
[[backend.alias]]
name = "al"
alias = "do-it"
"#,
    );
    let ui = &config.ui;
    assert_eq!(ui.refresh, Duration::from_secs(2));
    assert_eq!(ui.refresh_running, Duration::from_secs(1));
    assert_eq!(ui.refresh_selected, Duration::from_millis(500));
    assert_eq!(ui.theme, Theme::HighContrast);
    assert!(ui.read_only);
    assert!(!ui.mouse);

    let fg = config.backend("fg").unwrap();
    assert!(fg.production);
    assert!(
        fg.read_only,
        "the global read_only wins over the backend's false"
    );
    assert_eq!(fg.timeout, Duration::from_secs(300));
    assert_eq!(fg.concurrency, 32);
    assert_eq!(fg.ca_file.as_deref(), Some(Path::new("/etc/ssl/ca.pem")));
    assert!(fg.insecure_skip_verify);
    assert_eq!(fg.base_url.as_str(), "http://localhost:8080/gateway");
    let BackendSettings::HarnessFg {
        applications,
        api_key,
        ..
    } = &fg.settings
    else {
        panic!("{:?}", fg.settings);
    };
    assert_eq!(applications, &["A", "B"]);
    assert!(matches!(api_key, SecretSource::Cmd(c) if c == "pass show fg"));

    let argo = config.backend("argo").unwrap();
    assert_eq!(argo.timeout, Duration::from_secs(1));
    assert_eq!(argo.concurrency, 1);
    let BackendSettings::Argo {
        namespace,
        token,
        cluster_templates,
        ..
    } = &argo.settings
    else {
        panic!("{:?}", argo.settings);
    };
    assert_eq!(namespace, "ci");
    assert!(token.is_none());
    assert!(*cluster_templates);
    assert!(argo.resolve_credential().unwrap().is_none());

    let ix = config.backend("ix").unwrap();
    let BackendSettings::Infraxys {
        branch,
        token,
        workflows,
        actions,
        aliases,
    } = &ix.settings
    else {
        panic!("{:?}", ix.settings);
    };
    assert_eq!(branch, "master");
    assert!(token.is_none());
    let wf = &workflows[0];
    assert_eq!(
        (
            wf.name.as_str(),
            wf.environment_id.as_str(),
            wf.workflow_id.as_str()
        ),
        ("wf", "12", "g-1")
    );
    assert!(wf.asynchronous);
    let fields = &wf.argument_fields;
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[0].field_type, ArgumentType::Number);
    assert!(fields[0].required);
    assert_eq!(fields[0].default.as_deref(), Some("1.5"));
    assert_eq!(fields[1].field_type, ArgumentType::Bool);
    assert_eq!(fields[1].default.as_deref(), Some("false"));
    assert_eq!(fields[2].field_type, ArgumentType::String);
    assert!(!fields[2].required);
    assert_eq!(fields[2].default, None);
    assert_eq!(actions[0].instance_id, "i-1");
    assert_eq!(actions[0].filename, "run.sh");
    assert!(!actions[0].asynchronous);
    assert_eq!(aliases[0].alias, "do-it");

    let warnings = config.warnings();
    assert_eq!(
        warnings,
        ["backend fg: insecure_skip_verify is set; TLS certificates are not verified"]
    );
}

#[test]
fn minimums_and_maximums_are_inclusive() {
    let config = load(
        r#"
[ui]
refresh = "2000ms"
refresh_running = "1000ms"
refresh_selected = "0.5s"
"#,
    );
    assert_eq!(config.ui.refresh, Duration::from_secs(2));
    assert_eq!(config.ui.refresh_selected, Duration::from_millis(500));
}

#[test]
fn relative_paths_are_relative_to_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flightdeck.toml");
    std::fs::write(
        &path,
        r#"
[[backend]]
name = "argo"
kind = "argo"
base_url = "https://argo"
namespace = "argo"
ca_file = "certs/ca.pem"
token = { file = "argo.token" }
"#,
    )
    .unwrap();
    let config = Config::load(&path).unwrap();
    let b = &config.backends[0];
    assert_eq!(
        b.ca_file.as_deref(),
        Some(dir.path().join("certs/ca.pem").as_path())
    );
    let Some((key, SecretSource::File(file))) = b.credential() else {
        panic!("{:?}", b.credential());
    };
    assert_eq!(key, "token");
    assert_eq!(file, &dir.path().join("argo.token"));
}

#[test]
fn argo_settings_read_back() {
    let config = load(
        r#"
[[backend]]
name = "argo"
kind = "argo"
base_url = "https://argo:2746"
namespace = "ci"
labels = "team=payments,tier!=test"
reject = "fail"
[[backend.event]]
name = "github-push"
discriminator = "github"
description = "a push"
payload = '{"ref": "main"}'
[[backend.event]]
name = "nightly"
"#,
    );
    let BackendSettings::Argo {
        namespace,
        labels,
        reject,
        events,
        cluster_templates,
        ..
    } = &config.backends[0].settings
    else {
        panic!("{:?}", config.backends[0].settings);
    };
    assert_eq!(namespace, "ci");
    assert_eq!(labels.as_deref(), Some("team=payments,tier!=test"));
    assert_eq!(*reject, flightdeck::backend::argo::RejectMode::Fail);
    assert!(!cluster_templates);
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].discriminator, "github");
    assert_eq!(events[0].payload, r#"{"ref": "main"}"#);
    // The discriminator defaults to the name, the payload to an empty object.
    assert_eq!(events[1].discriminator, "nightly");
    assert_eq!(events[1].payload, "{}");
}

#[test]
fn the_examples_commented_out_under_keys_load() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let section = &text[text.find("[keys]\n").unwrap()..];
    let remaps: String = section
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("# ") && l.contains(" = "))
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    assert_eq!(remaps.lines().count(), 4, "{remaps}");
    let config = Config::from_toml_str(&format!("[keys]\n{remaps}"), "example")
        .unwrap_or_else(|e| panic!("{e}"));
    let keys = config.keys.help();
    let of = |name: &str| {
        keys.iter()
            .find(|(a, _)| a.name() == name)
            .map(|(_, k)| k.join(" "))
            .unwrap_or_default()
    };
    assert_eq!(of("approve"), "c");
    assert_eq!(of("reject"), "n x");
    assert_eq!(of("refresh"), "r F5");
    assert_eq!(of("freeze"), "");
}
