//! The `?` help overlay (`app/dialog/help.rs`).

use ratatui::Frame;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::frame::{centered, frame};
use crate::ui::Screen;
use crate::ui::theme::Theme;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme, scroll: u16) {
    let area = centered(f.area(), 68, 29);
    let lines: Vec<Line> = app
        .keymap
        .help()
        .into_iter()
        .map(|(action, keys)| {
            Line::from(vec![
                Span::styled(format!("{:>16}  ", keys.join(" ")), theme.key()),
                Span::raw(action.describe()),
            ])
        })
        .collect();
    let block = frame(theme, " Keys — any other key closes ".into(), false);
    // The keys of the list views only; inside dialogs and prompts the keys are fixed.
    let block = block.title_bottom(Line::styled(
        " in dialogs: Tab moves · Enter on a button · Esc cancels ",
        theme.dim(),
    ));
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(block), area);
}
