//! Drawing the dialogs: one file per dialog, mirroring `app/dialog/` name for name, and
//! the shared frame helpers in the leaf `frame.rs`. This file only routes.

mod backends;
mod batch;
mod bulk_start;
mod control;
mod decision;
pub(super) mod frame;
mod help;
mod start;

use ratatui::Frame;

use super::Screen;
use super::theme::Theme;
use crate::app::Dialog;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme) {
    match &app.dialog {
        None => {}
        Some(Dialog::Help { scroll, section }) => help::draw(f, app, theme, *scroll, *section),
        Some(Dialog::Backends { scroll }) => backends::draw(f, app, theme, *scroll),
        Some(Dialog::Start(d)) => start::draw(f, app, theme, d),
        Some(Dialog::Decision(d)) => decision::draw(f, app, theme, d),
        Some(Dialog::Batch(d)) => batch::draw(f, app, theme, d),
        Some(Dialog::BulkStart(d)) => bulk_start::draw(f, app, theme, d),
        Some(Dialog::Control(d)) => control::draw(f, app, theme, d),
    }
}
