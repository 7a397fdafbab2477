//! The config the simulator writes for itself (`flightdeck sim --print-config`, and what
//! `flightdeck demo` runs on), read back by the client's own config loader. The simulator
//! describes itself in its own types; this is where the two sides are held to agree.

use flightdeck::backend::infraxys::{
    ArgumentField, ArgumentType, InfraxysAction, InfraxysAlias, InfraxysWorkflow,
};
use flightdeck::config::{BackendSettings, Config, SecretSource};
use flightdeck::domain::BackendKind;
use flightdeck_sim::client_config::{TokenSource, backends_toml};
use flightdeck_sim::{
    Argument, ArgumentKind, ClockMode, InfraxysCatalogue, SimEndpoints, SimHandle, SimOptions,
};

/// A running simulator's endpoints, with an account name that needs quoting in TOML.
async fn endpoints() -> (SimHandle, SimEndpoints) {
    let sim = SimHandle::start(SimOptions {
        clock: ClockMode::Manual,
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts");
    let mut endpoints = sim.endpoints();
    endpoints.account = "Acc\"ount".into();
    (sim, endpoints)
}

/// What the client should read for the simulator's catalogue, spelled out field by field.
fn as_configured(
    c: &InfraxysCatalogue,
) -> (
    Vec<InfraxysWorkflow>,
    Vec<InfraxysAction>,
    Vec<InfraxysAlias>,
) {
    fn fields(arguments: &[Argument]) -> Vec<ArgumentField> {
        arguments
            .iter()
            .map(|a| ArgumentField {
                name: a.name.clone(),
                field_type: match a.kind {
                    ArgumentKind::String => ArgumentType::String,
                    ArgumentKind::Number => ArgumentType::Number,
                    ArgumentKind::Bool => ArgumentType::Bool,
                },
                required: a.required,
                default: a.default.clone(),
            })
            .collect()
    }
    let workflows = c
        .workflows
        .iter()
        .map(|w| InfraxysWorkflow {
            name: w.name.clone(),
            environment_id: w.environment_id.clone(),
            workflow_id: w.workflow_id.clone(),
            asynchronous: w.asynchronous,
            argument_fields: fields(&w.arguments),
        })
        .collect();
    let actions = c
        .actions
        .iter()
        .map(|a| InfraxysAction {
            name: a.name.clone(),
            instance_id: a.instance_id.clone(),
            filename: a.filename.clone(),
            asynchronous: a.asynchronous,
            argument_fields: fields(&a.arguments),
        })
        .collect();
    let aliases = c
        .aliases
        .iter()
        .map(|a| InfraxysAlias {
            name: a.name.clone(),
            alias: a.alias.clone(),
            asynchronous: a.asynchronous,
            argument_fields: fields(&a.arguments),
        })
        .collect();
    (workflows, actions, aliases)
}

#[tokio::test]
async fn the_loader_reads_every_backend_back() {
    let (_sim, endpoints) = endpoints().await;
    let text = backends_toml(&endpoints, TokenSource::Env("SIM_TOKEN"));
    let config = Config::from_toml_str(&text, "printed").unwrap_or_else(|e| panic!("{e}\n{text}"));
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
    assert_eq!(projects, &endpoints.projects);
    assert_eq!(
        config.backends[2].base_url.as_str(),
        endpoints.harness_fg_url()
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
        branch,
        workflows,
        actions,
        aliases,
        ..
    } = &config.backends[1].settings
    else {
        panic!("infraxys second")
    };
    let catalogue = &endpoints.infraxys;
    assert_eq!(branch, &catalogue.branch);
    assert_eq!(
        (workflows.clone(), actions.clone(), aliases.clone()),
        as_configured(catalogue)
    );
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());
}

#[tokio::test]
async fn a_literal_token_is_a_literal_secret() {
    let (_sim, endpoints) = endpoints().await;
    let text = backends_toml(&endpoints, TokenSource::Literal("pat.a.b.c"));
    let config = Config::from_toml_str(&text, "demo").unwrap();
    assert!(
        config
            .backends
            .iter()
            .all(|b| matches!(b.credential(), Some((_, SecretSource::Literal(_)))))
    );
}
