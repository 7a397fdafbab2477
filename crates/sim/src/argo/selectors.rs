//! The selectors the server understands:
//! - label selectors (Kubernetes grammar: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
//!   `k`, `!k`, `k>n`, `k<n`), for list and watch;
//! - the list's field selector, which Argo's server parses itself and where only a few terms
//!   are allowed (spec §4.1);
//! - the watch's field selector, which goes to Kubernetes, where a CRD only knows
//!   `metadata.name` and `metadata.namespace`;
//! - the actions' `nodeFieldSelector` over node fields (spec §7).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

use super::errors::{Answer, ApiError};

/// Splits at commas outside parentheses (`k in (a,b),x=y` is two terms).
fn terms(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out.into_iter().filter(|t| !t.is_empty()).collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum LabelOp {
    Exists,
    Absent,
    Equals(String),
    NotEquals(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Greater(i64),
    Less(i64),
}

/// A parsed label selector; empty matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LabelSelector(Vec<(String, LabelOp)>);

impl LabelSelector {
    pub(crate) fn parse(s: Option<&str>) -> Answer<LabelSelector> {
        let mut reqs = Vec::new();
        for term in terms(s.unwrap_or("")) {
            reqs.push(label_term(term).ok_or_else(|| {
                ApiError::invalid(format!("unable to parse requirement: found '{term}'"))
            })?);
        }
        Ok(LabelSelector(reqs))
    }

    pub(crate) fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|(key, op)| {
            let v = labels.get(key);
            match op {
                LabelOp::Exists => v.is_some(),
                LabelOp::Absent => v.is_none(),
                LabelOp::Equals(x) => v == Some(x),
                LabelOp::NotEquals(x) => v != Some(x),
                LabelOp::In(xs) => v.is_some_and(|v| xs.contains(v)),
                LabelOp::NotIn(xs) => v.is_none_or(|v| !xs.contains(v)),
                LabelOp::Greater(n) => v
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v > *n),
                LabelOp::Less(n) => v
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v < *n),
            }
        })
    }

    /// The labels of a JSON object's `metadata`.
    pub(crate) fn matches_object(&self, object: &Value) -> bool {
        let labels = object["metadata"]["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default();
        self.matches(&labels)
    }
}

fn valid_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn label_term(t: &str) -> Option<(String, LabelOp)> {
    if let Some(key) = t.strip_prefix('!') {
        let key = key.trim();
        return valid_key(key).then(|| (key.to_string(), LabelOp::Absent));
    }
    for (word, negate) in [(" notin ", true), (" in ", false)] {
        if let Some((key, set)) = t.split_once(word) {
            let set = set.trim().strip_prefix('(')?.strip_suffix(')')?;
            let values: Vec<String> = set
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect();
            let key = key.trim().to_string();
            if !valid_key(&key) {
                return None;
            }
            let op = if negate {
                LabelOp::NotIn(values)
            } else {
                LabelOp::In(values)
            };
            return Some((key, op));
        }
    }
    for (sym, make) in [
        ("!=", LabelOp::NotEquals as fn(String) -> LabelOp),
        ("==", LabelOp::Equals),
        ("=", LabelOp::Equals),
    ] {
        if let Some((k, v)) = t.split_once(sym) {
            let k = k.trim();
            return valid_key(k).then(|| (k.to_string(), make(v.trim().to_string())));
        }
    }
    for (sym, greater) in [(">", true), ("<", false)] {
        if let Some((k, v)) = t.split_once(sym) {
            let k = k.trim();
            let n = v.trim().parse::<i64>().ok()?;
            let op = if greater {
                LabelOp::Greater(n)
            } else {
                LabelOp::Less(n)
            };
            return valid_key(k).then(|| (k.to_string(), op));
        }
    }
    valid_key(t).then(|| (t.to_string(), LabelOp::Exists))
}

/// How `metadata.name=` of the list's field selector is matched (`nameFilter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NameFilter {
    Exact,
    Contains,
    Prefix,
    NotEquals,
}

/// The list's field selector (spec §4.1) with `nameFilter`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ListFields {
    name: Option<(NameFilter, String)>,
    namespace: Option<(bool, String)>,
    started_after: Option<Timestamp>,
    started_before: Option<Timestamp>,
    /// `ext.showRemainingItemCount=true`: count exactly, and page correctly.
    pub(crate) show_remaining: bool,
}

