//! The mouse, as messages: the input layer (`tui::input`) finds what was under the pointer
//! in the last frame and says it here in the model's words (a row, a tab, a button), so
//! `update` never sees screen positions. Each applies only where the keys that do the same
//! would: a click never reaches a list under an open dialog, and a button is only focused,
//! never pressed, so a click cannot send anything.

use super::dialog::{Dialog, StartPhase};
use super::form::{Focus, Form};
use super::{Action, App, Effect, Layer, Pane, View};

/// Rows the wheel moves by, per notch.
pub const WHEEL_ROWS: isize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pointer {
    /// A click on row `row` (a position among the rows shown) of `pane`'s list: selects it.
    Select { pane: Pane, row: usize },
    /// A double click on a row: selects it and opens its detail, as `Enter` does.
    Open { pane: Pane, row: usize },
    /// The wheel: moves the selection, or scrolls the detail, the log, the help or the
    /// backends view, by this many rows.
    Scroll(isize),
    /// A click on a pane's tab: that pane, as `Tab` reaches it.
    Tab(Pane),
    /// A click on a dialog's button: focuses it. `Enter` then presses it.
    Button(Focus),
}

impl App {
    pub(super) fn on_pointer(&mut self, pointer: Pointer, effects: &mut Vec<Effect>) {
        match (pointer, self.layer()) {
            (Pointer::Select { pane, row } | Pointer::Open { pane, row }, Layer::Panes)
                if pane == self.pane && self.view == View::List =>
            {
                let keys = self.keys(pane);
                self.cursors.entry(pane).or_default().set(&keys, row);
                if matches!(pointer, Pointer::Open { .. }) && row < keys.len() {
                    self.run(Action::Open, effects);
                }
            }
            (Pointer::Scroll(delta), Layer::Panes) => self.step(delta),
            (Pointer::Scroll(delta), Layer::Logs) if self.log_search.is_none() => {
                let height = self.page.max(1);
                if let Some(view) = self.logs.as_mut() {
                    view.scroll(delta, height);
                }
            }
            // The overlays that scroll with the movement keys scroll with the wheel too.
            (Pointer::Scroll(delta), Layer::Dialog) => {
                if let Some(Dialog::Help { scroll, .. } | Dialog::Backends { scroll }) =
                    self.dialog.as_mut()
                {
                    let by = delta.unsigned_abs().min(usize::from(u16::MAX)) as u16;
                    *scroll = if delta < 0 {
                        scroll.saturating_sub(by)
                    } else {
                        scroll.saturating_add(by)
                    };
                }
            }
            (Pointer::Tab(pane), Layer::Panes) => {
                self.pane = pane;
                self.view = View::List;
            }
            (Pointer::Button(target), Layer::Dialog) => {
                // Moved to as Tab and Shift-Tab move, so what reaching a button does (a
                // start shows its exact request) happens as it does from the keys.
                let Some(stops) = self.dialog.as_mut().and_then(taking_clicks) else {
                    return;
                };
                for _ in 0..stops.fields.len() + 2 {
                    let Some(form) = self.dialog.as_mut().and_then(taking_clicks) else {
                        return;
                    };
                    let action = match (form.focus, target) {
                        (now, target) if now == target => return,
                        (Focus::Cancel, Focus::Confirm) => Action::FocusPrev,
                        _ => Action::FocusNext,
                    };
                    self.on_dialog_action(action, effects);
                }
            }
            _ => {}
        }
    }
}

/// The form of an open dialog while it takes input: not while its answer is awaited.
fn taking_clicks(dialog: &mut Dialog) -> Option<&mut Form> {
    match dialog {
        Dialog::Decision(d) if !d.sending => Some(&mut d.form),
        Dialog::Control(d) if !d.sending => Some(&mut d.form),
        Dialog::Batch(d) if d.results.is_none() => Some(&mut d.form),
        Dialog::Start(d) => match &mut d.phase {
            StartPhase::Editing(form) => Some(form),
            _ => None,
        },
        Dialog::BulkStart(d) => d.form.as_mut(),
        Dialog::Control(_) | Dialog::Decision(_) | Dialog::Batch(_) => None,
        Dialog::Help { .. } | Dialog::Backends { .. } => None,
    }
}
