//! Reading the records of a bulk start: JSON Lines or CSV, each record with the line it
//! starts on, so every complaint can point at the place to fix.

use std::path::Path;

/// One record: field names with their values; `None` (JSON null, empty CSV cell) means
/// "not given", so the variable keeps its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line of the file where the record starts (CSV: the header is line 1).
    pub line: usize,
    pub fields: Vec<(String, Option<String>)>,
}

/// A line that is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    /// By extension, else by content: JSON Lines start with `{`, anything else is CSV.
    pub fn detect(path: Option<&Path>, text: &str) -> Format {
        let ext = path
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl" | "ndjson" | "json") => Format::JsonLines,
            Some("csv") => Format::Csv,
            _ if text.trim_start().starts_with('{') => Format::JsonLines,
            _ => Format::Csv,
        }
    }
}

/// Every record of `text`, and every line that is not one. Blank lines are skipped.
pub fn parse(format: Format, text: &str) -> (Vec<Record>, Vec<Malformed>) {
    match format {
        Format::JsonLines => json_lines(text),
        Format::Csv => csv(text),
    }
}

fn json_lines(text: &str) -> (Vec<Record>, Vec<Malformed>) {
    let mut records = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let object = match serde_json::from_str::<serde_json::Value>(raw) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(_) => {
                bad.push(Malformed {
                    line,
                    message: "not a JSON object".into(),
                });
                continue;
            }
            Err(e) => {
                bad.push(Malformed {
                    line,
                    message: format!("not JSON: {e}"),
                });
                continue;
            }
        };
        let mut fields = Vec::new();
        let mut problems = Vec::new();
        for (name, value) in object {
            match scalar(&value) {
                Ok(v) => fields.push((name, v)),
                Err(kind) => {
                    problems.push(format!("{name} is {kind}; only scalars map to variables"))
                }
            }
        }
        if problems.is_empty() {
            records.push(Record { line, fields });
        } else {
            bad.push(Malformed {
                line,
                message: problems.join("; "),
            });
        }
    }
    (records, bad)
}

/// Variables are text: numbers and booleans are sent as written, null and "" mean unset.
fn scalar(value: &serde_json::Value) -> Result<Option<String>, &'static str> {
    use serde_json::Value;
    match value {
        Value::Null => Ok(None),
        Value::String(s) if s.is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Array(_) => Err("a list"),
        Value::Object(_) => Err("an object"),
    }
}

/// RFC 4180 CSV with a header row: quoted fields may hold commas, doubled quotes and line
/// breaks; a record's line is the one it starts on.
fn csv(text: &str) -> (Vec<Record>, Vec<Malformed>) {
    let mut rows = match csv_rows(text) {
        Ok(rows) => rows.into_iter(),
        Err(bad) => return (Vec::new(), vec![bad]),
    };
    let Some((_, header)) = rows.next() else {
        return (Vec::new(), Vec::new());
    };
    let header: Vec<String> = header.into_iter().map(|h| h.trim().to_string()).collect();
    let mut records = Vec::new();
    let mut bad = Vec::new();
    for (line, cells) in rows {
        if cells.len() != header.len() {
            bad.push(Malformed {
                line,
                message: format!("{} fields, the header has {}", cells.len(), header.len()),
            });
            continue;
        }
        let fields = header
            .iter()
            .zip(cells)
            .map(|(name, value)| (name.clone(), Some(value).filter(|v| !v.is_empty())))
            .collect();
        records.push(Record { line, fields });
    }
    (records, bad)
}

/// The rows of a CSV text with their starting lines; blank lines are skipped. An unclosed
/// quote makes the rest of the file unreadable, so it is the one error.
fn csv_rows(text: &str) -> Result<Vec<(usize, Vec<String>)>, Malformed> {
    let mut rows = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    loop {
        // Skip blank lines between records.
        while let Some(&c) = chars.peek() {
            match c {
                '\n' => line += 1,
                '\r' => {}
                _ => break,
            }
            chars.next();
        }
        if chars.peek().is_none() {
            return Ok(rows);
        }
        let start = line;
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        loop {
            match chars.next() {
                None if quoted => {
                    return Err(Malformed {
                        line: start,
                        message: "a quoted field is never closed".into(),
                    });
                }
                None => break,
                Some('"') if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        cell.push('"');
                    } else {
                        quoted = false;
                    }
                }
                Some('"') if cell.is_empty() => quoted = true,
                Some('\n') if quoted => {
                    line += 1;
                    cell.push('\n');
                }
                Some(',') if !quoted => cells.push(std::mem::take(&mut cell)),
                Some('\n') => {
                    line += 1;
                    break;
                }
                Some('\r') if !quoted => {}
                Some(c) => cell.push(c),
            }
        }
        cells.push(cell);
        rows.push((start, cells));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, value: Option<&str>) -> (String, Option<String>) {
        (name.to_string(), value.map(str::to_string))
    }

    #[test]
    fn json_lines_keep_line_numbers_and_stringify_scalars() {
        let text = "{\"a\": 1, \"b\": true, \"c\": null, \"d\": \"\"}\n\n{\"a\": \"x\"}\n[1]\n{\"a\": {}}\n{oops\n";
        let (records, bad) = parse(Format::JsonLines, text);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].line, 1);
        assert_eq!(
            records[0].fields,
            vec![
                field("a", Some("1")),
                field("b", Some("true")),
                field("c", None),
                field("d", None)
            ]
        );
        assert_eq!(records[1].line, 3);
        let lines: Vec<usize> = bad.iter().map(|b| b.line).collect();
        assert_eq!(lines, vec![4, 5, 6]);
        assert!(bad[1].message.contains("an object"));
    }

    #[test]
    fn csv_handles_quotes_line_breaks_and_ragged_rows() {
        let text = "name, tag\r\nweb,\"1,2\"\n\n\"multi\nline\",\"say \"\"hi\"\"\"\nshort\napi,\n";
        let (records, bad) = parse(Format::Csv, text);
        assert_eq!(records.len(), 3);
        assert_eq!(records[0].line, 2);
        assert_eq!(
            records[0].fields,
            vec![field("name", Some("web")), field("tag", Some("1,2"))]
        );
        assert_eq!(records[1].line, 4);
        assert_eq!(records[1].fields[0].1.as_deref(), Some("multi\nline"));
        assert_eq!(records[1].fields[1].1.as_deref(), Some("say \"hi\""));
        assert_eq!(records[2].line, 7);
        assert_eq!(records[2].fields[1], field("tag", None));
        assert_eq!(
            bad,
            vec![Malformed {
                line: 6,
                message: "1 fields, the header has 2".into()
            }]
        );
        let (_, bad) = parse(Format::Csv, "a\n\"open\n");
        assert_eq!(bad[0].line, 2);
    }

    #[test]
    fn format_by_extension_then_content() {
        assert_eq!(Format::detect(Some(Path::new("x.CSV")), "{"), Format::Csv);
        assert_eq!(
            Format::detect(Some(Path::new("x.jsonl")), "a,b"),
            Format::JsonLines
        );
        assert_eq!(Format::detect(None, "  {\"a\":1}"), Format::JsonLines);
        assert_eq!(Format::detect(Some(Path::new("x.txt")), "a,b"), Format::Csv);
    }
}
