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

impl RequestPreview {
    /// The same request as a shell command to paste. Secrets stay `***`: whoever runs it
    /// puts their own key in.
    pub fn to_curl(&self) -> String {
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut out = format!("curl -X {} {}", self.method, quote(&self.url));
        for (name, value) in &self.headers {
            out.push_str(&format!(" \\\n  -H {}", quote(&format!("{name}: {value}"))));
        }
        if !self.body.is_empty() {
            out.push_str(&format!(" \\\n  --data-binary {}", quote(&self.body)));
        }
        out.push('\n');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::RequestPreview;

    #[test]
    fn curl_quotes_for_the_shell() {
        let p = RequestPreview {
            method: "POST".into(),
            url: "https://h/x?a=1&b=2".into(),
            headers: vec![("x-api-key".into(), "***".into())],
            body: "name: it's\n".into(),
        };
        assert_eq!(
            p.to_curl(),
            "curl -X POST 'https://h/x?a=1&b=2' \\\n  -H 'x-api-key: ***' \\\n  --data-binary 'name: it'\\''s\n'\n"
        );
    }
}