fn time(value: &str) -> Answer<Timestamp> {
    value.parse::<Timestamp>().map_err(|_| {
        ApiError::invalid(format!(
            "parsing time \"{value}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"{value}\" as \"2006\""
        ))
    })
}

impl ListFields {
    pub(crate) fn parse(selector: Option<&str>, name_filter: Option<&str>) -> Answer<ListFields> {
        let mut f = ListFields::default();
        let filter = match name_filter.unwrap_or("") {
            "Contains" => NameFilter::Contains,
            "Prefix" => NameFilter::Prefix,
            "NotEquals" => NameFilter::NotEquals,
            _ => NameFilter::Exact,
        };
        for term in selector.unwrap_or("").split(',').filter(|t| !t.is_empty()) {
            let eq = |key: &str| {
                [format!("{key}=="), format!("{key}=")]
                    .into_iter()
                    .find_map(|p| term.strip_prefix(&p).map(str::to_string))
            };
            if let Some(v) = term.strip_prefix("metadata.namespace!=") {
                f.namespace = Some((false, v.to_string()));
            } else if let Some(v) = eq("metadata.namespace") {
                f.namespace = Some((true, v));
            } else if let Some(v) = term.strip_prefix("metadata.name!=") {
                f.name = Some((NameFilter::NotEquals, v.to_string()));
            } else if let Some(v) = eq("metadata.name") {
                f.name = Some((filter, v));
            } else if let Some(v) = term.strip_prefix("spec.startedAt>") {
                f.started_after = Some(time(v)?);
            } else if let Some(v) = term.strip_prefix("spec.startedAt<") {
                f.started_before = Some(time(v)?);
            } else if let Some(v) = term.strip_prefix("ext.showRemainingItemCount=") {
                f.show_remaining = v == "true";
            } else {
                return Err(ApiError::invalid(format!("unsupported requirement {term}")));
            }
        }
        Ok(f)
    }

    /// A namespace the selector pins, checked against the path's.
    pub(crate) fn check_namespace(&self, path: &str) -> Answer<()> {
        match &self.namespace {
            Some((true, ns)) if !path.is_empty() && ns != path => Err(ApiError::invalid(format!(
                "'namespace' query param ({path:?}) and fieldselector 'metadata.namespace' \
                 ({ns:?}) are both specified and contradict each other"
            ))),
            _ => Ok(()),
        }
    }

    pub(crate) fn matches(&self, wf: &Value) -> bool {
        let name = wf["metadata"]["name"].as_str().unwrap_or_default();
        let namespace = wf["metadata"]["namespace"].as_str().unwrap_or_default();
        let name_ok = match &self.name {
            None => true,
            Some((NameFilter::Exact, n)) => name == n,
            Some((NameFilter::Contains, n)) => name.contains(n.as_str()),
            Some((NameFilter::Prefix, n)) => name.starts_with(n.as_str()),
            Some((NameFilter::NotEquals, n)) => name != n,
        };
        let ns_ok = match &self.namespace {
            None => true,
            Some((equal, ns)) => (namespace == ns) == *equal,
        };
        let started = wf["status"]["startedAt"]
            .as_str()
            .and_then(|s| s.parse::<Timestamp>().ok());
        let after_ok = self
            .started_after
            .is_none_or(|t| started.is_some_and(|s| s > t));
        let before_ok = self
            .started_before
            .is_none_or(|t| started.is_some_and(|s| s < t));
        name_ok && ns_ok && after_ok && before_ok
    }
}

/// A plain `key=value`/`key==value`/`key!=value` field selector, as Kubernetes parses it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldSelector(Vec<(String, bool, String)>);

impl FieldSelector {
    pub(crate) fn parse(s: Option<&str>) -> Answer<FieldSelector> {
        let s = s.unwrap_or("");
        let mut reqs = Vec::new();
        for term in s.split(',').filter(|t| !t.is_empty()) {
            let parsed = ["!=", "==", "="].iter().find_map(|op| {
                term.split_once(op)
                    .map(|(k, v)| (k.trim().to_string(), *op != "!=", v.trim().to_string()))
            });
            let req = parsed.filter(|(k, _, _)| !k.is_empty()).ok_or_else(|| {
                ApiError::invalid(format!(
                    "invalid selector: '{s}'; can't understand '{term}'"
                ))
            })?;
            reqs.push(req);
        }
        Ok(FieldSelector(reqs))
    }

