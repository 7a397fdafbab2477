//! The `?` help overlay (`app/dialog/help.rs`).

use ratatui::Frame;

use crate::app::{Action, Section};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::frame::{centered, frame};
use crate::ui::Screen;
use crate::ui::theme::Theme;

pub fn draw(f: &mut Frame, app: &Screen, theme: &Theme, scroll: u16, section: Section) {
    let area = centered(f.area(), 68, 37);
    let lines: Vec<Line> = app
        .keymap
        .help_in(section)
        .into_iter()
        .map(|(action, keys)| {
            Line::from(vec![
                Span::styled(format!("{:>16}  ", keys.join(" ")), theme.key()),
                Span::raw(action.describe()),
            ])
        })
        .collect();
    let mut lines = lines;
    if section == Section::Panes {
        lines.extend(not_offered(app, theme));
    }
    // Help taller than the screen scrolls with the movement keys: say so while rows are hidden.
    let hidden = lines
        .len()
        .saturating_sub(usize::from(area.height.saturating_sub(2)) + usize::from(scroll));
    let title = match app.keymap.key_in(Section::Panes, Action::Down) {
        Some(down) if hidden > 0 => format!(
            " Keys — {} scrolls, {hidden} more · any other key closes ",
            down.label()
        ),
        _ => " Keys — any other key closes ".to_string(),
    };
    let block = frame(theme, title, false);
    // The keys of the layer it was opened from; dialogs' own keys, as bound, at the foot.
    let key = |a| {
        app.keymap
            .key_in(Section::Dialog, a)
            .map_or_else(|| "(unbound)".to_string(), |k| k.label())
    };
    let block = block.title_bottom(Line::styled(
        format!(
            " in dialogs: {} {} · {} {} · {} {} ",
            key(Action::FocusNext),
            Action::FocusNext.hint(),
            key(Action::Confirm),
            Action::Confirm.hint(),
            key(Action::Cancel),
            Action::Cancel.hint(),
        ),
        theme.dim(),
    ));
    f.render_widget(Clear, area);
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)).block(block), area);
}

/// The control keys a configured backend has no API for, with the reason (the same words
/// the key flashes and the CLI prints).
fn not_offered<'a>(app: &Screen, theme: &Theme) -> Vec<Line<'a>> {
    use crate::backend::Control;
    use crate::backend::control::has_api;
    let mut kinds: Vec<crate::domain::BackendKind> = Vec::new();
    for b in app.backends.iter() {
        if !kinds.contains(&b.kind) {
            kinds.push(b.kind);
        }
    }
    let actions = [
        Control::Abort {
            stage: None,
            terminate: false,
        },
        Control::Retry { stages: Vec::new() },
        Control::Rerun,
        Control::Suspend,
    ];
    let mut lines = Vec::new();
    for kind in kinds {
        for action in &actions {
            if let Err(why) = has_api(kind, action) {
                if lines.is_empty() {
                    lines.push(Line::raw(""));
                    lines.push(Line::styled("  not offered:", theme.dim()));
                }
                let text = format!("{} {}: {why}", kind.as_str(), action.verb());
                for part in crate::ui::format::wrap(&text, 62) {
                    lines.push(Line::styled(format!("    {part}"), theme.dim()));
                }
            }
        }
    }
    lines
}
