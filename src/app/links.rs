//! Links to the vendor's web UI from the dashboard: what the selected row's link and id
//! are, and the `y` / `Y` keys that copy them. Copying is an effect
//! ([`Effect::Clipboard`], OSC 52, written by the event loop), never I/O here. The detail
//! view draws the link (`ui/detail.rs`) and says where (`Drawn::link`), so the event loop can
//! make it a clickable OSC 8 hyperlink after the frame (`tui/hyperlink.rs`).

use super::{App, Effect, FlashLevel, Pane};
use crate::backend::links;
use crate::sanitize::clean;

/// A link as the detail view drew it: its text's first cell on screen, the text exactly as
/// drawn (the URL, or its start and `…` where it did not fit), and the whole URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hyperlink {
    pub x: u16,
    pub y: u16,
    pub text: String,
    pub url: String,
}

/// What the current pane points at, for the link keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    /// `execution` or `gate`.
    pub what: &'static str,
    pub id: String,
    /// Its page in the vendor's web UI, checked by [`links::safe`]; `None` where there is none.
    pub url: Option<String>,
}

impl App {
    /// The execution or gate the current pane points at, with its link: the detail's read
    /// where it is the fresher one.
    pub fn current_link(&self) -> Option<Linked> {
        let detail = self.current_detail().and_then(|d| d.result.as_ref().ok());
        let (what, id, url) = match self.pane {
            Pane::Executions => {
                let e = self.selected_execution()?;
                let url = detail
                    .map(|d| &d.execution)
                    .filter(|d| d.id == e.id)
                    .and_then(|d| d.url.clone())
                    .or_else(|| e.url.clone());
                ("execution", e.id.clone(), url)
            }
            Pane::Approvals => {
                let a = self.selected_approval()?;
                let url = detail
                    .and_then(|d| d.approvals.iter().find(|g| g.id == a.id))
                    .and_then(|g| g.url.clone())
                    .or_else(|| a.url.clone());
                ("gate", a.id.clone(), url)
            }
            Pane::Pipelines | Pane::Audit => return None,
        };
        Some(Linked {
            what,
            id,
            url: url.as_deref().and_then(links::safe),
        })
    }

    /// `y`: the selected execution's or gate's web UI link onto the clipboard.
    pub(super) fn copy_url(&mut self, effects: &mut Vec<Effect>) {
        match self.current_link() {
            None => self.flash(FlashLevel::Info, "no execution or gate selected"),
            Some(Linked {
                what, url: None, ..
            }) => {
                let kind = self
                    .current_backend()
                    .and_then(|b| self.backend(b))
                    .map_or("this", |b| b.kind.as_str());
                self.flash(
                    FlashLevel::Info,
                    format!("no web UI link for this {what} ({kind} has none)"),
                );
            }
            Some(Linked {
                what,
                url: Some(url),
                ..
            }) => {
                self.flash(
                    FlashLevel::Success,
                    format!("copied the {what}'s link: {url}"),
                );
                effects.push(Effect::Clipboard(url));
            }
        }
    }

    /// `Y`: the selected execution's or gate's id onto the clipboard (as shown: sanitized).
    pub(super) fn copy_id(&mut self, effects: &mut Vec<Effect>) {
        match self.current_link() {
            None => self.flash(FlashLevel::Info, "no execution or gate selected"),
            Some(Linked { what, id, .. }) => {
                let id = clean(&id).into_owned();
                self.flash(FlashLevel::Success, format!("copied the {what} id {id}"));
                effects.push(Effect::Clipboard(id));
            }
        }
    }
}
