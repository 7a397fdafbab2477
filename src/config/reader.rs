//! A walker over the spanned TOML tree that knows where every value came from.
//!
//! The config is read by hand from `toml::de::DeTable` rather than with `#[derive(Deserialize)]`
//! because serde errors lose the key path and cannot explain that `namespace` belongs to argo
//! backends; here every error carries the exact line, column and dotted key.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::{ConfigError, line_col};
use super::paths;

pub(crate) type Result<T> = std::result::Result<T, ConfigError>;

/// The text being read and what to call it in messages.
pub(crate) struct Doc<'a> {
    pub origin: &'a str,
    pub text: &'a str,
    /// Relative paths in the file are taken relative to this directory.
    pub base_dir: Option<&'a Path>,
}

impl Doc<'_> {
    pub(crate) fn error(
        &self,
        span: &Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        let (line, column) = line_col(self.text, span.start);
        ConfigError::Invalid {
            file: self.origin.to_owned(),
            line,
            column,
            key: key.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn syntax(&self, err: &toml::de::Error) -> ConfigError {
        let span = err.span().unwrap_or(0..0);
        let (line, column) = line_col(self.text, span.start);
        let mut message = err.message().trim_end().to_owned();
        // toml does not say which key is repeated; its span covers the key, so quote it.
        // Only keys are quoted: other spans may cover part of a literal secret.
        if message == "duplicate key"
            && let Some(key) = self.text.get(span)
        {
            message = format!("duplicate key `{key}`");
        }
        ConfigError::Syntax {
            file: self.origin.to_owned(),
            line,
            column,
            message,
        }
    }
}

/// A table at a known key path.
pub(crate) struct Table<'a> {
    doc: &'a Doc<'a>,
    pub path: String,
    span: Range<usize>,
    map: &'a DeTable<'a>,
}

/// One value at a known key path.
#[derive(Clone)]
pub(crate) struct Item<'a> {
    doc: &'a Doc<'a>,
    pub path: String,
    span: Range<usize>,
    pub value: &'a DeValue<'a>,
}

impl<'a> Table<'a> {
    pub(crate) fn root(doc: &'a Doc<'a>, map: &'a DeTable<'a>) -> Self {
        Table {
            doc,
            path: String::new(),
            span: 0..0,
            map,
        }
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(crate) fn item(&self, key: &str) -> Option<Item<'a>> {
        self.map.get(key).map(|v| Item {
            doc: self.doc,
            path: self.child_path(key),
            span: v.span(),
            value: v.get_ref(),
        })
    }

    /// Every entry, in file order: for tables whose keys are names the user chooses
    /// (`[keys]`, `[filter.NAME]`).
    pub(crate) fn entries(&self) -> Vec<(&'a str, Item<'a>)> {
        let mut entries: Vec<_> = self.map.iter().collect();
        entries.sort_by_key(|(k, _)| k.span().start);
        entries
            .into_iter()
            .map(|(k, v)| {
                let name: &'a str = k.get_ref();
                (
                    name,
                    Item {
                        doc: self.doc,
                        path: self.child_path(name),
                        span: v.span(),
                        value: v.get_ref(),
                    },
                )
            })
            .collect()
    }

    /// The error for a missing key is placed on the table itself (its `[header]` line).
    pub(crate) fn missing(&self, key: &str, why: &str) -> ConfigError {
        self.doc
            .error(&self.span, &self.child_path(key), format!("missing, {why}"))
    }

    pub(crate) fn required(&self, key: &str, why: &str) -> Result<Item<'a>> {
        self.item(key).ok_or_else(|| self.missing(key, why))
    }

    pub(crate) fn req_str(&self, key: &str, why: &str) -> Result<String> {
        self.required(key, why)?.nonempty_string()
    }

    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<String>> {
        self.item(key).map(|i| i.nonempty_string()).transpose()
    }

    pub(crate) fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        self.item(key).map_or(Ok(default), |i| i.boolean())
    }

    /// An array of tables (`[[x]]` or `x = [{...}]`); absent means empty.
    pub(crate) fn tables(&self, key: &str) -> Result<Vec<Table<'a>>> {
        let Some(item) = self.item(key) else {
            return Ok(Vec::new());
        };
        let DeValue::Array(array) = item.value else {
            return Err(item.wrong_type(&format!("an array of tables ([[{}]])", item.toml_name())));
        };
        array
            .iter()
            .enumerate()
            .map(|(i, v)| item.element(i, v).table())
            .collect()
    }

    /// Rejects keys not in `allowed`, in file order. `foreign` may explain a key that is valid
    /// elsewhere (another backend kind); otherwise the closest valid key is suggested.
    pub(crate) fn check_keys(
        &self,
        allowed: &[&str],
        foreign: &dyn Fn(&str) -> Option<String>,
    ) -> Result<()> {
        let mut keys: Vec<&Spanned<_>> = self.map.keys().collect();
        keys.sort_by_key(|k| k.span().start);
        for key in keys {
            let name: &str = key.get_ref();
            if allowed.contains(&name) {
                continue;
            }
            let message = foreign(name).unwrap_or_else(|| match closest(name, allowed) {
                Some(best) => format!("unknown key; did you mean `{best}`?"),
                None => format!("unknown key; valid keys here: {}", allowed.join(", ")),
            });
            return Err(self.doc.error(&key.span(), &self.child_path(name), message));
        }
        Ok(())
    }
}

