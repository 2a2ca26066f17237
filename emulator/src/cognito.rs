//! Cognito operations moto does not implement (`DeleteResourceServer` and `UpdateResourceServer`
//! answer HTTP 500 there). The proxy serves them with the real wire format and remembers the
//! result, so a later `DescribeResourceServer` answers as the real service would.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use super::wire::{Protocol, Reply};

/// Resource servers deleted through the proxy, by (pool id, identifier).
#[derive(Debug, Default)]
pub struct CognitoExtras {
    deleted: Mutex<HashSet<(String, String)>>,
    /// Resource servers updated through the proxy: their current description.
    updated: Mutex<HashMap<(String, String), serde_json::Value>>,
}

impl CognitoExtras {
    /// The proxy's own answer for a Cognito call, or `None` to forward it to moto.
    pub fn handle(&self, operation: &str, body: &[u8]) -> Option<Reply> {
        let json: serde_json::Value = serde_json::from_slice(body).ok()?;
        let key = || {
            Some((
                json.get("UserPoolId")?.as_str()?.to_string(),
                json.get("Identifier")?.as_str()?.to_string(),
            ))
        };
        let mut deleted = self.deleted.lock().unwrap_or_else(PoisonError::into_inner);
        let mut updated = self.updated.lock().unwrap_or_else(PoisonError::into_inner);
        match operation {
            "UpdateResourceServer" => {
                let key = key()?;
                if deleted.contains(&key) {
                    return Some(not_found());
                }
                let server = serde_json::json!({
                    "UserPoolId": key.0,
                    "Identifier": key.1,
                    "Name": json.get("Name").cloned().unwrap_or_default(),
                    "Scopes": json.get("Scopes").cloned().unwrap_or_else(|| serde_json::json!([])),
                });
                updated.insert(key, server.clone());
                Some(json_reply(&serde_json::json!({ "ResourceServer": server })))
            }
            "DescribeResourceServer"
                if key().is_some_and(|k| updated.contains_key(&k) && !deleted.contains(&k)) =>
            {
                let server = key().and_then(|k| updated.get(&k).cloned())?;
                Some(json_reply(&serde_json::json!({ "ResourceServer": server })))
            }
            "DeleteResourceServer" => {
                let key = key()?;
                if !deleted.insert(key) {
                    return Some(not_found());
                }
                Some(Reply {
                    status: 200,
                    headers: vec![("content-type", "application/x-amz-json-1.1".into())],
                    body: b"{}".to_vec(),
                })
            }
            "DescribeResourceServer" if key().is_some_and(|k| deleted.contains(&k)) => Some(not_found()),
            "CreateResourceServer" => {
                if let Some(k) = key() {
                    deleted.remove(&k);
                    updated.remove(&k);
                }
                None
            }
            _ => None,
        }
    }
}

fn json_reply(body: &serde_json::Value) -> Reply {
    Reply {
        status: 200,
        headers: vec![("content-type", "application/x-amz-json-1.1".into())],
        body: body.to_string().into_bytes(),
    }
}

fn not_found() -> Reply {
    Reply::json_error(
        400,
        "ResourceNotFoundException",
        "Resource server not found.",
        Protocol::AwsJson,
    )
}
