//! Keys to actions. The keymap is data, so the help overlay, the footer hints and the
//! command palette are generated from the bindings actually in force, remapped ones included.
//! `[keys]` in the config edits it (see `config/keys.rs`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPane,
    PrevPane,
    Open,
    Back,
    Start,
    Approve,
    Reject,
    Mark,
    MarkRange,
    MarkAll,
    ClearMarks,
    ApproveMarked,
    RejectMarked,
    Filter,
    Palette,
    Follow,
    Logs,
    Refresh,
    Freeze,
    Help,
    Quit,
}

impl Action {
    /// Every action, in the order help lists them.
    pub const ALL: [Action; 27] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::Top,
        Action::Bottom,
        Action::NextPane,
        Action::PrevPane,
        Action::Open,
        Action::Back,
        Action::Start,
        Action::Approve,
        Action::Reject,
        Action::Mark,
        Action::MarkRange,
        Action::MarkAll,
        Action::ClearMarks,
        Action::ApproveMarked,
        Action::RejectMarked,
        Action::Filter,
        Action::Palette,
        Action::Follow,
        Action::Logs,
        Action::Refresh,
        Action::Freeze,
        Action::Help,
        Action::Quit,
    ];

    /// The name `[keys]` in the config uses.
    pub fn name(self) -> &'static str {
        match self {
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::NextPane => "next_pane",
            Action::PrevPane => "prev_pane",
            Action::Open => "open",
            Action::Back => "back",
            Action::Start => "start",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Mark => "mark",
            Action::MarkRange => "mark_range",
            Action::MarkAll => "mark_all",
            Action::ClearMarks => "clear_marks",
            Action::ApproveMarked => "approve_marked",
            Action::RejectMarked => "reject_marked",
            Action::Filter => "filter",
            Action::Palette => "palette",
            Action::Follow => "follow",
            Action::Logs => "logs",
            Action::Refresh => "refresh",
            Action::Freeze => "freeze",
            Action::Help => "help",
            Action::Quit => "quit",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Starts and decisions: not offered under `--read-only`.
    pub fn mutates(self) -> bool {
        matches!(
            self,
            Action::Start
                | Action::Approve
                | Action::Reject
                | Action::ApproveMarked
                | Action::RejectMarked
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            Action::Up => "move up",
            Action::Down => "move down",
            Action::PageUp => "page up",
            Action::PageDown => "page down",
            Action::Top => "first row",
            Action::Bottom => "last row",
            Action::NextPane => "next pane",
            Action::PrevPane => "previous pane",
            Action::Open => "open detail",
            Action::Back => "back / close",
            Action::Start => "start pipeline",
            Action::Approve => "approve gate",
            Action::Reject => "reject gate",
            Action::Mark => "mark / unmark gate",
            Action::MarkRange => "mark from last mark to here",
            Action::MarkAll => "mark all shown gates",
            Action::ClearMarks => "clear marks",
            Action::ApproveMarked => "approve marked gates",
            Action::RejectMarked => "reject marked gates",
            Action::Filter => "filter (backend: project: status: env: @saved)",
            Action::Palette => "command palette",
            Action::Follow => "follow: notify when it ends",
            Action::Logs => "logs of the execution",
            Action::Refresh => "refresh now",
            Action::Freeze => "freeze updates",
            Action::Help => "help",
            Action::Quit => "quit",
        }
    }

    /// Short footer label.
    pub fn hint(self) -> &'static str {
        match self {
            Action::Open => "detail",
            Action::Back => "back",
            Action::Start => "start",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Mark => "mark",
            Action::ApproveMarked => "approve marked",
            Action::RejectMarked => "reject marked",
            Action::Filter => "filter",
            Action::Palette => "commands",
            Action::Follow => "follow",
            Action::Logs => "logs",
            Action::Refresh => "refresh",
            Action::Freeze => "freeze",
            Action::Help => "help",
            Action::Quit => "quit",
            Action::NextPane => "pane",
            other => other.describe(),
        }
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

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Key, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        use KeyCode::*;
        let c = |ch| Key::plain(Char(ch));
        let bindings = vec![
            (c('k'), Action::Up),
            (Key::plain(Up), Action::Up),
            (c('j'), Action::Down),
            (Key::plain(Down), Action::Down),
            (Key::plain(KeyCode::PageUp), Action::PageUp),
            (Key::new(Char('b'), KeyModifiers::CONTROL), Action::PageUp),
            (Key::plain(KeyCode::PageDown), Action::PageDown),
            (Key::new(Char('f'), KeyModifiers::CONTROL), Action::PageDown),
            (c('g'), Action::Top),
            (Key::plain(Home), Action::Top),
            (c('G'), Action::Bottom),
            (Key::plain(End), Action::Bottom),
            (Key::plain(Tab), Action::NextPane),
            (Key::plain(BackTab), Action::PrevPane),
            (Key::plain(Enter), Action::Open),
            (Key::plain(Esc), Action::Back),
            (c('s'), Action::Start),
            (c('a'), Action::Approve),
            (c('x'), Action::Reject),
            (c(' '), Action::Mark),
            (c('V'), Action::MarkRange),
            (c('*'), Action::MarkAll),
            (c('u'), Action::ClearMarks),
            (c('A'), Action::ApproveMarked),
            (c('X'), Action::RejectMarked),
            (c('/'), Action::Filter),
            (c(':'), Action::Palette),
            (c('w'), Action::Follow),
            (c('l'), Action::Logs),
            (c('r'), Action::Refresh),
            (c('f'), Action::Freeze),
            (c('?'), Action::Help),
            (c('q'), Action::Quit),
            (Key::new(Char('c'), KeyModifiers::CONTROL), Action::Quit),
        ];
        Keymap { bindings }
    }
}

