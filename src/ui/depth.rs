//! How many colours the terminal shows, and the nearest of the xterm 256 colours for
//! terminals without truecolor. Terminals cannot be asked reliably (and not at all through
//! some tmux and SSH setups), so the environment's conventions decide.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `NO_COLOR`: modifiers only.
    None,
    Ansi16,
    Ansi256,
    TrueColor,
}

impl Depth {
    pub fn from_env() -> Self {
        Depth::detect(|name| std::env::var(name).ok())
    }

    /// `NO_COLOR` (any non-empty value) wins; `COLORTERM=truecolor|24bit` means 24-bit
    /// colour; a `TERM` naming 256 colours means 256; `TERM=dumb` means none; else 16.
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> Self {
        if var("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Depth::None;
        }
        let colorterm = var("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return Depth::TrueColor;
        }
        let term = var("TERM").unwrap_or_default();
        if term.contains("256color") {
            Depth::Ansi256
        } else if term == "dumb" {
            Depth::None
        } else {
            Depth::Ansi16
        }
    }
}

/// The xterm-256 index nearest to `rgb`: the closer of the 6x6x6 cube entry and the grey
/// ramp entry (the first 16 are left alone: terminals redefine them).
pub fn nearest_256((r, g, b): (u8, u8, u8)) -> u8 {
    const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
    let level = |c: u8| {
        (0..6)
            .min_by_key(|i| (i32::from(LEVELS[*i]) - i32::from(c)).abs())
            .unwrap_or(0)
    };
    let (ri, gi, bi) = (level(r), level(g), level(b));
    let cube = (LEVELS[ri], LEVELS[gi], LEVELS[bi]);
    let cube_index = 16 + 36 * ri + 6 * gi + bi;
    // Grey ramp 232..=255 runs from 8 to 238 in steps of 10.
    let mean = (u32::from(r) + u32::from(g) + u32::from(b)) / 3;
    let grey_i = (mean.saturating_sub(8) / 10).min(23) as u8;
    let grey = 8 + 10 * grey_i;
    let dist = |(a, b2, c): (u8, u8, u8)| {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(a, r) + d(b2, g) + d(c, b)
    };
    if dist((grey, grey, grey)) < dist(cube) {
        232 + grey_i
    } else {
        cube_index as u8
    }
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
    fn detection_follows_the_conventions() {
        assert_eq!(
            Depth::detect(env(&[("COLORTERM", "truecolor")])),
            Depth::TrueColor
        );
        assert_eq!(
            Depth::detect(env(&[("COLORTERM", "24bit")])),
            Depth::TrueColor
        );
        assert_eq!(
            Depth::detect(env(&[("TERM", "tmux-256color")])),
            Depth::Ansi256
        );
        assert_eq!(Depth::detect(env(&[("TERM", "xterm")])), Depth::Ansi16);
        assert_eq!(Depth::detect(env(&[])), Depth::Ansi16);
        assert_eq!(Depth::detect(env(&[("TERM", "dumb")])), Depth::None);
        let no_color = [("NO_COLOR", "1"), ("COLORTERM", "truecolor")];
        assert_eq!(Depth::detect(env(&no_color)), Depth::None);
        // An empty NO_COLOR does not count (the convention says non-empty).
        let empty = [("NO_COLOR", ""), ("TERM", "xterm-256color")];
        assert_eq!(Depth::detect(env(&empty)), Depth::Ansi256);
    }

    #[test]
    fn nearest_256_hits_exact_entries() {
        assert_eq!(nearest_256((0, 0, 0)), 16);
        assert_eq!(nearest_256((255, 255, 255)), 231);
        assert_eq!(nearest_256((0x5f, 0xd7, 0xff)), 81);
        assert_eq!(nearest_256((0x80, 0x80, 0x80)), 244);
        assert_eq!(nearest_256((0xd5, 0x5e, 0x00)), 166);
    }
}
