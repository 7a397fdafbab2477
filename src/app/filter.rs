//! The `/` filter: free words matched fuzzily in a row, plus `backend:`, `project:`,
//! `status:` and `env:` terms (case-insensitive: `backend:` a name exactly, or a prefix with
//! `*`; `status:` the normalized word; the others substrings), and `@name` for a saved filter
//! (`[filter.NAME]` in the config). Every term must match.

use super::Pane;
use super::fuzzy::word_matches;
use crate::audit::Entry;
use crate::domain::{Approval, Execution, Pipeline, Status};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Text(String),
    Backend(String),
    Project(String),
    Status(String),
    Env(String),
}

/// A named filter from the config, offered by the palette and as `@name` in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedFilter {
    pub name: String,
    /// Written as in the `/` prompt; never refers to another saved filter.
    pub query: String,
    /// The pane the palette switches to when applying it.
    pub pane: Option<Pane>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    terms: Vec<Term>,
    /// `@name` terms naming no saved filter: shown in the prompt, and they match nothing.
    pub unknown: Vec<String>,
}

/// What one row offers to the filter.
pub struct Fields<'a> {
    pub backend: &'a str,
    pub project: &'a str,
    pub status: Option<&'a Status>,
    pub env: Option<&'a str>,
    /// Everything free words may match: names, ids, people, messages.
    pub text: &'a [&'a str],
}

fn has(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(needle)
}

/// `backend:NAME` names one backend exactly (`argo` is not `argo-data`); `backend:argo*`
/// names every backend whose name starts with `argo`.
fn backend_is(name: &str, wanted: &str) -> bool {
    let name = name.to_lowercase();
    match wanted.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == wanted,
    }
}

fn term(word: &str) -> Term {
    let lower = word.to_lowercase();
    match lower.split_once(':') {
        Some(("backend", v)) => Term::Backend(v.into()),
        Some(("project", v)) => Term::Project(v.into()),
        Some(("status", v)) => Term::Status(v.into()),
        Some(("env", v)) => Term::Env(v.into()),
        _ => Term::Text(lower),
    }
}

impl Filter {
    pub fn parse(query: &str) -> Filter {
        Filter::parse_with(query, &[])
    }

    /// Parses `query`, putting the terms of each `@name` in its place.
    pub fn parse_with(query: &str, saved: &[SavedFilter]) -> Filter {
        let mut filter = Filter::default();
        for word in query.split_whitespace() {
            let Some(name) = word.strip_prefix('@') else {
                filter.terms.push(term(word));
                continue;
            };
            match saved.iter().find(|s| s.name.eq_ignore_ascii_case(name)) {
                Some(s) => filter.terms.extend(s.query.split_whitespace().map(term)),
                None => filter.unknown.push(name.to_string()),
            }
        }
        filter
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.unknown.is_empty()
    }

    pub fn matches(&self, f: &Fields) -> bool {
        if !self.unknown.is_empty() {
            return false;
        }
        self.terms.iter().all(|term| match term {
            Term::Backend(v) => backend_is(f.backend, v),
            Term::Project(v) => has(f.project, v),
            // The normalized word the STATUS column shows (`waiting`, `failed`), never the
            // backend's own: an Argo workflow stopped at a gate is `Running` to Argo but
            // `waiting` on screen, and `status:running` must not keep it.
            Term::Status(v) => f.status.is_some_and(|s| has(s.status.label(), v)),
            Term::Env(v) => f.env.is_some_and(|e| has(e, v)),
            Term::Text(v) => {
                word_matches(v, f.backend)
                    || word_matches(v, f.project)
                    || f.text.iter().any(|t| word_matches(v, t))
            }
        })
    }

    /// `last`: the status the LAST RUN column shows.
    pub fn pipeline(&self, p: &Pipeline, last: Option<&Status>) -> bool {
        let tags: Vec<String> = p.tags.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        let mut text = vec![p.name.as_str(), p.id.as_str(), p.description.as_str()];
        text.extend(tags.iter().map(String::as_str));
        self.matches(&Fields {
            backend: &p.backend,
            project: &p.project,
            status: last,
            env: None,
            text: &text,
        })
    }

