//! Colours and emphasis. Under `NO_COLOR` every style drops its colours but keeps its
//! modifiers, so selection (reverse video plus a marker) and status (glyph plus text) stay
//! readable without colour.

use ratatui::style::{Color, Modifier, Style};

use crate::app::{FlashLevel, Health};
use crate::domain::ExecStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless the `NO_COLOR` convention asks otherwise (any non-empty value).
    pub fn from_env() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn paint(&self, style: Style) -> Style {
        if self.color {
            style
        } else {
            Style {
                fg: None,
                bg: None,
                underline_color: None,
                ..style
            }
        }
    }

    pub fn base(&self) -> Style {
        Style::default()
    }

    pub fn dim(&self) -> Style {
        self.paint(Style::default().fg(Color::DarkGray))
    }

    pub fn title(&self) -> Style {
        self.paint(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        )
    }

    pub fn header(&self) -> Style {
        self.paint(
            Style::default()
                .fg(Color::Gray)
                .add_modifier(Modifier::BOLD),
        )
    }

    pub fn selected(&self) -> Style {
        // Reverse video works with and without colour.
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn tab(&self, active: bool) -> Style {
        if active {
            self.paint(
                Style::default()
                    .fg(Color::Black)
                    .bg(Color::Cyan)
                    .add_modifier(Modifier::BOLD),
            )
            .add_modifier(if self.color {
                Modifier::empty()
            } else {
                Modifier::REVERSED
            })
        } else {
            self.paint(Style::default().fg(Color::Gray))
        }
    }

    pub fn border(&self, production: bool) -> Style {
        if production {
            self.paint(Style::default().fg(Color::Red).add_modifier(Modifier::BOLD))
        } else {
            self.paint(Style::default().fg(Color::DarkGray))
        }
    }

    pub fn status(&self, s: ExecStatus) -> Style {
        let color = match s {
            ExecStatus::Waiting => Color::Yellow,
            ExecStatus::Running => Color::Cyan,
            ExecStatus::Queued | ExecStatus::Paused => Color::Blue,
            ExecStatus::Succeeded => Color::Green,
            ExecStatus::Failed
            | ExecStatus::Aborted
            | ExecStatus::Rejected
            | ExecStatus::Expired => Color::Red,
            ExecStatus::NotStarted | ExecStatus::Skipped | ExecStatus::Unknown => Color::DarkGray,
        };
        let style = Style::default().fg(color);
        let style = if s == ExecStatus::Waiting || s.is_bad() {
            style.add_modifier(Modifier::BOLD)
        } else {
            style
        };
        self.paint(style)
    }

    pub fn health(&self, h: Health) -> Style {
        let color = match h {
            Health::Ok => Color::Green,
            Health::Connecting => Color::DarkGray,
            Health::Slow | Health::RateLimited => Color::Yellow,
            Health::Failing => Color::Red,
        };
        self.paint(Style::default().fg(color))
    }

    pub fn flash(&self, level: FlashLevel) -> Style {
        let style = match level {
            FlashLevel::Info => Style::default().fg(Color::Cyan),
            FlashLevel::Success => Style::default()
                .fg(Color::Green)
                .add_modifier(Modifier::BOLD),
            FlashLevel::Error => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        };
        self.paint(style)
    }

    pub fn warn(&self) -> Style {
        self.paint(
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        )
    }

    pub fn key(&self) -> Style {
        self.paint(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        )
    }

    pub fn button(&self, focused: bool) -> Style {
        if focused {
            self.selected().add_modifier(Modifier::BOLD)
        } else {
            self.base()
        }
    }
}
