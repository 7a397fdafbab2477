//! Every string that came from a server passes through here before it reaches the terminal.
//!
//! A pipeline name or an approval message is attacker-controlled text: an embedded ESC could
//! move the cursor, retitle the window or write to the clipboard (OSC 52), and bidi overrides
//! can make a gate read as something else. We drop escape sequences whole and replace other
//! control and bidi-control characters with a visible placeholder.

use std::borrow::Cow;

/// Returns `s` safe to print on one line: escape sequences removed, tabs and newlines turned
/// into spaces, other controls and bidi overrides shown as `�`.
pub fn clean(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI/OSC/DCS/SOS/PM/APC introducers: same meaning as ESC [ / ESC ] etc.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' => out.push(' '),
            c if is_plain(c) => out.push(c),
            _ => out.push('\u{fffd}'),
        }
    }
    Cow::Owned(out)
}

fn is_plain(c: char) -> bool {
    !c.is_control() && !is_bidi_control(c)
}

/// Bidi embedding/override/isolate controls (Trojan Source) and the invisible marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(chars),
        // Two-character sequences (ESC c, ESC 7, ...) and intermediates (ESC ( B).
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte in `@`..=`~`.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            return;
        }
    }
}

/// OSC/DCS/APC... strings run to BEL, ST (`ESC \`) or C1 ST.
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            clean("deploy-prod ✓ 日本"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn strips_csi_osc_and_controls() {
        assert_eq!(clean("a\u{1b}[31mred\u{1b}[0m"), "ared");
        assert_eq!(clean("x\u{1b}]52;c;ZXZpbA==\u{7}y"), "xy");
        assert_eq!(clean("x\u{1b}]0;title\u{1b}\\y"), "xy");
        assert_eq!(clean("a\u{9b}2Jb"), "ab");
        assert_eq!(clean("bell\u{7}\u{8}"), "bell\u{fffd}\u{fffd}");
        assert_eq!(clean("two\nlines\ttab"), "two lines tab");
        assert_eq!(clean("\u{202e}evil"), "\u{fffd}evil");
        assert_eq!(clean("unterminated \u{1b}[12"), "unterminated ");
    }
}
