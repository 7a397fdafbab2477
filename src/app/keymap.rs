//! Keys to actions. The keymap is data, so the help overlay, the footer hints and the
//! command palette are generated from the bindings actually in force, remapped ones included.
//! Every layer that takes keys has its own section: `[keys]` for the panes, and
//! `[keys.dialog]`, `[keys.log_view]`, `[keys.prompt]` (the `/` filter, the log search and
//! the `:` palette) — see `config/keys.rs`. Typing into a field stays typing: only keys that
//! act are bound here.
//!
//! Adding an action is one row in [`actions!`] below: its name in the config, its words in
//! help and palette, its footer hint, and its default keys per section.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a key is looked up: one keymap section per layer that takes keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    /// The lists and the detail view: `[keys]`.
    Panes,
    /// Every dialog's form and buttons: `[keys.dialog]`.
    Dialog,
    /// The log view: `[keys.log_view]`.
    LogView,
    /// One-line prompts (the `/` filter, the log search) and the `:` palette: `[keys.prompt]`.
    Prompt,
}

impl Section {
    pub const ALL: [Section; 4] = [
        Section::Panes,
        Section::Dialog,
        Section::LogView,
        Section::Prompt,
    ];

    /// The table under `[keys]` that edits this section; `None` for `[keys]` itself.
    pub fn table(self) -> Option<&'static str> {
        match self {
            Section::Panes => None,
            Section::Dialog => Some("dialog"),
            Section::LogView => Some("log_view"),
            Section::Prompt => Some("prompt"),
        }
    }

    /// `[keys]` or `[keys.NAME]`, for messages.
    pub fn title(self) -> String {
        match self.table() {
            None => "[keys]".into(),
            Some(name) => format!("[keys.{name}]"),
        }
    }
}

/// One action: everything about it in one place.
pub struct Row {
    pub action: Action,
    /// The name the config uses.
    pub name: &'static str,
    /// Help and palette text.
    pub describe: &'static str,
    /// Short footer label.
    pub hint: &'static str,
    /// Default keys, per section, as written in the config.
    pub keys: &'static [(Section, &'static [&'static str])],
}

macro_rules! actions {
    ($( $variant:ident $name:literal $describe:literal $hint:literal
        { $( $section:ident: [$($key:literal),*] )* } )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),* }

        /// Every action, in the order help lists them.
        pub const ROWS: &[Row] = &[$(
            Row {
                action: Action::$variant,
                name: $name,
                describe: $describe,
                hint: $hint,
                keys: &[$( (Section::$section, &[$($key),*]) ),*],
            }
        ),*];

        impl Action {
            pub const ALL: &[Action] = &[$(Action::$variant),*];
        }
    };
}

