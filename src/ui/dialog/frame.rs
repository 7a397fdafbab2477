//! What every dialog is drawn with: a centred box, its frame (loud on production), the
//! form fields and buttons, and one line per item of a batch or bulk start.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::app::{Action, Answer, FlashLevel, Outcome, Section};
use crate::app::{FieldKind, Focus, Form};
use crate::domain::ExecStatus;
use crate::sanitize::clean;
use crate::ui::Screen;
use crate::ui::theme::Theme;

/// A centred box of at most `w`x`h`, clipped to the screen.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub fn frame<'a>(theme: &Theme, title: String, loud: bool) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if loud {
            BorderType::Double
        } else {
            BorderType::Rounded
        })
        .border_style(theme.border(loud))
        .title(Span::styled(title, theme.title()))
}

/// The dialog keys as bound (`[keys.dialog]`), for the line beside the buttons.
fn dialog_keys(app: &Screen) -> String {
    let labels = |a: Action| -> Vec<String> {
        app.keymap
            .help_in(Section::Dialog)
            .into_iter()
            .find(|(action, _)| *action == a)
            .map(|(_, keys)| keys)
            .unwrap_or_default()
    };
    let (next, prev) = (labels(Action::FocusNext), labels(Action::FocusPrev));
    // The default pairs read best folded: Tab/↑↓.
    let moves = if next == ["Tab", "↓"] && prev == ["S-Tab", "↑"] {
        "Tab/↑↓".to_string()
    } else {
        next.join("/")
    };
    let first = |a| {
        labels(a)
            .first()
            .cloned()
            .unwrap_or_else(|| "(unbound)".into())
    };
    format!(
        "   {moves} move · {} on a button · {} cancel",
        first(Action::Confirm),
        first(Action::Cancel)
    )
}

/// The box of a dialog over a marked list (a batch of gates, a bulk start): centred, sized
/// for `rows` list rows and `form_rows` of form below, titled with the count; returns the
/// summary line, the list and the form's area.
pub fn marked_list(
    f: &mut Frame,
    theme: &Theme,
    what: &str,
    rows: usize,
    form_rows: u16,
    production: bool,
) -> [Rect; 3] {
    let area = centered(f.area(), 100, rows as u16 + form_rows + 4);
    let title = format!(
        " {what}{}{} ",
        if rows == 1 { "" } else { "s" },
        if production { " — PRODUCTION" } else { "" }
    );
    let block = frame(theme, title, production);
    let inner = block.inner(area);
    f.render_widget(ratatui::widgets::Clear, area);
    f.render_widget(block, area);
    ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Fill(1),
        ratatui::layout::Constraint::Length(form_rows),
    ])
    .areas(inner)
}

/// Renders the form fields and buttons into `area`; returns where the text cursor goes.
pub fn form(
    f: &mut Frame,
    area: Rect,
    app: &Screen,
    theme: &Theme,
    form: &Form,
    busy: bool,
) -> Option<(u16, u16)> {
    let label_w = form
        .fields
        .iter()
        .map(|fl| fl.label.chars().count() + usize::from(fl.required))
        .max()
        .unwrap_or(0)
        .min(24) as u16;
    let mut cursor = None;
    for (y, (i, field)) in (area.y..).zip(form.fields.iter().enumerate()) {
        if y >= area.bottom().saturating_sub(3) {
            break;
        }
        let focused = form.focus == Focus::Field(i) && !busy;
        let label = format!(
            "{}{}",
            clean(&field.label),
            if field.required { "*" } else { "" }
        );
        let value = match &field.kind {
            FieldKind::Secret => "•".repeat(field.value().chars().count()),
            FieldKind::Choice(_) => format!("‹ {} ›", clean(field.value())),
            _ => clean(field.value()).into_owned(),
        };
        let value_style = if focused {
            theme
                .base()
                .add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        } else {
            theme.base().add_modifier(Modifier::UNDERLINED)
        };
        let marker = if focused { "▶ " } else { "  " };
        let line = Line::from(vec![
            Span::raw(marker),
            Span::styled(format!("{label:>w$}: ", w = label_w as usize), theme.dim()),
            Span::styled(value, value_style),
        ]);
        let row = Rect {
            y,
            height: 1,
            ..area
        };
        f.render_widget(Paragraph::new(line), row);
        if focused && !matches!(field.kind, FieldKind::Choice(_)) {
            let x = area.x + 2 + label_w + 2 + field.input.visual_cursor() as u16;
            cursor = Some((x.min(area.right().saturating_sub(1)), y));
        }
    }
    let focused_help = match form.focus {
        Focus::Field(i) => form.fields.get(i).and_then(|fl| fl.help.clone()),
        _ => None,
    };
    let note = form
        .problem
        .as_ref()
        .map(|p| {
            Span::styled(
                clean(p).into_owned(),
                theme.flash(crate::app::FlashLevel::Error),
            )
        })
        .or_else(|| focused_help.map(|h| Span::styled(clean(&h).into_owned(), theme.dim())));
    let bottom = Rect {
        y: area.bottom().saturating_sub(2),
        height: 1,
        ..area
    };
    if let Some(note) = note {
        f.render_widget(Paragraph::new(Line::from(note)), bottom);
    }
    let button = |label: &str, focus: Focus| {
        let focused = form.focus == focus && !busy;
        // A marker as well as reverse video: the focus must be visible without colour and
        // in a plain-text capture.
        let text = if focused {
            format!("▶[ {label} ]")
        } else {
            format!(" [ {label} ]")
        };
        Span::styled(text, theme.button(focused))
    };
    let (confirm, cancel) = (
        button(&form.confirm_label, Focus::Confirm),
        button("Cancel", Focus::Cancel),
    );
    let last = Rect {
        y: area.bottom().saturating_sub(1),
        height: 1,
        ..area
    };
    if !busy {
        // Where each button lands, for a click (which focuses it, never presses it).
        let gap = 2;
        let mut x = last.x;
        for (span, focus, after) in [(&confirm, Focus::Confirm, gap), (&cancel, Focus::Cancel, 0)] {
            let width = (span.width() as u16).min(last.right().saturating_sub(x));
            app.drew_button(Rect { x, width, ..last }, focus);
            x = x.saturating_add(width + after).min(last.right());
        }
    }
    let buttons = Line::from(vec![
        // Same order as Tab moves: fields, confirm, then Cancel (where the form opens).
        confirm,
        Span::raw("  "),
        cancel,
        Span::styled(
            if busy {
                "   sending…".to_string()
            } else {
                dialog_keys(app)
            },
            theme.dim(),
        ),
    ]);
    f.render_widget(Paragraph::new(buttons), last);
    cursor
}

/// One item's outcome in a results list: its words and its style (running while sent,
/// success, failure). The batch and the bulk start draw their results with it.
pub fn outcome<T: Answer>(theme: &Theme, outcome: &Outcome<T>) -> (String, ratatui::style::Style) {
    let style = match outcome {
        Outcome::Sent => theme.status(ExecStatus::Running),
        o if o.is_ok() => theme.flash(FlashLevel::Success),
        _ => theme.flash(FlashLevel::Error),
    };
    (clean(&outcome.label()).into_owned(), style)
}