    pub fn execution(&self, e: &Execution) -> bool {
        self.matches(&Fields {
            backend: &e.backend,
            project: &e.project,
            status: Some(&e.status),
            env: None,
            text: &[&e.pipeline_name, &e.pipeline_id, &e.id, &e.triggered_by],
        })
    }

    pub fn approval(&self, a: &Approval, status: &Status) -> bool {
        self.matches(&Fields {
            backend: &a.backend,
            project: &a.project,
            status: Some(status),
            env: a.environment.as_deref(),
            text: &[
                &a.pipeline_name,
                &a.stage,
                &a.step,
                &a.message,
                &a.triggered_by,
                &a.id,
            ],
        })
    }

    pub fn audit(&self, e: &Entry) -> bool {
        self.matches(&Fields {
            backend: &e.backend,
            project: &e.target.project,
            status: None,
            env: None,
            text: &[&e.action, &e.target.name, &e.user, &e.result.status],
        })
    }
}

impl super::App {
    /// The `/` prompt: the filter applies as it is typed; confirm (Enter) keeps it, cancel
    /// (Esc) drops it.
    pub(super) fn on_filter_key(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::Event;
        use tui_input::backend::crossterm::EventHandler;
        match self.keymap.action_in(super::Section::Prompt, &key) {
            Some(super::Action::Confirm) => self.filter_input = None,
            Some(super::Action::Cancel) => {
                self.filter_input = None;
                self.set_filter(String::new());
            }
            _ => {
                if let Some(input) = self.filter_input.as_mut() {
                    input.handle_event(&Event::Key(key));
                    let text = input.value().to_string();
                    self.set_filter(text);
                }
            }
        }
    }

    pub(super) fn set_filter(&mut self, text: String) {
        self.filter = super::Filter::parse_with(&text, &self.saved_filters);
        self.filter_text = text;
        self.mark_views_stale();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ExecStatus;

    fn fields<'a>(status: &'a Status, text: &'a [&'a str]) -> Fields<'a> {
        Fields {
            backend: "payments-prod",
            project: "checkout",
            status: Some(status),
            env: Some("production"),
            text,
        }
    }

    #[test]
    fn every_term_must_match() {
        let s = Status::new(ExecStatus::Waiting, "ApprovalWaiting");
        let f = fields(&s, &["Deploy Web", "jane"]);
        assert!(Filter::parse("").matches(&f));
        assert!(Filter::parse("deploy").matches(&f));
        assert!(Filter::parse("DEPLOY backend:payments-prod status:waiting env:prod").matches(&f));
        assert!(
            !Filter::parse("backend:payments").matches(&f),
            "a backend is named exactly"
        );
        assert!(Filter::parse("backend:payments*").matches(&f));
        assert!(Filter::parse("backend:PAYMENTS-*").matches(&f));
        assert!(!Filter::parse("backend:prod*").matches(&f));
        assert!(
            !Filter::parse("status:approvalwait").matches(&f),
            "the backend's own word is not what the screen shows"
        );
        let suspended = Status::new(ExecStatus::Waiting, "Running");
        assert!(!Filter::parse("status:running").matches(&fields(&suspended, &[])));
        assert!(!Filter::parse("deploy status:failed").matches(&f));
        assert!(!Filter::parse("project:payments").matches(&f));
        assert!(
            Filter::parse("payments").matches(&f),
            "free words see the backend too"
        );
        assert!(Filter::parse("depweb").matches(&f), "free words are fuzzy");
        assert!(!Filter::parse("dwx").matches(&f));
    }

    #[test]
    fn saved_filters_expand_in_place() {
        let s = Status::new(ExecStatus::Waiting, "ApprovalWaiting");
        let f = fields(&s, &["Deploy Web", "jane"]);
        let saved = [SavedFilter {
            name: "prod-gates".into(),
            query: "env:prod status:waiting".into(),
            pane: Some(Pane::Approvals),
        }];
        assert!(Filter::parse_with("@prod-gates", &saved).matches(&f));
        assert!(Filter::parse_with("@PROD-gates web", &saved).matches(&f));
        assert!(!Filter::parse_with("@prod-gates api", &saved).matches(&f));
        let unknown = Filter::parse_with("@nope", &saved);
        assert_eq!(unknown.unknown, ["nope"]);
        assert!(!unknown.matches(&f), "an unknown name matches nothing");
    }
}