actions! {
    Up "up" "move up" "move up" { Panes: ["k", "up"] LogView: ["k", "up"] Prompt: ["up", "backtab", "ctrl-p"] }
    Down "down" "move down" "move down" { Panes: ["j", "down"] LogView: ["j", "down"] Prompt: ["down", "tab", "ctrl-n"] }
    PageUp "page_up" "page up" "page up" { Panes: ["pgup", "ctrl-b"] LogView: ["pgup"] }
    PageDown "page_down" "page down" "page down" { Panes: ["pgdn", "ctrl-f"] LogView: ["pgdn"] }
    Top "top" "first row" "first row" { Panes: ["g", "home"] LogView: ["g", "home"] }
    Bottom "bottom" "last row" "last row" { Panes: ["G", "end"] LogView: ["G", "end"] }
    NextPane "next_pane" "next pane" "pane" { Panes: ["tab"] }
    PrevPane "prev_pane" "previous pane" "previous pane" { Panes: ["backtab"] }
    Open "open" "open detail" "detail" { Panes: ["enter"] }
    Back "back" "back / close" "back" { Panes: ["esc"] }
    Start "start" "start pipeline" "start" { Panes: ["s"] }
    Approve "approve" "approve gate" "approve" { Panes: ["a"] }
    Reject "reject" "reject gate" "reject" { Panes: ["x"] }
    Mark "mark" "mark / unmark gate, execution, pipeline" "mark" { Panes: ["space"] }
    MarkRange "mark_range" "mark from last mark to here" "mark from last mark to here" { Panes: ["V"] }
    MarkAll "mark_all" "mark all shown rows" "mark all shown rows" { Panes: ["*"] }
    ClearMarks "clear_marks" "clear marks" "clear marks" { Panes: ["u"] }
    ApproveMarked "approve_marked" "approve marked gates" "approve marked" { Panes: ["A"] }
    RejectMarked "reject_marked" "reject marked gates" "reject marked" { Panes: ["X"] }
    Abort "abort" "abort the execution, or the marked ones" "abort" { Panes: ["K"] }
    Retry "retry" "retry what failed" "retry" { Panes: ["R"] }
    Rerun "rerun" "re-run with the same inputs" "re-run" { Panes: ["E"] }
    SuspendResume "suspend_resume" "suspend / resume the workflow (Argo)" "suspend/resume" { Panes: ["p"] }
    Sort "sort" "sort by the next column" "sort" { Panes: ["o"] }
    SortReverse "sort_reverse" "reverse the sort" "reverse sort" { Panes: ["O"] }
    Filter "filter" "filter (backend: project: status: env: @saved)" "filter" { Panes: ["/"] }
    Palette "palette" "command palette" "commands" { Panes: [":"] }
    Follow "follow" "follow: notify when it ends" "follow" { Panes: ["w"] }
    Logs "logs" "logs of the execution" "logs" { Panes: ["l"] }
    CopyUrl "copy_url" "copy the web UI link of the execution or gate" "copy link" { Panes: ["y"] }
    CopyId "copy_id" "copy the id of the execution or gate" "copy id" { Panes: ["Y"] }
    Backends "backends" "backends: health, data ages, full errors" "backends" { Panes: ["b"] }
    Refresh "refresh" "refresh now" "refresh" { Panes: ["r"] }
    Freeze "freeze" "freeze updates" "freeze" { Panes: ["f"] }
    Help "help" "help" "help" { Panes: ["?"] }
    Quit "quit" "quit" "quit" { Panes: ["q", "ctrl-c"] }
    Close "close" "close the log view" "close" { LogView: ["esc", "q"] }
    Pause "pause" "pause / follow the end" "pause/follow" { LogView: ["space"] }
    NextStep "next_step" "show one step at a time" "step" { LogView: ["s"] }
    Search "search" "search the log" "search" { LogView: ["/"] }
    NextMatch "next_match" "next match" "next" { LogView: ["n"] }
    PrevMatch "prev_match" "previous match" "prev" { LogView: ["N"] }
    FocusNext "focus_next" "next field or button" "moves" { Dialog: ["tab", "down"] }
    FocusPrev "focus_prev" "previous field or button" "back" { Dialog: ["backtab", "up"] }
    ChoicePrev "choice_prev" "previous choice / other button" "choice" { Dialog: ["left"] }
    ChoiceNext "choice_next" "next choice / other button" "choice" { Dialog: ["right"] }
    Confirm "confirm" "press the focused button (in a field: move on)" "on a button" { Dialog: ["enter"] Prompt: ["enter"] }
    Cancel "cancel" "cancel / close" "cancels" { Dialog: ["esc", "ctrl-c"] Prompt: ["esc"] }
    CopyRequest "copy_request" "copy the previewed request as curl" "copy as curl" { Dialog: ["ctrl-y"] }
}

