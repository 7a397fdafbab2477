//! Wiring: backends from the config (or the simulator), the service, the app, the TUI.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::app::{Alerts, App, BackendInfo, Settings};
use crate::backend::Backend;
use crate::backend::argo::{ArgoBackend, ArgoOptions};
use crate::backend::harness::{HarnessBackend, HarnessOptions};
use crate::backend::harness_fg::{HarnessFgBackend, HarnessFgOptions};
use crate::backend::infraxys::{InfraxysBackend, InfraxysOptions};
use crate::config::{BackendConfig, BackendSettings, Config};
use crate::service::{Intervals, Limits, Service};
use crate::tui::{self, Exit};
use crate::ui::Theme;

/// One backend ready to run, with the facts the UI needs about it.
pub struct Prepared {
    pub backend: Arc<dyn Backend>,
    pub limits: Limits,
    pub production: bool,
    pub read_only: bool,
    pub insecure: bool,
    /// The config's `identity` (see `write::Writes::identity`).
    pub identity: Option<String>,
}

impl Prepared {
    pub fn new(backend: Arc<dyn Backend>, concurrency: usize, timeout: Duration) -> Self {
        let min_interval = backend.budget().min_poll_interval;
        Prepared {
            backend,
            limits: Limits {
                concurrency,
                // A paged list is several requests; allow a few request timeouts in a row.
                operation_timeout: timeout * 4,
                min_interval,
            },
            production: false,
            read_only: false,
            insecure: false,
            identity: None,
        }
    }
}

/// How many past audit entries the Audit pane loads at startup.
const AUDIT_SHOWN: usize = 500;

/// A loaded config with its backends built.
pub struct Loaded {
    pub config: Config,
    pub backends: Vec<Prepared>,
}

/// Finds and loads the config, prints its warnings (literal secrets, loose permissions,
/// skipped TLS verification) to stderr, and builds every backend it names.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, String> {
    let config = match Config::discover(explicit).map_err(|e| e.to_string())? {
        Some(path) => Config::load(&path).map_err(|e| e.to_string())?,
        // Without a config file, the argo CLI's variables may describe one Argo backend.
        None => Config::from_argo_env()
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                "no config file: pass --config PATH, set $FLIGHTDECK_CONFIG, or write \
                 ~/.config/flightdeck/config.toml (`flightdeck config init`); with ARGO_SERVER \
                 set, the argo CLI's variables are used instead; `flightdeck demo` runs \
                 without any"
                    .to_string()
            })?,
    };
    for warning in config.warnings() {
        crate::out::note(&format!("warning: {warning}"));
    }
    let backends = config
        .backends
        .iter()
        .map(prepare)
        .collect::<Result<Vec<_>, _>>()?;
    if backends.is_empty() {
        return Err(format!(
            "{}: no usable [[backend]] configured",
            config.origin()
        ));
    }
    Ok(Loaded { config, backends })
}

/// Runs the dashboard until the user quits or the terminal goes away. `config` gives the
/// look and keys (`[ui]`, `[keys]`, `[filter.NAME]`); its backends are already in `backends`.
pub async fn dashboard(
    backends: Vec<Prepared>,
    intervals: Intervals,
    read_only: bool,
    audit: Option<std::path::PathBuf>,
    config: &Config,
) -> std::io::Result<Exit> {
    let infos = backends
        .iter()
        .map(|p| BackendInfo {
            name: p.backend.name().clone(),
            kind: p.backend.kind(),
            production: p.production,
            read_only: p.read_only,
            insecure: p.insecure,
            identity: p.identity.clone(),
        })
        .collect();
    let (tx, rx) = mpsc::unbounded_channel();
    let service = Service::spawn(
        backends
            .into_iter()
            .map(|p| (p.backend, p.limits))
            .collect(),
        intervals,
        tx,
    );
    // Everything the app needs from outside is read here, once.
    let app = App::new(Settings {
        backends: infos,
        intervals,
        read_only,
        keymap: config.keys.clone(),
        saved_filters: config.filters.clone(),
        alerts: Alerts {
            bell: config.ui.bell,
            desktop: crate::alert::channel(config.ui.desktop, |name| std::env::var(name).ok()),
        },
        audit: audit
            .as_ref()
            .map(|path| crate::audit::read_recent(path, AUDIT_SHOWN))
            .unwrap_or_default(),
        user: crate::write::local_user(),
    });
    let theme = Theme::from_env(config.ui.theme);
    let options = tui::Options {
        mouse: config.ui.mouse,
    };
    tui::run(app, tui::Outside { service, audit }, rx, theme, options).await
}

