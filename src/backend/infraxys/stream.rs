//! Following an asynchronous run through the progress stream (spec A.3 #4, A.5):
//! `GET /api/v1/actions/stream2/{workflowRunGuid}/{actionRunnerGuid}`, Server-Sent Events
//! whose `data:` lines are base64. Decoded text is console output, possibly carrying
//! `<CLIENT-FEEDBACK>{"type":"STATUS-MESSAGE","message":...}</CLIENT-FEEDBACK>` blocks.
//!
//! The stream reports messages, never an outcome, so a stream that ends cleanly means
//! "finished, outcome unknown"; the run is never called succeeded or failed from it.

use std::sync::{Mutex, Weak};
use std::time::Duration;

use jiff::Timestamp;
use reqwest::Method;
use reqwest::header::ACCEPT;
use secrecy::SecretString;
use serde_json::Value;
use url::Url;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;

use super::{Run, Runs, authorized, lock, response};
use crate::backend::Result;
use crate::backend::http::{Call, HttpClient, MAX_SERVER_TEXT, truncate};
use crate::domain::{BackendError, ExecStatus, Status};

/// Longest a progress stream is read. Actions time out after an hour by default
/// (`timeoutSeconds` 3600 in `packet.json`); this leaves room for a slow start.
const STREAM_LIMIT: Duration = Duration::from_secs(2 * 3600);
/// Most bytes of an error body read from the progress stream endpoint.
const STREAM_ERROR_BODY: usize = 64 * 1024;

const FEEDBACK_OPEN: &str = "<CLIENT-FEEDBACK>";
const FEEDBACK_CLOSE: &str = "</CLIENT-FEEDBACK>";
/// A line longer than this is dropped unread, so a server that never sends a newline cannot
/// make the follower buffer without bound.
const MAX_LINE: usize = 1024 * 1024;

/// Follows one asynchronous run's progress streams in the background. It holds the run list
/// weakly: once the backend is gone there is nobody to tell, and it stops.
pub(super) struct Follower {
    pub(super) http: HttpClient,
    pub(super) base: Url,
    pub(super) token: Option<SecretString>,
    pub(super) runs: Weak<Mutex<Runs>>,
    /// The local run id.
    pub(super) id: String,
    /// The workflow run GUID.
    pub(super) run: String,
    pub(super) runners: Vec<String>,
}

impl Follower {
    pub(super) async fn follow_all(self) {
        let mut outcome = Ok(true);
        for runner in &self.runners {
            outcome = self.follow(runner).await;
            if !matches!(outcome, Ok(true)) {
                break;
            }
        }
        match outcome {
            // The run was forgotten or the backend dropped: nothing left to update.
            Ok(false) => {}
            Ok(true) => {
                // The last status message stays: it is the best word on how the run went.
                self.update(|run| {
                    run.log.close();
                    run.status = Status::new(ExecStatus::Unknown, "ended");
                    run.ended = Some(Timestamp::now());
                });
            }
            Err(error) => {
                self.update(|run| {
                    run.status = Status::new(ExecStatus::Unknown, "submitted");
                    let message = format!(
                        "submitted as run {}; progress is not available: {error}",
                        self.run
                    );
                    run.log.status(&message);
                    run.log.close();
                    run.message = Some(message);
                });
            }
        }
    }

    /// Reads one runner's stream to its end. `Ok(false)` when there is no run to update.
    async fn follow(&self, runner: &str) -> Result<bool> {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["api", "v1", "actions", "stream2", &self.run, runner]);
        }
        let call = Call::new(Method::GET, url).header(ACCEPT, "text/event-stream");
        let request = self
            .http
            .build(&authorized(call, self.token.as_ref()), self.token.as_ref())?
            // The client's timeout bounds whole requests; a stream lasts as long as the run.
            .timeout(STREAM_LIMIT);
        let transport = |e: reqwest::Error| {
            BackendError::Network(truncate(&e.without_url().to_string(), MAX_SERVER_TEXT))
        };
        let mut response = request.send().await.map_err(transport)?;
        if !response.status().is_success() {
            let status = response.status();
            let headers = response.headers().clone();
            let mut body = Vec::new();
            while body.len() < STREAM_ERROR_BODY
                && let Ok(Some(chunk)) = response.chunk().await
            {
                body.extend_from_slice(&chunk);
            }
            let response = self.http.response(status, headers, body);
            return Err(response::map_error(
                &response,
                &format!("the progress stream of run {}", self.run),
                self.token.is_some(),
            ));
        }
        let mut lines = Lines::default();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            for progress in lines.push(&chunk) {
                // Decoded from base64, so scrubbed only now.
                let redact = self.http.redactor();
                let progress = Progress {
                    output: redact.text(progress.output),
                    status_message: progress.status_message.map(|m| redact.text(m)),
                };
                let known = self.update(|run| {
                    if !progress.output.is_empty() {
                        run.log.output(&progress.output);
                    }
                    if let Some(message) = progress.status_message {
                        run.log.status(&message);
                        run.message = Some(message);
                    }
                    if !progress.output.is_empty() {
                        let log = run.detail.take().unwrap_or_default() + &progress.output;
                        run.detail = Some(response::tail(&log, response::MAX_LOG));
                    }
                });
                if !known {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Applies `change` to the followed run; `false` when it is gone.
    fn update(&self, change: impl FnOnce(&mut Run)) -> bool {
        let Some(runs) = self.runs.upgrade() else {
            return false;
        };
        let mut runs = lock(&runs);
        match runs.list.iter_mut().find(|r| r.id == self.id) {
            Some(run) => {
                change(run);
                true
            }
            None => false,
        }
    }
}

/// What one decoded piece of the stream says.
#[derive(Debug, Default, PartialEq)]
pub struct Progress {
    /// Console output with the feedback blocks taken out.
    pub output: String,
    /// The last `STATUS-MESSAGE` in the piece.
    pub status_message: Option<String>,
}

/// Splits SSE bytes into complete lines, keeping a partial last line for the next chunk.
#[derive(Debug, Default)]
pub struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    /// The `data:` payloads of every complete line in `chunk`, decoded.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Progress> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if let Some(data) = line.strip_prefix("data:") {
                out.push(progress(&decode_data(
                    data.strip_prefix(' ').unwrap_or(data),
                )));
            }
        }
        if self.pending.len() > MAX_LINE {
            self.pending.clear();
        }
        out
    }
}

