//! "Who am I" on every face that has one (control-logs-identity.md §3): NextGen's
//! `currentUser` (personal tokens only) and `token/validate` (any token), Argo's `userinfo`
//! as argo-server answers it in client mode, and the correlation ids NextGen answers carry.

use flightdeck_sim::{ClockMode, SimHandle, SimOptions};
use reqwest::{Client, StatusCode};
use serde_json::Value;

async fn sim(token: Option<&str>) -> SimHandle {
    SimHandle::start(SimOptions {
        clock: ClockMode::Manual,
        token: token.map(str::to_owned),
        ..SimOptions::default()
    })
    .await
    .expect("simulator starts")
}

async fn get(url: String, header: (&str, String)) -> (StatusCode, Value) {
    let res = Client::new()
        .get(url)
        .header(header.0, header.1)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

async fn validate(sim: &SimHandle, key: &str, body: &str) -> (StatusCode, Value) {
    let res = Client::new()
        .post(format!(
            "{}/gateway/ng/api/token/validate?accountIdentifier={}",
            sim.harness_url(),
            sim.account()
        ))
        .header("x-api-key", key)
        .header("content-type", "text/plain")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap())
}

#[tokio::test]
async fn current_user_names_a_personal_token_s_user_and_refuses_a_service_account() {
    let sim = sim(None).await;
    let url = |prefix: &str| {
        format!(
            "{}{prefix}/ng/api/user/currentUser?accountIdentifier={}",
            sim.harness_url(),
            sim.account()
        )
    };
    for prefix in ["", "/gateway"] {
        let (status, body) = get(url(prefix), ("x-api-key", sim.harness_token())).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["status"], "SUCCESS");
        assert_eq!(body["data"]["name"], "Demo Admin");
        assert_eq!(body["data"]["email"], "demo.admin@example.com");
        assert!(body["data"]["uuid"].is_string());
        assert!(
            body["correlationId"]
                .as_str()
                .is_some_and(|c| c.len() == 36)
        );
    }
    let (status, body) = get(url(""), ("x-api-key", sim.harness_sat_token())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "INVALID_REQUEST");
    assert_eq!(
        body["message"],
        "Invalid request: Current user can be accessed only by 'USER' principal type"
    );
    assert!(body["correlationId"].is_string());
    let (status, body) = get(url(""), ("x-api-key", "pat.nope.x.y".into())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn token_validate_answers_any_token_with_its_kind_and_parent() {
    let sim = sim(None).await;
    let pat = sim.harness_token();
    let (status, body) = validate(&sim, &pat, &pat).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = &body["data"];
    assert_eq!(data["apiKeyType"], "USER");
    assert_eq!(data["valid"], true);
    assert_eq!(data["username"], "Demo Admin");
    assert_eq!(data["accountIdentifier"], sim.account().as_str());
    assert!(data["encodedPassword"].is_null());
    let sat = sim.harness_sat_token();
    let (status, body) = validate(&sim, &sat, &sat).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["apiKeyType"], "SERVICE_ACCOUNT");
    assert!(body["data"]["parentIdentifier"].is_string());
    // The creator of a service account's token is a person, not the account.
    assert_eq!(body["data"]["username"], "Demo Admin");
    let (status, body) = validate(&sim, &pat, "sat.not.a.token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "INVALID_TOKEN");
}

#[tokio::test]
async fn argo_userinfo_reads_the_jwt_claims_and_nothing_else() {
    let sim = sim(None).await;
    let url = format!("{}/api/v1/userinfo", sim.argo_url());
    let (status, body) = get(
        url.clone(),
        ("authorization", format!("Bearer {}", sim.argo_token())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["issuer"], "kubernetes/serviceaccount");
    assert_eq!(body["subject"], "system:serviceaccount:argo:flightdeck");
    assert_eq!(body["serviceAccountName"], "flightdeck");
    assert_eq!(body["serviceAccountNamespace"], "argo");
    assert!(body.get("email").is_none(), "omitempty: {body}");
    let (_, viewer) = get(
        url,
        (
            "authorization",
            format!("Bearer {}", sim.argo_viewer_token()),
        ),
    )
    .await;
    assert_eq!(viewer["serviceAccountName"], "flightdeck-viewer");

    // A token that is no JWT (here the one given to the simulator for every face) has no
    // claims: `{}`, though the server accepts it.
    let opaque = sim_with_opaque_token().await;
    let (status, body) = get(
        format!("{}/api/v1/userinfo", opaque.argo_url()),
        ("authorization", format!("Bearer {}", opaque.argo_token())),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({}));
}

async fn sim_with_opaque_token() -> SimHandle {
    // The shared token is a NextGen PAT's shape: four dot-separated parts, no JWT.
    sim(Some(&flightdeck_sim::new_token(7))).await
}
