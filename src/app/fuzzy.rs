//! Fuzzy matching for the `:` palette and the free words of the `/` filter.
//!
//! A small fzf-style scorer rather than a crate: the filter needs a stricter rule than any
//! ready-made matcher offers (see [`Mode::WordStarts`]), and both uses fit in one dynamic
//! programme over short strings. The query's characters must appear in order; the best
//! alignment wins, scored by matches at word starts and runs of consecutive characters,
//! less gaps.

/// How loosely the query may spread over the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Any subsequence (`rfsh` finds "refresh"): for the palette, where the best matches are
    /// ranked first and a loose one does no harm.
    Anywhere,
    /// Runs of consecutive characters, each run after the first starting a word (`dapi`
    /// finds "Deploy API", `rotcert` "Rotate Certificates"): for the filter, which keeps or
    /// drops rows, and where `eu` must not keep every row with an `e` before a `u`.
    WordStarts,
}

/// Where and how well a query matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub score: i32,
    /// Character indices of the matched characters in the text, ascending.
    pub positions: Vec<usize>,
}

const MATCH: i32 = 16;
const WORD_START: i32 = 10;
const CAMEL: i32 = 8;
const CONSECUTIVE: i32 = 6;
const GAP_START: i32 = 3;
const GAP_EXTEND: i32 = 1;
const NONE: i32 = i32::MIN / 2;

/// A word starts at the beginning, after a separator, at a lower-to-upper case change and
/// where digits follow letters.
fn bonus(prev: Option<char>, c: char) -> i32 {
    match prev {
        None => WORD_START,
        Some(p) if !p.is_alphanumeric() => WORD_START,
        Some(p) if p.is_lowercase() && c.is_uppercase() => CAMEL,
        Some(p) if p.is_alphabetic() && c.is_numeric() => CAMEL,
        _ => 0,
    }
}

fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// The best alignment of `query` in `text`, ignoring case; `None` when there is none.
pub fn find(query: &str, text: &str, mode: Mode) -> Option<Match> {
    let q: Vec<char> = query.chars().map(fold).collect();
    let raw: Vec<char> = text.chars().collect();
    let t: Vec<char> = raw.iter().map(|c| fold(*c)).collect();
    if q.is_empty() {
        return Some(Match {
            score: 0,
            positions: Vec::new(),
        });
    }
    // Cheap rejection before the quadratic part: is it a subsequence at all?
    let mut rest = t.iter();
    if !q.iter().all(|qc| rest.any(|tc| tc == qc)) {
        return None;
    }
    let n = t.len();
    let bonuses: Vec<i32> = (0..n)
        .map(|j| bonus(j.checked_sub(1).map(|p| raw[p]), raw[j]))
        .collect();
    // score[i][j]: best alignment of q[..=i] with q[i] on t[j]; from[i][j]: where q[i-1] sat.
    let mut score = vec![vec![NONE; n]; q.len()];
    let mut from = vec![vec![usize::MAX; n]; q.len()];
    for j in 0..n {
        if t[j] == q[0] {
            score[0][j] = MATCH + bonuses[j];
        }
    }
    for i in 1..q.len() {
        // Best of score[i-1][k] less the gap penalty, over k <= j-2, with its k.
        let mut gap = (NONE, usize::MAX);
        for j in 1..n {
            if j >= 2 {
                let opened = score[i - 1][j - 2] - GAP_START;
                gap = if opened >= gap.0 - GAP_EXTEND {
                    (opened, j - 2)
                } else {
                    (gap.0 - GAP_EXTEND, gap.1)
                };
            }
            if t[j] != q[i] {
                continue;
            }
            let run = score[i - 1][j - 1] + CONSECUTIVE;
            let jump_allowed = mode == Mode::Anywhere || bonuses[j] > 0;
            let jump = if jump_allowed { gap.0 } else { NONE };
            let (best, k) = if run >= jump {
                (run, j - 1)
            } else {
                (jump, gap.1)
            };
            if best > NONE / 2 {
                score[i][j] = best + MATCH + bonuses[j];
                from[i][j] = k;
            }
        }
    }
    let last = q.len() - 1;
    let (end, best) = score[last]
        .iter()
        .enumerate()
        .max_by_key(|(j, s)| (**s, std::cmp::Reverse(*j)))?;
    if *best <= NONE / 2 {
        return None;
    }
    let mut positions = vec![end];
    let mut j = end;
    for i in (1..q.len()).rev() {
        j = from[i][j];
        positions.push(j);
    }
    positions.reverse();
    Some(Match {
        score: *best,
        positions,
    })
}

/// Whether one free word of the `/` filter matches `text`: as a substring, or as runs that
/// start words. `word` is already lower case.
pub fn word_matches(word: &str, text: &str) -> bool {
    text.to_lowercase().contains(word) || find(word, text, Mode::WordStarts).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anywhere_finds_subsequences_and_prefers_word_starts() {
        let m = find("rfsh", "refresh now", Mode::Anywhere).unwrap();
        assert_eq!(m.positions, [0, 2, 5, 6]);
        assert!(find("xyz", "refresh", Mode::Anywhere).is_none());
        // "ap" at the start of "approve" beats "ap" inside "clear marks ... map".
        let start = find("ap", "approve gate", Mode::Anywhere).unwrap();
        let inside = find("ap", "go to the map", Mode::Anywhere).unwrap();
        assert!(start.score > inside.score);
        // A run beats the same letters scattered.
        let run = find("gate", "approve gate", Mode::Anywhere).unwrap();
        assert_eq!(run.positions, [8, 9, 10, 11]);
    }

    #[test]
    fn word_starts_keeps_the_filter_tight() {
        assert!(word_matches("dapi", "Deploy API"));
        assert!(word_matches("rotcert", "Rotate Certificates"));
        assert!(
            word_matches("ploy", "Deploy API"),
            "substrings always match"
        );
        assert!(word_matches("depapi", "deploy_api"));
        assert!(word_matches("ga", "gitAction"), "camel case starts a word");
        // `e` in "payments" then `u` inside "production" is not a word start.
        assert!(!word_matches(
            "eu",
            "Ship payments-api 1.4.2 to production?"
        ));
        assert!(!word_matches("dplapi", "Deploy API"));
        assert!(word_matches("", "anything"));
    }

    #[test]
    fn odd_text_never_panics() {
        for text in ["", "é", "日本語", "a\u{0}b", "ǅ"] {
            for q in ["", "a", "é", "日本", "ǆ"] {
                let _ = find(q, text, Mode::Anywhere);
                let _ = find(q, text, Mode::WordStarts);
            }
        }
        // Lower-casing that changes length (İ → i̇) is folded per character.
        assert!(find("i", "İstanbul", Mode::Anywhere).is_some());
    }
}
