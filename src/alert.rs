//! Getting a person's attention from the terminal: the bell, and desktop notifications
//! through OSC 9 (iTerm2 style) or OSC 777 (urxvt style). Both are escape sequences, so they
//! travel over SSH; inside tmux they are wrapped for passthrough (tmux needs
//! `set -g allow-passthrough on` to let them out). Terminals that know neither ignore them.

use crate::sanitize::clean;

/// How notifications reach the desktop: escape sequences the terminal turns into a system
/// notification, so they work over SSH. Terminals that know neither ignore them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Desktop {
    #[default]
    Off,
    /// Pick OSC 9 or OSC 777 from what the environment says the terminal is.
    Auto,
    /// `ESC ] 9 ; text BEL`: iTerm2, WezTerm, Ghostty, kitty, Windows Terminal.
    Osc9,
    /// `ESC ] 777 ; notify ; title ; body BEL`: foot, urxvt, VTE-based terminals.
    Osc777,
}

/// A desktop-notification escape sequence a terminal understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Osc9,
    Osc777,
}

/// Where desktop notifications go, decided once at startup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Channel {
    pub protocol: Protocol,
    /// Inside tmux: wrap in a DCS passthrough.
    pub tmux: bool,
}

/// What the app wants said, and how: the settings in force travel with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    pub bell: bool,
    pub desktop: Option<Channel>,
}

/// The channel `[ui] desktop` asks for in this environment; `var` reads an environment
/// variable (passed in so this stays testable). `Auto` finds a protocol only for terminals
/// known to show it.
pub fn channel(setting: Desktop, var: impl Fn(&str) -> Option<String>) -> Option<Channel> {
    let protocol = match setting {
        Desktop::Off => return None,
        Desktop::Osc9 => Protocol::Osc9,
        Desktop::Osc777 => Protocol::Osc777,
        Desktop::Auto => detect(&var)?,
    };
    Some(Channel {
        protocol,
        tmux: var("TMUX").is_some_and(|v| !v.is_empty()),
    })
}

fn detect(var: &impl Fn(&str) -> Option<String>) -> Option<Protocol> {
    let program = var("TERM_PROGRAM").unwrap_or_default();
    let term = var("TERM").unwrap_or_default();
    // LC_TERMINAL survives ssh (where forwarded) and tmux, which overwrite TERM_PROGRAM.
    if program == "iTerm.app"
        || var("LC_TERMINAL").as_deref() == Some("iTerm2")
        || var("WT_SESSION").is_some()
    {
        Some(Protocol::Osc9)
    } else if matches!(program.as_str(), "WezTerm" | "ghostty")
        || term.starts_with("foot")
        || term.contains("rxvt")
        || var("VTE_VERSION").is_some()
    {
        Some(Protocol::Osc777)
    } else {
        None
    }
}

/// Longest title or body sent; notification popups show little more.
const MAX_CHARS: usize = 160;

/// Text safe inside an OSC string: server text is cleaned of escapes and controls, and `;`
/// (the OSC 777 field separator) becomes `,`.
fn field(text: &str) -> String {
    clean(text)
        .chars()
        .map(|c| if c == ';' { ',' } else { c })
        .take(MAX_CHARS)
        .collect()
}

/// The bytes to write for `notice`: a BEL if asked, then the notification sequence.
pub fn sequence(notice: &Notice) -> String {
    let mut out = String::new();
    if notice.bell {
        out.push('\u{7}');
    }
    if let Some(channel) = notice.desktop {
        let title = field(&notice.title);
        let body = field(&notice.body);
        let osc = match channel.protocol {
            // The text starts with our name, so it can never read as an OSC 9 sub-command
            // (`9;4;...` is a progress bar in Windows Terminal and ConEmu).
            Protocol::Osc9 => format!("\u{1b}]9;flightdeck: {title}: {body}\u{7}"),
            Protocol::Osc777 => {
                format!("\u{1b}]777;notify;flightdeck: {title};{body}\u{7}")
            }
        };
        if channel.tmux {
            out.push_str(&format!(
                "\u{1b}Ptmux;{}\u{1b}\\",
                osc.replace('\u{1b}', "\u{1b}\u{1b}")
            ));
        } else {
            out.push_str(&osc);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn auto_picks_by_terminal_and_wraps_for_tmux() {
        let osc9 = Channel {
            protocol: Protocol::Osc9,
            tmux: false,
        };
        assert_eq!(
            channel(Desktop::Auto, env(&[("TERM_PROGRAM", "iTerm.app")])),
            Some(osc9)
        );
        assert_eq!(
            channel(Desktop::Auto, env(&[("TERM", "foot")])).map(|c| c.protocol),
            Some(Protocol::Osc777)
        );
        assert_eq!(
            channel(Desktop::Auto, env(&[("TERM", "xterm-256color")])),
            None
        );
        assert_eq!(channel(Desktop::Off, env(&[("TERM", "foot")])), None);
        let forced = channel(Desktop::Osc9, env(&[("TMUX", "/tmp/tmux-0/default,1,0")]));
        assert_eq!(forced.map(|c| c.tmux), Some(true));
    }

    #[test]
    fn server_text_cannot_break_out_of_the_sequence() {
        let notice = Notice {
            title: "gate waiting".into(),
            body: "evil\u{7}\u{1b}]52;c;cm0=\u{7};x".into(),
            bell: true,
            desktop: Some(Channel {
                protocol: Protocol::Osc777,
                tmux: false,
            }),
        };
        assert_eq!(
            sequence(&notice),
            "\u{7}\u{1b}]777;notify;flightdeck: gate waiting;evil\u{fffd},x\u{7}"
        );
        let tmux = Notice {
            bell: false,
            desktop: Some(Channel {
                protocol: Protocol::Osc9,
                tmux: true,
            }),
            ..notice
        };
        assert_eq!(
            sequence(&tmux),
            "\u{1b}Ptmux;\u{1b}\u{1b}]9;flightdeck: gate waiting: evil\u{fffd},x\u{7}\u{1b}\\"
        );
    }
}
