//! Where a start's variables come from: `--var name=value`, `--var name=@FILE` and
//! `--var name=@-` (the value read from a file or stdin, so a secret is never on the command
//! line, in `ps` or in shell history), and `--var-file FILE` (a JSON or TOML object of names
//! to values). `--var` wins over `--var-file`; a name given twice with `--var` is refused.

use std::io::Read;

use super::{Failure, target};

/// Largest value file or `--var-file` read: a variable is a short string, and a mistaken
/// `@/dev/zero` must not fill memory.
const MAX_BYTES: u64 = 1 << 20;

/// The variables to send, and which of them were read through `@FILE` or `@-`: those are
/// masked in the audit log like secret-typed inputs.
#[derive(Debug, Default, PartialEq)]
pub struct Given {
    pub values: Vec<(String, String)>,
    pub from_files: Vec<String>,
}

/// Gathers `--var` and `--var-file`. `stdin_taken` names what else reads stdin this run
/// (`--records -`), which `@-` cannot share it with.
pub fn gather(
    vars: &[String],
    var_file: Option<&str>,
    stdin_taken: Option<&str>,
) -> Result<Given, Failure> {
    gather_from(vars, var_file, stdin_taken, &mut std::io::stdin().lock())
}

fn gather_from(
    vars: &[String],
    var_file: Option<&str>,
    stdin_taken: Option<&str>,
    stdin: &mut dyn Read,
) -> Result<Given, Failure> {
    let pairs = target::pairs("var", vars)?;
    let mut readers: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| v == "@-")
        .map(|(n, _)| format!("--var {n}=@-"))
        .collect();
    if var_file == Some("-") {
        readers.push("--var-file -".into());
    }
    if let Some(other) = stdin_taken {
        readers.push(other.into());
    }
    if readers.len() > 1 {
        return Err(Failure::bad_input(format!(
            "stdin can be read once; {} all read it",
            readers.join(", ")
        )));
    }
    let mut given = Given::default();
    if let Some(path) = var_file {
        let text = read(path, stdin, "--var-file")?;
        given.values = parse_file(path, &text)?;
    }
    for (name, value) in pairs {
        let value = if let Some(literal) = value.strip_prefix("@@") {
            format!("@{literal}")
        } else if let Some(path) = value.strip_prefix('@') {
            let flag = format!("--var {name}=@{path}");
            let mut text = read(path, stdin, &flag)?;
            // Files and `echo` end with a newline that is not part of the value.
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            given.from_files.push(name.clone());
            text
        } else {
            value
        };
        given.values.retain(|(n, _)| n != &name);
        given.values.push((name, value));
    }
    Ok(given)
}

