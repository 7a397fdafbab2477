//! The `fields` response projection (spec §4.3): `fields=a.b,c` keeps the listed paths (and
//! their parents, and everything under them); a single leading `-` turns the whole list into
//! paths to delete. Paths are dot-joined JSON keys; arrays are not indexed, a path applies to
//! every element; map keys are path segments (`status.nodes.<id>`); there are no wildcards.
//!
//! List and get re-encode the projected object through the Go structs afterwards
//! (`json::restore_*`); watch streams do not, the gateway prunes the whole envelope again.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fields {
    exclude: bool,
    paths: Vec<String>,
}

impl Fields {
    /// `None` when the parameter is absent or empty: nothing is projected.
    pub(crate) fn parse(param: Option<&str>) -> Option<Fields> {
        let param = param.filter(|p| !p.is_empty())?;
        let (exclude, list) = match param.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, param),
        };
        let paths = list
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        Some(Fields { exclude, paths })
    }

    pub(crate) fn apply(&self, value: &mut Value) {
        if self.exclude {
            for path in &self.paths {
                let parts: Vec<&str> = path.split('.').collect();
                delete(value, &parts);
            }
        } else {
            keep(value, "", &self.paths);
        }
    }
}

fn keep(value: &mut Value, prefix: &str, paths: &[String]) {
    match value {
        Value::Object(map) => {
            map.retain(|key, child| {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                if paths.contains(&path) {
                    return true;
                }
                let parent = format!("{path}.");
                if paths.iter().any(|p| p.starts_with(&parent)) {
                    keep(child, &path, paths);
                    return true;
                }
                false
            });
        }
        Value::Array(items) => items.iter_mut().for_each(|i| keep(i, prefix, paths)),
        _ => {}
    }
}

fn delete(value: &mut Value, parts: &[&str]) {
    let Some((first, rest)) = parts.split_first() else {
        return;
    };
    match value {
        Value::Object(map) if rest.is_empty() => {
            map.remove(*first);
        }
        Value::Object(map) => {
            if let Some(child) = map.get_mut(*first) {
                delete(child, rest);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| delete(i, parts)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn list() -> Value {
        json!({"metadata": {"resourceVersion": "9"},
               "items": [{"metadata": {"name": "a", "uid": "u"},
                          "status": {"phase": "Running", "nodes": {"a": {"id": "a"}}}}]})
    }

    #[test]
    fn include_keeps_paths_parents_and_subtrees() {
        let mut v = list();
        Fields::parse(Some("metadata,items.metadata.name,items.status.nodes"))
            .unwrap()
            .apply(&mut v);
        assert_eq!(
            v,
            json!({"metadata": {"resourceVersion": "9"},
                   "items": [{"metadata": {"name": "a"},
                              "status": {"nodes": {"a": {"id": "a"}}}}]})
        );
    }

    #[test]
    fn exclude_deletes_exact_paths_only() {
        let mut v = list();
        Fields::parse(Some("-items.status.nodes,items.metadata.uid"))
            .unwrap()
            .apply(&mut v);
        assert_eq!(v["items"][0]["status"], json!({"phase": "Running"}));
        assert_eq!(v["items"][0]["metadata"], json!({"name": "a"}));
        assert!(Fields::parse(Some("")).is_none());
    }
}
