//! The simulator's Infraxys catalogue as the client reads it: the `infraxys` backend of the
//! config the simulator prints for itself, through the client's config loader. The
//! simulator describes its catalogue in its own types; tests that configure an Infraxys
//! client from it go through the same text a user's config would.

use flightdeck::backend::infraxys::{InfraxysAction, InfraxysAlias, InfraxysWorkflow};
use flightdeck::config::{BackendSettings, Config};
use flightdeck_sim::SimHandle;
use flightdeck_sim::client_config::{TokenSource, backends_toml};

/// The Infraxys entries of a config.
pub struct Catalogue {
    pub branch: String,
    pub workflows: Vec<InfraxysWorkflow>,
    pub actions: Vec<InfraxysAction>,
    pub aliases: Vec<InfraxysAlias>,
}

pub fn configured_catalogue(sim: &SimHandle) -> Catalogue {
    let text = backends_toml(&sim.endpoints(), TokenSource::Literal(&sim.harness_token()));
    let config = Config::from_toml_str(&text, "the simulator's config").unwrap();
    config
        .backends
        .into_iter()
        .find_map(|b| match b.settings {
            BackendSettings::Infraxys {
                branch,
                workflows,
                actions,
                aliases,
                ..
            } => Some(Catalogue {
                branch,
                workflows,
                actions,
                aliases,
            }),
            _ => None,
        })
        .expect("an infraxys backend")
}
