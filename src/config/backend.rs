//! One `[[backend]]` table: the settings every kind shares, then the kind's own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use super::argo;
use super::duration::Bounds;
use super::error::ConfigError;
use super::infraxys;
use super::reader::{Item, Result, Table};
use super::secret::{self, SecretSource};
use crate::backend::argo::{ArgoEvent, RejectMode};
use crate::backend::infraxys::{InfraxysAction, InfraxysAlias, InfraxysWorkflow};
use crate::domain::{BackendKind, BackendName};

#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// Shown in the UI and used in CLI targets (`name/pipeline`); unique, no `/`.
    pub name: BackendName,
    pub kind: BackendKind,
    /// `http` or `https`, without credentials.
    pub base_url: Url,
    /// Production pipelines need a typed confirmation before starting or deciding.
    pub production: bool,
    /// True when this backend or `[ui] read_only` says so; the global switch always wins.
    pub read_only: bool,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Most requests in flight at once against this backend.
    pub concurrency: usize,
    /// Most requests a minute flightdeck sends this backend (any sliding minute, reads and
    /// writes alike); `None` takes the kind's default share of the vendor's limit
    /// ([`crate::backend::budget::default_share`]).
    pub max_requests_per_minute: Option<usize>,
    /// Extra CA certificate (PEM) to trust, for servers with a private CA.
    pub ca_file: Option<PathBuf>,
    /// Skip TLS verification; always shown as a warning.
    pub insecure_skip_verify: bool,
    /// Who acts with this backend's key, for the audit log where the backend cannot say
    /// (First Gen, Infraxys, an Argo token without claims); recorded as configured, never
    /// as verified, and never over what the backend's API says.
    pub identity: Option<String>,
    /// The vendor's web UI, for links to executions and gates on self-managed installs;
    /// `None` derives it from `base_url` (see `backend::links`).
    pub ui_url: Option<Url>,
    pub settings: BackendSettings,
}

#[derive(Debug, Clone)]
pub enum BackendSettings {
    Harness {
        account: String,
        org: String,
        /// At least one.
        projects: Vec<String>,
        api_key: SecretSource,
    },
    HarnessFg {
        account: String,
        /// Application names to show; empty means all.
        applications: Vec<String>,
        api_key: SecretSource,
    },
    Argo {
        namespace: String,
        /// Optional: Argo servers may run without auth.
        token: Option<SecretSource>,
        /// Also list ClusterWorkflowTemplates.
        cluster_templates: bool,
        /// A label selector narrowing every workflow list and watch.
        labels: Option<String>,
        reject: RejectMode,
        events: Vec<ArgoEvent>,
    },
    Infraxys {
        branch: String,
        token: Option<SecretSource>,
        workflows: Vec<InfraxysWorkflow>,
        actions: Vec<InfraxysAction>,
        aliases: Vec<InfraxysAlias>,
    },
}

impl BackendConfig {
    /// The backend's credential and the key it was configured under (`api_key` or `token`).
    pub fn credential(&self) -> Option<(&'static str, &SecretSource)> {
        match &self.settings {
            BackendSettings::Harness { api_key, .. }
            | BackendSettings::HarnessFg { api_key, .. } => Some(("api_key", api_key)),
            BackendSettings::Argo { token, .. } | BackendSettings::Infraxys { token, .. } => {
                token.as_ref().map(|t| ("token", t))
            }
        }
    }

    /// Resolves the credential, if any; an error names this backend and key.
    pub fn resolve_credential(&self) -> std::result::Result<Option<SecretString>, ConfigError> {
        self.credential()
            .map(|(key, source)| {
                source
                    .resolve()
                    .map_err(|e| e.for_key(format!("backend {}: {key}", self.name)))
            })
            .transpose()
    }
}

const KINDS: [BackendKind; 4] = [
    BackendKind::Harness,
    BackendKind::HarnessFg,
    BackendKind::Argo,
    BackendKind::Infraxys,
];

const COMMON_KEYS: &[&str] = &[
    "name",
    "kind",
    "base_url",
    "production",
    "read_only",
    "timeout",
    "concurrency",
    "max_requests_per_minute",
    "ca_file",
    "insecure_skip_verify",
    "identity",
];

fn kind_keys(kind: BackendKind) -> &'static [&'static str] {
    match kind {
        BackendKind::Harness => &["account", "org", "project", "projects", "api_key", "ui_url"],
        BackendKind::HarnessFg => &["account", "applications", "api_key", "ui_url"],
        BackendKind::Argo => &[
            "ui_url",
            "namespace",
            "token",
            "cluster_templates",
            "labels",
            "reject",
            "event",
        ],
        BackendKind::Infraxys => &["branch", "token", "workflow", "action", "alias"],
    }
}