/// Builds the client for one configured backend, resolving its secret now.
pub fn prepare(config: &BackendConfig) -> Result<Prepared, String> {
    let backend: Arc<dyn Backend> = match &config.settings {
        BackendSettings::Harness {
            account,
            org,
            projects,
            api_key,
        } => {
            let api_key = api_key
                .resolve_as(&format!("backend {}'s api_key", config.name))
                .map_err(|e| format!("backend {}: api_key: {e}", config.name))?;
            HarnessBackend::new(HarnessOptions {
                name: config.name.clone(),
                base_url: config.base_url.clone(),
                account: account.clone(),
                org: org.clone(),
                projects: projects.clone(),
                api_key,
                timeout: config.timeout,
                ca_file: config.ca_file.clone(),
                insecure_skip_verify: config.insecure_skip_verify,
            })
            .map(|b| Arc::new(b.with_ui_url(config.ui_url.clone())))
            .map_err(|e| format!("backend {}: {e}", config.name))?
        }
        BackendSettings::Infraxys {
            branch,
            token,
            workflows,
            actions,
            aliases,
        } => {
            let token = optional_token(config, token.as_ref())?;
            InfraxysBackend::new(InfraxysOptions {
                name: config.name.clone(),
                base_url: config.base_url.clone(),
                branch: branch.clone(),
                token,
                timeout: config.timeout,
                ca_file: config.ca_file.clone(),
                insecure_skip_verify: config.insecure_skip_verify,
                workflows: workflows.clone(),
                actions: actions.clone(),
                aliases: aliases.clone(),
            })
            .map(Arc::new)
            .map_err(|e| format!("backend {}: {e}", config.name))?
        }
        BackendSettings::HarnessFg {
            account,
            applications,
            api_key,
        } => {
            let api_key = api_key
                .resolve_as(&format!("backend {}'s api_key", config.name))
                .map_err(|e| format!("backend {}: api_key: {e}", config.name))?;
            HarnessFgBackend::new(HarnessFgOptions {
                name: config.name.clone(),
                base_url: config.base_url.clone(),
                account: account.clone(),
                applications: applications.clone(),
                api_key,
                timeout: config.timeout,
                ca_file: config.ca_file.clone(),
                insecure_skip_verify: config.insecure_skip_verify,
            })
            .map_err(|e| format!("backend {}: {e}", config.name))
            .map(|b| Arc::new(b.with_ui_url(config.ui_url.clone())))?
        }
        BackendSettings::Argo {
            namespace,
            token,
            cluster_templates,
            labels,
            reject,
            events,
        } => {
            let token = optional_token(config, token.as_ref())?.map(argo_token);
            ArgoBackend::new(ArgoOptions {
                name: config.name.clone(),
                base_url: config.base_url.clone(),
                namespace: namespace.clone(),
                token,
                cluster_templates: *cluster_templates,
                label_selector: labels.clone(),
                reject: *reject,
                events: events.clone(),
                timeout: config.timeout,
                ca_file: config.ca_file.clone(),
                insecure_skip_verify: config.insecure_skip_verify,
            })
            .map(|b| Arc::new(b.with_ui_url(config.ui_url.clone())))
            .map_err(|e| format!("backend {}: {e}", config.name))?
        }
    };
    if let Some(pace) = backend.pace() {
        pace.set_share(Some(
            config
                .max_requests_per_minute
                .unwrap_or_else(|| crate::backend::budget::default_share(config.kind)),
        ));
    }
    let mut prepared = Prepared::new(backend, config.concurrency, config.timeout);
    prepared.production = config.production;
    prepared.read_only = config.read_only;
    prepared.insecure = config.insecure_skip_verify;
    prepared.identity = config.identity.clone();
    Ok(prepared)
}

/// An Argo token as the argo CLI takes it: `ARGO_TOKEN='Bearer v2:…'` (what `argo auth
/// token` prints) or the bare token. One leading `Bearer ` is removed, since the client adds
/// its own.
fn argo_token(token: secrecy::SecretString) -> secrecy::SecretString {
    use secrecy::ExposeSecret;
    let text = token.expose_secret();
    let bare = text
        .get(..7)
        .filter(|p| p.eq_ignore_ascii_case("bearer "))
        .map(|_| text[7..].trim_start());
    match bare {
        Some(bare) => secrecy::SecretString::from(bare.to_owned()),
        None => token,
    }
}

/// An optional `token`, resolved now; an error names the backend.
fn optional_token(
    config: &BackendConfig,
    token: Option<&crate::config::SecretSource>,
) -> Result<Option<secrecy::SecretString>, String> {
    token
        .map(|t| t.resolve_as(&format!("backend {}'s token", config.name)))
        .transpose()
        .map_err(|e| format!("backend {}: token: {e}", config.name))
}
