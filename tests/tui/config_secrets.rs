#![cfg(unix)]
//! Secret sources resolve as documented, warnings fire on literals, loose permissions and
//! disabled TLS checks, and no error, warning or Debug output ever contains a secret.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use flightdeck::config::{Config, SecretSource};
use secrecy::ExposeSecret;

const SECRET: &str = "s3cr3t-value-do-not-print";

fn resolve(source: &SecretSource) -> String {
    match source.resolve() {
        Ok(secret) => secret.expose_secret().to_owned(),
        Err(e) => panic!("should resolve: {e}"),
    }
}

fn resolve_err(source: &SecretSource) -> String {
    match source.resolve() {
        Ok(_) => panic!("should fail: {source:?}"),
        Err(e) => e.to_string(),
    }
}

fn write_mode(path: &Path, text: &str, mode: u32) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn argo_config(token: &str) -> String {
    format!(
        "[[backend]]\nname = \"argo\"\nkind = \"argo\"\nbase_url = \"https://argo\"\n\
         namespace = \"argo\"\ntoken = {token}\n"
    )
}

#[test]
fn env_source_reads_the_variable() {
    // PATH is set in any test environment; reading it avoids mutating the process env.
    let expected = std::env::var("PATH").unwrap();
    assert_eq!(resolve(&SecretSource::Env("PATH".into())), expected);
    assert_eq!(
        resolve_err(&SecretSource::Env(
            "FLIGHTDECK_TEST_SURELY_UNSET_7F3A".into()
        )),
        "environment variable FLIGHTDECK_TEST_SURELY_UNSET_7F3A is not set"
    );
}

#[test]
fn file_source_trims_the_trailing_newline_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    std::fs::write(&path, format!("  {SECRET}\n")).unwrap();
    assert_eq!(
        resolve(&SecretSource::File(path.clone())),
        format!("  {SECRET}")
    );
    std::fs::write(&path, format!("{SECRET}\r\n")).unwrap();
    assert_eq!(resolve(&SecretSource::File(path.clone())), SECRET);

    std::fs::write(&path, "\n").unwrap();
    assert_eq!(
        resolve_err(&SecretSource::File(path.clone())),
        format!("secret file {} is empty", path.display())
    );
    let absent = dir.path().join("absent");
    let message = resolve_err(&SecretSource::File(absent.clone()));
    assert!(
        message.starts_with(&format!("cannot read secret file {}: ", absent.display())),
        "{message}"
    );
}

#[test]
fn cmd_source_trims_stdout() {
    let cmd = format!("printf '{SECRET}\\n\\n'");
    assert_eq!(resolve(&SecretSource::Cmd(cmd)), SECRET);
}

#[test]
fn cmd_failure_names_the_command_but_never_its_output() {
    // The command prints an upper-cased secret, so its output differs from its own text.
    let printed = SECRET.to_uppercase();
    let cmd = format!("echo {SECRET} | tr a-z A-Z; echo {SECRET} | tr a-z A-Z >&2; exit 3");
    let message = resolve_err(&SecretSource::Cmd(cmd.clone()));
    assert_eq!(
        message,
        format!(
            "command `{cmd}` failed (exit status: 3): its stderr repeats its output, which is never shown"
        )
    );
    assert!(!message.contains(&printed), "{message}");
}

#[test]
fn cmd_with_empty_output_is_an_error() {
    assert_eq!(
        resolve_err(&SecretSource::Cmd("true".into())),
        "command `true` printed nothing"
    );
    assert_eq!(
        resolve_err(&SecretSource::Cmd("printf '  \\n'".into())),
        "command `printf '  \\n'` printed nothing"
    );
}

#[test]
fn resolve_credential_errors_name_the_backend_and_key() {
    let config = Config::from_toml_str(&argo_config("{ cmd = \"exit 1\" }"), "t.toml").unwrap();
    let message = config.backends[0]
        .resolve_credential()
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "backend argo: token: command `exit 1` failed (exit status: 1); it printed nothing on stderr"
    );
}

#[test]
fn literal_secret_resolves_warns_and_never_prints() {
    let config = Config::from_toml_str(&argo_config(&format!("\"{SECRET}\"")), "t.toml").unwrap();
    let b = &config.backends[0];
    let token = b.resolve_credential().unwrap().unwrap();
    assert_eq!(token.expose_secret(), SECRET);
    assert_eq!(
        config.warnings(),
        ["backend argo: token is a literal in the config; \
          use { env = ... }, { file = ... } or { cmd = ... }"]
    );
    for shown in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{token:?}"),
        format!("{:?}", b.credential()),
    ] {
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

#[test]
fn errors_never_quote_a_literal_secret() {
    let cases = [
        // a later key is wrong
        format!(
            "{}timeout = \"1ms\"\n",
            argo_config(&format!("\"{SECRET}\""))
        ),
        // an unknown key next to the secret
        format!("{}tokn = \"{SECRET}\"\n", argo_config("{ env = \"T\" }")),
        // the secret is in a URL
        argo_config("{ env = \"T\" }").replace("https://argo", &format!("https://u:{SECRET}@argo")),
        argo_config("{ env = \"T\" }").replace("https://argo", &format!("https://u:{SECRET}@[x")),
        // TOML syntax errors inside and after the secret string
        argo_config(&format!("\"{SECRET}")),
        argo_config(&format!("\"{SECRET}\\q\"")),
        argo_config(&format!("\"{SECRET}\" junk")),
        // a duplicate secret key
        format!(
            "{}token = \"{SECRET}\"\n",
            argo_config(&format!("\"{SECRET}\""))
        ),
    ];
    for text in cases {
        let message = match Config::from_toml_str(&text, "t.toml") {
            Ok(_) => panic!("should fail:\n{text}"),
            Err(e) => format!("{e} / {e:?}"),
        };
        assert!(!message.contains(SECRET), "{message}");
    }
}

#[test]
fn secret_file_readable_by_others_warns() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("token");
    let config_path = dir.path().join("flightdeck.toml");
    write_mode(&config_path, &argo_config("{ file = \"token\" }"), 0o644);

    write_mode(&key, SECRET, 0o644);
    let config = Config::load(&config_path).unwrap();
    assert_eq!(
        config.warnings(),
        [format!(
            "backend argo: token file {} is readable by group or others (mode 644); \
             run chmod 600 on it",
            key.display()
        )]
    );

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());
}

#[test]
fn config_file_with_a_literal_secret_readable_by_others_warns() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("flightdeck.toml");
    write_mode(&path, &argo_config(&format!("\"{SECRET}\"")), 0o644);
    let config = Config::load(&path).unwrap();
    let warnings = config.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert_eq!(
        warnings[1],
        format!(
            "config file {} contains a literal secret and is readable by group or others \
             (mode 644); run chmod 600 on it",
            path.display()
        )
    );

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        config.warnings().len(),
        1,
        "only the literal warning remains"
    );

    // Without a literal, a readable config holds nothing secret and is not warned about.
    write_mode(&path, &argo_config("{ env = \"T\" }"), 0o644);
    assert!(Config::load(&path).unwrap().warnings().is_empty());
}

#[test]
fn insecure_skip_verify_warns() {
    let text = format!(
        "{}insecure_skip_verify = true\n",
        argo_config("{ env = \"T\" }")
    );
    let config = Config::from_toml_str(&text, "t.toml").unwrap();
    assert_eq!(
        config.warnings(),
        ["backend argo: insecure_skip_verify is set; TLS certificates are not verified"]
    );
}
