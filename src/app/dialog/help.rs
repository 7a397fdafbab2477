//! The `?` help overlay: every key of the layer it was opened from, generated from the
//! keymap in force. Drawn by `ui/dialog/help.rs`.

use crossterm::event::KeyEvent;

use crate::app::keymap::Action;
use crate::app::{App, Dialog};

impl App {
    /// Up and down scroll; any other key closes.
    pub(super) fn on_help_key(&mut self, key: KeyEvent) {
        let action = self.keymap.action(&key);
        let Some(Dialog::Help { scroll, .. }) = self.dialog.as_mut() else {
            return;
        };
        match action {
            Some(Action::Down) => *scroll = scroll.saturating_add(1),
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            _ => self.dialog = None,
        }
    }
}
