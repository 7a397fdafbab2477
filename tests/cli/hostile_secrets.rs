//! Finding 2 of the hostile-server review: a server (or a proxy, or a WAF page in front of
//! it) that echoes the credential it was sent. For each backend kind, the real binary runs
//! against a small server that puts the secret into a 401 message, a 500 HTML page and (for
//! Harness) a redirect's `Location`; the secret must appear nowhere: not on stderr, not in
//! the `-o json` error document, not in the debug log, not in the audit log.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::run::{BIN, Run};

/// What the server answers; it gets the request's method and path.
type Answer = dyn Fn(&Method, &str) -> (u16, Vec<(&'static str, String)>, String) + Send + Sync;

async fn serve(answer: Arc<Answer>) -> String {
    let app = Router::new().fallback(move |method: Method, uri: Uri| {
        let answer = answer.clone();
        async move {
            let (status, headers, body) = answer(&method, uri.path());
            let mut response: Response =
                (StatusCode::from_u16(status).unwrap(), body).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(name, value.parse().unwrap());
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
    secret: &'static str,
}

impl Env {
    fn new(backend: &str, secret: &'static str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("flightdeck.toml");
        std::fs::write(&config, backend).unwrap();
        Env {
            dir,
            config,
            secret,
        }
    }

    async fn run(&self, args: &[&str]) -> Run {
        let out = tokio::process::Command::new(BIN)
            .arg("--config")
            .arg(&self.config)
            .arg("--log")
            .arg(self.dir.path().join("debug.log"))
            .args(args)
            .env("FD_SECRET", self.secret)
            .env("FLIGHTDECK_AUDIT_LOG", self.dir.path().join("audit.jsonl"))
            .env_remove("FLIGHTDECK_CONFIG")
            .output()
            .await
            .unwrap();
        let run = Run::of(out);
        assert_ne!(run.code, 0, "{args:?} should fail: {}", run.stdout);
        self.clean(&run.stdout, "stdout");
        self.clean(&run.stderr, "stderr");
        self.clean(&self.file("debug.log"), "the debug log");
        self.clean(&self.file("audit.jsonl"), "the audit log");
        run
    }

    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    fn clean(&self, text: &str, what: &str) {
        assert!(
            !text.contains(self.secret),
            "the secret leaked into {what}:\n{text}"
        );
    }

    /// The human and the JSON form of one failing command: both say what failed, with
    /// the secret scrubbed to `***`.
    async fn check(&self, args: &[&str], says: &str) {
        let text = self.run(args).await;
        assert!(text.stderr.contains(says), "{}", text.stderr);
        assert!(text.stderr.contains("***"), "{}", text.stderr);
        let mut json_args = vec!["-o", "json"];
        json_args.extend_from_slice(args);
        let json = self.run(&json_args).await;
        let doc: serde_json::Value = serde_json::from_str(&json.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", json.stdout, json.stderr));
        let message = doc["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{doc}");
        assert!(message.contains("***"), "{doc}");
    }
}

fn html_500(secret: &str) -> (u16, Vec<(&'static str, String)>, String) {
    (
        500,
        vec![("content-type", "text/html".into())],
        format!(
            "<html><head><title>502</title></head><body><h1>upstream said</h1>\
             <pre>Authorization: Bearer {secret}\ntoken {secret}\nx-api-key: {secret}</pre></body></html>"
        ),
    )
}

const HX_SECRET: &str = "pat.acct42.tok1.HXSECRET-9f8e7d6c5b4a";

fn harness_config(url: &str) -> String {
    format!(
        "[[backend]]\nname = \"hx\"\nkind = \"harness\"\nbase_url = \"{url}\"\naccount = \"acct42\"\n\
         org = \"default\"\nprojects = [\"proj\"]\napi_key = {{ env = \"FD_SECRET\" }}\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn harness_never_shows_an_echoed_api_key() {
    let url = serve(Arc::new(|_: &Method, _: &str| {
        (
            401,
            vec![("content-type", "application/json".into())],
            format!(
                r#"{{"status":"ERROR","code":"INVALID_TOKEN","message":"Token {HX_SECRET} is invalid","detailedMessage":"x-api-key: {HX_SECRET}"}}"#
            ),
        )
    }))
    .await;
    let env = Env::new(&harness_config(&url), HX_SECRET);
    env.check(&["list", "pipelines"], "authentication failed")
        .await;
    env.check(&["list", "executions"], "authentication failed")
        .await;

    let url = serve(Arc::new(|_: &Method, _: &str| html_500(HX_SECRET))).await;
    let env = Env::new(&harness_config(&url), HX_SECRET);
    env.check(&["list", "pipelines"], "500").await;

    let url = serve(Arc::new(|_: &Method, _: &str| {
        let encoded: String = url::form_urlencoded::byte_serialize(HX_SECRET.as_bytes()).collect();
        (
            302,
            vec![(
                "location",
                format!("http://127.0.0.1:1/login?key={HX_SECRET}&again={encoded}"),
            )],
            String::new(),
        )
    }))
    .await;
    let env = Env::new(&harness_config(&url), HX_SECRET);
    env.check(&["list", "pipelines"], "redirected").await;
}

const FG_SECRET: &str = "FGSECRET-0123456789abcdef";

#[tokio::test(flavor = "multi_thread")]
async fn first_gen_never_shows_an_echoed_api_key() {
    let config = |url: &str| {
        format!(
            "[[backend]]\nname = \"fg\"\nkind = \"harness-fg\"\nbase_url = \"{url}\"\naccount = \"acct42\"\n\
             api_key = {{ env = \"FD_SECRET\" }}\n"
        )
    };
    let url = serve(Arc::new(|_: &Method, _: &str| {
        (
            401,
            vec![("content-type", "application/json".into())],
            format!(r#"{{"errors":[{{"message":"Invalid api key {FG_SECRET}"}}],"data":null}}"#),
        )
    }))
    .await;
    let env = Env::new(&config(&url), FG_SECRET);
    env.check(&["list", "pipelines"], "authentication failed")
        .await;
    // The GraphQL way: 200 with the error in `errors`.
    let url = serve(Arc::new(|_: &Method, _: &str| {
        (
            200,
            vec![("content-type", "application/json".into())],
            format!(
                r#"{{"errors":[{{"message":"Invalid api key {FG_SECRET}","extensions":{{"code":"UNAUTHENTICATED"}}}}],"data":null}}"#
            ),
        )
    }))
    .await;
    let env = Env::new(&config(&url), FG_SECRET);
    env.check(&["list", "pipelines"], "fg").await;
    let url = serve(Arc::new(|_: &Method, _: &str| html_500(FG_SECRET))).await;
    let env = Env::new(&config(&url), FG_SECRET);
    env.check(&["list", "pipelines"], "500").await;
}

const ARGO_SECRET: &str = "ARGOSECRET-0123456789abcdef";

fn argo_config(url: &str) -> String {
    format!(
        "[[backend]]\nname = \"argo\"\nkind = \"argo\"\nbase_url = \"{url}\"\nnamespace = \"argo\"\n\
         token = {{ env = \"FD_SECRET\" }}\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn argo_never_shows_an_echoed_token() {
    let unauthorized = || {
        (
            401,
            vec![("content-type", "application/json".into())],
            format!(r#"{{"code":16,"message":"token not valid: Bearer {ARGO_SECRET}"}}"#),
        )
    };
    let url = serve(Arc::new(move |_: &Method, _: &str| unauthorized())).await;
    let env = Env::new(&argo_config(&url), ARGO_SECRET);
    env.check(&["list", "pipelines"], "authentication failed")
        .await;
    env.check(&["list", "executions"], "authentication failed")
        .await;

    let url = serve(Arc::new(|_: &Method, _: &str| html_500(ARGO_SECRET))).await;
    let env = Env::new(&argo_config(&url), ARGO_SECRET);
    env.check(&["list", "executions"], "500").await;

    // A start: the template reads fine, the submit is refused with the token echoed, and
    // the audit log records the refusal.
    let url = serve(Arc::new(move |method: &Method, path: &str| {
        const TEMPLATE: &str = r#"{"metadata":{"name":"release","namespace":"argo"},"spec":{"entrypoint":"main","templates":[{"name":"main"}]}}"#;
        let json = |body: String| (200, vec![("content-type", "application/json".into())], body);
        if method == Method::GET && path.ends_with("workflow-templates/argo") {
            json(format!(r#"{{"metadata":{{}},"items":[{TEMPLATE}]}}"#))
        } else if method == Method::GET && path.contains("workflow-templates") {
            json(TEMPLATE.to_owned())
        } else if method == Method::GET && path.contains("cluster-workflow-templates") {
            json(r#"{"metadata":{},"items":[]}"#.to_owned())
        } else {
            unauthorized()
        }
    }))
    .await;
    let env = Env::new(&argo_config(&url), ARGO_SECRET);
    env.check(&["start", "argo/argo/release"], "authentication failed")
        .await;
    let audit = env.file("audit.jsonl");
    assert!(audit.contains("\"start\""), "no audit entry: {audit}");
    assert!(audit.contains("***"), "{audit}");
}

const IX_SECRET: &str = "IXSECRET-0123456789abcdef";

#[tokio::test(flavor = "multi_thread")]
async fn infraxys_never_shows_an_echoed_token() {
    let config = |url: &str| {
        format!(
            "[[backend]]\nname = \"ix\"\nkind = \"infraxys\"\nbase_url = \"{url}\"\n\
             token = {{ env = \"FD_SECRET\" }}\n\
             [[backend.alias]]\nname = \"Restart ingress\"\nalias = \"restart-ingress\"\n"
        )
    };
    let mut seen = HashMap::new();
    for (case, answer) in [
        (
            "401",
            (
                401,
                vec![("content-type", "text/plain".into())],
                format!("bad token {IX_SECRET}"),
            ),
        ),
        ("500", html_500(IX_SECRET)),
    ] {
        let url = serve(Arc::new(move |_: &Method, _: &str| answer.clone())).await;
        let env = Env::new(&config(&url), IX_SECRET);
        env.check(&["start", "ix/Restart ingress"], case).await;
        let audit = env.file("audit.jsonl");
        assert_eq!(audit.lines().count(), 2, "one entry per start: {audit}");
        assert!(audit.contains("***"), "{audit}");
        seen.insert(case, audit);
    }
    assert_eq!(seen.len(), 2);
}