/// A file's text, or stdin's for `-`; at most [`MAX_BYTES`], UTF-8.
fn read(path: &str, stdin: &mut dyn Read, flag: &str) -> Result<String, Failure> {
    if path.is_empty() {
        return Err(Failure::bad_input(format!(
            "{flag}: name a file after @ (@- for stdin; @@ for a value that starts with @)"
        )));
    }
    let mut bytes = Vec::new();
    let result = if path == "-" {
        stdin.take(MAX_BYTES + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_BYTES + 1).read_to_end(&mut bytes))
    };
    result.map_err(|e| Failure::bad_input(format!("{flag}: cannot read {path}: {e}")))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(Failure::bad_input(format!(
            "{flag}: {path} is larger than {MAX_BYTES} bytes"
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| Failure::bad_input(format!("{flag}: {path} is not UTF-8 text")))
}

/// A `--var-file`: JSON for `.json`, TOML for `.toml`, else whichever parses. Error messages
/// name the place, never the file's text: it may hold secrets.
fn parse_file(path: &str, text: &str) -> Result<Vec<(String, String)>, Failure> {
    let lower = path.to_ascii_lowercase();
    let bad = |why: String| Failure::bad_input(format!("--var-file {path}: {why}"));
    if lower.ends_with(".json") {
        return json(text).map_err(bad);
    }
    if lower.ends_with(".toml") {
        return toml(text).map_err(bad);
    }
    json(text).or_else(|json_error| {
        toml(text).map_err(|toml_error| {
            bad(format!(
                "neither a JSON object ({json_error}) nor TOML ({toml_error})"
            ))
        })
    })
}

/// A scalar as the string sent: text as is, numbers and booleans as written.
fn scalar(name: &str, value: &serde_json::Value) -> Result<String, String> {
    match value {
        serde_json::Value::String(s) => Ok(s.clone()),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        _ => Err(format!(
            "{name}: expected a string, number or boolean value"
        )),
    }
}

fn json(text: &str) -> Result<Vec<(String, String)>, String> {
    use serde::de::Deserializer;
    // Read as pairs, not a map, so a name given twice is seen rather than silently
    // replaced by its last value.
    struct Pairs;
    impl<'de> serde::de::Visitor<'de> for Pairs {
        type Value = Vec<(String, serde_json::Value)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of names to values")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(pair) = map.next_entry::<String, serde_json::Value>()? {
                out.push(pair);
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let pairs = de
        .deserialize_map(Pairs)
        .and_then(|p| de.end().map(|()| p))
        // A syntax error's message names a line and column; a type error's would quote the
        // value (a bare JSON string), which may be a secret.
        .map_err(|e| {
            if e.is_data() {
                format!(
                    "line {} column {}: expected an object of names to values",
                    e.line(),
                    e.column()
                )
            } else {
                e.to_string()
            }
        })?;
    let mut out: Vec<(String, String)> = Vec::new();
    for (name, value) in &pairs {
        if out.iter().any(|(n, _)| n == name) {
            return Err(format!("{name} is given more than once"));
        }
        out.push((name.clone(), scalar(name, value)?));
    }
    Ok(out)
}

fn toml(text: &str) -> Result<Vec<(String, String)>, String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        // toml's Display quotes the offending line: only its message and place are shown.
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        match line {
            Some(line) => format!("line {line}: {}", e.message().trim()),
            None => e.message().trim().to_string(),
        }
    })?;
    table
        .iter()
        .map(|(name, value)| {
            let value = match value {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Datetime(d) => d.to_string(),
                _ => {
                    return Err(format!(
                        "{name}: expected a string, number or boolean value"
                    ));
                }
            };
            Ok((name.clone(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn values_come_from_files_and_stdin_with_one_newline_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n\n").unwrap();
        let given = gather_from(
            &vars(&[
                &format!("pw=@{}", file.display()),
                "token=@-",
                "at=@@home",
                "plain=x",
            ]),
            None,
            None,
            &mut "from stdin\r\n".as_bytes(),
        )
        .unwrap();
        assert_eq!(
            given.values,
            vec![
                ("pw".to_string(), "s3cret\n".to_string()),
                ("token".to_string(), "from stdin".to_string()),
                ("at".to_string(), "@home".to_string()),
                ("plain".to_string(), "x".to_string()),
            ]
        );
        assert_eq!(given.from_files, vec!["pw", "token"]);
    }

    #[test]
    fn stdin_is_read_once() {
        let err =
            gather_from(&vars(&["a=@-", "b=@-"]), None, None, &mut "".as_bytes()).unwrap_err();
        assert_eq!(err.code, 2);
        let err = gather_from(&vars(&["a=@-"]), Some("-"), None, &mut "".as_bytes()).unwrap_err();
        assert_eq!(err.code, 2);
        let err = gather_from(
            &vars(&["a=@-"]),
            None,
            Some("--records -"),
            &mut "".as_bytes(),
        )
        .unwrap_err();
        assert!(err.message.contains("--records -"), "{}", err.message);
    }

    #[test]
    fn var_files_are_json_or_toml_and_var_wins() {
        let json_text = r#"{"tag": "1.4", "replicas": 3, "dry_run": false}"#;
        assert_eq!(
            parse_file("vars.json", json_text).unwrap(),
            vec![
                ("tag".to_string(), "1.4".to_string()),
                ("replicas".to_string(), "3".to_string()),
                ("dry_run".to_string(), "false".to_string()),
            ]
        );
        let toml_text = "tag = \"1.4\"\nreplicas = 3\n";
        assert_eq!(parse_file("vars", toml_text).unwrap().len(), 2);
        assert_eq!(parse_file("vars.toml", toml_text).unwrap().len(), 2);
        assert!(parse_file("vars.json", toml_text).is_err());
        let dup = parse_file("v.json", r#"{"a": "1", "a": "2"}"#).unwrap_err();
        assert!(
            dup.message.contains("a is given more than once"),
            "{}",
            dup.message
        );
        assert!(parse_file("v.json", r#"{"a": [1]}"#).is_err());
        assert!(parse_file("v.json", r#"["a"]"#).is_err());
        let quoted = parse_file("v.json", r#""hunter2""#).unwrap_err();
        assert!(!quoted.message.contains("hunter2"), "{}", quoted.message);
    }

    #[test]
    fn var_wins_over_the_var_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vars.toml");
        std::fs::write(&file, "tag = \"1.0\"\nregion = \"eu\"\n").unwrap();
        let given = gather_from(
            &vars(&["tag=2.0"]),
            Some(file.to_str().unwrap()),
            None,
            &mut "".as_bytes(),
        )
        .unwrap();
        assert_eq!(
            given.values,
            vec![
                ("region".to_string(), "eu".to_string()),
                ("tag".to_string(), "2.0".to_string()),
            ]
        );
        assert!(given.from_files.is_empty());
    }

    #[test]
    fn toml_errors_never_quote_the_file() {
        let err = parse_file("v.toml", "a = \"1\"\npassword = hunter2\n").unwrap_err();
        assert!(!err.message.contains("hunter2"), "{}", err.message);
        assert!(err.message.contains("line 2"), "{}", err.message);
    }
}
