//! `flightdeck inputs <backend>/<pipeline>`: the runtime inputs a start takes, so a script
//! learns names, types and choices without provoking an error.

use serde::Serialize;

use super::json::ListJson;
use super::{Failure, Global, table, target};
use crate::domain::{VarKind, VariableSpec};

/// One input in `inputs -o json` (README, "JSON output").
#[derive(Debug, Serialize)]
pub struct InputSpecJson {
    pub name: String,
    /// text, number, secret, choice, or `entity:<type>` (a Harness environment, service...).
    #[serde(rename = "type")]
    pub kind: String,
    /// A start without a value for it is refused (exit 2) unless it has a default.
    pub required: bool,
    /// The allowed values of a `choice`; empty otherwise.
    pub choices: Vec<String>,
    /// A secret's default is never printed: `"***"` when it has one.
    pub default: Option<String>,
    pub secret: bool,
    pub description: Option<String>,
}

impl From<&VariableSpec> for InputSpecJson {
    fn from(v: &VariableSpec) -> Self {
        let secret = v.kind == VarKind::Secret;
        InputSpecJson {
            name: v.name.clone(),
            kind: match &v.kind {
                VarKind::Text => "text".into(),
                VarKind::Number => "number".into(),
                VarKind::Secret => "secret".into(),
                VarKind::Choice(_) => "choice".into(),
                VarKind::Entity(of) => format!("entity:{of}"),
            },
            required: v.required,
            choices: match &v.kind {
                VarKind::Choice(options) => options.clone(),
                _ => Vec::new(),
            },
            default: v
                .default
                .as_ref()
                .map(|d| if secret { "***".into() } else { d.clone() }),
            secret,
            description: v.description.clone(),
        }
    }
}

pub async fn run(global: &Global, text: &str) -> Result<(), Failure> {
    let loaded = global.load()?;
    let t = target::Target::parse(text, "pipeline")?;
    let p = target::find(&loaded.backends, &t.backend)?;
    let pipeline = target::pipeline(&p.backend, &t).await?;
    let form = p
        .backend
        .start_form(&pipeline.project, &pipeline.id)
        .await
        .map_err(|e| Failure::backend(&t.backend, &e))?;
    let items: Vec<InputSpecJson> = form.variables.iter().map(Into::into).collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            let or_dash = |s: String| if s.is_empty() { "-".to_string() } else { s };
            vec![
                i.name.clone(),
                i.kind.clone(),
                if i.required { "yes" } else { "no" }.into(),
                or_dash(i.choices.join(",")),
                or_dash(i.default.clone().unwrap_or_default()),
                if i.secret { "yes" } else { "no" }.into(),
            ]
        })
        .collect();
    let doc = ListJson {
        items,
        failed: Vec::new(),
    };
    global.print(&doc, || {
        if rows.is_empty() {
            format!("{}: no runtime inputs\n", pipeline.name)
        } else {
            table::render(
                &["NAME", "TYPE", "REQUIRED", "CHOICES", "DEFAULT", "SECRET"],
                &rows,
            )
        }
    });
    Ok(())
}
