//! What the layer that takes keys offers right now, for the footer: each offer is a hint
//! with the actions whose keys it shows, and whether it can be done here (a start or a
//! decision cannot where the selected row's backend is read-only). The footer draws this
//! and nothing else, so a hint and its handler cannot drift apart.

use super::{Action, App, Layer, Pane, Section, View};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub actions: Vec<Action>,
    /// The footer's word for it.
    pub hint: &'static str,
    pub enabled: bool,
    /// The section its keys come from.
    pub section: Section,
}

impl App {
    /// The offers of the layer under the prompts: the log view's, or the panes'.
    pub fn offers(&self) -> Vec<Offer> {
        match self.layer() {
            Layer::Logs => log_offers(),
            Layer::Dialog | Layer::Palette | Layer::Filter if self.view == View::Logs => {
                log_offers()
            }
            _ => self.pane_offers(),
        }
    }

    /// The actions worth hinting in the panes, most important first.
    fn pane_offers(&self) -> Vec<Offer> {
        let mut actions = Vec::new();
        if self.view == View::Detail {
            actions.push(Action::Back);
        } else {
            actions.extend([Action::NextPane, Action::Open]);
        }
        match self.pane {
            Pane::Pipelines => actions.extend([Action::Start, Action::Mark]),
            Pane::Executions => {
                actions.extend([Action::Approve, Action::Reject, Action::Start]);
                // Control keys only where the backend and the run's state allow them.
                actions.extend(self.control_offers());
                actions.push(Action::Follow);
            }
            Pane::Approvals => actions.extend([
                Action::Approve,
                Action::Reject,
                Action::Mark,
                Action::ApproveMarked,
            ]),
            Pane::Audit => {}
        }
        actions.extend([
            Action::Palette,
            Action::Filter,
            Action::Refresh,
            Action::Freeze,
            Action::Help,
            Action::Quit,
        ]);
        // Writes are offered where the selected row's backend takes them; marks only
        // matter for writes.
        let writable = self.writable_here();
        actions
            .into_iter()
            .map(|action| Offer {
                actions: vec![action],
                hint: action.hint(),
                enabled: writable || !(action.mutates() || action == Action::Mark),
                section: Section::Panes,
            })
            .collect()
    }
}

fn log_offers() -> Vec<Offer> {
    super::logs::OFFERS
        .iter()
        .map(|(actions, hint)| Offer {
            actions: actions.to_vec(),
            hint,
            enabled: true,
            section: Section::LogView,
        })
        .collect()
}
