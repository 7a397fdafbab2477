//! Who is calling (spec §1, §2.4): the server runs in `client` auth mode, so the credential is
//! `Authorization: Bearer <token>`, or the same string in a cookie named `authorization` (what
//! the browser UI sends). Anything else is 401 `token not valid…`; a bearer token that is not
//! one of the face's service-account tokens is what Kubernetes then refuses: 401
//! `Unauthorized`.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;

use super::errors::{ApiError, Code};
use super::meta::ServiceAccount;
use crate::Shared;

const NO_TOKEN: &str = "token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/";

/// A token and the service account it stands for.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) value: String,
    pub(crate) account: ServiceAccount,
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub(crate) struct Caller(pub(crate) ServiceAccount);

impl Caller {
    /// Refuses a view-only caller anything that writes, with Kubernetes' RBAC message.
    pub(crate) fn may(&self, verb: &str, resource: &str, namespace: &str) -> Result<(), ApiError> {
        if self.0.can_write {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                &self.0.subject(),
                verb,
                resource,
                namespace,
            ))
        }
    }
}

/// The credential string: the `Authorization` header, else the `authorization` cookie.
fn credential(headers: &HeaderMap) -> Option<String> {
    if let Some(h) = headers.get("authorization").and_then(|v| v.to_str().ok()) {
        return Some(h.to_string());
    }
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|c| c.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == "authorization")
        .map(|(_, value)| {
            let value = value.trim_matches('"');
            url::form_urlencoded::parse(format!("v={value}").as_bytes())
                .next()
                .map_or_else(|| value.to_string(), |(_, v)| v.into_owned())
        })
}

pub(crate) fn authenticate(tokens: &[Token], headers: &HeaderMap) -> Result<Caller, ApiError> {
    let credential = credential(headers).unwrap_or_default();
    // Client mode also lets `Basic ` through to Kubernetes, which has no such user here.
    if credential.starts_with("Basic ") {
        return Err(ApiError::new(Code::Unauthenticated, "Unauthorized"));
    }
    let Some(token) = credential.strip_prefix("Bearer ") else {
        return Err(ApiError::new(Code::Unauthenticated, NO_TOKEN));
    };
    tokens
        .iter()
        .find(|t| t.value == token.trim())
        .map(|t| Caller(t.account.clone()))
        .ok_or_else(|| ApiError::new(Code::Unauthenticated, "Unauthorized"))
}

impl FromRequestParts<Arc<Shared>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, s: &Arc<Shared>) -> Result<Caller, ApiError> {
        authenticate(&s.argo.tokens, &parts.headers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Vec<Token> {
        vec![Token {
            value: "t0k".to_string(),
            account: ServiceAccount {
                name: "ci".to_string(),
                namespace: "argo".to_string(),
                user: "u".to_string(),
                can_write: true,
            },
        }]
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn header_and_cookie() {
        let ok = |h: HeaderMap| authenticate(&tokens(), &h).map(|c| c.0.name);
        assert_eq!(
            ok(headers(&[("authorization", "Bearer t0k")])).unwrap(),
            "ci"
        );
        assert_eq!(
            ok(headers(&[("cookie", "a=b; authorization=Bearer%20t0k")])).unwrap(),
            "ci"
        );
        let err = |h: HeaderMap| authenticate(&tokens(), &h).unwrap_err().message;
        assert_eq!(err(headers(&[])), NO_TOKEN);
        assert_eq!(err(headers(&[("authorization", "token t0k")])), NO_TOKEN);
        assert_eq!(
            err(headers(&[("authorization", "Bearer nope")])),
            "Unauthorized"
        );
    }
}
