//! The Argo-specific parts of a `[[backend]]`: how rejecting works on gates without a
//! verdict parameter, and `[[backend.event]]` entries for WorkflowEventBindings.

use std::collections::HashSet;

use super::reader::{Item, Result, Table};
use crate::backend::argo::{ArgoEvent, RejectMode};

pub(crate) fn reject_mode(table: &Table<'_>) -> Result<RejectMode> {
    let Some(item) = table.item("reject") else {
        return Ok(RejectMode::default());
    };
    match item.string()? {
        "stop" => Ok(RejectMode::Stop),
        "fail" => Ok(RejectMode::Fail),
        other => Err(item.invalid(format!(
            "unknown reject mode {other:?}; expected \"stop\" (stop the node with a message) \
             or \"fail\" (set the node's phase to Failed)"
        ))),
    }
}

pub(crate) fn events(backend: &Table<'_>) -> Result<Vec<ArgoEvent>> {
    let mut seen = HashSet::new();
    let mut events = Vec::new();
    for t in backend.tables("event")? {
        t.check_keys(
            &["name", "discriminator", "description", "payload"],
            &|_| None,
        )?;
        let name_item = t.required("name", "every event needs a name")?;
        let name = name_item.nonempty_string()?;
        if !seen.insert(name.clone()) {
            return Err(name_item.invalid(format!("duplicate event name {name:?}")));
        }
        let discriminator = match t.item("discriminator") {
            Some(item) => item.string()?.to_owned(),
            None => name.clone(),
        };
        events.push(ArgoEvent {
            name,
            discriminator,
            description: t.opt_str("description")?.unwrap_or_default(),
            payload: match t.item("payload") {
                Some(item) => json_text(&item)?,
                None => "{}".to_owned(),
            },
        });
    }
    Ok(events)
}

fn json_text(item: &Item<'_>) -> Result<String> {
    let text = item.string()?;
    serde_json::from_str::<serde_json::Value>(text)
        .map_err(|e| item.invalid(format!("not valid JSON: {e}")))?;
    Ok(text.to_owned())
}