impl<'a> Item<'a> {
    fn element(&self, index: usize, value: &'a Spanned<DeValue<'a>>) -> Item<'a> {
        Item {
            doc: self.doc,
            path: format!("{}[{index}]", self.path),
            span: value.span(),
            value: value.get_ref(),
        }
    }

    /// The key path as TOML writes a table header: `backend.workflow`, without indices.
    fn toml_name(&self) -> String {
        let mut out = String::with_capacity(self.path.len());
        let mut in_index = false;
        for c in self.path.chars() {
            match c {
                '[' => in_index = true,
                ']' => in_index = false,
                _ if !in_index => out.push(c),
                _ => {}
            }
        }
        out
    }

    /// The 1-based line the value starts on, for messages that point at another entry.
    pub(crate) fn line(&self) -> usize {
        line_col(self.doc.text, self.span.start).0
    }

    /// The elements of an array value, each at its own key path.
    pub(crate) fn elements(&self) -> Option<Vec<Item<'a>>> {
        let DeValue::Array(array) = self.value else {
            return None;
        };
        Some(
            array
                .iter()
                .enumerate()
                .map(|(i, v)| self.element(i, v))
                .collect(),
        )
    }

    pub(crate) fn invalid(&self, message: impl Into<String>) -> ConfigError {
        self.doc.error(&self.span, &self.path, message)
    }

    pub(crate) fn wrong_type(&self, expected: &str) -> ConfigError {
        self.invalid(format!(
            "expected {expected}, found {}",
            type_name(self.value)
        ))
    }

    pub(crate) fn string(&self) -> Result<&'a str> {
        match self.value {
            DeValue::String(s) => Ok(s),
            _ => Err(self.wrong_type("a string")),
        }
    }

    pub(crate) fn nonempty_string(&self) -> Result<String> {
        let s = self.string()?;
        if s.trim().is_empty() {
            return Err(self.invalid("must not be empty"));
        }
        Ok(s.to_owned())
    }

    pub(crate) fn boolean(&self) -> Result<bool> {
        match self.value {
            DeValue::Boolean(b) => Ok(*b),
            _ => Err(self.wrong_type("true or false")),
        }
    }

    pub(crate) fn integer(&self) -> Result<i64> {
        match self.value {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|_| self.invalid("integer out of range")),
            _ => Err(self.wrong_type("an integer")),
        }
    }

    pub(crate) fn table(&self) -> Result<Table<'a>> {
        match self.value {
            DeValue::Table(map) => Ok(Table {
                doc: self.doc,
                path: self.path.clone(),
                span: self.span.clone(),
                map,
            }),
            _ => Err(self.wrong_type("a table")),
        }
    }

    pub(crate) fn string_list(&self) -> Result<Vec<String>> {
        let DeValue::Array(array) = self.value else {
            return Err(self.wrong_type("a list of strings"));
        };
        array
            .iter()
            .enumerate()
            .map(|(i, v)| self.element(i, v).nonempty_string())
            .collect()
    }

    /// A path with `~/` expanded and relative paths taken from the config file's directory.
    pub(crate) fn path(&self) -> Result<PathBuf> {
        let raw = self.nonempty_string()?;
        paths::expand(&raw, self.doc.base_dir).map_err(|why| self.invalid(why))
    }
}

fn type_name(value: &DeValue<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

/// The valid key nearest to a typo, if it is near enough to be what was meant.
fn closest<'k>(typo: &str, candidates: &[&'k str]) -> Option<&'k str> {
    let limit = (typo.chars().count() / 3).max(1);
    candidates
        .iter()
        .map(|c| (edit_distance(typo, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance; keys are short, so the simple two-row version is plenty.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_near_keys() {
        let keys = ["account", "org", "project", "projects", "base_url"];
        assert_eq!(closest("acount", &keys), Some("account"));
        assert_eq!(closest("base-url", &keys), Some("base_url"));
        assert_eq!(closest("orgs", &keys), Some("org"));
        assert_eq!(closest("zzzzzz", &keys), None);
    }
}