    /// The watch's selector: a CRD only knows `metadata.name` and `metadata.namespace`.
    pub(crate) fn for_watch(s: Option<&str>) -> Answer<FieldSelector> {
        let f = FieldSelector::parse(s)?;
        if let Some((key, _, _)) =
            f.0.iter()
                .find(|(k, _, _)| k != "metadata.name" && k != "metadata.namespace")
        {
            return Err(ApiError::invalid(format!(
                "field label not supported: {key}"
            )));
        }
        Ok(f)
    }

    /// The value a `key=value` term asks for.
    pub(crate) fn equal(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, eq, _)| k == key && *eq)
            .map(|(_, _, v)| v.as_str())
    }

    /// Matches a set of fields; a field not in the set counts as empty.
    pub(crate) fn matches(&self, fields: &BTreeMap<String, String>) -> bool {
        self.0.iter().all(|(k, eq, v)| {
            let actual = fields.get(k).map_or("", String::as_str);
            (actual == v) == *eq
        })
    }

    /// Matches a workflow object's name and namespace.
    pub(crate) fn matches_object(&self, object: &Value) -> bool {
        let field = |k: &str| {
            object["metadata"][k]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        let fields = BTreeMap::from([
            ("metadata.name".to_string(), field("name")),
            ("metadata.namespace".to_string(), field("namespace")),
        ]);
        self.matches(&fields)
    }
}

/// The fields a `nodeFieldSelector` can name, read from a rendered node.
pub(crate) fn node_fields(node: &Value) -> BTreeMap<String, String> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let mut f = BTreeMap::new();
    for key in ["id", "name", "displayName", "templateName", "phase"] {
        f.insert(key.to_string(), s(&node[key]));
    }
    if node["templateRef"].is_object() {
        f.insert(
            "templateRef.name".to_string(),
            s(&node["templateRef"]["name"]),
        );
        f.insert(
            "templateRef.template".to_string(),
            s(&node["templateRef"]["template"]),
        );
    }
    for p in node["inputs"]["parameters"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let name = s(&p["name"]);
        f.insert(format!("inputs.parameters.{name}.value"), s(&p["value"]));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn label_selector_operators() {
        let l = labels(&[("phase", "Running"), ("n", "5")]);
        let m = |s: &str| LabelSelector::parse(Some(s)).unwrap().matches(&l);
        assert!(m("phase in (Running,Pending)"));
        assert!(!m("phase notin (Running)"));
        assert!(m("phase=Running,n>4") && m("n<6") && !m("n>5"));
        assert!(m("phase") && m("!team") && !m("!phase"));
        assert!(m("team!=x") && m("phase==Running"));
        assert!(m(""));
        assert!(LabelSelector::parse(Some("a in b")).is_err());
    }

    #[test]
    fn list_fields_allow_only_documented_terms() {
        let err = ListFields::parse(Some("status.phase=Running"), None).unwrap_err();
        assert_eq!(err.message, "unsupported requirement status.phase=Running");
        let f = ListFields::parse(
            Some("metadata.name=rel,ext.showRemainingItemCount=true"),
            Some("Prefix"),
        )
        .unwrap();
        assert!(f.show_remaining);
        let wf = json!({"metadata": {"name": "release-abcde", "namespace": "argo"},
                        "status": {"startedAt": "2026-03-02T09:00:00Z"}});
        assert!(f.matches(&wf));
        let f = ListFields::parse(Some("spec.startedAt>2026-03-02T10:00:00Z"), None).unwrap();
        assert!(!f.matches(&wf));
    }

    #[test]
    fn field_selectors_parse_like_kubernetes() {
        let f = FieldSelector::parse(Some("id=a,phase!=Failed")).unwrap();
        let node = json!({"id": "a", "phase": "Running", "inputs": {"parameters": [{"name": "p", "value": "v"}]}});
        assert!(f.matches(&node_fields(&node)));
        assert!(
            FieldSelector::parse(Some("inputs.parameters.p.value=v"))
                .unwrap()
                .matches(&node_fields(&node))
        );
        assert!(FieldSelector::parse(Some("id")).is_err());
        assert!(FieldSelector::for_watch(Some("spec.x=1")).is_err());
    }
}
