//! HTTP plumbing shared by every backend client.
//!
//! What lives here is what all backends need the same way: a `reqwest::Client` built from
//! the per-backend TLS and timeout options, bodies read with a hard size cap, transport
//! failures and generic HTTP statuses turned into [`BackendError`], `Retry-After` parsing,
//! JSON decoding that names the failing field, and short server-text excerpts for error
//! messages. Backend-specific error bodies (Harness `ErrorDTO`, GraphQL `errors`...) are
//! mapped by each backend, which falls back to [`status_error`] for anything it does not
//! recognise.
//!
//! A request a backend sends is first described as a [`Call`]: method, URL, every header and
//! the body. [`Call::preview`] shows that value to the user and [`HttpClient::send_call`]
//! sends that same value, so the preview is what is sent, for every backend.
//!
//! Secrets never pass through this module as text: a [`Call`] names where the credential
//! goes ([`HeaderText::Secret`]) but never holds it; [`HttpClient::build`] puts it into a
//! header value marked sensitive, and previews show `***` in its place.
//!
//! Nor do they come back through it: a server, proxy or WAF page may echo the credential it
//! was sent (in a 401 message, an HTML error page, a redirect's `Location`). Each client is
//! built with a [`Redactor`] made from its backend's secret, and a [`Response`] can only be
//! made through it ([`HttpClient::response`]): its body and header values have every
//! occurrence of the secret replaced by `***` before any error mapper, excerpt or decoder
//! sees them. Stream messages are scrubbed the same way ([`HttpClient::redactor`]).

use std::error::Error as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use url::Url;

use crate::backend::budget::Pace;
use crate::domain::{BackendError, RequestPreview};

/// Bodies larger than this are refused: no dashboard response is legitimately this big, and a
/// misbehaving server must not be able to make us buffer without bound.
pub const DEFAULT_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Longest piece of server text (in characters) that goes into an error message.
pub const MAX_SERVER_TEXT: usize = 300;

/// Longest back-off a server can ask for; a bogus `Retry-After: 99999999` must not silence a
/// backend for days.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Upper bound on one streaming response; the stream's own idle limit ends it far sooner
/// when the server goes quiet.
const STREAM_LIFETIME: Duration = Duration::from_secs(24 * 3600);

const USER_AGENT: &str = concat!("flightdeck/", env!("CARGO_PKG_VERSION"));

/// How to reach one backend over HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// Whole-request timeout: connect, send, and reading the full body.
    pub timeout: Duration,
    /// Extra PEM (or DER) root certificates trusted in addition to the system roots.
    pub ca_file: Option<PathBuf>,
    /// Skip TLS certificate verification entirely. Explicit per-backend opt-in only.
    pub insecure_skip_verify: bool,
    /// Response bodies above this many bytes fail with [`BackendError::Decode`].
    pub body_limit: usize,
    /// The backend's base URL is plain `http://`. Every request goes to that base and
    /// redirects are refused, so no TLS ever happens and the system's root certificates are
    /// not loaded: reading and parsing them costs about 2 ms per client, and the dashboard
    /// builds one client per backend before its first frame (five for the demo).
    pub plain_http: bool,
}

impl HttpOptions {
    /// Verified TLS with the system roots and the default body limit.
    pub fn new(timeout: Duration) -> Self {
        HttpOptions {
            timeout,
            ca_file: None,
            insecure_skip_verify: false,
            body_limit: DEFAULT_BODY_LIMIT,
            plain_http: false,
        }
    }
}

/// A configured client; cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
    body_limit: usize,
    redact: Redactor,
    /// Every request waits here first: the backend's request budget, whoever sends.
    pace: std::sync::Arc<Pace>,
}

/// A complete response: status, headers and the whole (capped) body, with the client's
/// secret already scrubbed from the body and every header value. Only
/// [`HttpClient::response`] makes one (the private field), so no server text reaches an
/// error message without passing the client's [`Redactor`].
// `#[non_exhaustive]` would still let the rest of the crate build one unscrubbed; the private
// field keeps construction inside this module.
#[allow(clippy::manual_non_exhaustive)]
#[derive(Debug, Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    _scrubbed: (),
}

/// What a client scrubs from everything a server says: its backend's secret, as sent
/// (which covers `Bearer <secret>` and `token <secret>`), percent-encoded (a redirect's
/// query) and JSON-escaped. `Debug` never shows the secret.
#[derive(Clone, Default)]
pub struct Redactor {
    patterns: std::sync::Arc<[SecretString]>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} patterns)", self.patterns.len())
    }
}

/// What stands where a secret was.
pub const REDACTED: &str = "***";

impl Redactor {
    /// Scrubs nothing: for clients that send no credential.
    pub fn none() -> Self {
        Redactor::default()
    }

