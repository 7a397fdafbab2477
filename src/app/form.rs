//! A small keyboard form: typed fields followed by [Cancel] [Confirm] buttons.
//!
//! Safety rules live here so every dialog gets them: Cancel is focused when the form opens,
//! Enter in a field only moves on, and only Enter on the confirm button confirms — so a
//! stray Enter can never send anything.

use crossterm::event::{Event, KeyEvent};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::keymap::Action;
use crate::domain::{VarKind, VariableSpec};

#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    Text,
    Number,
    /// Shown masked.
    Secret,
    /// Cycled with ←/→; the input holds the chosen value.
    Choice(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub label: String,
    pub kind: FieldKind,
    pub required: bool,
    pub input: Input,
    /// One line of help under the form when the field is focused.
    pub help: Option<String>,
    /// A typed confirmation: the value must be exactly this (`yes`, a pipeline's name).
    pub expect: Option<String>,
}

impl Field {
    pub fn new(label: impl Into<String>, kind: FieldKind, value: impl Into<String>) -> Self {
        Field {
            label: label.into(),
            kind,
            required: false,
            input: Input::new(value.into()),
            help: None,
            expect: None,
        }
    }

    /// A field that must be typed exactly as `expected` before the form confirms.
    pub fn confirmation(label: impl Into<String>, expected: impl Into<String>) -> Self {
        let mut field = Field::new(label, FieldKind::Text, "");
        field.expect = Some(expected.into());
        field
    }

