//! The WeChat simulator: `open.weixin.qq.com/connect/*` and `api.weixin.qq.com/sns/*`.
//!
//! As documented at
//! <https://developers.weixin.qq.com/doc/oplatform/en/Website_App/WeChat_Login/Wechat_Login.html>:
//! the authorization page takes `appid` (not `client_id`), the token call is a GET with the
//! AppSecret in the query, and every error is HTTP 200 with `{"errcode", "errmsg"}`, sent as
//! `text/plain`. A user who refuses is sent back with the `state` and no `code`. The
//! `#wechat_redirect` fragment of the authorization URL never reaches the server (browsers keep
//! fragments to themselves), so there is nothing to check about it here.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;

use super::{consent_page, error_page, json_with_type, CodeRefusal, Pending, Store};

/// The website application's AppID.
pub const APP_ID: &str = "wx5im0a1b2c3d4e5f6";
/// The simulated user's nickname.
pub const USER_NICKNAME: &str = "Zhang Wei 张伟";
/// The simulated user's `openid` for this AppID.
pub const USER_OPENID: &str = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M";
/// The simulated user's `unionid` (the same across the developer account's apps).
pub const USER_UNIONID: &str = "oTGnpnJ0RbWq2pSB3yJz5L8mYc4E";

pub(crate) const ENDPOINTS: &[(&str, &str)] = &[
    ("GET", "/connect/qrconnect"),
    ("GET", "/connect/oauth2/authorize"),
    ("GET", "/sns/oauth2/access_token"),
    ("GET", "/sns/userinfo"),
];

pub(crate) fn router() -> Router<Arc<Store>> {
    Router::new()
        .route("/connect/qrconnect", get(qrconnect))
        .route("/connect/oauth2/authorize", get(oauth2_authorize))
        .route("/sns/oauth2/access_token", get(access_token))
        .route("/sns/userinfo", get(userinfo))
}

/// The website QR page: scope `snsapi_login`.
async fn qrconnect(
    State(store): State<Arc<Store>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    authorize(&store, &query, &["snsapi_login"])
}

/// The in-WeChat page of an Official Account: `snsapi_userinfo` or `snsapi_base`.
async fn oauth2_authorize(
    State(store): State<Arc<Store>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    authorize(&store, &query, &["snsapi_userinfo", "snsapi_base"])
}

fn authorize(store: &Store, query: &HashMap<String, String>, scopes: &[&str]) -> Response {
    let scope = query.get("scope").map(String::as_str).unwrap_or_default();
    if !scopes.contains(&scope) {
        // WeChat's own wording: "wrong scope parameter, or no permission for this scope".
        return error_page(
            store,
            "Scope 参数错误或没有 Scope 权限 (scope parameter wrong or not permitted)",
        );
    }
    if query.get("response_type").map(String::as_str) != Some("code") {
        return error_page(
            store,
            "response_type 参数错误 (response_type must be `code`)",
        );
    }
    let begun = store.begin(
        query.get("appid").map(String::as_str),
        query.get("redirect_uri").map(String::as_str),
        |redirect_uri| Pending {
            redirect_uri,
            state: query.get("state").cloned(),
            scope: scope.to_owned(),
            code_challenge: None,
        },
        None,
    );
    match begun {
        Ok((id, pending)) => consent_page(store, &id, &pending),
        Err(message) => error_page(store, &message),
    }
}

/// A WeChat error: HTTP 200, JSON body, `text/plain` content type.
fn errcode(code: i64, message: &str) -> Response {
    json_with_type(
        StatusCode::OK,
        "text/plain",
        &serde_json::json!({ "errcode": code, "errmsg": message }),
    )
}

/// `GET /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code`.
async fn access_token(
    State(store): State<Arc<Store>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or_default();
    if field("appid") != store.client_id {
        return errcode(40013, "invalid appid");
    }
    if !store.client_matches(field("appid"), field("secret")) {
        return errcode(40125, "invalid appsecret");
    }
    if field("grant_type") != "authorization_code" {
        return errcode(40002, "invalid grant_type");
    }
    match store.redeem(field("code"), None, None) {
        Ok(grant) => {
            let scope = grant.scope.clone();
            let access_token = store.issue_token("sim_wx_at_", grant);
            json_with_type(
                StatusCode::OK,
                "application/json; encoding=utf-8",
                &serde_json::json!({
                    "access_token": access_token,
                    "expires_in": 7200,
                    "refresh_token": format!("sim_wx_rt_{}", super::random_token(32)),
                    "openid": USER_OPENID,
                    "scope": scope,
                    "unionid": USER_UNIONID,
                }),
            )
        }
        Err(CodeRefusal::Used) => errcode(40163, "code been used"),
        Err(_) => errcode(40029, "invalid code"),
    }
}

/// `GET /sns/userinfo?access_token=&openid=`.
async fn userinfo(
    State(store): State<Arc<Store>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let token = query
        .get("access_token")
        .map(String::as_str)
        .unwrap_or_default();
    let Some(grant) = store.token(token) else {
        return errcode(
            40001,
            "invalid credential, access_token is invalid or not latest",
        );
    };
    if query.get("openid").map(String::as_str) != Some(USER_OPENID) {
        return errcode(40003, "invalid openid");
    }
    if grant.scope == "snsapi_base" {
        return errcode(48001, "api unauthorized");
    }
    json_with_type(
        StatusCode::OK,
        "application/json; encoding=utf-8",
        &serde_json::json!({
            "openid": USER_OPENID,
            "nickname": USER_NICKNAME,
            "sex": 1,
            "language": "zh_CN",
            "province": "Guangdong",
            "city": "Shenzhen",
            "country": "CN",
            "headimgurl": "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTLsimulatedavatar/132",
            "privilege": [],
            "unionid": USER_UNIONID,
        }),
    )
}
