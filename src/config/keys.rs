//! `[keys]`: remapping keys without copying the defaults.
//!
//! ```toml
//! [keys]
//! approve = "c"                 # c approves; a no longer does
//! reject = ["n", "x"]           # both keys, instead of the default
//! refresh = { add = "F5" }      # F5 as well as r
//! freeze = []                   # unbound
//! ```
//!
//! The other layers have sections of their own, written the same way:
//!
//! ```toml
//! [keys.dialog]                 # every dialog's form and buttons
//! confirm = ["enter", "ctrl-s"]
//! cancel = ["esc", "ctrl-g"]
//! [keys.log_view]               # the log view
//! close = ["esc", "q", "h"]
//! [keys.prompt]                 # the / filter, the log search, the : palette
//! down = { add = "ctrl-j" }
//! ```
//!
//! A key left bound to two actions of one section is an error naming the line, and the
//! other line when both come from the file, so a remap never silently shadows another
//! action. Sections are separate layers: `q` may quit in the panes and close the log view.

use super::reader::{Item, Result, Table};
use crate::app::{Action, Key, Keymap, Section};
use toml::de::DeValue;

/// The keymap in force: the defaults with every `[keys]` entry (and every `[keys.NAME]`
/// section's) applied in file order.
pub(crate) fn parse(table: &Table<'_>) -> Result<Keymap> {
    let mut names: Vec<&str> = Action::ALL
        .iter()
        .filter(|a| a.in_section(Section::Panes))
        .map(|a| a.name())
        .collect();
    names.extend(Section::ALL.iter().filter_map(|s| s.table()));
    table.check_keys(&names, &|_| None)?;
    let mut map = Keymap::default();
    section(&mut map, Section::Panes, table)?;
    for (name, item) in table.entries() {
        if let Some(sec) = Section::ALL.into_iter().find(|s| s.table() == Some(name)) {
            section(&mut map, sec, &item.table()?)?;
        }
    }
    Ok(map)
}

/// Applies one section's entries to `map`; checks its keys against each other.
fn section(map: &mut Keymap, sec: Section, table: &Table<'_>) -> Result<()> {
    if sec != Section::Panes {
        let names: Vec<&str> = Action::ALL
            .iter()
            .filter(|a| a.in_section(sec))
            .map(|a| a.name())
            .collect();
        table.check_keys(&names, &|_| None)?;
    }
    // Every key the file binds, with where it was written, for conflict messages.
    let mut written: Vec<(Key, Action, Item<'_>)> = Vec::new();
    for (name, item) in table.entries() {
        let Some(action) = Action::from_name(name).filter(|a| a.in_section(sec)) else {
            continue; // a section, or rejected by check_keys already
        };
        let keys = match item.value {
            DeValue::Table(_) => {
                let add = item.table()?;
                add.check_keys(&["add"], &|_| None)?;
                let list = add.required("add", "the keys to bind as well as the default")?;
                let keys = keys_of(&list)?;
                map.add(
                    sec,
                    action,
                    &keys.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
                );
                keys
            }
            _ => {
                let keys = keys_of(&item)?;
                map.replace(
                    sec,
                    action,
                    &keys.iter().map(|(k, _)| *k).collect::<Vec<_>>(),
                );
                keys
            }
        };
        let way_out = match sec {
            Section::Panes => Action::Quit,
            Section::LogView => Action::Close,
            Section::Dialog | Section::Prompt => Action::Cancel,
        };
        if action == way_out && map.key_in(sec, way_out).is_none() {
            return Err(item.invalid(format!(
                "{} needs at least one key, or there is no way out",
                way_out.name()
            )));
        }
        written.extend(keys.into_iter().map(|(key, at)| (key, action, at)));
    }
    for (i, (key, action, at)) in written.iter().enumerate() {
        let Some(other) = map.actions_of(sec, *key).into_iter().find(|a| a != action) else {
            continue;
        };
        let label = key.label();
        let message = match written[..i]
            .iter()
            .find(|(k, a, _)| k == key && *a == other)
        {
            Some((_, _, there)) => format!(
                "`{label}` is also bound to {} on line {}; one key, one action",
                other.name(),
                there.line()
            ),
            // Bound by the other action's defaults (or later in this file, reported there).
            None if written.iter().any(|(k, a, _)| k == key && *a == other) => continue,
            None => format!(
                "`{label}` is bound to {other} by default; give {other} other keys too \
                 ({other} = \"...\") or pick another key here",
                other = other.name()
            ),
        };
        return Err(at.invalid(message));
    }
    Ok(())
}

/// A key or a list of keys, each with where it was written; a key listed twice counts once.
fn keys_of<'a>(item: &Item<'a>) -> Result<Vec<(Key, Item<'a>)>> {
    let items = match item.value {
        DeValue::String(_) => vec![item.clone()],
        DeValue::Array(_) => item.elements().unwrap_or_default(),
        _ => {
            return Err(item.wrong_type("a key, a list of keys, or { add = [...] }"));
        }
    };
    let mut keys: Vec<(Key, Item<'a>)> = Vec::new();
    for item in items {
        let key = Key::parse(item.string()?).map_err(|why| item.invalid(why))?;
        if !keys.iter().any(|(k, _)| *k == key) {
            keys.push((key, item));
        }
    }
    Ok(keys)
}