    /// The field the confirmation rule asks for, if any (`crate::write::Writes::confirmation`).
    pub fn confirming(confirm: crate::write::Confirm) -> Option<Self> {
        match confirm {
            crate::write::Confirm::Button => None,
            crate::write::Confirm::Type { label, text } => Some(Field::confirmation(label, text)),
        }
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    fn cycle(&mut self, delta: isize) {
        if let FieldKind::Choice(options) = &self.kind
            && !options.is_empty()
        {
            let current = options.iter().position(|o| o == self.input.value());
            let n = options.len() as isize;
            let next = match current {
                Some(i) => (i as isize + delta).rem_euclid(n),
                None => 0,
            };
            self.input = Input::new(options[next as usize].clone());
        }
    }

    /// What is wrong with the value, if anything.
    pub fn problem(&self) -> Option<String> {
        if let Some(expected) = &self.expect {
            return (self.value() != expected).then(|| format!("type {expected} to confirm"));
        }
        let v = self.value().trim();
        if v.is_empty() {
            return self.required.then(|| format!("{} is required", self.label));
        }
        match &self.kind {
            FieldKind::Number if v.parse::<f64>().is_err() => {
                Some(format!("{} must be a number", self.label))
            }
            FieldKind::Choice(options)
                if !options.is_empty() && !options.iter().any(|o| o == v) =>
            {
                Some(format!(
                    "{} must be one of {}",
                    self.label,
                    options.join(", ")
                ))
            }
            _ => None,
        }
    }
}

/// Field label of the free-text notes every start offers.
pub const NOTES: &str = "notes";

/// The form field for one start variable.
pub fn variable_field(v: &VariableSpec) -> Field {
    let kind = match &v.kind {
        VarKind::Text | VarKind::Entity(_) => FieldKind::Text,
        VarKind::Number => FieldKind::Number,
        VarKind::Secret => FieldKind::Secret,
        VarKind::Choice(options) => FieldKind::Choice(options.clone()),
    };
    let default = match (&v.default, &kind) {
        (Some(d), _) => d.clone(),
        (None, FieldKind::Choice(options)) if v.required => {
            options.first().cloned().unwrap_or_default()
        }
        _ => String::new(),
    };
    let mut field = Field::new(&v.name, kind, default);
    field.required = v.required;
    field.help = match (&v.kind, &v.description) {
        (VarKind::Entity(entity), _) => Some(format!("{entity} (name or id)")),
        (_, Some(d)) => Some(d.clone()),
        _ => None,
    };
    field
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Field(usize),
    Cancel,
    Confirm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormEvent {
    None,
    Cancel,
    Confirm,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub fields: Vec<Field>,
    pub focus: Focus,
    pub confirm_label: String,
    /// The first validation problem found on the last confirm attempt.
    pub problem: Option<String>,
}

impl Form {
    pub fn new(fields: Vec<Field>, confirm_label: impl Into<String>) -> Self {
        Form {
            fields,
            focus: Focus::Cancel,
            confirm_label: confirm_label.into(),
            problem: None,
        }
    }

    fn order(&self) -> Vec<Focus> {
        (0..self.fields.len())
            .map(Focus::Field)
            // Cancel last: the form opens on it, and Tab from there reaches the first field.
            .chain([Focus::Confirm, Focus::Cancel])
            .collect()
    }

    fn move_focus(&mut self, delta: isize) {
        let order = self.order();
        let i = order.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let n = order.len() as isize;
        self.focus = order[(i + delta).rem_euclid(n) as usize];
    }

    pub fn value(&self, label: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map(Field::value)
    }

    /// One key: `action` is what `[keys.dialog]` binds it to; a key bound to nothing is
    /// typed into the focused field.
    pub fn handle(&mut self, action: Option<Action>, key: KeyEvent) -> FormEvent {
        let focus = self.focus;
        match (action, focus) {
            (Some(Action::Cancel), _) => return FormEvent::Cancel,
            (Some(Action::FocusNext), _) => self.move_focus(1),
            (Some(Action::FocusPrev), _) => self.move_focus(-1),
            (Some(Action::Confirm), Focus::Field(_)) => self.move_focus(1),
            (Some(Action::Confirm), Focus::Cancel) => return FormEvent::Cancel,
            (Some(Action::Confirm), Focus::Confirm) => {
                self.problem = self.fields.iter().find_map(Field::problem);
                if self.problem.is_none() {
                    return FormEvent::Confirm;
                }
            }
            (Some(Action::ChoicePrev | Action::ChoiceNext), Focus::Cancel | Focus::Confirm) => {
                self.focus = if focus == Focus::Cancel {
                    Focus::Confirm
                } else {
                    Focus::Cancel
                };
            }
            (Some(a @ (Action::ChoicePrev | Action::ChoiceNext)), Focus::Field(i))
                if matches!(self.fields[i].kind, FieldKind::Choice(_)) =>
            {
                self.fields[i].cycle(if a == Action::ChoicePrev { -1 } else { 1 });
            }
            (_, Focus::Field(i)) => {
                let field = &mut self.fields[i];
                if !matches!(field.kind, FieldKind::Choice(_)) {
                    field.input.handle_event(&Event::Key(key));
                    self.problem = None;
                }
            }
            _ => {}
        }
        FormEvent::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keymap::{Keymap, Section};
    use crossterm::event::{KeyCode, KeyModifiers};

    /// A key as the dialog layer sees it with the default keymap.
    fn key(code: KeyCode) -> (Option<Action>, KeyEvent) {
        let ev = KeyEvent::new(code, KeyModifiers::NONE);
        (Keymap::default().action_in(Section::Dialog, &ev), ev)
    }

    impl Form {
        fn press(&mut self, (action, ev): (Option<Action>, KeyEvent)) -> FormEvent {
            self.handle(action, ev)
        }
    }

    fn form() -> Form {
        let mut tag = Field::new("tag", FieldKind::Text, "");
        tag.required = true;
        let env = Field::new(
            "env",
            FieldKind::Choice(vec!["dev".into(), "prod".into()]),
            "dev",
        );
        Form::new(vec![tag, env], "Start")
    }

    #[test]
    fn enter_alone_never_confirms() {
        let mut f = form();
        assert_eq!(f.focus, Focus::Cancel);
        assert_eq!(f.press(key(KeyCode::Enter)), FormEvent::Cancel);
    }

    #[test]
    fn required_fields_block_confirm_until_filled() {
        let mut f = form();
        f.press(key(KeyCode::Right));
        assert_eq!(f.focus, Focus::Confirm);
        assert_eq!(f.press(key(KeyCode::Enter)), FormEvent::None);
        assert_eq!(f.problem.as_deref(), Some("tag is required"));
        f.press(key(KeyCode::Tab));
        assert_eq!(f.focus, Focus::Cancel);
        f.press(key(KeyCode::Tab));
        assert_eq!(f.focus, Focus::Field(0));
        for c in "1.2".chars() {
            f.press(key(KeyCode::Char(c)));
        }
        f.press(key(KeyCode::Enter));
        f.press(key(KeyCode::Right));
        assert_eq!(f.value("env"), Some("prod"));
        f.press(key(KeyCode::Tab));
        assert_eq!(f.focus, Focus::Confirm);
        assert_eq!(f.press(key(KeyCode::Enter)), FormEvent::Confirm);
        assert_eq!(f.value("tag"), Some("1.2"));
    }
}
