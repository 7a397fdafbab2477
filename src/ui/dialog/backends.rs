//! The backends view (`app/dialog/backends.rs`): health, the age of each list, and the last
//! error in full, wrapped (server text is sanitized like everywhere else).

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::frame::{centered, frame};
use crate::app::{FlashLevel, Health, Read};
use crate::backend::IdentitySource;
use crate::sanitize::clean;
use crate::service::Feed;
use crate::ui::Screen;
use crate::ui::format::{ago, wrap};
use crate::ui::theme::Theme;

const WIDTH: u16 = 100;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme, scroll: u16) {
    let screen = f.area();
    let inner_width = screen.width.min(WIDTH).saturating_sub(2);
    let mut lines: Vec<Line> = Vec::new();
    for (i, b) in app.backends.iter().enumerate() {
        if i > 0 {
            lines.push(Line::default());
        }
        let health = b.health();
        let dot = match health {
            Health::Ok => "●",
            Health::Connecting => "○",
            _ => "▲",
        };
        let mut head = vec![
            Span::styled(format!("{dot} {}", b.name), theme.health(health)),
            Span::styled(format!("  {}", b.kind.as_str()), theme.dim()),
            Span::styled(format!("  {}", health.label()), theme.health(health)),
        ];
        if b.production {
            head.push(Span::styled("  PROD", theme.production()));
        }
        if b.read_only {
            head.push(Span::styled("  read-only", theme.dim()));
        }
        match &b.feed {
            Some(Feed::Watching) => head.push(Span::styled("  live", theme.dim())),
            Some(Feed::Polling { reason }) => head.push(Span::styled(
                format!("  polling: {}", clean(reason)),
                theme.warn(),
            )),
            None => {}
        }
        if b.insecure {
            head.push(Span::styled("  ⚠ TLS UNVERIFIED", theme.warn()));
        }
        lines.push(Line::from(head));
        // Who the audit log records as acting here, and how sure that is.
        let identity = app.writes.identity(&b.name);
        let style = match identity.source {
            IdentitySource::Verified => theme.base(),
            IdentitySource::Configured => theme.warn(),
            IdentitySource::Unknown => theme.dim(),
        };
        // Wrapped under itself, so a long reason does not run back to the margin.
        const ACTS_AS: &str = "    acts as ";
        let room = usize::from(inner_width).saturating_sub(ACTS_AS.len());
        for (j, part) in wrap(&identity.describe(), room).into_iter().enumerate() {
            let label = if j == 0 { ACTS_AS } else { "            " };
            lines.push(Line::from(vec![
                Span::styled(label, theme.dim()),
                Span::styled(part, style),
            ]));
        }
        // When each list was last read: a list never read is unknown, and says so.
        let mut reads = vec![Span::raw("    ")];
        for (j, read) in Read::LISTS.into_iter().enumerate() {
            if j > 0 {
                reads.push(Span::styled(" · ", theme.dim()));
            }
            let (at, failing) = b.read_state(read);
            let (text, style) = match (at, failing) {
                (Some(at), None) => (format!("read {}", ago(&app.clock, Some(at))), theme.base()),
                (Some(at), Some(_)) => (
                    format!("read {}, last try failed", ago(&app.clock, Some(at))),
                    theme.warn(),
                ),
                (None, Some(_)) => ("never read".to_string(), theme.flash(FlashLevel::Error)),
                (None, None) => ("not read yet".to_string(), theme.dim()),
            };
            reads.push(Span::styled(format!("{} ", read.noun()), theme.dim()));
            reads.push(Span::styled(text, style));
        }
        lines.push(Line::from(reads));
        match &b.last_error {
            Some((at, read, e)) => {
                let when = format!(
                    "    last error {}, reading {}{}: ",
                    ago(&app.clock, Some(*at)),
                    read.noun(),
                    if b.error.is_none() {
                        " (recovered since)"
                    } else {
                        ""
                    }
                );
                lines.push(Line::from(vec![
                    Span::styled(when, theme.dim()),
                    Span::styled(
                        clean(&e.to_string()).into_owned(),
                        if b.error.is_some() {
                            theme.flash(FlashLevel::Error)
                        } else {
                            theme.base()
                        },
                    ),
                ]));
            }
            None => lines.push(Line::styled("    no errors", theme.dim())),
        }
    }
    let block = frame(theme, " Backends — any other key closes ".into(), false);
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    // As tall as its text, up to the screen less a line above and below.
    let width = screen.width.min(WIDTH);
    let total = u16::try_from(text.line_count(width.saturating_sub(2))).unwrap_or(u16::MAX);
    let area = centered(
        screen,
        width,
        total.saturating_add(2).min(screen.height.saturating_sub(2)),
    );
    let inner = block.inner(area);
    let bottom = total.saturating_sub(inner.height);
    let top = scroll.min(bottom);
    let mut block = block;
    if top < bottom {
        block = block.title_bottom(
            Line::styled(format!(" ↓ {} more ", bottom - top), theme.dim()).right_aligned(),
        );
    }
    if top > 0 {
        block =
            block.title_top(Line::styled(format!(" ↑ {top} more "), theme.dim()).right_aligned());
    }
    f.render_widget(Clear, area);
    f.render_widget(text.scroll((top, 0)).block(block), area);
}
