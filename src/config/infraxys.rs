//! Infraxys has no listing API, so its startable things are named in the config:
//! `[[backend.workflow]]`, `[[backend.action]]` and `[[backend.alias]]`.

use std::collections::HashMap;

use toml::de::DeValue;

use super::reader::{Item, Result, Table};
use crate::backend::infraxys::{
    ArgumentField, ArgumentType, InfraxysAction, InfraxysAlias, InfraxysWorkflow,
};

pub(crate) struct Entries {
    pub workflows: Vec<InfraxysWorkflow>,
    pub actions: Vec<InfraxysAction>,
    pub aliases: Vec<InfraxysAlias>,
}

/// Keys every entry kind shares.
struct Common {
    name: String,
    asynchronous: bool,
    argument_fields: Vec<ArgumentField>,
}

pub(crate) fn parse(backend: &Table<'_>) -> Result<Entries> {
    // Entries become pipelines addressed as `backend/name`, so names are unique across kinds.
    let mut names = Names::default();
    let mut workflows = Vec::new();
    for t in backend.tables("workflow")? {
        let common = common(&t, &["environment_id", "workflow_id"], &mut names)?;
        workflows.push(InfraxysWorkflow {
            environment_id: id(&t, "environment_id", "required for infraxys workflows")?,
            workflow_id: id(&t, "workflow_id", "required for infraxys workflows")?,
            name: common.name,
            asynchronous: common.asynchronous,
            argument_fields: common.argument_fields,
        });
    }
    let mut actions = Vec::new();
    for t in backend.tables("action")? {
        let common = common(&t, &["instance_id", "filename"], &mut names)?;
        actions.push(InfraxysAction {
            instance_id: id(&t, "instance_id", "required for infraxys actions")?,
            filename: t.req_str("filename", "required for infraxys actions")?,
            name: common.name,
            asynchronous: common.asynchronous,
            argument_fields: common.argument_fields,
        });
    }
    let mut aliases = Vec::new();
    for t in backend.tables("alias")? {
        let common = common(&t, &["alias"], &mut names)?;
        aliases.push(InfraxysAlias {
            alias: t.req_str("alias", "required for infraxys aliases")?,
            name: common.name,
            asynchronous: common.asynchronous,
            argument_fields: common.argument_fields,
        });
    }
    Ok(Entries {
        workflows,
        actions,
        aliases,
    })
}

/// Remembers where each name was first used, to point at it on a duplicate.
#[derive(Default)]
struct Names(HashMap<String, String>);

impl Names {
    fn claim(&mut self, item: &Item<'_>, name: &str, owner: &str) -> Result<()> {
        if let Some(first) = self.0.get(name) {
            return Err(item.invalid(format!("duplicate name {name:?}; {first} already uses it")));
        }
        self.0.insert(name.to_owned(), owner.to_owned());
        Ok(())
    }
}

fn common(t: &Table<'_>, specific: &[&str], names: &mut Names) -> Result<Common> {
    let mut allowed = vec!["name", "asynchronous", "argument_fields"];
    allowed.extend_from_slice(specific);
    t.check_keys(&allowed, &|_| None)?;
    let name_item = t.required("name", "every entry needs a name")?;
    let name = name_item.nonempty_string()?;
    names.claim(&name_item, &name, &t.path)?;
    Ok(Common {
        name,
        asynchronous: t.bool_or("asynchronous", false)?,
        argument_fields: argument_fields(t)?,
    })
}

/// Ids are GUIDs in practice, but a database id written as a bare number is accepted too.
fn id(t: &Table<'_>, key: &str, why: &str) -> Result<String> {
    let item = t.required(key, why)?;
    match item.value {
        DeValue::Integer(_) => Ok(item.integer()?.to_string()),
        DeValue::String(_) => item.nonempty_string(),
        _ => Err(item.wrong_type("a string or an integer")),
    }
}

fn argument_fields(entry: &Table<'_>) -> Result<Vec<ArgumentField>> {
    let mut names = Names::default();
    let mut fields = Vec::new();
    for t in entry.tables("argument_fields")? {
        t.check_keys(&["name", "type", "required", "default"], &|_| None)?;
        let name_item = t.required("name", "every argument field needs a name")?;
        let name = name_item.nonempty_string()?;
        names.claim(&name_item, &name, &t.path)?;
        let field_type = match t.item("type") {
            Some(item) => argument_type(&item)?,
            None => ArgumentType::default(),
        };
        fields.push(ArgumentField {
            name,
            field_type,
            required: t.bool_or("required", false)?,
            default: t
                .item("default")
                .map(|item| default_text(&item, field_type))
                .transpose()?,
        });
    }
    Ok(fields)
}

fn argument_type(item: &Item<'_>) -> Result<ArgumentType> {
    let text = item.string()?;
    ArgumentType::ALL
        .into_iter()
        .find(|t| t.as_str() == text)
        .ok_or_else(|| {
            let valid = ArgumentType::ALL.map(ArgumentType::as_str).join(", ");
            item.invalid(format!("unknown type {text:?}; expected one of {valid}"))
        })
}

/// The default must already have the field's type, so a typo surfaces here, not at start time.
fn default_text(item: &Item<'_>, field_type: ArgumentType) -> Result<String> {
    match (field_type, item.value) {
        (ArgumentType::String, DeValue::String(s)) => Ok(s.to_string()),
        (ArgumentType::Number, DeValue::Integer(_)) => Ok(item.integer()?.to_string()),
        (ArgumentType::Number, DeValue::Float(f)) => match f.as_str().parse::<f64>() {
            // JSON has no infinity or NaN, and the value ends up in a JSON argument.
            Ok(v) if v.is_finite() => Ok(v.to_string()),
            _ => Err(item.invalid("must be a finite number")),
        },
        (ArgumentType::Bool, DeValue::Boolean(b)) => Ok(b.to_string()),
        (ArgumentType::String, _) => Err(item.wrong_type("a string (the field's type is string)")),
        (ArgumentType::Number, _) => Err(item.wrong_type("a number (the field's type is number)")),
        (ArgumentType::Bool, _) => Err(item.wrong_type("true or false (the field's type is bool)")),
    }
}