/// A `data:` payload: base64 as the server sends it, or, if it is not base64, the text itself
/// (a proxy or a newer server might send plain text; showing it beats dropping it).
fn decode_data(data: &str) -> String {
    // Padding is optional: servers differ.
    match STANDARD_PAD_INDIFFERENT.decode(data.trim()) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => data.to_owned(),
    }
}

/// Takes the feedback blocks out of decoded text.
fn progress(text: &str) -> Progress {
    let mut result = Progress::default();
    let mut rest = text;
    while let Some(start) = rest.find(FEEDBACK_OPEN) {
        result.output.push_str(&rest[..start]);
        let after = &rest[start + FEEDBACK_OPEN.len()..];
        let Some(end) = after.find(FEEDBACK_CLOSE) else {
            // An unterminated block is shown as output rather than lost.
            result.output.push_str(&rest[start..]);
            return result;
        };
        if let Ok(feedback) = serde_json::from_str::<Value>(&after[..end])
            && feedback.get("type").and_then(Value::as_str) == Some("STATUS-MESSAGE")
            && let Some(message) = feedback.get("message").and_then(Value::as_str)
        {
            result.status_message = Some(message.to_owned());
        }
        rest = &after[end + FEEDBACK_CLOSE.len()..];
    }
    result.output.push_str(rest);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD_NO_PAD;

    #[test]
    fn data_is_base64_with_or_without_padding_else_kept_as_text() {
        assert_eq!(decode_data("aGVsbG8="), "hello");
        assert_eq!(decode_data("aGVsbG8"), "hello");
        assert_eq!(decode_data(" aGk= "), "hi");
        assert_eq!(decode_data(""), "");
        assert_eq!(decode_data("not base64!"), "not base64!");
        assert_eq!(decode_data("aGVsb"), "aGVsb");
    }

    #[test]
    fn lines_are_split_across_chunks_and_decoded() {
        let mut lines = Lines::default();
        // "step 1\n" and a status message, split mid-line.
        assert!(lines.push(b"data: c3RlcCAxCg").is_empty());
        let got = lines.push(b"==\r\n\r\nevent: x\n");
        assert_eq!(
            got,
            [Progress {
                output: "step 1\n".into(),
                status_message: None
            }]
        );
        let feedback =
            r#"<CLIENT-FEEDBACK>{"type":"STATUS-MESSAGE","message":"Rotating"}</CLIENT-FEEDBACK>"#;
        let encoded = encode(feedback.as_bytes());
        let got = lines.push(format!("data:{encoded}\n").as_bytes());
        assert_eq!(got[0].status_message.as_deref(), Some("Rotating"));
        assert_eq!(got[0].output, "");
        // Plain text is kept as it is.
        assert_eq!(lines.push(b"data: plain text!\n")[0].output, "plain text!");
        // An endless line is dropped, not buffered.
        assert!(lines.push(&vec![b'A'; MAX_LINE + 1]).is_empty());
        assert_eq!(lines.push(b"\ndata: aGk=\n")[0].output, "hi");
    }

    #[test]
    fn feedback_blocks_are_taken_out_of_the_output() {
        let p = progress(
            "a<CLIENT-FEEDBACK>{\"type\":\"OTHER\"}</CLIENT-FEEDBACK>b<CLIENT-FEEDBACK>{\"type\":\"STATUS-MESSAGE\",\"message\":\"m\"}</CLIENT-FEEDBACK>c",
        );
        assert_eq!(p.output, "abc");
        assert_eq!(p.status_message.as_deref(), Some("m"));
        let open = progress("x<CLIENT-FEEDBACK>{broken");
        assert_eq!(open.output, "x<CLIENT-FEEDBACK>{broken");
        assert_eq!(
            progress("<CLIENT-FEEDBACK>not json</CLIENT-FEEDBACK>"),
            Progress::default()
        );
    }

    /// Test-only encoder, the inverse of `base64_decode`.
    fn encode(bytes: &[u8]) -> String {
        STANDARD_NO_PAD.encode(bytes)
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            failure_persistence: None,
            ..Default::default()
        })]

        /// However the bytes of a progress stream are cut into chunks, the same progress
        /// comes out, and no bytes at all make it fail.
        #[test]
        fn chunking_does_not_change_the_progress(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            cuts in proptest::collection::vec(proptest::prelude::any::<usize>(), 0..8),
        ) {
            let whole = Lines::default().push(&body);
            let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
            cuts.sort_unstable();
            let mut lines = Lines::default();
            let mut pieces = Vec::new();
            let mut from = 0;
            for at in cuts.into_iter().chain([body.len()]) {
                pieces.extend(lines.push(&body[from..at]));
                from = at;
            }
            proptest::prop_assert_eq!(pieces, whole);
        }
    }
}
