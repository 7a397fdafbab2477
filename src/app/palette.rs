//! The `:` command palette: every action, pane and saved filter, found by fuzzy matching
//! and run with Enter. It lists what the keymap in force offers, with each action's key, so
//! it doubles as a way to learn the keys.

use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::fuzzy::{self, Mode};
use super::{Action, App, Effect, FlashLevel, Pane, Section, View};

/// What choosing an entry does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Action(Action),
    Pane(Pane),
    /// Index into the app's saved filters.
    Saved(usize),
    ClearFilter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub target: Target,
    /// What is matched and shown.
    pub label: String,
    /// `action`, `view` or `filter`: shown beside the label.
    pub kind: &'static str,
    /// The key that does the same, if any.
    pub key: Option<String>,
}

/// One entry that matches the query, with the matched character positions in its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub entry: usize,
    pub positions: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Palette {
    pub input: Input,
    pub entries: Vec<Entry>,
    /// Matching entries, best first.
    pub hits: Vec<Hit>,
    /// Position in `hits`.
    pub selected: usize,
}

/// Moving line by line through lists: the view's own movement, not a palette action.
const NOT_LISTED: [Action; 5] = [
    Action::Up,
    Action::Down,
    Action::PageUp,
    Action::PageDown,
    Action::Palette,
];

impl Palette {
    pub fn new(entries: Vec<Entry>) -> Self {
        let mut palette = Palette {
            input: Input::default(),
            entries,
            hits: Vec::new(),
            selected: 0,
        };
        palette.refilter();
        palette
    }

    /// Ranks the entries against the query: best score first, then the shorter label (the
    /// closer match), then listing order.
    fn refilter(&mut self) {
        let query = self.input.value().trim();
        let mut scored: Vec<(i32, Hit)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let m = fuzzy::find(query, &e.label, Mode::Anywhere)?;
                Some((
                    m.score,
                    Hit {
                        entry: i,
                        positions: m.positions,
                    },
                ))
            })
            .collect();
        // Without a query everything scores alike: keep the listing order.
        if !query.is_empty() {
            let entries = &self.entries;
            scored.sort_by_key(|(score, hit)| {
                let len = entries[hit.entry].label.chars().count();
                (std::cmp::Reverse(*score), len, hit.entry)
            });
        }
        self.hits = scored.into_iter().map(|(_, hit)| hit).collect();
        self.selected = 0;
    }

    pub fn chosen(&self) -> Option<&Entry> {
        self.hits.get(self.selected).map(|h| &self.entries[h.entry])
    }
}

impl App {
    /// Everything the palette offers now: panes, saved filters, then actions.
    fn palette_entries(&self) -> Vec<Entry> {
        let mut entries: Vec<Entry> = Pane::ALL
            .iter()
            .map(|p| Entry {
                target: Target::Pane(*p),
                label: p.title().to_string(),
                kind: "view",
                key: None,
            })
            .collect();
        entries.extend(self.saved_filters.iter().enumerate().map(|(i, s)| Entry {
            target: Target::Saved(i),
            label: format!("@{}  {}", s.name, s.query),
            kind: "filter",
            key: None,
        }));
        if !self.filter_text.is_empty() {
            entries.push(Entry {
                target: Target::ClearFilter,
                label: "clear filter".into(),
                kind: "filter",
                key: None,
            });
        }
        // What the panes offer now: starts and decisions only where the selected row's
        // backend takes them.
        let read_only = !self.writable_here();
        entries.extend(
            Action::ALL
                .iter()
                .copied()
                .filter(|a| a.in_section(Section::Panes))
                .filter(|a| !NOT_LISTED.contains(a))
                .filter(|a| !(read_only && a.mutates()))
                .map(|a| Entry {
                    target: Target::Action(a),
                    label: a.describe().to_string(),
                    kind: "action",
                    key: self.keymap.key_for(a).map(|k| k.label()),
                }),
        );
        entries
    }

    pub(super) fn open_palette(&mut self) {
        self.palette = Some(Palette::new(self.palette_entries()));
    }

    /// Keys while the palette is open: typing narrows, arrows choose, Enter runs, Esc closes.
    pub(super) fn on_palette_key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let Some(palette) = self.palette.as_mut() else {
            return;
        };
        let last = palette.hits.len().saturating_sub(1);
        match self.keymap.action_in(Section::Prompt, &key) {
            Some(Action::Cancel) => self.palette = None,
            Some(Action::Confirm) => {
                let target = palette.chosen().map(|e| e.target.clone());
                self.palette = None;
                if let Some(target) = target {
                    self.run_target(target, effects);
                }
            }
            Some(Action::Up) => palette.selected = palette.selected.saturating_sub(1),
            Some(Action::Down) => palette.selected = (palette.selected + 1).min(last),
            _ => {
                if palette.input.handle_event(&Event::Key(key)).is_some() {
                    palette.refilter();
                }
            }
        }
    }

    fn run_target(&mut self, target: Target, effects: &mut Vec<Effect>) {
        match target {
            Target::Action(action) => self.run(action, effects),
            Target::Pane(pane) => {
                self.pane = pane;
                self.view = View::List;
            }
            Target::Saved(i) => {
                let Some(saved) = self.saved_filters.get(i).cloned() else {
                    return;
                };
                self.set_filter(format!("@{}", saved.name));
                if let Some(pane) = saved.pane {
                    self.pane = pane;
                    self.view = View::List;
                }
                self.flash(
                    FlashLevel::Info,
                    format!("filter @{}: {}", saved.name, saved.query),
                );
            }
            Target::ClearFilter => self.set_filter(String::new()),
        }
    }
}