    /// Scrubs `secret` (if any) in every form a server might echo it.
    pub fn of(secret: Option<&SecretString>) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        if let Some(secret) = secret {
            let raw = secret.expose_secret().trim();
            if !raw.is_empty() {
                let percent: String =
                    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect();
                let json = serde_json::to_string(raw).unwrap_or_default();
                let json = json.trim_matches('"').to_owned();
                for p in [raw.to_owned(), percent, json] {
                    if !p.is_empty() && !patterns.contains(&p) {
                        patterns.push(p);
                    }
                }
            }
        }
        // Longest first, so a longer form is never half-replaced by a shorter one.
        patterns.sort_by_key(|p| std::cmp::Reverse(p.len()));
        Redactor {
            patterns: patterns.into_iter().map(SecretString::from).collect(),
        }
    }

    /// `bytes` with every secret replaced by `***`.
    pub fn bytes(&self, bytes: Vec<u8>) -> Vec<u8> {
        self.patterns.iter().fold(bytes, |bytes, p| {
            replace_all(&bytes, p.expose_secret().as_bytes()).unwrap_or(bytes)
        })
    }

    /// `text` with every secret replaced by `***`.
    pub fn text(&self, text: String) -> String {
        if self.patterns.is_empty() {
            return text;
        }
        String::from_utf8(self.bytes(text.into_bytes()))
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    fn headers(&self, headers: HeaderMap) -> HeaderMap {
        if self.patterns.is_empty() {
            return headers;
        }
        headers
            .into_iter()
            .filter_map(|(name, value)| Some((name?, value)))
            .fold(HeaderMap::new(), |mut map, (name, value)| {
                let scrubbed = self.bytes(value.as_bytes().to_vec());
                let value = HeaderValue::from_bytes(&scrubbed).unwrap_or(value);
                map.append(name, value);
                map
            })
    }
}

/// `haystack` with every `needle` replaced by [`REDACTED`]; `None` when there is none.
fn replace_all(haystack: &[u8], needle: &[u8]) -> Option<Vec<u8>> {
    let first = *needle.first()?;
    let mut out: Option<Vec<u8>> = None;
    let (mut from, mut copied) = (0, 0);
    while let Some(offset) = haystack[from..].iter().position(|b| *b == first) {
        let at = from + offset;
        if haystack[at..].starts_with(needle) {
            let out = out.get_or_insert_with(|| Vec::with_capacity(haystack.len()));
            out.extend_from_slice(&haystack[copied..at]);
            out.extend_from_slice(REDACTED.as_bytes());
            from = at + needle.len();
            copied = from;
        } else {
            from = at + 1;
        }
    }
    let mut out = out?;
    out.extend_from_slice(&haystack[copied..]);
    Some(out)
}

/// One request, fully described before anything is sent, so a preview and the real call
/// come from the same value. Headers are listed in the order they are sent; names are
/// lowercase, as HTTP/1.1 sends them on the wire (and as previews show them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(HeaderName, HeaderText)>,
    pub body: Option<String>,
}

/// A header value as sent, or where the credential goes, which only the sender exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderText {
    Plain(String),
    /// The credential after a fixed scheme prefix (`"Bearer "`, `"token "`, or `""` for a
    /// bare key); previews show the prefix and `***`.
    Secret(&'static str),
}

impl Call {
    /// A call without headers or body.
    pub fn new(method: Method, url: Url) -> Self {
        Call {
            method,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header with a plain value.
    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, HeaderText::Plain(value.into())));
        self
    }

    /// Adds the credential header: `prefix` then the secret given to [`HttpClient::build`].
    pub fn secret(mut self, name: HeaderName, prefix: &'static str) -> Self {
        self.headers.push((name, HeaderText::Secret(prefix)));
        self
    }

    /// Adds `content-type` and the body.
    pub fn body(self, content_type: &str, body: String) -> Self {
        let mut call = self.header(CONTENT_TYPE, content_type);
        call.body = Some(body);
        call
    }

    /// Adds a JSON body.
    pub fn json(self, body: &serde_json::Value) -> Self {
        self.body("application/json", body.to_string())
    }

    /// The request as the user sees it before it is sent: the credential as `***`.
    pub fn preview(&self) -> RequestPreview {
        RequestPreview {
            method: self.method.to_string(),
            url: self.url.to_string(),
            headers: self
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = match value {
                        HeaderText::Plain(v) => v.clone(),
                        HeaderText::Secret(prefix) => format!("{prefix}***"),
                    };
                    (name.as_str().to_owned(), value)
                })
                .collect(),
            body: self.body.clone().unwrap_or_default(),
        }
    }
}

