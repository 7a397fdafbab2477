//! Zero-config Argo: with no config file, the argo CLI's own variables (`ARGO_SERVER`,
//! `ARGO_TOKEN`, …) describe one Argo backend, so whoever already runs `argo list` can run
//! flightdeck as is. The variables are turned into config text and read by the one config
//! parser, so every rule and error of a written config holds here too.

/// The variables read, in the argo CLI's meaning (its `--argo-server` family of flags).
pub const VARS: [&str; 7] = [
    "ARGO_SERVER",
    "ARGO_TOKEN",
    "ARGO_NAMESPACE",
    "ARGO_SECURE",
    "ARGO_INSECURE_SKIP_VERIFY",
    "ARGO_BASE_HREF",
    "ARGO_HTTP1",
];

/// Where such a config says it came from (`config check`, errors).
pub const ORIGIN: &str = "$ARGO_SERVER";

/// The config text the variables describe, or `None` without `ARGO_SERVER`. `var` reads one
/// variable (a parameter so tests need not touch the process environment).
pub fn config_text(var: impl Fn(&str) -> Option<String>) -> Result<Option<String>, String> {
    let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
    let Some(server) = var("ARGO_SERVER") else {
        return Ok(None);
    };
    let flag = |name: &str, default: bool| -> Result<bool, String> {
        match var(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if ["true", "1", "yes"].contains(&v.as_str()) => Ok(true),
            Some(v) if ["false", "0", "no"].contains(&v.as_str()) => Ok(false),
            Some(v) => Err(format!("${name}: {v:?} is not true or false")),
        }
    };
    // The argo CLI takes host:port and picks the scheme from ARGO_SECURE (default true); a
    // URL with its scheme is taken as written.
    let server = server.trim().trim_end_matches('/');
    let mut url = if server.contains("://") {
        server.to_string()
    } else {
        let scheme = if flag("ARGO_SECURE", true)? {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{server}")
    };
    if let Some(href) = var("ARGO_BASE_HREF") {
        let href = href.trim().trim_matches('/');
        if !href.is_empty() {
            url = format!("{url}/{href}");
        }
    }
    // ARGO_HTTP1 asks the argo CLI for HTTP/1.1, which is all flightdeck speaks: accepted,
    // checked, and nothing else to do.
    flag("ARGO_HTTP1", false)?;
    let namespace = var("ARGO_NAMESPACE").unwrap_or_else(|| "default".into());
    let quote = |s: &str| serde_json::to_string(s).expect("a string encodes");
    let mut text = format!(
        "[[backend]]\nname = \"argo\"\nkind = \"argo\"\nbase_url = {}\nnamespace = {}\n\
         insecure_skip_verify = {}\n",
        quote(&url),
        quote(namespace.trim()),
        flag("ARGO_INSECURE_SKIP_VERIFY", false)?,
    );
    if var("ARGO_TOKEN").is_some() {
        text.push_str("token = { env = \"ARGO_TOKEN\" }\n");
    }
    Ok(Some(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(vars: &[(&str, &str)]) -> Result<Option<String>, String> {
        config_text(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_argo_cli_variables_describe_one_backend() {
        assert_eq!(
            text(&[("ARGO_TOKEN", "x")]),
            Ok(None),
            "no server, no backend"
        );
        let t = text(&[
            ("ARGO_SERVER", "argo.example.com:443"),
            ("ARGO_BASE_HREF", "/argo/"),
            ("ARGO_NAMESPACE", "data"),
            ("ARGO_TOKEN", "Bearer x"),
        ])
        .unwrap()
        .unwrap();
        assert!(
            t.contains("base_url = \"https://argo.example.com:443/argo\""),
            "{t}"
        );
        assert!(t.contains("namespace = \"data\""));
        assert!(t.contains("token = { env = \"ARGO_TOKEN\" }"));
        assert!(!t.contains("Bearer"), "the token stays in its variable");

        let plain = text(&[
            ("ARGO_SERVER", "127.0.0.1:2746"),
            ("ARGO_SECURE", "false"),
            ("ARGO_INSECURE_SKIP_VERIFY", "true"),
        ])
        .unwrap()
        .unwrap();
        assert!(plain.contains("base_url = \"http://127.0.0.1:2746\""));
        assert!(plain.contains("namespace = \"default\""));
        assert!(plain.contains("insecure_skip_verify = true"));
        assert!(!plain.contains("token"));

        assert_eq!(
            text(&[("ARGO_SERVER", "h:1"), ("ARGO_SECURE", "maybe")]),
            Err("$ARGO_SECURE: \"maybe\" is not true or false".into())
        );
    }
}