impl Keymap {
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        self.lookup(Key::from_event(ev))
    }

    pub fn lookup(&self, key: Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)
    }

    /// Every action `key` is bound to; more than one is a conflict.
    pub fn actions_of(&self, key: Key) -> Vec<Action> {
        self.bindings
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, a)| *a)
            .collect()
    }

    /// Makes `keys` the only keys of `action` (none unbinds it). They take the place of the
    /// old bindings, so help keeps listing actions in their usual order.
    pub fn replace(&mut self, action: Action, keys: &[Key]) {
        let at = self.bindings.iter().position(|(_, a)| *a == action);
        self.bindings.retain(|(_, a)| *a != action);
        let at = at.unwrap_or(self.bindings.len()).min(self.bindings.len());
        let new = keys.iter().map(|k| (*k, action));
        self.bindings.splice(at..at, new);
    }

    /// Binds `keys` to `action` as well as the keys it already has.
    pub fn add(&mut self, action: Action, keys: &[Key]) {
        let at = self
            .bindings
            .iter()
            .rposition(|(_, a)| *a == action)
            .map_or(self.bindings.len(), |i| i + 1);
        let new = keys
            .iter()
            .filter(|k| !self.bindings.contains(&(**k, action)))
            .map(|k| (*k, action))
            .collect::<Vec<_>>();
        self.bindings.splice(at..at, new);
    }

    /// The first key bound to `action`, for hints.
    pub fn key_for(&self, action: Action) -> Option<Key> {
        self.bindings
            .iter()
            .find(|(_, a)| *a == action)
            .map(|(k, _)| *k)
    }

    /// Every action with the labels of all its keys, in binding order, for the help
    /// overlay. A key listed twice for one action is shown once.
    pub fn help(&self) -> Vec<(Action, Vec<String>)> {
        let mut out: Vec<(Action, Vec<String>)> = Vec::new();
        for (key, action) in &self.bindings {
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
        for (key, _) in &Keymap::default().bindings {
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
        map.replace(Action::Approve, &[y]);
        assert_eq!(map.lookup(y), Some(Action::Approve));
        assert_eq!(map.lookup(Key::plain(KeyCode::Char('a'))), None);
        let order: Vec<Action> = map.help().into_iter().map(|(a, _)| a).collect();
        let before: Vec<Action> = Keymap::default()
            .help()
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert_eq!(order, before);

        map.add(Action::Refresh, &[Key::plain(KeyCode::F(5))]);
        assert_eq!(
            map.lookup(Key::plain(KeyCode::Char('r'))),
            Some(Action::Refresh)
        );
        assert_eq!(map.lookup(Key::plain(KeyCode::F(5))), Some(Action::Refresh));

        map.replace(Action::Quit, &[]);
        assert_eq!(map.key_for(Action::Quit), None);
    }

    #[test]
    fn names_are_unique_and_every_action_has_a_default_key() {
        let map = Keymap::default();
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
            assert!(map.key_for(a).is_some(), "{a:?} has no default key");
        }
        // Config conflicts are reported against the defaults, which must have none.
        for (key, _) in &map.bindings {
            assert_eq!(map.actions_of(*key).len(), 1, "{} bound twice", key.label());
        }
    }
}