impl Action {
    fn row(self) -> &'static Row {
        ROWS.iter()
            .find(|r| r.action == self)
            .expect("every action has a row")
    }

    /// The name `[keys]` in the config uses.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    pub fn from_name(name: &str) -> Option<Action> {
        ROWS.iter().find(|r| r.name == name).map(|r| r.action)
    }

    /// Starts, decisions and execution control: not offered where the backend is read-only.
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Action::Start
                | Action::Approve
                | Action::Reject
                | Action::ApproveMarked
                | Action::RejectMarked
                | Action::Abort
                | Action::Retry
                | Action::Rerun
                | Action::SuspendResume
        )
    }

    pub fn describe(self) -> &'static str {
        self.row().describe
    }

    /// Short footer label.
    pub fn hint(self) -> &'static str {
        self.row().hint
    }

    /// Whether `section` has this action at all (has default keys there).
    pub fn in_section(self, section: Section) -> bool {
        self.row().keys.iter().any(|(s, _)| *s == section)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn new(code: KeyCode, mods: KeyModifiers) -> Self {
        Key { code, mods }
    }

    pub const fn plain(code: KeyCode) -> Self {
        Key::new(code, KeyModifiers::NONE)
    }

    pub fn from_event(ev: &KeyEvent) -> Self {
        // Shift is implied by the character itself ('G', '?') and by BackTab, and terminals
        // disagree on whether they report it, so it is dropped there.
        let mods = match ev.code {
            KeyCode::Char(_) | KeyCode::BackTab => ev.modifiers - KeyModifiers::SHIFT,
            _ => ev.modifiers,
        };
        Key::new(ev.code, mods)
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("C-{base}")
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("M-{base}")
        } else {
            base
        }
    }

    /// Reads a key as written in `[keys]`: a character (`a`, `A`, `?`), a name (`space`,
    /// `enter`, `esc`, `tab`, `backtab`, `up`, `pgdn`, `home`, `f5`...), optionally after
    /// `ctrl-`/`C-`, `alt-`/`M-` or `shift-`. Everything [`Key::label`] prints reads back.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let prefix = ["ctrl-", "ctrl+", "c-"]
                .iter()
                .map(|p| (p, KeyModifiers::CONTROL))
                .chain(
                    ["alt-", "alt+", "m-"]
                        .iter()
                        .map(|p| (p, KeyModifiers::ALT)),
                )
                .chain(
                    ["shift-", "shift+", "s-"]
                        .iter()
                        .map(|p| (p, KeyModifiers::SHIFT)),
                )
                // A lone `c` or `m` is a character, not a prefix.
                .find(|(p, _)| lower.starts_with(**p) && rest.len() > p.len());
            match prefix {
                Some((p, m)) => {
                    mods |= m;
                    rest = &rest[p.len()..];
                }
                None => break,
            }
        }
        let mut chars = rest.chars();
        let code = match (
            named(&rest.to_ascii_lowercase()),
            chars.next(),
            chars.next(),
        ) {
            (Some(code), _, _) => code,
            (None, Some(c), None) => KeyCode::Char(c),
            _ => {
                return Err(format!(
                    "unknown key {text:?}; write a character, or one of: space, enter, esc, \
                     tab, backtab, backspace, delete, insert, up, down, left, right, home, end, \
                     pgup, pgdn, f1-f24, optionally after ctrl-, alt- or shift-"
                ));
            }
        };
        Ok(Key::normalize(code, mods))
    }

    /// One spelling per key, the one `from_event` produces: Shift is folded into the
    /// character (`shift-a` is `A`), and Shift-Tab is BackTab.
    fn normalize(code: KeyCode, mods: KeyModifiers) -> Key {
        match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) => {
                let upper = c.to_uppercase().next().unwrap_or(c);
                Key::new(KeyCode::Char(upper), mods - KeyModifiers::SHIFT)
            }
            // Terminals report Ctrl-letters as the lower-case letter with Control.
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                Key::new(KeyCode::Char(c.to_ascii_lowercase()), mods)
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                Key::new(KeyCode::BackTab, mods - KeyModifiers::SHIFT)
            }
            KeyCode::BackTab => Key::new(code, mods - KeyModifiers::SHIFT),
            _ => Key::new(code, mods),
        }
    }
}

