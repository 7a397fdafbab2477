//! Where the config file is, and how paths written inside it are understood.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::error::ConfigError;

/// The variable that points at a config file when `--config` is not given.
pub const CONFIG_ENV: &str = "FLIGHTDECK_CONFIG";

/// What names the per-user config file, which may be missing; any other name must exist.
const DEFAULT: &str = "default";

/// Which config file this run names, whether or not it exists, and what named it:
/// `--config`, then `$FLIGHTDECK_CONFIG`, then `default` (the per-user config dir).
///
/// Takes the environment value as a parameter so tests need not mutate the process env.
pub(crate) fn named_in(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    default: Option<&Path>,
) -> Option<(PathBuf, &'static str)> {
    if let Some(path) = explicit {
        return Some((path.to_path_buf(), "--config"));
    }
    // An empty variable is treated as unset, as shells make `FLIGHTDECK_CONFIG=` easy to leave behind.
    if let Some(value) = env_value.filter(|v| !v.is_empty()) {
        return Some((PathBuf::from(value), "$FLIGHTDECK_CONFIG"));
    }
    default.map(|p| (p.to_path_buf(), DEFAULT))
}

/// Resolves the config file ([`named_in`]'s). A path the user named explicitly must
/// exist; the default may not.
pub(crate) fn discover_in(
    explicit: Option<&Path>,
    env_value: Option<&OsStr>,
    default: Option<&Path>,
) -> Result<Option<PathBuf>, ConfigError> {
    match named_in(explicit, env_value, default) {
        Some((path, DEFAULT)) => Ok(path.exists().then_some(path)),
        Some((path, via)) => must_exist(&path, via).map(Some),
        None => Ok(None),
    }
}

fn must_exist(path: &Path, via: &'static str) -> Result<PathBuf, ConfigError> {
    match path.try_exists() {
        Ok(true) => Ok(path.to_path_buf()),
        Ok(false) => Err(ConfigError::NotFound {
            path: path.to_path_buf(),
            via,
        }),
        Err(source) => Err(ConfigError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Expands a leading `~/` to the home directory and anchors relative paths at `base_dir`
/// (the config file's directory), so a config works the same from any working directory.
pub(crate) fn expand(raw: &str, base_dir: Option<&Path>) -> Result<PathBuf, String> {
    let path = if raw == "~" || raw.starts_with("~/") {
        let home = directories::BaseDirs::new()
            .ok_or("cannot expand `~`: the home directory is unknown")?
            .home_dir()
            .to_path_buf();
        match raw.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => home,
        }
    } else if raw.starts_with('~') {
        return Err("only `~/` is expanded; `~user` paths are not supported".to_owned());
    } else {
        PathBuf::from(raw)
    };
    Ok(match base_dir {
        Some(base) if path.is_relative() => base.join(path),
        _ => path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_path_wins_over_env_and_default() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.toml");
        let b = dir.path().join("b.toml");
        let c = dir.path().join("c.toml");
        for p in [&a, &b, &c] {
            std::fs::write(p, "").unwrap();
        }
        let found = discover_in(Some(&a), Some(b.as_os_str()), Some(&c)).unwrap();
        assert_eq!(found, Some(a));
        let found = discover_in(None, Some(b.as_os_str()), Some(&c)).unwrap();
        assert_eq!(found, Some(b));
        let found = discover_in(None, None, Some(&c)).unwrap();
        assert_eq!(found, Some(c.clone()));
        let found = discover_in(None, Some(OsStr::new("")), Some(&c)).unwrap();
        assert_eq!(found, Some(c));
    }

    #[test]
    fn missing_default_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("config.toml");
        assert_eq!(discover_in(None, None, Some(&absent)).unwrap(), None);
        assert_eq!(discover_in(None, None, None).unwrap(), None);
    }

    #[test]
    fn missing_explicit_or_env_path_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let absent = dir.path().join("nope.toml");
        let err = discover_in(Some(&absent), None, None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "config file {} (from --config) does not exist",
                absent.display()
            )
        );
        let err = discover_in(None, Some(absent.as_os_str()), None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            format!(
                "config file {} (from $FLIGHTDECK_CONFIG) does not exist",
                absent.display()
            )
        );
    }

    #[test]
    fn expand_anchors_relative_paths_and_home() {
        let base = Path::new("/etc/flightdeck");
        assert_eq!(
            expand("ca.pem", Some(base)).unwrap(),
            PathBuf::from("/etc/flightdeck/ca.pem")
        );
        assert_eq!(
            expand("/abs/ca.pem", Some(base)).unwrap(),
            PathBuf::from("/abs/ca.pem")
        );
        assert_eq!(expand("ca.pem", None).unwrap(), PathBuf::from("ca.pem"));
        let home = directories::BaseDirs::new()
            .unwrap()
            .home_dir()
            .to_path_buf();
        assert_eq!(expand("~/k", Some(base)).unwrap(), home.join("k"));
        assert!(expand("~bob/k", None).unwrap_err().contains("~user"));
    }
}
