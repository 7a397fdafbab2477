//! How a subcommand fails: a message for people, a kind for JSON, and the documented exit
//! code (see `cli::EXIT_CODES`).

use crate::domain::BackendError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    /// Stable word for scripts: `bad_input`, `not_authorized`, ...
    pub kind: &'static str,
    pub message: String,
    /// The message is already on stderr (a list prints each failed backend's error as it
    /// goes): reporting must not print it a second time.
    pub noted: bool,
}

pub const BACKEND: u8 = 1;
pub const BAD_INPUT: u8 = 2;
pub const NOT_AUTHORIZED: u8 = 3;
pub const NOT_FOUND: u8 = 4;
pub const CONFLICT: u8 = 5;
pub const TIMEOUT: u8 = 6;
pub const RATE_LIMITED: u8 = 7;
pub const EXPIRED: u8 = 8;
pub const READ_ONLY: u8 = 9;
pub const UNSUCCESSFUL: u8 = 10;
pub const OUTCOME_UNKNOWN: u8 = 12;

impl Failure {
    pub fn new(code: u8, kind: &'static str, message: impl Into<String>) -> Self {
        Failure {
            code,
            kind,
            message: message.into(),
            noted: false,
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        Failure::new(BAD_INPUT, "bad_input", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Failure::new(NOT_FOUND, "not_found", message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Failure::new(CONFLICT, "conflict", message)
    }

    pub fn read_only(backend: &str) -> Self {
        Failure::new(
            READ_ONLY,
            "read_only",
            format!("{backend} is read-only (--read-only or read_only = true): nothing was sent"),
        )
    }

    /// A backend error, prefixed with the backend's name.
    pub fn backend(backend: &str, err: &BackendError) -> Self {
        let (code, kind) = match err {
            BackendError::Unauthenticated(_) | BackendError::NotAuthorized(_) => {
                (NOT_AUTHORIZED, "not_authorized")
            }
            BackendError::NotFound(_) => (NOT_FOUND, "not_found"),
            BackendError::Conflict(_) => (CONFLICT, "conflict"),
            BackendError::Expired(_) => (EXPIRED, "expired"),
            BackendError::RateLimited { .. } => (RATE_LIMITED, "rate_limited"),
            BackendError::Timeout(_) => (TIMEOUT, "timeout"),
            BackendError::BadRequest(_) => (BAD_INPUT, "bad_input"),
            BackendError::Unsupported(_) => (BAD_INPUT, "unsupported"),
            BackendError::Network(_) | BackendError::Server { .. } | BackendError::Decode(_) => {
                (BACKEND, "backend")
            }
        };
        // The error carries the server's words, printed to a terminal: never raw.
        let message = format!("{backend}: {}", crate::sanitize::clean(&err.to_string()));
        Failure::new(code, kind, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_in_a_failure_is_never_raw() {
        let err = BackendError::Server {
            status: 500,
            message: "boom\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{202e}x".into(),
        };
        let f = Failure::backend("prod", &err);
        assert_eq!(f.message, "prod: server error 500: boom\u{fffd}x");
    }
}
