//! Every string that came from a server passes through here before it reaches the terminal.
//!
//! A pipeline name or an approval message is attacker-controlled text: an embedded ESC could
//! move the cursor, retitle the window or write to the clipboard (OSC 52), bidi overrides
//! can make a gate read as something else, and invisible characters can hide text or make
//! two names look alike. We drop escape sequences whole and replace other control, bidi and
//! invisible characters with a visible placeholder.
//!
//! The layout also depends on every character's width being what the terminal thinks it is.
//! Terminals disagree on emoji joined with ZWJ and on variation selectors, so joiners show as
//! the placeholder (each emoji then stands alone, two columns everywhere) and selectors are
//! dropped; accents stacked deeper than any script needs are cut.

use std::borrow::Cow;

use unicode_width::UnicodeWidthChar;

/// Combining marks kept on one character: enough for any script, not for "Zalgo" text that
/// piles marks over the rows above and below.
const MAX_MARKS: usize = 3;

/// Returns `s` safe to print on one line: escape sequences removed, tabs and newlines turned
/// into spaces, other controls, bidi overrides and invisible characters shown as `�`,
/// variation selectors dropped, accents at most three deep.
pub fn clean(s: &str) -> Cow<'_, str> {
    if is_clean(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut marks = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if is_mark(c) {
            marks += 1;
            if marks <= MAX_MARKS {
                out.push(c);
            }
            continue;
        }
        marks = 0;
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI/OSC/DCS/SOS/PM/APC introducers: same meaning as ESC [ / ESC ] etc.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' | '\n' | '\r' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if is_selector(c) => {}
            c if is_plain(c) => out.push(c),
            _ => out.push('\u{fffd}'),
        }
    }
    Cow::Owned(out)
}

/// Nothing to change: every character plain, no accent pile.
fn is_clean(s: &str) -> bool {
    let mut marks = 0;
    s.chars().all(|c| {
        if is_mark(c) {
            marks += 1;
            marks <= MAX_MARKS
        } else {
            marks = 0;
            is_plain(c) && !is_selector(c)
        }
    })
}

/// A character that shows as itself: not a control (C0, DEL, C1), a bidi control, an
/// invisible character, or a line or paragraph separator. What is not plain is dropped or
/// shown as `�` on screen, written as `\uXXXX` in JSON, and escaped in a copied command.
pub fn is_plain(c: char) -> bool {
    // (The line and paragraph separators are not controls, but break lines as `\n` does.)
    !c.is_control()
        && !is_bidi_control(c)
        && !is_invisible(c)
        && !matches!(c, '\u{2028}' | '\u{2029}')
}

/// A combining mark (zero width, drawn over the character before it). Zero-width characters
/// that are not marks are all invisible or selectors, handled before this counts.
fn is_mark(c: char) -> bool {
    c.width() == Some(0)
        && !c.is_control()
        && !is_invisible(c)
        && !is_selector(c)
        && !is_bidi_control(c)
}

/// Variation selectors: they only pick a glyph's presentation (and, for emoji, a width the
/// terminals disagree on).
fn is_selector(c: char) -> bool {
    matches!(c, '\u{fe00}'..='\u{fe0f}' | '\u{e0100}'..='\u{e01ef}')
}

/// Format characters that draw nothing: zero-width spaces and joiners, word joiner and
/// invisible operators, the BOM, soft hyphen, tag characters (which can smuggle a whole
/// hidden text), interlinear annotations, and the Hangul fillers that pass for blank names.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{180e}' | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}'
        | '\u{206a}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}'
        | '\u{1d173}'..='\u{1d17a}' | '\u{e0000}'..='\u{e007f}')
}

/// Bidi embedding/override/isolate controls (Trojan Source) and the invisible marks.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Text for many lines (a table, a block of output): each line [`clean`]ed, the line breaks
/// kept.
pub fn clean_lines(s: &str) -> Cow<'_, str> {
    if s.split('\n').all(is_clean) {
        return Cow::Borrowed(s);
    }
    let lines: Vec<Cow<'_, str>> = s.split('\n').map(clean).collect();
    Cow::Owned(lines.join("\n"))
}

/// `value` as JSON whose strings are inert on a terminal: every character that is not
/// [`is_plain`] is written as `\uXXXX` (JSON itself escapes only U+0000 to U+001F, so DEL,
/// C1, bidi, separators and invisible characters would otherwise pass raw). The data stays exact for a
/// script (any JSON reader decodes the escapes back), and a person who `cat`s it sees
/// escapes instead of a moved cursor or reordered text. Stdout's JSON and the audit log are
/// written through here.
pub fn to_json<T: serde::Serialize + ?Sized>(
    value: &T,
    pretty: bool,
) -> serde_json::Result<String> {
    let mut out = Vec::new();
    if pretty {
        let fmt = Inert(serde_json::ser::PrettyFormatter::new());
        value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, fmt))?;
    } else {
        let fmt = Inert(serde_json::ser::CompactFormatter);
        value.serialize(&mut serde_json::Serializer::with_formatter(&mut out, fmt))?;
    }
    // The serializer writes UTF-8 only, and every escape it adds is ASCII.
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}

