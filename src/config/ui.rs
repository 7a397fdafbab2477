//! The `[ui]` table: polling intervals, theme, notifications, the mouse and the global
//! read-only switch.

use std::time::Duration;

use super::duration::Bounds;
use super::reader::{Result, Table};
use crate::alert::Desktop;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiConfig {
    /// How often pipeline, execution and approval lists are polled.
    pub refresh: Duration,
    /// How often executions that are still running are polled.
    pub refresh_running: Duration,
    /// How often the execution shown in the detail pane is polled.
    pub refresh_selected: Duration,
    pub theme: Theme,
    /// Ring the terminal bell on a notification (a new gate, a followed execution ending).
    pub bell: bool,
    /// Send notifications to the desktop through the terminal.
    pub desktop: Desktop,
    /// Blocks every mutating action on every backend.
    pub read_only: bool,
    /// Capture the mouse: click selects, double click opens, the wheel scrolls.
    pub mouse: bool,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            refresh: Duration::from_secs(10),
            refresh_running: Duration::from_secs(3),
            refresh_selected: Duration::from_secs(1),
            theme: Theme::Dark,
            bell: false,
            desktop: Desktop::Off,
            read_only: false,
            mouse: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Dark,
    Light,
    HighContrast,
    /// Avoids red/green as the only difference between statuses.
    Colorblind,
}

impl Theme {
    pub const ALL: [Theme; 4] = [
        Theme::Dark,
        Theme::Light,
        Theme::HighContrast,
        Theme::Colorblind,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Dark => "dark",
            Theme::Light => "light",
            Theme::HighContrast => "high-contrast",
            Theme::Colorblind => "colorblind",
        }
    }
}

// Floors keep a typo like "100ms" from hammering a shared CI server from every dashboard.
const REFRESH: Bounds = Bounds {
    min: Duration::from_secs(2),
    max: None,
};
const REFRESH_RUNNING: Bounds = Bounds {
    min: Duration::from_secs(1),
    max: None,
};
const REFRESH_SELECTED: Bounds = Bounds {
    min: Duration::from_millis(500),
    max: None,
};

const KEYS: &[&str] = &[
    "refresh",
    "refresh_running",
    "refresh_selected",
    "theme",
    "bell",
    "desktop",
    "read_only",
    "mouse",
];

pub(crate) fn parse(table: &Table<'_>) -> Result<UiConfig> {
    table.check_keys(KEYS, &|_| None)?;
    let defaults = UiConfig::default();
    let duration = |key: &str, bounds: &Bounds, default: Duration| {
        table
            .item(key)
            .map_or(Ok(default), |item| item.duration(bounds))
    };
    let theme = match table.item("theme") {
        None => defaults.theme,
        Some(item) => {
            let name = item.string()?;
            Theme::ALL
                .into_iter()
                .find(|t| t.as_str() == name)
                .ok_or_else(|| {
                    let valid: Vec<&str> = Theme::ALL.iter().map(|t| t.as_str()).collect();
                    item.invalid(format!(
                        "unknown theme {name:?}; expected one of {}",
                        valid.join(", ")
                    ))
                })?
        }
    };
    Ok(UiConfig {
        refresh: duration("refresh", &REFRESH, defaults.refresh)?,
        refresh_running: duration(
            "refresh_running",
            &REFRESH_RUNNING,
            defaults.refresh_running,
        )?,
        refresh_selected: duration(
            "refresh_selected",
            &REFRESH_SELECTED,
            defaults.refresh_selected,
        )?,
        theme,
        bell: table.bool_or("bell", defaults.bell)?,
        desktop: match table.item("desktop") {
            None => defaults.desktop,
            Some(item) => parse_desktop(&item)?,
        },
        read_only: table.bool_or("read_only", defaults.read_only)?,
        mouse: table.bool_or("mouse", defaults.mouse)?,
    })
}

/// `true` (detect), `false`, or a protocol by name.
fn parse_desktop(item: &super::reader::Item<'_>) -> Result<Desktop> {
    if let Ok(on) = item.boolean() {
        return Ok(if on { Desktop::Auto } else { Desktop::Off });
    }
    let text = item
        .string()
        .map_err(|_| item.wrong_type("true, false, \"osc9\" or \"osc777\""))?;
    match text {
        "auto" => Ok(Desktop::Auto),
        "off" => Ok(Desktop::Off),
        "osc9" => Ok(Desktop::Osc9),
        "osc777" => Ok(Desktop::Osc777),
        other => Err(item.invalid(format!(
            "unknown notification protocol {other:?}; expected true, false, \"osc9\" or \"osc777\""
        ))),
    }
}
