//! Colours and emphasis. A theme names colours by meaning (accent, success, waiting...);
//! each meaning has an exact colour for truecolor terminals and a hand-picked one of the 16
//! ANSI colours for terminals without (256-colour terminals get the nearest palette entry).
//! Under `NO_COLOR` every style drops its colours but keeps its modifiers, so selection
//! (reverse video plus a marker) and status (glyph plus text) stay readable without colour.

use ratatui::style::{Color, Modifier, Style};

use super::depth::Depth;
use crate::app::{FlashLevel, Health};
use crate::config::Theme as Name;
use crate::domain::ExecStatus;

/// One meaning's colour at every depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Shade {
    rgb: (u8, u8, u8),
    ansi: Color,
}

const fn shade(rgb: u32, ansi: Color) -> Shade {
    Shade {
        rgb: ((rgb >> 16) as u8, (rgb >> 8) as u8, rgb as u8),
        ansi,
    }
}

/// The colours of one theme, by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Palette {
    /// Secondary text: headers of columns, hints, ages.
    dim: Shade,
    /// Titles, keys, the active tab.
    accent: Shade,
    /// Text on the accent colour.
    on_accent: Shade,
    header: Shade,
    success: Shade,
    failure: Shade,
    waiting: Shade,
    running: Shade,
    queued: Shade,
    /// Production borders and titles.
    danger: Shade,
    /// Everything that must be noticed is bold as well (high contrast).
    bold: bool,
}

use Color::*;

const DARK: Palette = Palette {
    dim: shade(0x808080, DarkGray),
    accent: shade(0x5fd7ff, Cyan),
    on_accent: shade(0x000000, Black),
    header: shade(0xc0c0c0, Gray),
    success: shade(0x5fd75f, Green),
    failure: shade(0xff5f5f, Red),
    waiting: shade(0xffd75f, Yellow),
    running: shade(0x5fd7ff, Cyan),
    queued: shade(0x87afff, Blue),
    danger: shade(0xff3030, Red),
    bold: false,
};

/// For light backgrounds: nothing pale (no yellow or cyan text), darker greys.
const LIGHT: Palette = Palette {
    dim: shade(0x6c6c6c, DarkGray),
    accent: shade(0x005fd7, Blue),
    on_accent: shade(0xffffff, White),
    header: shade(0x3a3a3a, Black),
    success: shade(0x008700, Green),
    failure: shade(0xd70000, Red),
    waiting: shade(0xaf5f00, Magenta),
    running: shade(0x005fd7, Blue),
    queued: shade(0x8700af, Magenta),
    danger: shade(0xd70000, Red),
    bold: false,
};

/// Bright colours only, no grey text, and bold wherever something matters.
const HIGH_CONTRAST: Palette = Palette {
    dim: shade(0xe4e4e4, White),
    accent: shade(0xffff00, LightYellow),
    on_accent: shade(0x000000, Black),
    header: shade(0xffffff, White),
    success: shade(0x00ff00, LightGreen),
    failure: shade(0xff4040, LightRed),
    waiting: shade(0xffff00, LightYellow),
    running: shade(0x00ffff, LightCyan),
    queued: shade(0x8080ff, LightBlue),
    danger: shade(0xff4040, LightRed),
    bold: true,
};

/// Okabe–Ito colours, told apart with any common colour-vision deficiency: success is
/// blue and failure vermilion, never green against red.
const COLORBLIND: Palette = Palette {
    dim: shade(0x8a8a8a, DarkGray),
    accent: shade(0x56b4e9, Cyan),
    on_accent: shade(0x000000, Black),
    header: shade(0xc0c0c0, Gray),
    success: shade(0x0072b2, Blue),
    failure: shade(0xd55e00, LightRed),
    waiting: shade(0xf0e442, Yellow),
    running: shade(0x56b4e9, Cyan),
    queued: shade(0xcc79a7, Magenta),
    danger: shade(0xe69f00, LightRed),
    bold: false,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    palette: Palette,
    depth: Depth,
}

impl Theme {
    pub fn new(name: Name, depth: Depth) -> Self {
        let palette = match name {
            Name::Dark => DARK,
            Name::Light => LIGHT,
            Name::HighContrast => HIGH_CONTRAST,
            Name::Colorblind => COLORBLIND,
        };
        Theme { palette, depth }
    }

    /// `name` at the colour depth the environment offers (`NO_COLOR`, `COLORTERM`, `TERM`).
    pub fn from_env(name: Name) -> Self {
        Theme::new(name, Depth::from_env())
    }

    fn color(&self, shade: Shade) -> Option<Color> {
        match self.depth {
            Depth::None => None,
            Depth::Ansi16 => Some(shade.ansi),
            Depth::Ansi256 => Some(Color::Indexed(super::depth::nearest_256(shade.rgb))),
            Depth::TrueColor => Some(Color::Rgb(shade.rgb.0, shade.rgb.1, shade.rgb.2)),
        }
    }

    fn fg(&self, shade: Shade) -> Style {
        match self.color(shade) {
            Some(c) => Style::default().fg(c),
            None => Style::default(),
        }
    }

    /// Bold where the theme wants everything important to stand out.
    fn strong(&self, style: Style) -> Style {
        if self.palette.bold {
            style.add_modifier(Modifier::BOLD)
        } else {
            style
        }
    }

    pub fn base(&self) -> Style {
        Style::default()
    }

