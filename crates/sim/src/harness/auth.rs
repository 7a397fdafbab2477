//! API-key authentication, account resolution, RBAC and the per-key rate limit (a `Limiter`
//! of `limit.rs`).
//!
//! Mirrors NextGenAuthenticationFilter: with no `x-api-key` the request is unauthenticated
//! (401); with a key, the account comes from the `Harness-Account` header, then the `account`
//! query parameter, then `accountIdentifier`, and a missing account is a 400 before the key is
//! even looked at; then the key must be `pat|sat.<account>.<tokenId>.<secret>`, known, and
//! issued for that account.

use std::sync::{Arc, Mutex};
use tokio::time::Instant;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;

use super::errors::{ApiError, Denied};
use super::{Cid, Params};
use crate::Shared;
use crate::limit::Limiter;
use crate::world::World;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A personal access token: the principal is a USER.
    Pat,
    /// A service-account token: the principal is a SERVICE_ACCOUNT.
    Sat,
}

#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) value: String,
    /// The world user the token belongs to.
    pub(crate) user: String,
    pub(crate) kind: TokenKind,
}

/// The account, org and keys of the simulated Harness installation.
#[derive(Debug)]
pub(crate) struct HarnessAuth {
    pub(crate) account: String,
    pub(crate) org: String,
    pub(crate) tokens: Vec<Token>,
    pub(crate) limiter: Mutex<Limiter>,
}

/// `^(pat|sat)\.[^.]+\.[^.]+\.[^.]+$`, returning the account part.
pub(crate) fn token_account(token: &str) -> Option<&str> {
    let parts: Vec<&str> = token.split('.').collect();
    match parts.as_slice() {
        [prefix, account, id, secret]
            if matches!(*prefix, "pat" | "sat")
                && !account.is_empty()
                && !id.is_empty()
                && !secret.is_empty() =>
        {
            Some(account)
        }
        _ => None,
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub(crate) struct Caller {
    /// The account the request was authenticated for.
    pub(crate) account: String,
    pub(crate) user: String,
    pub(crate) kind: TokenKind,
    /// The `Harness-Account` header, which v1 handlers require on their own.
    pub(crate) harness_account: Option<String>,
}

impl Caller {
    pub(crate) fn principal_type(&self) -> &'static str {
        match self.kind {
            TokenKind::Pat => "USER",
            TokenKind::Sat => "SERVICE_ACCOUNT",
        }
    }

    /// RBAC for `core_pipeline_execute`. Viewing is allowed to every key.
    pub(crate) fn require_execute(
        &self,
        world: &World,
        org: &str,
        project: &str,
        pipeline: Option<&str>,
    ) -> Result<(), ApiError> {
        if world.user(&self.user).is_some_and(|u| u.can_execute) {
            return Ok(());
        }
        Err(ApiError::AccessDenied(Box::new(Denied {
            principal_type: self.principal_type(),
            principal: self.user.clone(),
            permission: "core_pipeline_execute",
            scope: (self.account.clone(), org.to_string(), project.to_string()),
            pipeline: pipeline.map(str::to_string),
        })))
    }

    /// v1 handlers read the account from the `Harness-Account` header only.
    pub(crate) fn require_harness_account(&self) -> Result<&str, ApiError> {
        self.harness_account
            .as_deref()
            .ok_or_else(|| ApiError::Invalid("harnessAccount param value is required".to_string()))
    }
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

impl FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<Shared>) -> Result<Caller, Response> {
        let cid = parts
            .extensions
            .get::<Cid>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        let reject = |e: ApiError| e.response(&cid);
        let Some(key) = header(parts, "x-api-key") else {
            return Err(reject(ApiError::InvalidToken));
        };
        let params = Params::parse(parts.uri.query());
        let harness_account = header(parts, "Harness-Account").map(str::to_string);
        let account = harness_account
            .clone()
            .or_else(|| params.non_empty("account").map(str::to_string))
            .or_else(|| params.non_empty("accountIdentifier").map(str::to_string));
        let Some(account) = account else {
            return Err(reject(ApiError::Invalid(
                "Account detail is not present in the request".to_string(),
            )));
        };
        let auth = &s.harness;
        let token = (token_account(key) == Some(account.as_str()) && account == auth.account)
            .then(|| auth.tokens.iter().find(|t| t.value == key))
            .flatten();
        let Some(token) = token else {
            return Err(reject(ApiError::InvalidToken));
        };
        let allowed = auth
            .limiter
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .allow(key, Instant::now());
        if !allowed {
            s.stats().rate_limited += 1;
            return Err(reject(ApiError::TooManyRequests));
        }
        Ok(Caller {
            account,
            user: token.user.clone(),
            kind: token.kind,
            harness_account,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape() {
        assert_eq!(token_account("pat.acc.id.secret"), Some("acc"));
        assert_eq!(token_account("sat.acc.id.secret"), Some("acc"));
        assert_eq!(token_account("pat.id.secret"), None);
        assert_eq!(token_account("xat.acc.id.secret"), None);
        assert_eq!(token_account("pat.acc..secret"), None);
        assert_eq!(token_account("pat.acc.id.sec.ret"), None);
    }
}
