//! Gateway targets after their create, as the service treats them where moto does not:
//! - an updated target reports `UPDATING` for the update time, then `READY` (moto: `UPDATING`
//!   forever);
//! - `SynchronizeGatewayTargets` (`PUT /gateways/{id}/synchronizeTargets`, which moto lacks)
//!   answers 202 with the targets, which then report `SYNCHRONIZING` for the sync time, then
//!   `READY`, or `SYNCHRONIZE_UNSUCCESSFUL` with the service's reasons when the test said the
//!   target's spec cannot be read ([`Targets::fail_sync`]).
//!
//! The statuses are applied to `GetGatewayTarget` and to every item of `ListGatewayTargets`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;

use super::proxy::forward;
use super::wire::{Protocol, Reply};

type Resp = Response<Full<Bytes>>;

/// What happened to targets since their create, by target id.
#[derive(Debug, Default)]
pub struct Targets {
    sync_time: Mutex<Duration>,
    updates: Mutex<HashMap<String, Instant>>,
    syncs: Mutex<HashMap<String, Instant>>,
    /// Target names whose next synchronizations fail, with the reason.
    failing: Mutex<HashMap<String, String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Targets {
    /// How long a synchronization takes (default: none; READY at the next look).
    pub fn set_sync_time(&self, d: Duration) {
        *lock(&self.sync_time) = d;
    }

    /// Synchronizations of the target named `name` end `SYNCHRONIZE_UNSUCCESSFUL` with `reason`
    /// (`None` lets them succeed again).
    pub fn fail_sync(&self, name: &str, reason: Option<&str>) {
        let mut failing = lock(&self.failing);
        match reason {
            Some(reason) => failing.insert(name.to_string(), reason.to_string()),
            None => failing.remove(name),
        };
    }

    pub fn updated(&self, target_id: &str) {
        lock(&self.updates).insert(target_id.to_string(), Instant::now());
        lock(&self.syncs).remove(target_id);
    }

    /// The status the service would show for a target moto shows as `json`, given how long an
    /// update takes.
    pub fn apply(&self, json: &mut serde_json::Value, update_time: Duration) {
        let Some(id) = json["targetId"].as_str().map(str::to_string) else {
            return;
        };
        if json["status"] == "UPDATING"
            && lock(&self.updates)
                .get(&id)
                .is_none_or(|at| at.elapsed() >= update_time)
        {
            json["status"] = "READY".into();
        }
        let Some(at) = lock(&self.syncs).get(&id).copied() else {
            return;
        };
        if at.elapsed() < *lock(&self.sync_time) {
            json["status"] = "SYNCHRONIZING".into();
            return;
        }
        let name = json["name"].as_str().unwrap_or_default().to_string();
        if let Some(reason) = lock(&self.failing).get(&name) {
            json["status"] = "SYNCHRONIZE_UNSUCCESSFUL".into();
            json["statusReasons"] = serde_json::json!([reason]);
        }
    }

    /// Serves `SynchronizeGatewayTargets`: each listed target (read from moto) is synchronizing.
    pub async fn synchronize(
        &self,
        parts: &hyper::http::request::Parts,
        body: &Bytes,
        moto: SocketAddr,
    ) -> Resp {
        let json: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        let ids: Vec<String> = json["targetIdList"]
            .as_array()
            .map(|ids| {
                ids.iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if ids.is_empty() {
            return error(
                400,
                "ValidationException",
                "targetIdList must name at least one target",
            );
        }
        let base = parts
            .uri
            .path()
            .trim_end_matches('/')
            .trim_end_matches("/synchronizeTargets")
            .to_string();
        let mut targets = Vec::new();
        for id in &ids {
            let mut get = parts.clone();
            get.method = hyper::Method::GET;
            get.uri = match format!("{base}/targets/{id}").parse() {
                Ok(uri) => uri,
                Err(_) => return error(400, "ValidationException", "bad target id"),
            };
            get.headers.remove(hyper::header::CONTENT_LENGTH);
            let target = match forward(get, Bytes::new(), moto).await {
                Ok(answer) if answer.status().is_success() => super::service::body_json(answer).await,
                _ => None,
            };
            let Some(mut target) = target else {
                return error(
                    404,
                    "ResourceNotFoundException",
                    &format!("Target {id} not found"),
                );
            };
            lock(&self.syncs).insert(id.clone(), Instant::now());
            target["status"] = "SYNCHRONIZING".into();
            targets.push(target);
        }
        super::proxy::reply_to_response(Reply::json(202, &serde_json::json!({ "targets": targets })))
    }
}

fn error(status: u16, kind: &str, message: &str) -> Resp {
    super::proxy::reply_to_response(Reply::json_error(status, kind, message, Protocol::RestJson))
}