    pub fn dim(&self) -> Style {
        self.fg(self.palette.dim)
    }

    pub fn title(&self) -> Style {
        self.fg(self.palette.accent).add_modifier(Modifier::BOLD)
    }

    pub fn header(&self) -> Style {
        self.fg(self.palette.header).add_modifier(Modifier::BOLD)
    }

    pub fn selected(&self) -> Style {
        // Reverse video works with and without colour.
        self.strong(Style::default().add_modifier(Modifier::REVERSED))
    }

    pub fn tab(&self, active: bool) -> Style {
        match (active, self.color(self.palette.accent)) {
            (true, Some(bg)) => self
                .fg(self.palette.on_accent)
                .bg(bg)
                .add_modifier(Modifier::BOLD),
            (true, None) => Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
            (false, _) => self.fg(self.palette.header),
        }
    }

    pub fn border(&self, production: bool) -> Style {
        if production {
            self.fg(self.palette.danger).add_modifier(Modifier::BOLD)
        } else {
            self.fg(self.palette.dim)
        }
    }

    /// The title of a pane or dialog on a production backend: loud without colour too.
    pub fn production(&self) -> Style {
        match self.color(self.palette.danger) {
            Some(c) => Style::default()
                .fg(c)
                .add_modifier(Modifier::BOLD | Modifier::REVERSED),
            None => Style::default().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        }
    }

    pub fn status(&self, s: ExecStatus) -> Style {
        let p = &self.palette;
        let shade = match s {
            ExecStatus::Waiting => p.waiting,
            ExecStatus::Running => p.running,
            ExecStatus::Queued | ExecStatus::Paused => p.queued,
            ExecStatus::Succeeded => p.success,
            ExecStatus::Failed
            | ExecStatus::Aborted
            | ExecStatus::Rejected
            | ExecStatus::Expired => p.failure,
            ExecStatus::NotStarted | ExecStatus::Skipped | ExecStatus::Unknown => p.dim,
        };
        let style = self.fg(shade);
        if s == ExecStatus::Waiting || s.is_bad() {
            style.add_modifier(Modifier::BOLD)
        } else {
            self.strong(style)
        }
    }

    pub fn health(&self, h: Health) -> Style {
        let p = &self.palette;
        match h {
            Health::Ok => self.fg(p.success),
            Health::Connecting => self.fg(p.dim),
            Health::Slow | Health::RateLimited => self.strong(self.fg(p.waiting)),
            Health::Failing => self.strong(self.fg(p.failure)),
        }
    }

    pub fn flash(&self, level: FlashLevel) -> Style {
        let p = &self.palette;
        match level {
            FlashLevel::Info => self.strong(self.fg(p.accent)),
            FlashLevel::Success => self.fg(p.success).add_modifier(Modifier::BOLD),
            FlashLevel::Error => self.fg(p.failure).add_modifier(Modifier::BOLD),
        }
    }

    /// A deadline about to pass: the failure colour, bold. Drawn beside a glyph, so it
    /// reads under `NO_COLOR` too.
    pub fn urgent(&self) -> Style {
        self.fg(self.palette.failure).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(self.palette.waiting).add_modifier(Modifier::BOLD)
    }

    /// A web UI link: underlined in the terminal's own colours, exactly what the OSC 8
    /// hyperlink written over it after the frame draws (`tui/hyperlink.rs`).
    pub fn link(&self) -> Style {
        Style::default().add_modifier(Modifier::UNDERLINED)
    }

    pub fn key(&self) -> Style {
        self.fg(self.palette.accent).add_modifier(Modifier::BOLD)
    }

    pub fn button(&self, focused: bool) -> Style {
        if focused {
            self.selected().add_modifier(Modifier::BOLD)
        } else {
            self.base()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_themes_differ_at_every_depth() {
        for depth in [Depth::Ansi16, Depth::Ansi256, Depth::TrueColor] {
            let styles: Vec<Vec<Style>> = Name::ALL
                .iter()
                .map(|n| {
                    let t = Theme::new(*n, depth);
                    vec![
                        t.status(ExecStatus::Succeeded),
                        t.status(ExecStatus::Failed),
                        t.status(ExecStatus::Waiting),
                        t.key(),
                        t.dim(),
                    ]
                })
                .collect();
            for (i, a) in styles.iter().enumerate() {
                for b in &styles[i + 1..] {
                    assert_ne!(a, b, "two themes look the same at {depth:?}");
                }
            }
        }
    }

    #[test]
    fn colorblind_never_sets_green_against_red() {
        let t = Theme::new(Name::Colorblind, Depth::Ansi16);
        let ok = t.status(ExecStatus::Succeeded).fg;
        let bad = t.status(ExecStatus::Failed).fg;
        assert!(!matches!(ok, Some(Color::Green | Color::LightGreen)));
        assert!(!matches!(bad, Some(Color::Red)));
        assert_ne!(ok, bad);
    }

    #[test]
    fn no_colour_keeps_only_modifiers() {
        let t = Theme::new(Name::HighContrast, Depth::None);
        for s in [
            t.tab(true),
            t.status(ExecStatus::Failed),
            t.production(),
            t.key(),
        ] {
            assert_eq!((s.fg, s.bg), (None, None));
        }
        assert!(t.tab(true).add_modifier.contains(Modifier::REVERSED));
        assert!(t.selected().add_modifier.contains(Modifier::REVERSED));
    }
}