/// A JSON formatter that escapes characters that are not [`is_plain`] inside strings and leaves
/// the rest of the layout to the formatter it wraps.
struct Inert<F>(F);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name<W: ?Sized + std::io::Write>(&mut self, w: &mut W $(, $arg: $ty)*) -> std::io::Result<()> {
            self.0.$name(w $(, $arg)*)
        })*
    };
}

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for Inert<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|(_, c)| !is_plain(*c)) {
            w.write_all(&rest.as_bytes()[..at])?;
            // Every hazard is in the Basic Multilingual Plane except the tag characters,
            // which JSON writes as a surrogate pair.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        w.write_all(rest.as_bytes())
    }

    delegate! {
        begin_array();
        end_array();
        begin_array_value(first: bool);
        end_array_value();
        begin_object();
        end_object();
        begin_object_key(first: bool);
        end_object_key();
        begin_object_value();
        end_object_value();
    }
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
    use super::*;

    #[test]
    fn json_escapes_what_a_terminal_would_act_on_and_stays_exact() {
        let hostile = "a\u{7f}b\u{9b}2J\u{9d}0;t\u{9c}\u{202e}gnp.exe\u{2066}x\u{200b}\u{2028}\u{e0041}\u{1b}[31m é ✓";
        for pretty in [false, true] {
            let text = to_json(&serde_json::json!({ "name": hostile }), pretty).unwrap();
            assert!(text.chars().all(|c| c == '\n' || is_plain(c)), "{text:?}");
            assert!(
                text.contains("\\u007f") && text.contains("\\u009b") && text.contains("\\u202e")
            );
            // Tag characters are outside the BMP: a surrogate pair.
            assert!(text.contains("\\udb40\\udc41"), "{text}");
            // Readers get the exact string back; what needs no escape is left as it is.
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back["name"], hostile);
            assert!(text.contains("é ✓"));
        }
        assert_eq!(
            to_json(&[1, 2], true).unwrap(),
            serde_json::to_string_pretty(&[1, 2]).unwrap()
        );
    }

    #[test]
    fn lines_are_cleaned_one_by_one_and_stay_lines() {
        assert!(matches!(clean_lines("a\nb\n"), Cow::Borrowed(_)));
        assert_eq!(clean_lines("ok\n\u{1b}]52;c;eA==\u{7}x\tz\n"), "ok\nx z\n");
    }

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

    #[test]
    fn invisible_characters_show_and_widths_stay_unambiguous() {
        assert_eq!(clean("pr\u{200b}od"), "pr\u{fffd}od");
        assert_eq!(
            clean("a\u{feff}b\u{e0041}\u{e0042}"),
            "a\u{fffd}b\u{fffd}\u{fffd}"
        );
        assert_eq!(clean("\u{3164}"), "\u{fffd}");
        // A joined family is three emoji; a selector is dropped.
        assert_eq!(
            clean("👨\u{200d}👩\u{200d}👧 ❤\u{fe0f}"),
            "👨\u{fffd}👩\u{fffd}👧 ❤"
        );
        assert_eq!(clean("a\u{2028}b"), "a b");
    }

    #[test]
    fn accents_stay_but_do_not_pile_up() {
        let e = "e\u{301}";
        assert!(matches!(clean(e), std::borrow::Cow::Borrowed(_)));
        assert!(matches!(
            clean("ṩ\u{323}\u{307}"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            clean(&format!("x{}y", "\u{301}".repeat(40))),
            "x\u{301}\u{301}\u{301}y"
        );
        // Hindi and Korean (decomposed) keep their marks.
        assert_eq!(clean("हिन्दी"), "हिन्दी");
        assert_eq!(
            clean("\u{1112}\u{1161}\u{11ab}"),
            "\u{1112}\u{1161}\u{11ab}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: None,
            ..Default::default()
        })]

        /// Whatever a server sends: nothing unsafe comes out, and cleaning twice changes
        /// nothing more.
        #[test]
        fn any_text_comes_out_safe_and_stays_so(s in proptest::prelude::any::<String>()) {
            let once = clean(&s);
            proptest::prop_assert!(once.chars().all(|c| super::is_plain(c) && !super::is_selector(c)));
            proptest::prop_assert_eq!(clean(&once), once.clone());
        }
    }
}
