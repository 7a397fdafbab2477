//! `backend/id` and `backend/project/id` targets, resolved against the loaded backends.

use std::sync::Arc;

use super::failure::Failure;
use crate::backend::Backend;
use crate::domain::{BackendError, ExecRef, Pipeline};
use crate::launch::Prepared;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub backend: String,
    pub project: Option<String>,
    pub id: String,
}

impl Target {
    pub fn parse(text: &str, what: &str) -> Result<Target, Failure> {
        let parts: Vec<&str> = text.split('/').collect();
        let bad = || {
            Failure::bad_input(format!(
                "{text:?}: expected backend/{what} or backend/project/{what}"
            ))
        };
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        match parts.as_slice() {
            [backend, id] => Ok(Target {
                backend: backend.to_string(),
                project: None,
                id: id.to_string(),
            }),
            [backend, project, id] => Ok(Target {
                backend: backend.to_string(),
                project: Some(project.to_string()),
                id: id.to_string(),
            }),
            _ => Err(bad()),
        }
    }
}

/// The target of a listed item, as `list -q` prints it, JSON's `target` holds, and
/// [`Target::parse`] reads back: `backend/project/id`, or `backend/id` when the project
/// is not one plain shell word (a First Gen application such as `Legacy Billing`), so
/// `$(flightdeck list executions -q)` splits into whole targets. Without the project the
/// item is looked up across projects, as a typed `backend/id` is.
pub fn format(backend: &str, project: &str, id: &str) -> String {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:@+=,%".contains(c))
    };
    if plain(project) {
        format!("{backend}/{project}/{id}")
    } else {
        format!("{backend}/{id}")
    }
}

pub fn find<'a>(backends: &'a [Prepared], name: &str) -> Result<&'a Prepared, Failure> {
    backends
        .iter()
        .find(|p| &**p.backend.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = backends.iter().map(|p| &**p.backend.name()).collect();
            Failure::not_found(format!(
                "no backend named {name:?}; configured: {}",
                names.join(", ")
            ))
        })
}

/// The pipeline a start target names: by id, or failing that by exact name.
pub async fn pipeline(backend: &Arc<dyn Backend>, target: &Target) -> Result<Pipeline, Failure> {
    let name = backend.name().to_string();
    let all = backend
        .list_pipelines()
        .await
        .map_err(|e| Failure::backend(&name, &e))?;
    let in_project = |p: &&Pipeline| target.project.as_ref().is_none_or(|pr| &p.project == pr);
    let by_id: Vec<&Pipeline> = all
        .iter()
        .filter(in_project)
        .filter(|p| p.id == target.id)
        .collect();
    let matches = if by_id.is_empty() {
        all.iter()
            .filter(in_project)
            .filter(|p| p.name == target.id)
            .collect()
    } else {
        by_id
    };
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Failure::not_found(format!(
            "{name}: no pipeline {:?}{}",
            target.id,
            target
                .project
                .as_ref()
                .map(|p| format!(" in project {p}"))
                .unwrap_or_default()
        ))),
        several => {
            let projects: Vec<String> = several
                .iter()
                .map(|p| format!("{name}/{}/{}", p.project, p.id))
                .collect();
            Err(Failure::conflict(format!(
                "{name}: {:?} is in several projects; name one of {}",
                target.id,
                projects.join(", ")
            )))
        }
    }
}

/// Where an execution lives. With no project in the target, the recent executions are
/// searched first, then every project that has pipelines.
pub async fn execution(backend: &Arc<dyn Backend>, target: &Target) -> Result<ExecRef, Failure> {
    let name = backend.name().to_string();
    if let Some(project) = &target.project {
        return Ok(ExecRef {
            project: project.clone(),
            id: target.id.clone(),
        });
    }
    let recent = backend
        .list_executions()
        .await
        .map_err(|e| Failure::backend(&name, &e))?;
    if let Some(e) = recent.iter().find(|e| e.id == target.id) {
        return Ok(e.exec_ref());
    }
    let pipelines = backend
        .list_pipelines()
        .await
        .map_err(|e| Failure::backend(&name, &e))?;
    let mut projects: Vec<&str> = pipelines.iter().map(|p| p.project.as_str()).collect();
    projects.sort_unstable();
    projects.dedup();
    let mut not_found = None;
    for project in projects {
        let exec = ExecRef {
            project: project.to_string(),
            id: target.id.clone(),
        };
        match backend.execution(&exec).await {
            Ok(_) => return Ok(exec),
            Err(e @ BackendError::NotFound(_)) => not_found = Some(e),
            Err(e) => return Err(Failure::backend(&name, &e)),
        }
    }
    // Infraxys cannot read runs back: its own answer says why, "not in any project" would not.
    if backend.kind() == crate::domain::BackendKind::Infraxys
        && let Some(e) = not_found
    {
        return Err(Failure::backend(&name, &e));
    }
    Err(Failure::not_found(format!(
        "{name}: no execution {:?} in any project",
        target.id
    )))
}

/// `name=value` pairs from repeated flags. A name given twice is refused: which value was
/// meant is not for flightdeck to guess.
pub fn pairs(flag: &str, items: &[String]) -> Result<Vec<(String, String)>, Failure> {
    let pairs: Vec<(String, String)> = items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
            _ => Err(Failure::bad_input(format!(
                "--{flag} {item:?}: expected name=value"
            ))),
        })
        .collect::<Result<_, _>>()?;
    for (i, (name, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(n, _)| n == name) {
            return Err(Failure::bad_input(format!(
                "--{flag} {name} is given more than once; give each {flag} once"
            )));
        }
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_with_and_without_project() {
        assert_eq!(
            Target::parse("prod/deploy", "pipeline").unwrap(),
            Target {
                backend: "prod".into(),
                project: None,
                id: "deploy".into()
            }
        );
        assert_eq!(
            Target::parse("prod/payments/deploy", "pipeline")
                .unwrap()
                .project
                .as_deref(),
            Some("payments")
        );
        for bad in ["prod", "prod/", "/x", "a/b/c/d"] {
            assert_eq!(Target::parse(bad, "pipeline").unwrap_err().code, 2, "{bad}");
        }
    }

    #[test]
    fn formatted_targets_parse_back() {
        for (project, expected) in [
            ("payments", "prod/payments/deploy"),
            ("Legacy Billing", "prod/deploy"),
            ("a/b", "prod/deploy"),
            ("*", "prod/deploy"),
        ] {
            let text = format("prod", project, "deploy");
            assert_eq!(text, expected);
            let t = Target::parse(&text, "pipeline").unwrap();
            assert_eq!((t.backend.as_str(), t.id.as_str()), ("prod", "deploy"));
        }
    }

    #[test]
    fn pairs_need_a_name() {
        assert_eq!(
            pairs("var", &["a=b=c".into()]).unwrap(),
            vec![("a".to_string(), "b=c".to_string())]
        );
        assert_eq!(pairs("var", &["=x".into()]).unwrap_err().code, 2);
        assert_eq!(pairs("var", &["x".into()]).unwrap_err().code, 2);
        let twice = pairs("var", &["a=1".into(), "a=2".into()]).unwrap_err();
        assert_eq!(
            (twice.code, twice.message.as_str()),
            (2, "--var a is given more than once; give each var once")
        );
    }
}
