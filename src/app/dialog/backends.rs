//! The backends view (`b`, or the palette): each backend's health, when each of its lists
//! was last read, and its last error in full, for when the status line has room for only a
//! few words of it. It asks the backends nothing; it shows what the reads recorded
//! (`app/health.rs`). Drawn by `ui/dialog/backends.rs`.

use crossterm::event::KeyEvent;

use crate::app::keymap::Action;
use crate::app::{App, Dialog};

impl App {
    /// Movement keys scroll; any other key closes.
    pub(super) fn on_backends_key(&mut self, key: KeyEvent) {
        let action = self.keymap.action(&key);
        let Some(Dialog::Backends { scroll }) = self.dialog.as_mut() else {
            return;
        };
        let page = self.page.min(usize::from(u16::MAX)) as u16;
        match action {
            Some(Action::Down) => *scroll = scroll.saturating_add(1),
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            Some(Action::PageDown) => *scroll = scroll.saturating_add(page),
            Some(Action::PageUp) => *scroll = scroll.saturating_sub(page),
            Some(Action::Top) => *scroll = 0,
            _ => self.dialog = None,
        }
    }
}