/// Checks a configured base URL the way every client needs it: http(s), a host, room for
/// path segments, and no query or fragment (paths are appended to it). `example` shows the
/// user a correct one for this kind of backend.
pub fn check_base_url(base: &Url, example: &str) -> Result<(), BackendError> {
    if !matches!(base.scheme(), "http" | "https")
        || base.cannot_be_a_base()
        || base.host_str().is_none()
        || base.query().is_some()
        || base.fragment().is_some()
    {
        return Err(BackendError::BadRequest(format!(
            "base_url must be an http(s) URL without query or fragment, such as {example}, not {base}"
        )));
    }
    Ok(())
}

impl HttpClient {
    /// A client for one backend; `redact` is made from that backend's secret
    /// ([`Redactor::of`]) and scrubs it from every response.
    pub fn new(options: &HttpOptions, redact: Redactor) -> Result<Self, BackendError> {
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(options.timeout)
            // Credentials travel in custom headers (`x-api-key`), which reqwest would carry
            // along to whatever host a redirect points at. APIs do not redirect; treat a
            // redirect as an error instead of following it.
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &options.ca_file {
            builder = builder.tls_certs_merge(load_certificates(path)?);
        }
        if options.insecure_skip_verify {
            builder = builder.tls_danger_accept_invalid_certs(true);
        }
        if options.plain_http && options.ca_file.is_none() && !options.insecure_skip_verify {
            // Trusts no root at all: an https URL could only fail, and none is ever asked for.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        let client = builder.build().map_err(|e| {
            BackendError::BadRequest(format!(
                "cannot set up the HTTP client: {}",
                cause_chain(&e)
            ))
        })?;
        Ok(HttpClient {
            client,
            timeout: options.timeout,
            body_limit: options.body_limit,
            redact,
            pace: Default::default(),
        })
    }

    /// The pace every request of this client (and its clones) keeps to; unlimited until
    /// its share is set ([`Pace::set_share`]).
    pub fn pace(&self) -> &std::sync::Arc<Pace> {
        &self.pace
    }

    /// Tells the pace how the server took a request: a 429 lowers it.
    fn paced(&self, status: StatusCode, headers: &HeaderMap) {
        if status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after = headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, Timestamp::now()));
            self.pace.refused(retry_after);
        } else {
            self.pace.answered();
        }
    }

    /// What this client scrubs from server text; for stream messages, which do not come as
    /// a [`Response`].
    pub fn redactor(&self) -> &Redactor {
        &self.redact
    }

    /// A response as received, its secret scrubbed from body and headers: the only way to
    /// make a [`Response`].
    pub fn response(&self, status: StatusCode, headers: HeaderMap, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: self.redact.headers(headers),
            body: self.redact.bytes(body),
            _scrubbed: (),
        }
    }

    pub fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// The request `call` describes, with `secret` in its credential header (marked
    /// sensitive, so `Debug` output of the request never shows it). Fails before anything
    /// is sent when a header value is not valid HTTP, or the call wants a credential and
    /// none is configured.
    pub fn build(
        &self,
        call: &Call,
        secret: Option<&SecretString>,
    ) -> Result<reqwest::RequestBuilder, BackendError> {
        let mut request = self.request(call.method.clone(), call.url.clone());
        for (name, value) in &call.headers {
            let value = match value {
                HeaderText::Plain(v) => HeaderValue::from_str(v),
                HeaderText::Secret(prefix) => {
                    let secret = secret.ok_or_else(|| {
                        BackendError::BadRequest(format!("header {name} needs a credential"))
                    })?;
                    HeaderValue::from_str(&format!("{prefix}{}", secret.expose_secret())).map(
                        |mut v| {
                            v.set_sensitive(true);
                            v
                        },
                    )
                }
            }
            .map_err(|_| {
                BackendError::BadRequest(format!(
                    "header {name} holds characters HTTP does not allow"
                ))
            })?;
            request = request.header(name.clone(), value);
        }
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        Ok(request)
    }

    /// Sends `call` (see [`Self::build`] and [`Self::send`]).
    pub async fn send_call(
        &self,
        call: &Call,
        secret: Option<&SecretString>,
    ) -> Result<Response, BackendError> {
        self.send(self.build(call, secret)?).await
    }

    /// Sends a request and reads the whole body. Every HTTP status comes back as `Ok`;
    /// only transport failures, timeouts and oversized bodies are errors here, so each
    /// backend can read its own error bodies.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Response, BackendError> {
        let request = request.build().map_err(|e| {
            BackendError::BadRequest(format!("cannot build the request: {}", cause_chain(&e)))
        })?;
        let method = request.method().clone();
        // Log without the query: it is harmless today, but a future backend might put a
        // token there and logs must never hold one.
        let path = request.url().path().to_owned();
        let host = host_of(request.url());
        self.pace.acquire().await;
        let started = Instant::now();

        let result = async {
            let response = self
                .client
                .execute(request)
                .await
                .map_err(|e| self.transport_error(&e, &host))?;
            self.read_whole(response, &host).await
        }
        .await;

        let elapsed_ms = started.elapsed().as_millis();
        if let Ok(r) = &result {
            self.paced(r.status, &r.headers);
        }
        match &result {
            Ok(r) => {
                tracing::debug!(%method, host, path, status = r.status.as_u16(), bytes = r.body.len(), elapsed_ms, "http")
            }
            Err(e) => tracing::debug!(%method, host, path, error = %e, elapsed_ms, "http failed"),
        }
        result
    }

    /// Opens a long-lived streaming response (a watch). Connecting and receiving the headers
    /// are bounded by the client's timeout; the body is not, and the caller reads it chunk by
    /// chunk with its own idle limit. A non-success status comes back read whole (capped) as
    /// `Err(response)`, for the backend's error mapping.
    pub async fn open_stream(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<Result<reqwest::Response, Response>, BackendError> {
        // Overrides the client's whole-request timeout, which would cut every stream.
        let request = request.timeout(STREAM_LIFETIME).build().map_err(|e| {
            BackendError::BadRequest(format!("cannot build the request: {}", cause_chain(&e)))
        })?;
        let host = host_of(request.url());
        let path = request.url().path().to_owned();
        self.pace.acquire().await;
        let response = tokio::time::timeout(self.timeout, self.client.execute(request))
            .await
            .map_err(|_| BackendError::Timeout(self.timeout))?
            .map_err(|e| self.transport_error(&e, &host))?;
        tracing::debug!(
            host,
            path,
            status = response.status().as_u16(),
            "stream opened"
        );
        self.paced(response.status(), response.headers());
        if response.status().is_success() {
            return Ok(Ok(response));
        }
        Ok(Err(self.read_whole(response, &host).await?))
    }

    /// Status, headers and the whole body, capped at the body limit.
    async fn read_whole(
        &self,
        response: reqwest::Response,
        host: &str,
    ) -> Result<Response, BackendError> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = read_capped(response, self.body_limit)
            .await
            .map_err(|e| match e {
                ReadError::TooLarge => body_too_large(self.body_limit),
                ReadError::Transport(e) => self.transport_error(&e, host),
            })?;
        Ok(self.response(status, headers, body))
    }

    /// Appends the next chunk of a stream opened by [`Self::open_stream`] to `buf`; `false`
    /// at the stream's end.
    pub async fn next_chunk(
        &self,
        response: &mut reqwest::Response,
        buf: &mut Vec<u8>,
    ) -> Result<bool, BackendError> {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                buf.extend_from_slice(&chunk);
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(e) => Err(self.transport_error(&e, &host_of(response.url()))),
        }
    }

    /// The most bytes one message of a stream may have.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    fn transport_error(&self, error: &reqwest::Error, host: &str) -> BackendError {
        if error.is_timeout() {
            return BackendError::Timeout(self.timeout);
        }
        let what = if error.is_connect() {
            "cannot connect to"
        } else if error.is_body() || error.is_decode() {
            "connection broke while reading the response from"
        } else {
            "request failed to"
        };
        BackendError::Network(truncate(
            &format!("{what} {host}: {}", cause_chain(error)),
            MAX_SERVER_TEXT,
        ))
    }
}

