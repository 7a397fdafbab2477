//! Who the Argo token acts as: `GET /api/v1/userinfo` (argo-api.md §3), read with its
//! caveats (control-logs-identity.md §3.3). In `client` auth mode argo-server decodes the
//! bearer JWT's claims without checking them (Kubernetes checks the token at the first real
//! call), so a token that is no JWT (a cloud provider's) gives `{}`, which names nobody. With
//! no token configured the server acts as itself (`server` mode): the service account it
//! names is argo-server's own, not a person's.

use serde::Deserialize;

use super::ArgoBackend;
use crate::backend::Result;
use crate::backend::identity::Identity;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserInfo {
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    service_account_name: Option<String>,
    #[serde(default)]
    service_account_namespace: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// What a userinfo answer says, for a request that carried a token (`with_token`) or not.
pub(super) fn identity_of(info: &UserInfo, with_token: bool) -> Identity {
    if let Some(email) = nonempty(&info.email) {
        let who = match nonempty(&info.name) {
            Some(name) => format!("{name} <{email}>"),
            None => email.to_owned(),
        };
        return Identity::verified(who, "userinfo: single sign-on");
    }
    let account = match (
        nonempty(&info.service_account_namespace),
        nonempty(&info.service_account_name),
    ) {
        (Some(ns), Some(name)) => Some(format!("service account {ns}/{name}")),
        (None, Some(name)) => Some(format!("service account {name}")),
        _ => None,
    };
    match (
        account.or_else(|| nonempty(&info.subject).map(str::to_owned)),
        with_token,
    ) {
        (Some(who), true) => Identity::verified(who, "userinfo: the token's claims"),
        (Some(who), false) => Identity::unknown(format!(
            "no token: argo-server acts as its own {who}, not as a person"
        )),
        (None, true) => Identity::unknown(
            "userinfo names nobody: the token is not a JWT argo-server can read claims from",
        ),
        (None, false) => Identity::unknown("no token, and userinfo names nobody"),
    }
}

impl ArgoBackend {
    pub(super) async fn who_am_i(&self) -> Result<Identity> {
        let info: UserInfo = self.get(self.url(&["userinfo"])).await?;
        Ok(identity_of(&info, self.token.is_some()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(json: &str) -> UserInfo {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn each_token_kind_says_what_it_can() {
        let sa = info(
            r#"{"issuer":"kubernetes/serviceaccount","subject":"system:serviceaccount:argo:jenkins","serviceAccountName":"jenkins","serviceAccountNamespace":"argo"}"#,
        );
        assert_eq!(
            identity_of(&sa, true).who.as_deref(),
            Some("service account argo/jenkins")
        );
        assert!(identity_of(&sa, false).who.is_none(), "server mode");
        let sso = info(r#"{"email":"ada@example.com","name":"Ada","groups":["ops"]}"#);
        assert_eq!(
            identity_of(&sso, true).who.as_deref(),
            Some("Ada <ada@example.com>")
        );
        let empty = identity_of(&info("{}"), true);
        assert_eq!(empty.source, crate::backend::IdentitySource::Unknown);
    }
}
