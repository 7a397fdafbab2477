//! `[filter.NAME]`: saved filters, applied from the `:` palette or as `@NAME` in `/`.
//!
//! ```toml
//! [filter.prod-gates]
//! query = "env:prod status:waiting"
//! pane = "approvals"        # optional: the palette switches to this pane
//! ```

use super::reader::{Result, Table};
use crate::app::{Pane, SavedFilter};

pub(crate) fn parse(table: &Table<'_>) -> Result<Vec<SavedFilter>> {
    let mut filters = Vec::new();
    for (name, item) in table.entries() {
        // Names are typed after `@` in a prompt that splits on spaces.
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        {
            return Err(item.invalid(
                "a saved filter's name may hold only letters, digits, `-` and `_` \
                 (it is typed as @name)",
            ));
        }
        if let Some(same) = filters
            .iter()
            .find(|f: &&SavedFilter| f.name.eq_ignore_ascii_case(name))
        {
            return Err(item.invalid(format!(
                "same name as [filter.{}]: @names are matched ignoring case",
                same.name
            )));
        }
        let entry = item.table()?;
        entry.check_keys(&["query", "pane"], &|_| None)?;
        let query_item = entry.required("query", "what to filter by, as typed after /")?;
        let query = query_item.nonempty_string()?;
        if query.split_whitespace().any(|w| w.starts_with('@')) {
            return Err(query_item
                .invalid("a saved filter cannot use another one (@name); write its terms out"));
        }
        let pane = match entry.item("pane") {
            None => None,
            Some(pane) => {
                let text = pane.string()?;
                let found = Pane::ALL
                    .into_iter()
                    .find(|p| p.title().eq_ignore_ascii_case(text));
                let names: Vec<String> =
                    Pane::ALL.iter().map(|p| p.title().to_lowercase()).collect();
                Some(found.ok_or_else(|| {
                    pane.invalid(format!(
                        "unknown pane {text:?}; expected one of {}",
                        names.join(", ")
                    ))
                })?)
            }
        };
        filters.push(SavedFilter {
            name: name.to_string(),
            query,
            pane,
        });
    }
    Ok(filters)
}