const TIMEOUT: Bounds = Bounds {
    min: Duration::from_secs(1),
    max: Some(Duration::from_secs(300)),
};
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
const CONCURRENCY: std::ops::RangeInclusive<i64> = 1..=32;
// Eight requests in flight decide a batch of 100 gates in about a second at 50 ms per request,
// far below any backend's rate limit.
const DEFAULT_CONCURRENCY: usize = 8;

pub(crate) fn parse(table: &Table<'_>, global_read_only: bool) -> Result<BackendConfig> {
    let kind = parse_kind(table)?;
    let allowed: Vec<&str> = COMMON_KEYS.iter().chain(kind_keys(kind)).copied().collect();
    table.check_keys(&allowed, &|key| foreign_key(key, kind))?;
    let name = parse_name(table)?;
    let base_url = parse_url(&table.required("base_url", "every backend needs one")?)?;

    let required = format!("required for {} backends", kind.as_str());
    let settings = match kind {
        BackendKind::Harness => BackendSettings::Harness {
            account: table.req_str("account", &required)?,
            org: table
                .opt_str("org")?
                .unwrap_or_else(|| "default".to_owned()),
            projects: parse_projects(table)?,
            api_key: secret::parse(&table.required("api_key", &required)?)?,
        },
        BackendKind::HarnessFg => BackendSettings::HarnessFg {
            account: table.req_str("account", &required)?,
            applications: match table.item("applications") {
                Some(item) => item.string_list()?,
                None => Vec::new(),
            },
            api_key: secret::parse(&table.required("api_key", &required)?)?,
        },
        BackendKind::Argo => BackendSettings::Argo {
            namespace: table.req_str("namespace", &required)?,
            token: optional_secret(table, "token")?,
            cluster_templates: table.bool_or("cluster_templates", false)?,
            labels: table.opt_str("labels")?,
            reject: argo::reject_mode(table)?,
            events: argo::events(table)?,
        },
        BackendKind::Infraxys => {
            let branch = table.opt_str("branch")?;
            let token = optional_secret(table, "token")?;
            let entries = infraxys::parse(table)?;
            BackendSettings::Infraxys {
                branch: branch.unwrap_or_else(|| "master".to_owned()),
                token,
                workflows: entries.workflows,
                actions: entries.actions,
                aliases: entries.aliases,
            }
        }
    };

    Ok(BackendConfig {
        name,
        kind,
        base_url,
        production: table.bool_or("production", false)?,
        read_only: table.bool_or("read_only", false)? || global_read_only,
        timeout: match table.item("timeout") {
            Some(item) => item.duration(&TIMEOUT)?,
            None => DEFAULT_TIMEOUT,
        },
        concurrency: match table.item("concurrency") {
            Some(item) => parse_concurrency(&item)?,
            None => DEFAULT_CONCURRENCY,
        },
        max_requests_per_minute: table
            .item("max_requests_per_minute")
            .map(|item| parse_per_minute(&item))
            .transpose()?,
        ca_file: table.item("ca_file").map(|item| item.path()).transpose()?,
        insecure_skip_verify: table.bool_or("insecure_skip_verify", false)?,
        identity: parse_identity(table)?,
        ui_url: table
            .item("ui_url")
            .map(|item| parse_url(&item))
            .transpose()?,
        settings,
    })
}

fn kind_names() -> String {
    KINDS.map(BackendKind::as_str).join(", ")
}

fn parse_kind(table: &Table<'_>) -> Result<BackendKind> {
    let Some(item) = table.item("kind") else {
        // Check for typos first, so `knd = "argo"` reads as a typo rather than a missing kind.
        let mut every: Vec<&str> = COMMON_KEYS.to_vec();
        every.extend(KINDS.iter().flat_map(|k| kind_keys(*k)));
        table.check_keys(&every, &|_| None)?;
        return Err(table.missing("kind", &format!("expected one of {}", kind_names())));
    };
    let text = item.string()?;
    KINDS
        .into_iter()
        .find(|k| k.as_str() == text)
        .ok_or_else(|| {
            item.invalid(format!(
                "unknown backend kind {text:?}; expected one of {}",
                kind_names()
            ))
        })
}