impl Response {
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// Decodes the body as JSON, naming the failing field on error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, BackendError> {
        decode_json(&self.body)
    }

    /// The body as a short single-line excerpt fit for an error message.
    pub fn excerpt(&self) -> String {
        excerpt(&String::from_utf8_lossy(&self.body))
    }

    /// `Retry-After` as a duration from now, when present and readable.
    pub fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?;
        parse_retry_after(value, Timestamp::now())
    }
}

#[cfg(test)]
impl Response {
    /// A response with `status`, no headers and `body`, for tests of error mapping.
    pub fn for_test(status: u16, body: &str) -> Response {
        Response {
            status: StatusCode::from_u16(status).expect("a valid status"),
            headers: HeaderMap::new(),
            body: body.as_bytes().to_vec(),
            _scrubbed: (),
        }
    }
}

/// Maps a non-success response to an error using only the HTTP status and the body text.
/// Backends call this for anything their own error format does not cover.
pub fn status_error(response: &Response) -> BackendError {
    let status = response.status.as_u16();
    let text = match response.excerpt() {
        t if t.is_empty() => format!(
            "HTTP {status} {}",
            response.status.canonical_reason().unwrap_or_default()
        )
        .trim_end()
        .to_owned(),
        t => format!("HTTP {status}: {t}"),
    };
    match status {
        429 => BackendError::RateLimited {
            retry_after: response.retry_after(),
        },
        500..=599 => BackendError::Server {
            status,
            message: text,
        },
        401 => BackendError::Unauthenticated(text),
        403 => BackendError::NotAuthorized(text),
        404 => BackendError::NotFound(text),
        300..=399 => {
            let target = response
                .headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(|v| truncate(v, MAX_SERVER_TEXT))
                .unwrap_or_else(|| "an unnamed location".to_owned());
            BackendError::BadRequest(format!(
                "the server redirected (HTTP {status}) to {target}; check the backend's base_url"
            ))
        }
        _ => BackendError::BadRequest(text),
    }
}

