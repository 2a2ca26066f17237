//! Cognito operations moto does not implement: `DeleteResourceServer` answers HTTP 500 there.
//! The proxy serves it with the real wire format and remembers the deletion, so a later
//! `DescribeResourceServer` says `ResourceNotFoundException` as the real service would.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use super::wire::{Protocol, Reply};

/// Resource servers deleted through the proxy, by (pool id, identifier).
#[derive(Debug, Default)]
pub struct CognitoExtras {
    deleted: Mutex<HashSet<(String, String)>>,
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
        match operation {
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
                }
                None
            }
            _ => None,
        }
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
