//! Plain aligned columns for `--output table`. Every cell is server text made safe first.

use unicode_width::UnicodeWidthStr;

use crate::sanitize::clean;

/// Renders rows under headers, columns separated by two spaces, no trailing spaces.
pub fn render(headers: &[&str], rows: &[Vec<String>]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| clean(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.width());
            }
        }
    }
    let line = |row: Vec<&str>| {
        let mut out = String::new();
        for (i, c) in row.iter().enumerate() {
            out.push_str(c);
            if i + 1 < row.len() {
                out.push_str(&" ".repeat(widths[i].saturating_sub(c.width()) + 2));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(headers.to_vec());
    for row in &cells {
        out.push('\n');
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn aligns_and_cleans() {
        let out = super::render(
            &["A", "BB"],
            &[
                vec!["x\u{1b}[31m".into(), "y".into()],
                vec!["long".into(), "z".into()],
            ],
        );
        assert_eq!(out, "A     BB\nx     y\nlong  z\n");
    }
}
