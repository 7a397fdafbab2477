//! Config errors, phrased for the person editing the file: `file:line:col: key.path: problem`.
//!
//! No variant ever carries a secret value: values are quoted only where they cannot be a
//! credential (a backend kind, a theme, a duration), and secret resolution reports the
//! variable, file or command, never what it produced.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config path given by `--config` or `$FLIGHTDECK_CONFIG` does not exist.
    #[error("config file {} (from {via}) does not exist", path.display())]
    NotFound { path: PathBuf, via: &'static str },

    #[error("cannot read config file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A variable that stands in for a config file (`ARGO_SECURE=maybe`) is unusable.
    #[error("{0}")]
    Environment(String),

    /// The text is not valid TOML.
    #[error("{file}:{line}:{column}: invalid TOML: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },

    /// Valid TOML, but a key is unknown, missing, mistyped or has a bad value.
    #[error("{file}:{line}:{column}: {key}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        /// Dotted path such as `backend[1].api_key` or `ui.refresh`.
        key: String,
        message: String,
    },

    /// A secret could not be resolved. `key` names the setting (`backend prod: api_key`)
    /// when known; `message` names the variable, file or command, never the value.
    #[error("{}{message}", key.as_ref().map(|k| format!("{k}: ")).unwrap_or_default())]
    Secret {
        key: Option<String>,
        message: String,
    },
}

impl ConfigError {
    /// Attaches the setting a secret belongs to, so the message says which one failed.
    pub(crate) fn for_key(self, name: String) -> Self {
        match self {
            ConfigError::Secret { message, .. } => ConfigError::Secret {
                key: Some(name),
                message,
            },
            other => other,
        }
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
///
/// Tolerates offsets past the end or inside a character, so a surprising span from the
/// parser can never turn into a panic while reporting an error.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // "bé = " is 6 bytes but 5 characters
        assert_eq!(line_col(text, 12), (2, 6));
    }

    #[test]
    fn line_col_tolerates_bad_offsets() {
        let text = "é";
        assert_eq!(line_col(text, 1), (1, 1));
        assert_eq!(line_col(text, 99), (1, 2));
        assert_eq!(line_col("", 3), (1, 1));
    }
}
