//! Keys to actions. The keymap is data, so the help overlay and the footer hints are
//! generated from the bindings actually in force.

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
    Refresh,
    Freeze,
    Help,
    Quit,
}

impl Action {
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
            Action::Filter => "filter (backend: project: status: env:)",
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
        // Shift is implied by the character itself ('G', '?'), and terminals disagree on
        // whether they report it, so it is dropped for characters.
        let mods = match ev.code {
            KeyCode::Char(_) => ev.modifiers - KeyModifiers::SHIFT,
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
            (Key::new(BackTab, KeyModifiers::SHIFT), Action::PrevPane),
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
        let key = Key::from_event(ev);
        self.bindings
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)
    }

    /// The first key bound to `action`, for hints.
    pub fn key_for(&self, action: Action) -> Option<Key> {
        self.bindings
            .iter()
            .find(|(_, a)| *a == action)
            .map(|(k, _)| *k)
    }

    /// Every action with the labels of all its keys, in binding order, for the help
    /// overlay. Keys that print alike (BackTab with and without Shift) are listed once.
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