/// Decodes JSON, reporting where it failed as a path (`data.content[3].name`) so a changed
/// server format is diagnosable from the message alone.
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, BackendError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(BackendError::Decode("empty response body".to_owned()));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("not valid JSON ({inner})")
        } else if path == "." {
            inner.to_string()
        } else {
            format!("at {path}: {inner}")
        };
        BackendError::Decode(truncate(&message, MAX_SERVER_TEXT))
    })?;
    deserializer.end().map_err(|e| {
        BackendError::Decode(truncate(
            &format!("trailing data after the JSON body ({e})"),
            MAX_SERVER_TEXT,
        ))
    })?;
    Ok(value)
}

/// Parses `Retry-After`: either delay-seconds or an HTTP-date (IMF-fixdate, or the obsolete
/// RFC 850 and asctime forms every recipient must accept). Dates in the past mean "now";
/// the result is capped at one hour.
pub fn parse_retry_after(value: &str, now: Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER));
    }
    let when = parse_http_date(value)?;
    let wait = when.duration_since(now);
    if wait.is_negative() {
        return Some(Duration::ZERO);
    }
    Some(Duration::try_from(wait).ok()?.min(MAX_RETRY_AFTER))
}

/// An HTTP-date (`Date`, `Retry-After`) in any of the forms recipients must accept.
pub fn parse_http_date(value: &str) -> Option<Timestamp> {
    if let Ok(ts) = jiff::fmt::rfc2822::DateTimeParser::new().parse_timestamp(value) {
        return Some(ts);
    }
    // Obsolete forms are always in GMT; strptime has no zone-name parsing, so the literal
    // suffix is part of the pattern and the result is read as UTC.
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|format| {
            let datetime = jiff::fmt::strtime::parse(format, value)
                .ok()?
                .to_datetime()
                .ok()?;
            datetime.to_zoned(jiff::tz::TimeZone::UTC).ok()
        })
        .map(|zoned| zoned.timestamp())
}

/// A single-line, length-limited excerpt of server text. HTML pages (proxies, CDNs and edge
/// rate limiters answer with them) are reduced to their text.
pub fn excerpt(text: &str) -> String {
    let trimmed = text.trim_start();
    let plain = if trimmed.starts_with('<') {
        strip_tags(trimmed)
    } else {
        trimmed.to_owned()
    };
    let mut out = String::with_capacity(plain.len().min(MAX_SERVER_TEXT * 4));
    let mut pending_space = false;
    for c in plain.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        if out.len() > MAX_SERVER_TEXT * 4 {
            break;
        }
    }
    truncate(&out, MAX_SERVER_TEXT)
}

/// Cuts `text` to at most `max` characters, marking the cut with `…`.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let keep: String = text.chars().take(max.saturating_sub(1)).collect();
            format!("{keep}…")
        }
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

enum ReadError {
    TooLarge,
    Transport(reqwest::Error),
}

async fn read_capped(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, ReadError> {
    // A declared length over the cap fails before a single byte is buffered.
    let declared = response.content_length().unwrap_or(0);
    if declared > limit as u64 {
        return Err(ReadError::TooLarge);
    }
    // Sized once for what the server declared (within the cap), not grown chunk by chunk.
    let mut body = Vec::with_capacity(declared as usize);
    while let Some(chunk) = response.chunk().await.map_err(ReadError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(ReadError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn body_too_large(limit: usize) -> BackendError {
    BackendError::Decode(format!(
        "response body larger than {} (refused)",
        human_bytes(limit)
    ))
}

fn human_bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} bytes")
    }
}

fn load_certificates(path: &Path) -> Result<Vec<reqwest::Certificate>, BackendError> {
    let shown = path.display();
    let bytes = std::fs::read(path)
        .map_err(|e| BackendError::BadRequest(format!("cannot read ca_file {shown}: {e}")))?;
    let no_certificate =
        || BackendError::BadRequest(format!("ca_file {shown} holds no PEM or DER certificate"));
    match reqwest::Certificate::from_pem_bundle(&bytes) {
        Ok(certs) if !certs.is_empty() => Ok(certs),
        // Not PEM: accept a single DER certificate, which is an ASN.1 SEQUENCE (0x30). The
        // DER parser is lazy, so anything else would only fail later, less clearly.
        _ if bytes.first() == Some(&0x30) => reqwest::Certificate::from_der(&bytes)
            .map(|c| vec![c])
            .map_err(|_| no_certificate()),
        _ => Err(no_certificate()),
    }
}

fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => url.scheme().to_owned(),
    }
}

