//! The config file: finding it, reading it, and explaining exactly what is wrong with it.
//!
//! Every error names the file, line, column and dotted key (`backend[1].kind`). Secrets are
//! recorded as sources and resolved only when a backend is built (see [`SecretSource`]).
//! `config.example.toml` at the top of the repository documents every option.

mod argo;
pub mod argo_env;
mod backend;
mod duration;
mod error;
mod filters;
mod infraxys;
mod keys;
mod paths;
mod reader;
mod secret;
mod ui;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use toml::de::DeTable;

pub use backend::{BackendConfig, BackendSettings};
pub use error::ConfigError;
pub use paths::CONFIG_ENV;
pub use secret::SecretSource;
pub use ui::{Theme, UiConfig};

use crate::app::{Keymap, SavedFilter};
use crate::domain::BackendName;
use reader::{Doc, Table};

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// The file this was loaded from; `None` for built-in or in-memory configs.
    pub source: Option<PathBuf>,
    /// Built from the argo CLI's variables because there was no config file.
    pub from_argo_env: bool,
    pub ui: UiConfig,
    /// The default keymap with `[keys]` applied.
    pub keys: Keymap,
    /// `[filter.NAME]` tables, in file order.
    pub filters: Vec<SavedFilter>,
    pub backends: Vec<BackendConfig>,
}

impl Config {
    /// Finds the config file: `explicit` (`--config`), then `$FLIGHTDECK_CONFIG`, then
    /// `config.toml` in the per-user config directory. `Ok(None)` when none of these is
    /// given and the per-user file does not exist; a named path that does not exist is an error.
    pub fn discover(explicit: Option<&Path>) -> Result<Option<PathBuf>, ConfigError> {
        paths::discover_in(
            explicit,
            std::env::var_os(CONFIG_ENV).as_deref(),
            default_path().as_deref(),
        )
    }

    /// The config file this run names by the same order, whether or not it exists, and
    /// what named it (`--config`, `$FLIGHTDECK_CONFIG` or `default`): where `config init`
    /// writes and what `config path` prints.
    pub fn named(explicit: Option<&Path>) -> Option<(PathBuf, &'static str)> {
        paths::named_in(
            explicit,
            std::env::var_os(CONFIG_ENV).as_deref(),
            default_path().as_deref(),
        )
    }

    /// With no config file: the one Argo backend the argo CLI's variables describe
    /// (`ARGO_SERVER`, …), or `None` when `ARGO_SERVER` is not set.
    pub fn from_argo_env() -> Result<Option<Config>, ConfigError> {
        let text = argo_env::config_text(|name| std::env::var(name).ok())
            .map_err(ConfigError::Environment)?;
        let Some(text) = text else { return Ok(None) };
        let mut config = parse(&text, argo_env::ORIGIN, None)?;
        config.from_argo_env = true;
        Ok(Some(config))
    }

    /// Where this config came from, for people: its file, or the argo CLI's variables.
    pub fn origin(&self) -> String {
        match (&self.source, self.from_argo_env) {
            (Some(path), _) => path.display().to_string(),
            (None, true) => "the argo CLI's variables ($ARGO_SERVER …; no config file)".into(),
            (None, false) => "built in".into(),
        }
    }

    /// Reads and validates a config file. Relative paths inside it are taken relative to
    /// the file's directory.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        let mut config = parse(&text, &origin, path.parent())?;
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// Validates config text; `origin` names it in error messages.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Config, ConfigError> {
        parse(text, origin, None)
    }

    pub fn backend(&self, name: &str) -> Option<&BackendConfig> {
        self.backends.iter().find(|b| &*b.name == name)
    }

    /// Things that work but should be fixed: literal secrets, secret or config files that
    /// group or others can read, and disabled TLS verification.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut has_literal = false;
        for b in &self.backends {
            match b.credential() {
                Some((key, SecretSource::Literal(_))) => {
                    has_literal = true;
                    warnings.push(format!(
                        "backend {}: {key} is a literal in the config; use {{ env = ... }}, \
                         {{ file = ... }} or {{ cmd = ... }}",
                        b.name
                    ));
                }
                Some((key, SecretSource::File(path))) => {
                    if let Some(mode) = secret::readable_by_others(path) {
                        warnings.push(format!(
                            "backend {}: {key} file {} is readable by group or others \
                             (mode {mode:03o}); run chmod 600 on it",
                            b.name,
                            path.display()
                        ));
                    }
                }
                _ => {}
            }
            if let Some((key, _)) = b.credential()
                && b.base_url.scheme() == "http"
                && !backend::is_loopback(&b.base_url)
            {
                warnings.push(format!(
                    "backend {}: base_url is plain http:// to another machine, so the {key} \
                     crosses the network in cleartext; use https://",
                    b.name
                ));
            }
            if b.insecure_skip_verify {
                warnings.push(format!(
                    "backend {}: insecure_skip_verify is set; TLS certificates are not verified",
                    b.name
                ));
            }
        }
        if has_literal
            && let Some(path) = &self.source
            && let Some(mode) = secret::readable_by_others(path)
        {
            warnings.push(format!(
                "config file {} contains a literal secret and is readable by group or others \
                 (mode {mode:03o}); run chmod 600 on it",
                path.display()
            ));
        }
        warnings
    }
}

/// `config.toml` in the per-user config directory.
fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "flightdeck")
        .map(|dirs| dirs.config_dir().join("config.toml"))
}

fn parse(text: &str, origin: &str, base_dir: Option<&Path>) -> Result<Config, ConfigError> {
    let doc = Doc {
        origin,
        text,
        base_dir,
    };
    let tree = DeTable::parse(text).map_err(|e| doc.syntax(&e))?;
    let root = Table::root(&doc, tree.get_ref());
    root.check_keys(&["ui", "keys", "filter", "backend"], &|_| None)?;
    let ui = match root.item("ui") {
        Some(item) => ui::parse(&item.table()?)?,
        None => UiConfig::default(),
    };
    let keys = match root.item("keys") {
        Some(item) => keys::parse(&item.table()?)?,
        None => Keymap::default(),
    };
    let filters = match root.item("filter") {
        Some(item) => filters::parse(&item.table()?)?,
        None => Vec::new(),
    };
    let mut backends = Vec::new();
    let mut seen: HashMap<BackendName, String> = HashMap::new();
    for table in root.tables("backend")? {
        let backend = backend::parse(&table, ui.read_only)?;
        if let Some(first) = seen.get(&backend.name) {
            let name = table.required("name", "")?;
            return Err(name.invalid(format!(
                "duplicate backend name {:?}; {first} already uses it",
                &*backend.name
            )));
        }
        seen.insert(backend.name.clone(), table.path.clone());
        backends.push(backend);
    }
    Ok(Config {
        source: None,
        from_argo_env: false,
        ui,
        keys,
        filters,
        backends,
    })
}