fn named(name: &str) -> Option<KeyCode> {
    use KeyCode::*;
    Some(match name {
        "space" => Char(' '),
        "enter" | "return" => Enter,
        "esc" | "escape" => Esc,
        "tab" => Tab,
        "backtab" | "s-tab" => BackTab,
        "backspace" => Backspace,
        "delete" | "del" => Delete,
        "insert" | "ins" => Insert,
        "up" | "↑" => Up,
        "down" | "↓" => Down,
        "left" | "←" => Left,
        "right" | "→" => Right,
        "home" => Home,
        "end" => End,
        "pgup" | "pageup" | "page_up" => PageUp,
        "pgdn" | "pagedown" | "page_down" => PageDown,
        _ => {
            let n: u8 = name.strip_prefix('f')?.parse().ok()?;
            return (1..=24).contains(&n).then_some(F(n));
        }
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: Vec<(Section, Key, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = ROWS
            .iter()
            .flat_map(|row| {
                row.keys.iter().flat_map(move |(section, keys)| {
                    keys.iter().map(move |k| {
                        let key = Key::parse(k).expect("default keys parse");
                        (*section, key, row.action)
                    })
                })
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The action of a key in the panes (`[keys]`).
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        self.action_in(Section::Panes, ev)
    }

    /// The action of a key in `section`.
    pub fn action_in(&self, section: Section, ev: &KeyEvent) -> Option<Action> {
        self.lookup_in(section, Key::from_event(ev))
    }

    pub fn lookup(&self, key: Key) -> Option<Action> {
        self.lookup_in(Section::Panes, key)
    }

    pub fn lookup_in(&self, section: Section, key: Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(s, k, _)| *s == section && *k == key)
            .map(|(_, _, a)| *a)
    }

    /// Every action `key` is bound to in `section`; more than one is a conflict.
    pub fn actions_of(&self, section: Section, key: Key) -> Vec<Action> {
        self.bindings
            .iter()
            .filter(|(s, k, _)| *s == section && *k == key)
            .map(|(_, _, a)| *a)
            .collect()
    }

    /// Makes `keys` the only keys of `action` in `section` (none unbinds it). They take the
    /// place of the old bindings, so help keeps listing actions in their usual order.
    pub fn replace(&mut self, section: Section, action: Action, keys: &[Key]) {
        let mine = |(s, _, a): &(Section, Key, Action)| *s == section && *a == action;
        let at = self.bindings.iter().position(mine);
        self.bindings.retain(|b| !mine(b));
        let at = at.unwrap_or(self.bindings.len()).min(self.bindings.len());
        let new = keys.iter().map(|k| (section, *k, action));
        self.bindings.splice(at..at, new);
    }

    /// Binds `keys` to `action` in `section` as well as the keys it already has.
    pub fn add(&mut self, section: Section, action: Action, keys: &[Key]) {
        let at = self
            .bindings
            .iter()
            .rposition(|(s, _, a)| *s == section && *a == action)
            .map_or(self.bindings.len(), |i| i + 1);
        let new = keys
            .iter()
            .filter(|k| !self.bindings.contains(&(section, **k, action)))
            .map(|k| (section, *k, action))
            .collect::<Vec<_>>();
        self.bindings.splice(at..at, new);
    }

    /// The first key bound to `action` in the panes, for hints.
    pub fn key_for(&self, action: Action) -> Option<Key> {
        self.key_in(Section::Panes, action)
    }

    /// The first key bound to `action` in `section`.
    pub fn key_in(&self, section: Section, action: Action) -> Option<Key> {
        self.bindings
            .iter()
            .find(|(s, _, a)| *s == section && *a == action)
            .map(|(_, k, _)| *k)
    }

    /// The panes' actions with their keys (see [`Keymap::help_in`]).
    pub fn help(&self) -> Vec<(Action, Vec<String>)> {
        self.help_in(Section::Panes)
    }

    /// Every action of `section` with the labels of all its keys, in binding order, for
    /// the help overlay. A key listed twice for one action is shown once.
    pub fn help_in(&self, section: Section) -> Vec<(Action, Vec<String>)> {
        let mut out: Vec<(Action, Vec<String>)> = Vec::new();
        for (_, key, action) in self.bindings.iter().filter(|(s, _, _)| *s == section) {
            let label = key.label();
            match out.iter_mut().find(|(a, _)| a == action) {
                Some((_, labels)) if labels.contains(&label) => {}
                Some((_, labels)) => labels.push(label),
                None => out.push((*action, vec![label])),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_reads_back_as_its_key() {
        for (_, key, _) in &Keymap::default().bindings {
            assert_eq!(Key::parse(&key.label()), Ok(*key), "{}", key.label());
        }
    }

    #[test]
    fn spellings_fold_to_what_terminals_send() {
        let ctrl = |c| Key::new(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert_eq!(Key::parse("ctrl-B"), Ok(ctrl('b')));
        assert_eq!(Key::parse("C-b"), Ok(ctrl('b')));
        assert_eq!(Key::parse("shift-a"), Ok(Key::plain(KeyCode::Char('A'))));
        assert_eq!(Key::parse("shift-tab"), Ok(Key::plain(KeyCode::BackTab)));
        assert_eq!(Key::parse("F5"), Ok(Key::plain(KeyCode::F(5))));
        assert_eq!(Key::parse("c"), Ok(Key::plain(KeyCode::Char('c'))));
        assert_eq!(Key::parse("-"), Ok(Key::plain(KeyCode::Char('-'))));
        assert!(Key::parse("f25").is_err());
        assert!(Key::parse("hyper-x").is_err());
        assert!(Key::parse("").is_err());
    }

    #[test]
    fn replace_keeps_the_help_order_and_add_keeps_the_old_keys() {
        let mut map = Keymap::default();
        let y = Key::plain(KeyCode::Char('y'));
        map.replace(Section::Panes, Action::Approve, &[y]);
        assert_eq!(map.lookup(y), Some(Action::Approve));
        assert_eq!(map.lookup(Key::plain(KeyCode::Char('a'))), None);
        let order: Vec<Action> = map.help().into_iter().map(|(a, _)| a).collect();
        let before: Vec<Action> = Keymap::default()
            .help()
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert_eq!(order, before);

        map.add(
            Section::Panes,
            Action::Refresh,
            &[Key::plain(KeyCode::F(5))],
        );
        assert_eq!(
            map.lookup(Key::plain(KeyCode::Char('r'))),
            Some(Action::Refresh)
        );
        assert_eq!(map.lookup(Key::plain(KeyCode::F(5))), Some(Action::Refresh));

        map.replace(Section::Panes, Action::Quit, &[]);
        assert_eq!(map.key_for(Action::Quit), None);
    }

    #[test]
    fn names_are_unique_and_every_action_has_a_default_key() {
        let map = Keymap::default();
        for &a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            let section = ROWS.iter().find(|r| r.action == a).unwrap().keys[0].0;
            assert!(map.key_in(section, a).is_some(), "{a:?} has no default key");
        }
        // Config conflicts are reported against the defaults, which must have none.
        for (section, key, _) in &map.bindings {
            assert_eq!(
                map.actions_of(*section, *key).len(),
                1,
                "{} bound twice in {section:?}",
                key.label()
            );
        }
    }
}
