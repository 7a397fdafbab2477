//! Copying to the clipboard of the terminal the user sits at, through the OSC 52 escape
//! sequence: it travels over SSH and through tmux (with `set-clipboard on`), where no
//! local clipboard tool could reach.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The OSC 52 sequence that puts `text` on the system clipboard.
pub fn osc52(text: &str) -> String {
    format!("\u{1b}]52;c;{}\u{7}", STANDARD.encode(text))
}

#[cfg(test)]
mod tests {
    #[test]
    fn osc52_carries_standard_padded_base64() {
        assert_eq!(super::osc52("hi"), "\u{1b}]52;c;aGk=\u{7}");
        assert_eq!(super::osc52("foob"), "\u{1b}]52;c;Zm9vYg==\u{7}");
    }
}