/// The error's causes joined with `: `, skipping reqwest's own top line (which repeats the
/// URL, query included) and repeated messages.
fn cause_chain(error: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        // No underlying cause: reqwest's own text, without the URL it may carry.
        let mut text = error.to_string();
        if let Some(url) = error.url() {
            text = text.replace(url.as_str(), &host_of(url));
        }
        parts.push(text);
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Serves one connection: reads the request head, then writes `response` verbatim
    /// (or nothing at all when `None`, holding the connection open).
    async fn serve_once(response: Option<Vec<u8>>) -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = socket.read(&mut buf).await.unwrap();
                if n == 0 {
                    return;
                }
                seen.extend_from_slice(&buf[..n]);
            }
            match response {
                Some(bytes) => {
                    // The client may hang up early (body cap); that is fine.
                    let _ = socket.write_all(&bytes).await;
                    let _ = socket.shutdown().await;
                }
                None => tokio::time::sleep(Duration::from_secs(30)).await,
            }
        });
        Url::parse(&format!("http://{addr}/x")).unwrap()
    }

    fn client(limit: usize, timeout: Duration) -> HttpClient {
        HttpClient::new(
            &HttpOptions {
                body_limit: limit,
                ..HttpOptions::new(timeout)
            },
            Redactor::none(),
        )
        .unwrap()
    }

    fn get(c: &HttpClient, url: Url) -> reqwest::RequestBuilder {
        c.request(Method::GET, url)
    }

    #[tokio::test]
    async fn reads_a_body_under_the_cap() {
        let url = serve_once(Some(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
        ))
        .await;
        let c = client(16, Duration::from_secs(5));
        let r = c.send(get(&c, url)).await.unwrap();
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, b"hello");
    }

    #[tokio::test]
    async fn declared_length_over_the_cap_is_refused() {
        let url = serve_once(Some(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".to_vec(),
        ))
        .await;
        let c = client(16, Duration::from_secs(5));
        let err = c.send(get(&c, url)).await.unwrap_err();
        assert!(
            matches!(&err, BackendError::Decode(m) if m.contains("larger than 16 bytes")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn streamed_body_over_the_cap_is_aborted() {
        let mut response = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..8 {
            response.extend_from_slice(b"8\r\n01234567\r\n");
        }
        response.extend_from_slice(b"0\r\n\r\n");
        let url = serve_once(Some(response)).await;
        let c = client(40, Duration::from_secs(5));
        let err = c.send(get(&c, url)).await.unwrap_err();
        assert!(matches!(err, BackendError::Decode(_)), "{err:?}");
    }

    #[test]
    fn default_cap_is_8_mib() {
        assert_eq!(HttpOptions::new(Duration::from_secs(1)).body_limit, 8 << 20);
        assert_eq!(
            body_too_large(DEFAULT_BODY_LIMIT).to_string(),
            "unreadable response: response body larger than 8 MiB (refused)"
        );
    }

    #[tokio::test]
    async fn hung_server_times_out() {
        let url = serve_once(None).await;
        let c = client(16, Duration::from_millis(200));
        let err = c.send(get(&c, url)).await.unwrap_err();
        assert_eq!(err, BackendError::Timeout(Duration::from_millis(200)));
    }

    #[tokio::test]
    async fn refused_connection_is_a_network_error() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let c = client(16, Duration::from_secs(5));
        let url = Url::parse(&format!("http://{addr}/x?token=abc")).unwrap();
        let err = c.send(get(&c, url)).await.unwrap_err();
        match err {
            BackendError::Network(m) => {
                assert!(m.starts_with("cannot connect to 127.0.0.1:"), "{m}");
                assert!(!m.contains("token=abc"), "{m}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn connection_dropped_mid_body_is_a_network_error() {
        let url = serve_once(Some(
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a bit".to_vec(),
        ))
        .await;
        let c = client(1000, Duration::from_secs(5));
        let err = c.send(get(&c, url)).await.unwrap_err();
        assert!(matches!(err, BackendError::Network(_)), "{err:?}");
    }

    #[tokio::test]
    async fn redirects_are_not_followed() {
        let url = serve_once(Some(
            b"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
        ))
        .await;
        let c = client(1000, Duration::from_secs(5));
        let r = c.send(get(&c, url)).await.unwrap();
        assert_eq!(r.status.as_u16(), 302);
        assert_eq!(
            status_error(&r),
            BackendError::BadRequest(
                "the server redirected (HTTP 302) to https://elsewhere.example/; check the backend's base_url".into()
            )
        );
    }

    #[tokio::test]
    async fn sends_the_flightdeck_user_agent() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let head = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 8192];
            let n = socket.read(&mut buf).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                .await
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).to_lowercase()
        });
        let c = client(1000, Duration::from_secs(5));
        let url = Url::parse(&format!("http://{addr}/")).unwrap();
        c.send(get(&c, url)).await.unwrap();
        let head = head.await.unwrap();
        assert!(
            head.contains(&format!(
                "user-agent: flightdeck/{}",
                env!("CARGO_PKG_VERSION")
            )),
            "{head}"
        );
    }

    #[test]
    fn missing_ca_file_is_reported() {
        let err = HttpClient::new(
            &HttpOptions {
                ca_file: Some(PathBuf::from("/nonexistent/flightdeck-ca.pem")),
                ..HttpOptions::new(Duration::from_secs(1))
            },
            Redactor::none(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, BackendError::BadRequest(m) if m.starts_with("cannot read ca_file")),
            "{err:?}"
        );
    }

    #[test]
    fn garbage_ca_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate").unwrap();
        let err = HttpClient::new(
            &HttpOptions {
                ca_file: Some(path),
                ..HttpOptions::new(Duration::from_secs(1))
            },
            Redactor::none(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, BackendError::BadRequest(m) if m.contains("no PEM or DER certificate")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_plain_http_client_reads_without_the_system_roots() {
        let url = serve_once(Some(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello".to_vec(),
        ))
        .await;
        let c = HttpClient::new(
            &HttpOptions {
                plain_http: true,
                ..HttpOptions::new(Duration::from_secs(5))
            },
            Redactor::none(),
        )
        .unwrap();
        let r = c.send(get(&c, url)).await.unwrap();
        assert_eq!(r.body, b"hello");
    }

    #[test]
    fn insecure_client_builds() {
        HttpClient::new(
            &HttpOptions {
                insecure_skip_verify: true,
                ..HttpOptions::new(Duration::from_secs(1))
            },
            Redactor::none(),
        )
        .unwrap();
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body: body.as_bytes().to_vec(),
            _scrubbed: (),
        }
    }

    const SECRET: &str = "pat.acct42.tok1.HX/SECRET+9f8e";

    fn scrubbing_client() -> HttpClient {
        HttpClient::new(
            &HttpOptions::new(Duration::from_secs(1)),
            Redactor::of(Some(&SecretString::from(SECRET))),
        )
        .unwrap()
    }

    #[test]
    fn a_response_has_the_secret_scrubbed_from_body_and_headers() {
        let c = scrubbing_client();
        let mut headers = HeaderMap::new();
        let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
        headers.insert(
            LOCATION,
            format!("http://x/login?key={encoded}&raw={SECRET}")
                .parse()
                .unwrap(),
        );
        let body = format!(
            "<html><body>502: Bearer {SECRET} / token {SECRET} / {}</body></html>",
            serde_json::to_string(SECRET).unwrap()
        );
        let r = c.response(StatusCode::FOUND, headers, body.into_bytes());
        let body = String::from_utf8(r.body.clone()).unwrap();
        assert_eq!(
            body,
            "<html><body>502: Bearer *** / token *** / \"***\"</body></html>"
        );
        let error = status_error(&r).to_string();
        assert!(!error.contains("SECRET"), "{error}");
        assert!(error.contains("key=***&raw=***"), "{error}");
        let r = c.response(
            StatusCode::UNAUTHORIZED,
            HeaderMap::new(),
            format!("token not valid: Bearer {SECRET}").into_bytes(),
        );
        assert_eq!(
            status_error(&r).to_string(),
            "authentication failed: HTTP 401: token not valid: Bearer ***"
        );
        assert_eq!(c.redactor().text(format!("a{SECRET}{SECRET}b")), "a******b");
        assert!(!format!("{c:?}").contains("SECRET"));
    }

    #[test]
    fn without_a_secret_nothing_changes() {
        let r = Redactor::of(None);
        assert_eq!(r.text("abc ***".to_owned()), "abc ***");
        assert_eq!(replace_all(b"aaa", b"aa"), Some(b"***a".to_vec()));
        assert_eq!(replace_all(b"abc", b"x"), None);
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Mon, 01 Jan 2024 00:01:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Monday, 01-Jan-24 00:00:10 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Mon Jan  1 00:00:05 2024", now),
            Some(Duration::from_secs(5))
        );
        // In the past: retry now.
        assert_eq!(
            parse_retry_after("Sun, 31 Dec 2023 23:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        // Absurd values are capped.
        assert_eq!(
            parse_retry_after("99999999999", now),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn generic_status_mapping() {
        assert_eq!(
            status_error(&response(429, &[("retry-after", "30")], "")),
            BackendError::RateLimited {
                retry_after: Some(Duration::from_secs(30))
            }
        );
        assert_eq!(
            status_error(&response(
                429,
                &[],
                "<html><body><h1>Too Many Requests</h1></body></html>"
            )),
            BackendError::RateLimited { retry_after: None }
        );
        assert_eq!(
            status_error(&response(
                502,
                &[],
                "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body></html>"
            )),
            BackendError::Server {
                status: 502,
                message: "HTTP 502: 502 Bad Gateway nginx".into()
            }
        );
        assert_eq!(
            status_error(&response(503, &[], "")),
            BackendError::Server {
                status: 503,
                message: "HTTP 503 Service Unavailable".into()
            }
        );
        assert!(matches!(
            status_error(&response(401, &[], "nope")),
            BackendError::Unauthenticated(_)
        ));
        assert!(matches!(
            status_error(&response(403, &[], "nope")),
            BackendError::NotAuthorized(_)
        ));
        assert!(matches!(
            status_error(&response(404, &[], "")),
            BackendError::NotFound(_)
        ));
        assert_eq!(
            status_error(&response(400, &[], "bad thing")),
            BackendError::BadRequest("HTTP 400: bad thing".into())
        );
    }

    #[test]
    fn server_text_in_errors_is_bounded() {
        let huge = "x".repeat(10_000);
        match status_error(&response(500, &[], &huge)) {
            BackendError::Server { message, .. } => {
                assert!(
                    message.chars().count() <= MAX_SERVER_TEXT + 10,
                    "{}",
                    message.len()
                );
                assert!(message.ends_with('…'));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn excerpt_is_single_line() {
        assert_eq!(excerpt("  a\n\tb\u{1b}[31m  c  "), "a b [31m c");
        assert_eq!(excerpt(""), "");
        assert_eq!(truncate("héllo", 3), "hé…");
        assert_eq!(truncate("héllo", 5), "héllo");
    }

    #[derive(Debug, serde::Deserialize)]
    struct Outer {
        data: Inner,
    }
    #[derive(Debug, serde::Deserialize)]
    struct Inner {
        content: Vec<Item>,
    }
    #[derive(Debug, serde::Deserialize)]
    struct Item {
        count: u32,
    }

    #[test]
    fn decode_errors_name_the_path() {
        let err = decode_json::<Outer>(br#"{"data":{"content":[{"count":1},{"count":"many"}]}}"#)
            .unwrap_err();
        match err {
            BackendError::Decode(m) => assert!(
                m.starts_with("at data.content[1].count: invalid type: string"),
                "{m}"
            ),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            decode_json::<Outer>(b"  ").unwrap_err(),
            BackendError::Decode("empty response body".into())
        );
        assert!(matches!(
            decode_json::<Outer>(b"<html>rate limited</html>").unwrap_err(),
            BackendError::Decode(m) if m.starts_with("not valid JSON")
        ));
        assert!(matches!(
            decode_json::<Outer>(br#"{"data":{"content":[]}} trailing"#).unwrap_err(),
            BackendError::Decode(m) if m.starts_with("trailing data")
        ));
        // Unknown fields are ignored.
        let ok = decode_json::<Outer>(br#"{"data":{"content":[{"count":2,"extra":true}]},"x":1}"#)
            .unwrap();
        assert_eq!(ok.data.content[0].count, 2);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: None,
            ..Default::default()
        })]

        /// A `Retry-After` never silences a backend for more than an hour, whatever it says.
        #[test]
        fn retry_after_is_bounded(value in any::<String>(), secs in any::<u64>()) {
            let now: Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
            for v in [value, secs.to_string()] {
                if let Some(d) = parse_retry_after(&v, now) {
                    prop_assert!(d <= MAX_RETRY_AFTER);
                }
            }
        }

        /// Server text in an error message is one bounded line.
        #[test]
        fn excerpts_are_one_short_line(text in any::<String>()) {
            let e = excerpt(&text);
            prop_assert!(e.chars().count() <= MAX_SERVER_TEXT);
            prop_assert!(!e.chars().any(char::is_control));
        }
    }
}
