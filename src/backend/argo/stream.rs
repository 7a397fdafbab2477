//! Reading Argo's streaming responses (spec §10.2): server-sent events when we asked with
//! `Accept: text/event-stream` (`data: <json> ` frames, `:` keep-alive comments every 15 s),
//! or one JSON document per line otherwise. Both are read line by line, as Argo's own HTTP
//! client does.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::backend::http::{HttpClient, decode_json};
use crate::domain::BackendError;

/// One open stream.
pub struct Frames<'a> {
    http: &'a HttpClient,
    response: reqwest::Response,
    buf: Vec<u8>,
    /// With keep-alives a silent connection is a dead one; `None` for NDJSON, which has none.
    idle: Option<Duration>,
}

impl<'a> Frames<'a> {
    /// `idle`: how long the server may stay silent (keep-alives count) before the
    /// connection is taken for dead; applied only to SSE responses.
    pub fn new(http: &'a HttpClient, response: reqwest::Response, idle: Duration) -> Self {
        let sse = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        Frames {
            http,
            response,
            buf: Vec::new(),
            idle: sse.then_some(idle),
        }
    }

    /// The next message; `None` when the server closed the stream cleanly.
    pub async fn next<T: DeserializeOwned>(&mut self) -> Result<Option<T>, BackendError> {
        loop {
            while let Some(end) = self.buf.iter().position(|b| *b == b'\n') {
                // Scrubbed whole: a secret split across chunks is whole in its line.
                let line = self.http.redactor().bytes(self.buf.drain(..=end).collect());
                if let Some(payload) = payload(&line) {
                    return decode_json(payload).map(Some);
                }
            }
            if self.buf.len() > self.http.body_limit() {
                return Err(BackendError::Decode(format!(
                    "a stream message is larger than {} bytes (refused)",
                    self.http.body_limit()
                )));
            }
            let read = self.http.next_chunk(&mut self.response, &mut self.buf);
            let more = match self.idle {
                Some(idle) => tokio::time::timeout(idle, read).await.map_err(|_| {
                    BackendError::Network(format!(
                        "the watch stream was silent for {}s (no keep-alive); reconnecting",
                        idle.as_secs()
                    ))
                })??,
                None => read.await?,
            };
            if !more {
                // A last line without its newline still counts.
                let rest = self.http.redactor().bytes(std::mem::take(&mut self.buf));
                return match payload(&rest) {
                    Some(p) => decode_json(p).map(Some),
                    None => Ok(None),
                };
            }
        }
    }
}

/// The JSON of one line, or `None` for blank lines and SSE comments (`:` keep-alives).
fn payload(line: &[u8]) -> Option<&[u8]> {
    let line = line.trim_ascii();
    if line.is_empty() || line.starts_with(b":") {
        return None;
    }
    let line = match line.strip_prefix(b"data:") {
        Some(rest) => rest.trim_ascii_start(),
        // Other SSE fields (`event:`, `id:`, `retry:`) carry nothing we read.
        None if line.starts_with(b"event:")
            || line.starts_with(b"id:")
            || line.starts_with(b"retry:") =>
        {
            return None;
        }
        None => line,
    };
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::payload;

    #[tokio::test]
    async fn a_secret_echoed_in_a_stream_is_scrubbed_even_across_chunks() {
        use crate::backend::http::{HttpClient, HttpOptions, Redactor};
        use secrecy::SecretString;
        let http = HttpClient::new(
            &HttpOptions::new(std::time::Duration::from_secs(1)),
            Redactor::of(Some(&SecretString::from("ARGOSECRET-0123"))),
        )
        .unwrap();
        // The secret split between two chunks of the body.
        let pieces = futures::stream::iter(
            ["data: {\"m\":\"Bearer ARGOSEC", "RET-0123\"}\n"]
                .map(|p| Ok::<_, std::io::Error>(axum::body::Bytes::from_static(p.as_bytes()))),
        );
        let response = axum::http::Response::builder()
            .header("content-type", "text/event-stream")
            .body(reqwest::Body::wrap_stream(pieces))
            .unwrap();
        let mut frames =
            super::Frames::new(&http, response.into(), std::time::Duration::from_secs(5));
        let message: serde_json::Value = frames.next().await.unwrap().unwrap();
        assert_eq!(message["m"], "Bearer ***");
    }

    #[test]
    fn sse_and_ndjson_lines() {
        assert_eq!(payload(b"data: {\"a\":1} \n"), Some(&b"{\"a\":1}"[..]));
        assert_eq!(payload(b"data:{\"a\":1}\r\n"), Some(&b"{\"a\":1}"[..]));
        assert_eq!(payload(b"{\"a\":1}\n"), Some(&b"{\"a\":1}"[..]));
        assert_eq!(payload(b":\n"), None);
        assert_eq!(payload(b"\n"), None);
        assert_eq!(payload(b"   \n"), None);
        assert_eq!(payload(b"event: message\n"), None);
        assert_eq!(payload(b"data: \n"), None);
    }
}
