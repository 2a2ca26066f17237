//! The real service's behaviour where moto is kinder:
//! - a new IAM role cannot be assumed at once: `CreateGateway` and `UpdateGateway` naming a role
//!   created less than [`Behaviour::set_role_propagation`] ago answer the service's validation
//!   error;
//! - an updated gateway reports `UPDATING` for [`Behaviour::set_update_time`], then `READY`
//!   (moto reports `UPDATING` forever);
//! - an update replaces the gateway's optional settings: one it leaves out (description,
//!   protocol configuration, KMS key, exception level) is gone afterwards (moto keeps the old
//!   value);
//! - a target listing shows what a `GetGatewayTarget` would (moto moves a target from CREATING to
//!   READY only on a Get, so a waiter that lists would wait forever);
//! - a Cognito domain prefix cannot be taken over (moto's `CreateUserPoolDomain` silently moves
//!   an existing prefix to the new pool; the service refuses).
//!
//! - a Route 53 change is `PENDING` until it reaches the name servers (see [`super::route53`]).
//!
//! READY after a delay is moto's own state manager (see `Emulator::set_ready_after`).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::Response;
use hyper::header::HeaderValue;

use super::proxy::forward;
use super::wire::{Protocol, Reply, RequestInfo};

type Resp = Response<Full<Bytes>>;

/// The settings and what the proxy has seen that they depend on.
#[derive(Debug, Default)]
pub struct Behaviour {
    role_propagation: Mutex<Duration>,
    update_time: Mutex<Duration>,
    /// When each role was created, by name.
    roles: Mutex<HashMap<String, Instant>>,
    /// When each gateway was last updated, by id.
    updates: Mutex<HashMap<String, Instant>>,
    /// The optional settings each gateway's last update left out, by id: the service turns them
    /// off (an update replaces the settings), where moto keeps the old values.
    cleared: Mutex<HashMap<String, Vec<&'static str>>>,
    /// Route 53 record changes and their propagation.
    pub route53: super::route53::Route53,
    /// Target updates and synchronizations.
    pub targets: super::targets::Targets,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Behaviour {
    /// How long a new role cannot be assumed by the gateway service (default: none).
    pub fn set_role_propagation(&self, d: Duration) {
        *lock(&self.role_propagation) = d;
    }

    /// How long an updated gateway reports UPDATING (default: none; READY at the next Get).
    pub fn set_update_time(&self, d: Duration) {
        *lock(&self.update_time) = d;
    }

    /// The service's own answer to a request, before moto sees it; `None` to forward it.
    pub async fn before(
        &self,
        info: &RequestInfo,
        parts: &hyper::http::request::Parts,
        body: &Bytes,
        moto: SocketAddr,
    ) -> Option<Resp> {
        match info.operation.as_str() {
            "CreateGateway" | "UpdateGateway" => self.role_not_assumable(body),
            "CreateUserPoolDomain" => domain_taken(parts, body, moto).await,
            "SynchronizeGatewayTargets" => Some(self.targets.synchronize(parts, body, moto).await),
            "ChangeResourceRecordSets" => self.route53.refuse_missing_delete(parts, body, moto).await,
            _ => None,
        }
    }

    fn role_not_assumable(&self, body: &Bytes) -> Option<Resp> {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let arn = json.get("roleArn")?.as_str()?;
        let name = arn.rsplit('/').next()?;
        let created = *lock(&self.roles).get(name)?;
        if created.elapsed() >= *lock(&self.role_propagation) {
            return None;
        }
        Some(to_response(Reply::json_error(
            400,
            "ValidationException",
            &format!(
                "The gateway role {arn} cannot be assumed by bedrock-agentcore.amazonaws.com. \
                 Check the role's trust policy, or retry once IAM has propagated it."
            ),
            Protocol::RestJson,
        )))
    }

    /// What the service would answer instead of moto's answer `response`.
    pub async fn after(
        &self,
        info: &RequestInfo,
        parts: &hyper::http::request::Parts,
        body: &Bytes,
        response: Resp,
        moto: SocketAddr,
    ) -> Resp {
        if !response.status().is_success() {
            return response;
        }
        let path = parts.uri.path();
        match info.operation.as_str() {
            "CreateRole" => {
                if let Some(name) = form_value(body, "RoleName") {
                    lock(&self.roles).insert(name, Instant::now());
                }
                response
            }
            "UpdateGateway" => {
                if let Some(id) = path.trim_matches('/').split('/').nth(1) {
                    lock(&self.updates).insert(id.to_string(), Instant::now());
                    let sent: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
                    let left_out = OPTIONAL_GATEWAY_SETTINGS
                        .iter()
                        .copied()
                        .filter(|key| sent.get(key).is_none())
                        .collect();
                    lock(&self.cleared).insert(id.to_string(), left_out);
                }
                response
            }
            "GetGateway" => {
                let id = path
                    .trim_matches('/')
                    .split('/')
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                let finished = lock(&self.updates)
                    .get(&id)
                    .is_none_or(|at| at.elapsed() >= *lock(&self.update_time));
                let cleared = lock(&self.cleared).get(&id).cloned().unwrap_or_default();
                rewrite(response, |json| {
                    if finished && json["status"] == "UPDATING" {
                        json["status"] = "READY".into();
                    }
                    if let Some(fields) = json.as_object_mut() {
                        for key in cleared {
                            fields.remove(key);
                        }
                    }
                })
                .await
            }
            "UpdateGatewayTarget" => {
                if let Some(id) = path.trim_matches('/').split('/').nth(3) {
                    self.targets.updated(id);
                }
                response
            }
            // moto 5.2.5 names the answer's root `GetBucketVersioningResponse`; S3's (and the
            // SDK's) is `VersioningConfiguration`.
            "GetBucketVersioning" => {
                let (mut head, body) = response.into_parts();
                let text = String::from_utf8_lossy(&collect(body).await)
                    .replace("GetBucketVersioningResponse", "VersioningConfiguration");
                head.headers.remove(hyper::header::CONTENT_LENGTH);
                Response::from_parts(head, Full::new(Bytes::from(text)))
            }
            "GetGatewayTarget" => {
                let update_time = *lock(&self.update_time);
                rewrite(response, |json| self.targets.apply(json, update_time)).await
            }
            "ListGatewayTargets" => {
                let listed = list_as_get(parts, response, moto).await;
                let update_time = *lock(&self.update_time);
                rewrite(listed, |json| {
                    if let Some(items) = json.get_mut("items").and_then(serde_json::Value::as_array_mut) {
                        for item in items.iter_mut() {
                            self.targets.apply(item, update_time);
                        }
                    }
                })
                .await
            }
            "ChangeResourceRecordSets" => self.route53.changed(body, response).await,
            "GetChange" => self.route53.get_change(path, response).await,
            _ => response,
        }
    }
}

/// The gateway settings an `UpdateGateway` turns off by leaving them out.
const OPTIONAL_GATEWAY_SETTINGS: [&str; 4] = [
    "description",
    "protocolConfiguration",
    "kmsKeyArn",
    "exceptionLevel",
];

/// A field of a form body (`Action=CreateRole&RoleName=...`).
fn form_value(body: &[u8], key: &str) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Answers `CreateUserPoolDomain` with the service's refusal when the prefix is taken.
async fn domain_taken(parts: &hyper::http::request::Parts, body: &Bytes, moto: SocketAddr) -> Option<Resp> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let domain = json.get("Domain")?.as_str()?;
    let mut probe = parts.clone();
    probe.headers.insert(
        "x-amz-target",
        HeaderValue::from_static("AWSCognitoIdentityProviderService.DescribeUserPoolDomain"),
    );
    let probe_body = Bytes::from(serde_json::json!({ "Domain": domain }).to_string());
    probe
        .headers
        .insert("content-length", HeaderValue::from(probe_body.len()));
    let answer = body_json(forward(probe, probe_body, moto).await.ok()?).await?;
    let owner = answer["DomainDescription"]["UserPoolId"]
        .as_str()
        .unwrap_or_default();
    (!owner.is_empty()).then(|| {
        to_response(Reply::json_error(
            400,
            "InvalidParameterException",
            "Domain already associated with another user pool.",
            Protocol::AwsJson,
        ))
    })
}

