//! The exact request a mutating action would send, as shown before it is sent and copied
//! as curl. A product concept ("the preview is what is sent"), so it lives with the domain
//! model and not with the HTTP client that builds it.

/// The exact request a mutating action would send, for previews and the audit log. The
/// credential is shown as `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestPreview {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A request as a shell command, and whether hidden characters had to be written as
/// escapes in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Curl {
    pub text: String,
    /// Some part held a control, bidi or invisible character: it was written in `$'…'`
    /// quotes with `\u` escapes, so what is pasted reads as what is sent (a bidi override
    /// inside plain quotes would reorder how the command looks). Tell the user.
    pub escaped: bool,
}

impl RequestPreview {
    /// The same request as a shell command to paste. Secrets stay `***`: whoever runs it
    /// puts their own key in.
    pub fn to_curl(&self) -> Curl {
        let mut escaped = false;
        let mut quote = |s: &str| {
            let (text, esc) = shell_quote(s);
            escaped |= esc;
            text
        };
        let mut text = format!("curl -X {} {}", self.method, quote(&self.url));
        for (name, value) in &self.headers {
            let header = quote(&format!("{name}: {value}"));
            text.push_str(&format!(" \\\n  -H {header}"));
        }
        if !self.body.is_empty() {
            let body = quote(&self.body);
            text.push_str(&format!(" \\\n  --data-binary {body}"));
        }
        text.push('\n');
        Curl { text, escaped }
    }
}

/// `s` quoted for a POSIX shell: plain single quotes when every character shows as itself,
/// else bash/zsh `$'…'` quotes with hidden characters as `\uXXXX` (true when so).
fn shell_quote(s: &str) -> (String, bool) {
    let hidden = |c: char| c != '\n' && !crate::sanitize::is_plain(c);
    if !s.chars().any(hidden) {
        return (format!("'{}'", s.replace('\'', r"'\''")), false);
    }
    let mut out = String::from("$'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str(r"\\"),
            '\'' => out.push_str(r"\'"),
            '\n' => out.push_str(r"\n"),
            c if hidden(c) && u32::from(c) > 0xffff => {
                out.push_str(&format!("\\U{:08x}", u32::from(c)))
            }
            c if hidden(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    (out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_escaped_visibly_and_the_shell_reads_back_the_same_bytes() {
        let body = "description: \u{202e}gnp.exe\u{202c} \u{2066}iso\u{2069} it's a\\b\tc\u{7f}\u{9b}\u{e0041}\nnext";
        let p = RequestPreview {
            method: "POST".into(),
            url: "https://h/x".into(),
            headers: vec![("x-api-key".into(), "***".into())],
            body: body.into(),
        };
        let curl = p.to_curl();
        assert!(curl.escaped);
        assert!(
            !curl
                .text
                .chars()
                .any(|c| c != '\n' && !crate::sanitize::is_plain(c)),
            "{}",
            curl.text
        );
        assert!(curl.text.contains(r"\u202e"), "{}", curl.text);
        // The quoted body, given to a shell, is exactly the body sent.
        let (quoted, _) = shell_quote(body);
        let Ok(out) = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!("printf %s {quoted}"))
            .output()
        else {
            return; // no bash here: the quoting itself was checked above
        };
        assert_eq!(String::from_utf8(out.stdout).unwrap(), body);
    }

    #[test]
    fn curl_quotes_for_the_shell() {
        let p = RequestPreview {
            method: "POST".into(),
            url: "https://h/x?a=1&b=2".into(),
            headers: vec![("x-api-key".into(), "***".into())],
            body: "name: it's\n".into(),
        };
        assert!(!p.to_curl().escaped);
        assert_eq!(
            p.to_curl().text,
            "curl -X POST 'https://h/x?a=1&b=2' \\\n  -H 'x-api-key: ***' \\\n  --data-binary 'name: it'\\''s\n'\n"
        );
    }
}