/// Explains a key that is valid, but for another backend kind.
fn foreign_key(key: &str, kind: BackendKind) -> Option<String> {
    let owners: Vec<&str> = KINDS
        .iter()
        .filter(|k| **k != kind && kind_keys(**k).contains(&key))
        .map(|k| k.as_str())
        .collect();
    if owners.is_empty() {
        return None;
    }
    let mut message = format!(
        "`{key}` is a setting of {} backends, not of {} backends",
        owners.join(" and "),
        kind.as_str()
    );
    // The credential key differs by kind; point at the one this kind takes.
    if matches!(key, "api_key" | "token") {
        let own = if key == "api_key" { "token" } else { "api_key" };
        if kind_keys(kind).contains(&own) {
            message.push_str(&format!("; use `{own}`"));
        }
    }
    Some(message)
}

fn parse_name(table: &Table<'_>) -> Result<BackendName> {
    let item = table.required("name", "every backend needs a unique name")?;
    let name = item.string()?;
    let problem = if name.trim().is_empty() {
        Some("must not be empty")
    } else if name.contains('/') {
        Some("must not contain `/`: names are used in CLI targets like `name/pipeline`")
    } else if name.chars().any(char::is_control) {
        Some("must not contain control characters")
    } else if name.trim() != name {
        Some("must not start or end with whitespace")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(item.invalid(problem)),
        None => Ok(Arc::from(name)),
    }
}

/// The URL itself is never echoed: it might carry a password.
fn parse_url(item: &Item<'_>) -> Result<Url> {
    let text = item.string()?;
    // `127.0.0.1:7400` fails to parse and `localhost:7400` parses with the scheme
    // `localhost`: both lack the scheme.
    let no_scheme = || {
        item.invalid(format!(
            "{text:?} has no scheme; add http:// or https:// in front (https://{text})"
        ))
    };
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(_) if !text.contains("://") && !text.contains(char::is_whitespace) => {
            return Err(no_scheme());
        }
        Err(e) => return Err(item.invalid(format!("invalid URL: {e}"))),
    };
    if !text.contains("://") && !matches!(url.scheme(), "http" | "https") {
        return Err(no_scheme());
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(item.invalid(format!(
            "URL scheme must be http or https, not {:?}",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(item.invalid(
            "must not contain a user name or password; put credentials in api_key or token",
        ));
    }
    Ok(url)
}

/// Whether `url` names this machine (`localhost`, 127.0.0.0/8, `::1`): plain http there
/// never leaves it.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

fn parse_projects(table: &Table<'_>) -> Result<Vec<String>> {
    match (table.item("project"), table.item("projects")) {
        (Some(one), None) => Ok(vec![one.nonempty_string()?]),
        (None, Some(list)) => {
            let projects = list.string_list()?;
            if projects.is_empty() {
                return Err(list.invalid("must list at least one project"));
            }
            Ok(projects)
        }
        (Some(_), Some(list)) => Err(list.invalid("set either `project` or `projects`, not both")),
        (None, None) => {
            Err(table.missing("project", "harness backends need `project` or `projects`"))
        }
    }
}

/// A name for the audit log: one line of printable text.
fn parse_identity(table: &Table<'_>) -> Result<Option<String>> {
    let Some(item) = table.item("identity") else {
        return Ok(None);
    };
    let text = item.string()?;
    if text.trim().is_empty() {
        return Err(item.invalid("must not be empty"));
    }
    if text.chars().any(char::is_control) {
        return Err(item.invalid("must not contain control characters"));
    }
    Ok(Some(text.trim().to_owned()))
}

fn parse_concurrency(item: &Item<'_>) -> Result<usize> {
    let n = item.integer()?;
    if !CONCURRENCY.contains(&n) {
        return Err(item.invalid(format!(
            "must be between {} and {} (got {n})",
            CONCURRENCY.start(),
            CONCURRENCY.end()
        )));
    }
    usize::try_from(n).map_err(|_| item.invalid("out of range"))
}

fn parse_per_minute(item: &Item<'_>) -> Result<usize> {
    let n = item.integer()?;
    let max = crate::backend::budget::MAX_SHARE;
    if !(1..=max as i64).contains(&n) {
        return Err(item.invalid(format!("must be between 1 and {max} (got {n})")));
    }
    usize::try_from(n).map_err(|_| item.invalid("out of range"))
}

fn optional_secret(table: &Table<'_>, key: &str) -> Result<Option<SecretSource>> {
    table.item(key).map(|item| secret::parse(&item)).transpose()
}