/// A target listing whose CREATING targets show the status a `GetGatewayTarget` gives them now.
async fn list_as_get(parts: &hyper::http::request::Parts, response: Resp, moto: SocketAddr) -> Resp {
    let (head, body) = response.into_parts();
    let bytes = collect(body).await;
    let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(head, Full::new(bytes));
    };
    let base = parts.uri.path().trim_end_matches('/').to_string();
    if let Some(items) = json.get_mut("items").and_then(serde_json::Value::as_array_mut) {
        for item in items.iter_mut().filter(|i| i["status"] == "CREATING") {
            let Some(id) = item["targetId"].as_str().map(str::to_string) else {
                continue;
            };
            let mut get = parts.clone();
            get.method = hyper::Method::GET;
            get.uri = match format!("{base}/{id}").parse() {
                Ok(uri) => uri,
                Err(_) => continue,
            };
            get.headers.remove("content-length");
            if let Ok(answer) = forward(get, Bytes::new(), moto).await
                && let Some(target) = body_json(answer).await
                && let Some(status) = target.get("status")
            {
                item["status"] = status.clone();
            }
        }
    }
    json_response(head, &json)
}

async fn collect(body: Full<Bytes>) -> Bytes {
    body.collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default()
}

pub(super) async fn body_json(response: Resp) -> Option<serde_json::Value> {
    serde_json::from_slice(&collect(response.into_body()).await).ok()
}

/// Rewrites a JSON answer's body.
async fn rewrite(response: Resp, change: impl FnOnce(&mut serde_json::Value)) -> Resp {
    let (head, body) = response.into_parts();
    let bytes = collect(body).await;
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut json) => {
            change(&mut json);
            json_response(head, &json)
        }
        Err(_) => Response::from_parts(head, Full::new(bytes)),
    }
}

fn json_response(mut head: hyper::http::response::Parts, json: &serde_json::Value) -> Resp {
    head.headers.remove(hyper::header::CONTENT_LENGTH);
    Response::from_parts(head, Full::new(Bytes::from(json.to_string())))
}

fn to_response(reply: Reply) -> Resp {
    super::proxy::reply_to_response(reply)
}
