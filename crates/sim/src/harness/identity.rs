//! "Who am I" on the NextGen manager (`/ng/api`, spec control-logs-identity.md §3.1):
//! `GET user/currentUser` answers a personal access token's user and refuses a
//! service-account token with the server's 400; `POST token/validate` answers any token with
//! its `TokenDTO`, the body being the raw token string.
//!
//! Where the spec is silent, the choice made here:
//! - A `token/validate` body that is not one of the account's keys is 401 `INVALID_TOKEN`,
//!   like a bad `x-api-key`.
//! - The token's `identifier` is the id part of the key (`pat.<account>.<id>.<secret>`), its
//!   name and `apiKeyIdentifier` fixed words; a service account's token was created by the
//!   account's administrator, whose `email` and `username` it carries (the spec: "the token's
//!   creator").

use std::sync::Arc;

use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use serde_json::json;

use super::auth::{Caller, TokenKind};
use super::errors::ApiError;
use super::{Cid, Outcome, Reply, finish};
use crate::Shared;

/// `GET /ng/api/user/currentUser`: the USER principal's `UserInfo`.
pub(crate) async fn current_user(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
) -> Response {
    let outcome = (|| -> Outcome {
        if caller.kind != TokenKind::Pat {
            return Err(ApiError::Invalid(
                "Current user can be accessed only by 'USER' principal type".to_string(),
            ));
        }
        let w = s.world();
        let user = w
            .user(&caller.user)
            .ok_or_else(|| ApiError::NotFound(format!("User {} not found", caller.user)))?;
        Ok(Reply::Envelope(json!({
            "uuid": user.id,
            "name": user.name,
            "email": user.email,
            "token": null,
            "defaultAccountId": caller.account,
            "intent": null,
            "accounts": [{
                "uuid": caller.account,
                "accountName": caller.account,
                "companyName": "Simulated",
                "defaultExperience": "NG",
                "createdFromNG": true,
                "nextGenEnabled": true,
            }],
            "admin": false,
            "twoFactorAuthenticationEnabled": false,
            "emailVerified": true,
            "locked": false,
            "disabled": false,
            "signupAction": null,
            "edition": null,
            "billingFrequency": null,
            "utmInfo": null,
            "externallyManaged": false,
            "givenName": null,
            "familyName": null,
            "externalId": null,
            "createdAt": 0,
            "lastUpdatedAt": 0,
        })))
    })();
    finish(&cid, outcome)
}

/// `POST /ng/api/token/validate`: the `TokenDTO` of the token in the body.
pub(crate) async fn validate(
    State(s): State<Arc<Shared>>,
    cid: Cid,
    caller: Caller,
    body: Result<axum::body::Bytes, BytesRejection>,
) -> Response {
    let outcome = (|| -> Outcome {
        let bytes = super::pipelines::body(body)?;
        let raw = String::from_utf8_lossy(&bytes);
        let raw = raw.trim();
        let token = s
            .harness
            .tokens
            .iter()
            .find(|t| t.value == raw)
            .ok_or(ApiError::InvalidToken)?;
        let w = s.world();
        let owner = w.user(&token.user);
        // The creator: the user for a personal token, the administrator for a service account's.
        let creator = match token.kind {
            TokenKind::Pat => owner,
            TokenKind::Sat => w
                .users
                .iter()
                .find(|u| u.kind == crate::world::PrincipalKind::User && u.can_execute),
        };
        let id = raw.split('.').nth(2).unwrap_or_default();
        let (kind, key) = match token.kind {
            TokenKind::Pat => ("USER", "flightdeck_pat"),
            TokenKind::Sat => ("SERVICE_ACCOUNT", "flightdeck_sat"),
        };
        Ok(Reply::Envelope(json!({
            "identifier": id,
            "name": "flightdeck",
            "validFrom": 0,
            "validTo": 0,
            "scheduledExpireTime": 0,
            "valid": true,
            "accountIdentifier": caller.account,
            "orgIdentifier": null,
            "projectIdentifier": null,
            "apiKeyIdentifier": key,
            "parentIdentifier": token.user,
            "apiKeyType": kind,
            "description": null,
            "tags": {},
            "email": creator.map(|u| u.email.clone()),
            "username": creator.map(|u| u.name.clone()),
            "encodedPassword": null,
        })))
    })();
    finish(&cid, outcome)
}
