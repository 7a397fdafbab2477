//! Who the NextGen key acts as (spec control-logs-identity.md §3.1), and each answer's
//! correlation id for the audit log.
//!
//! A personal access token (`pat.…`) is a USER: `GET /ng/api/user/currentUser` names them.
//! A service-account token (`sat.…`) gets a 400 there, so it goes to
//! `POST /ng/api/token/validate` (the raw token as a `text/plain` body, as Harness's own CLI
//! sends it), whose `parentIdentifier` is the service account. A key of neither shape tries
//! `currentUser` first and falls back to `token/validate` on its 400.

use reqwest::Method;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::HarnessBackend;
use crate::backend::Result;
use crate::backend::http;
use crate::backend::identity::{self, Identity};
use crate::domain::BackendError;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserInfo {
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenDto {
    #[serde(default)]
    parent_identifier: Option<String>,
    #[serde(default)]
    api_key_type: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    valid: Option<bool>,
}

/// `Name <email>`, or whichever of the two there is.
fn person(name: Option<&str>, email: Option<&str>) -> Option<String> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    let email = email.map(str::trim).filter(|e| !e.is_empty());
    match (name, email) {
        (Some(n), Some(e)) => Some(format!("{n} <{e}>")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

impl HarnessBackend {
    pub(super) async fn who_am_i(&self) -> Result<Identity> {
        let key = self.api_key.expose_secret();
        if !key.starts_with("sat.") {
            match self.current_user().await {
                Err(BackendError::BadRequest(_)) if !key.starts_with("pat.") => {}
                other => return other,
            }
        }
        self.validate_token().await
    }

    async fn current_user(&self) -> Result<Identity> {
        let mut url = self.url(&["ng", "api", "user", "currentUser"]);
        url.query_pairs_mut()
            .append_pair("accountIdentifier", &self.account);
        let user: UserInfo = self.legacy(&self.call(Method::GET, url)).await?;
        person(user.name.as_deref(), user.email.as_deref())
            .or(user.uuid)
            .map(|who| Identity::verified(who, "currentUser: personal access token"))
            .ok_or_else(|| BackendError::Decode("currentUser names nobody".to_owned()))
    }

    async fn validate_token(&self) -> Result<Identity> {
        let mut url = self.url(&["ng", "api", "token", "validate"]);
        url.query_pairs_mut()
            .append_pair("accountIdentifier", &self.account);
        let call = self
            .call(Method::POST, url)
            .body("text/plain", self.api_key.expose_secret().to_owned());
        let token: TokenDto = self.legacy(&call).await?;
        if token.valid == Some(false) {
            return Ok(Identity::unknown(
                "token/validate says the key is not valid",
            ));
        }
        let creator = person(token.username.as_deref(), token.email.as_deref());
        match token.api_key_type.as_deref() {
            Some("SERVICE_ACCOUNT") => {
                let account = token.parent_identifier.unwrap_or_default();
                let mut via = "token/validate: service account token".to_owned();
                if let Some(creator) = creator {
                    via.push_str(&format!(", created by {creator}"));
                }
                Ok(Identity::verified(
                    format!("service account {account}"),
                    via,
                ))
            }
            _ => creator
                .or(token.parent_identifier)
                .map(|who| Identity::verified(who, "token/validate: personal access token"))
                .ok_or_else(|| BackendError::Decode("token/validate names nobody".to_owned())),
        }
    }
}

/// Notes the answer's `correlationId` (every ResponseDTO, ErrorDTO and FailureDTO carries
/// one) while a write is captured.
pub(super) fn note_correlation(method: &Method, response: &http::Response) {
    if !identity::capturing() {
        return;
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Correlated {
        #[serde(default)]
        correlation_id: Option<String>,
    }
    if let Ok(Correlated {
        correlation_id: Some(id),
    }) = serde_json::from_slice(&response.body)
    {
        identity::note_request_id(method != Method::GET, &id);
    }
}

#[cfg(test)]
mod tests {
    use super::person;

    #[test]
    fn a_person_is_named_by_what_there_is() {
        assert_eq!(
            person(Some("Ada"), Some("ada@example.com")).as_deref(),
            Some("Ada <ada@example.com>")
        );
        assert_eq!(person(Some(" "), Some("a@b")).as_deref(), Some("a@b"));
        assert_eq!(person(None, None), None);
    }
}
