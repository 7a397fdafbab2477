//! The detail's web UI link as a clickable OSC 8 hyperlink. ratatui's cells hold text, not
//! escape sequences, and a sequence inside a cell would throw every width off; so the frame
//! draws the link as plain underlined text, and the event loop writes the same text again
//! over it, wrapped in OSC 8, right after the frame (`Drawn::link`). Terminals without OSC 8
//! ignore the sequence and show the same text.
//!
//! This is the one place an OSC 8 sequence is made. It takes only a URL that passes
//! [`links::safe`] (an http(s) URL of printable ASCII, so nothing in it can end the sequence)
//! and text of printable characters only; anything else writes nothing.

use crate::app::Hyperlink;
use crate::backend::links;

/// Saves the cursor (and its attributes), moves to the link, writes it underlined inside
/// OSC 8, and restores the cursor, so the frame's own idea of the terminal stays true.
pub fn overlay(link: &Hyperlink) -> Option<String> {
    let url = links::safe(&link.url)?;
    if link.text.is_empty() || link.text.chars().any(char::is_control) {
        return None;
    }
    Some(format!(
        "\u{1b}7\u{1b}[{};{}H\u{1b}[4m\u{1b}]8;;{url}\u{1b}\\{}\u{1b}]8;;\u{1b}\\\u{1b}[24m\u{1b}8",
        u32::from(link.y) + 1,
        u32::from(link.x) + 1,
        link.text
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(url: &str, text: &str) -> Hyperlink {
        Hyperlink {
            x: 14,
            y: 7,
            text: text.into(),
            url: url.into(),
        }
    }

    #[test]
    fn the_sequence_wraps_the_drawn_text_at_its_cell() {
        assert_eq!(
            overlay(&link(
                "https://argo.example.com/workflows/argo/wf",
                "https://argo.ex…"
            ))
            .unwrap(),
            "\u{1b}7\u{1b}[8;15H\u{1b}[4m\u{1b}]8;;https://argo.example.com/workflows/argo/wf\u{1b}\\https://argo.ex…\u{1b}]8;;\u{1b}\\\u{1b}[24m\u{1b}8"
        );
    }

    #[test]
    fn nothing_unsafe_is_ever_written() {
        assert_eq!(overlay(&link("javascript:alert(1)", "x")), None);
        assert_eq!(
            overlay(&link("https://e.com/", "a\u{1b}]0;pwned\u{7}")),
            None
        );
        // An escape in the URL is percent-encoded before it can end the sequence.
        let s = overlay(&link("https://e.com/\u{1b}\\\u{7}", "e")).unwrap();
        // Save, move, underline, open, the opener's terminator, close, its terminator, no
        // underline, restore: nine, all flightdeck's own.
        assert_eq!(s.matches('\u{1b}').count(), 9, "{s:?}");
        assert!(s.contains("https://e.com/%1B"), "{s:?}");
        assert!(!s.contains('\u{7}'));
    }
}
