//! AgentCore Identity API-key credential providers, which moto 5.2.5 lacks, and the tags of their ARNs.
//!
//! Wire format (restJson1, all `POST` with a JSON body on the control-plane endpoint):
//! `/identities/{Create,Get,Update,Delete}ApiKeyCredentialProvider`, `/identities/ListApiKeyCredentialProviders`,
//! and `/tags/{url-encoded token-vault ARN}` (`POST` tag, `GET` list, `DELETE ?tagKeys=..` untag).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::wire::{Protocol, Reply, percent_decode};

/// The account every ARN uses (moto's default account too).
pub const ACCOUNT_ID: &str = "123456789012";

const MAX_RESULTS_LIMIT: usize = 100;
const DEFAULT_MAX_RESULTS: usize = 10;

/// One API-key credential provider the emulator holds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProvider {
    pub name: String,
    pub arn: String,
    pub api_key: String,
    pub tags: BTreeMap<String, String>,
    pub region: String,
    pub secret_arn: String,
    /// Epoch seconds.
    pub created_time: f64,
    /// Epoch seconds.
    pub last_updated_time: f64,
}

/// The identity store; cheap to clone (clones share it).
#[derive(Debug, Clone, Default)]
pub struct IdentityStore {
    /// Keyed by (region, name).
    inner: Arc<Mutex<BTreeMap<(String, String), StoredProvider>>>,
}

fn now() -> f64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    // Millisecond precision, like the service.
    #[allow(clippy::cast_precision_loss)]
    let millis = d.as_millis() as f64;
    millis / 1000.0
}

pub fn provider_arn(region: &str, name: &str) -> String {
    format!(
        "arn:aws:bedrock-agentcore:{region}:{ACCOUNT_ID}:token-vault/default/apikeycredentialprovider/{name}"
    )
}

fn secret_arn(region: &str, name: &str) -> String {
    format!(
        "arn:aws:secretsmanager:{region}:{ACCOUNT_ID}:secret:bedrock-agentcore-identity!default/apikey/{name}-a1b2c3"
    )
}

fn error(status: u16, error_type: &str, message: &str) -> Reply {
    Reply::json_error(status, error_type, message, Protocol::RestJson)
}

fn validation(message: &str) -> Reply {
    error(400, "ValidationException", message)
}

fn not_found(message: &str) -> Reply {
    error(404, "ResourceNotFoundException", message)
}

fn valid_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn tags_of(value: Option<&Value>) -> Result<BTreeMap<String, String>, Reply> {
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    let Some(map) = value.as_object() else {
        return Err(validation("tags must be a map of strings"));
    };
    map.iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|v| (k.clone(), v.to_string()))
                .ok_or_else(|| validation("tag values must be strings"))
        })
        .collect()
}

/// Is this a `/tags/{arn}` path for an ARN this store owns (a token-vault ARN)?
pub fn is_token_vault_tags_path(path: &str) -> bool {
    tags_arn(path).is_some_and(|arn| arn.contains(":token-vault/"))
}

fn tags_arn(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/tags/")?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    Some(percent_decode(rest))
}

/// Is this a request the identity store serves itself?
pub fn serves(method: &str, path: &str) -> bool {
    let op = path.trim_end_matches('/');
    (method == "POST"
        && matches!(
            op,
            "/identities/CreateApiKeyCredentialProvider"
                | "/identities/GetApiKeyCredentialProvider"
                | "/identities/UpdateApiKeyCredentialProvider"
                | "/identities/DeleteApiKeyCredentialProvider"
                | "/identities/ListApiKeyCredentialProviders"
        ))
        || (matches!(method, "POST" | "GET" | "DELETE") && is_token_vault_tags_path(path))
}

impl IdentityStore {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<(String, String), StoredProvider>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every provider, in (region, name) order.
    pub fn providers(&self) -> Vec<StoredProvider> {
        self.lock().values().cloned().collect()
    }

    /// Serves one request for which [`serves`] is true.
    pub fn handle(&self, method: &str, path: &str, query: Option<&str>, region: &str, body: &[u8]) -> Reply {
        if path.starts_with("/tags/") {
            return self.tags(method, path, query, body);
        }
        let input: Value = if body.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            match serde_json::from_slice(body) {
                Ok(v @ Value::Object(_)) => v,
                _ => {
                    return error(
                        400,
                        "SerializationException",
                        "the request body is not a JSON object",
                    );
                }
            }
        };
        match path.trim_end_matches('/').trim_start_matches("/identities/") {
            "CreateApiKeyCredentialProvider" => self.create(region, &input),
            "GetApiKeyCredentialProvider" => self.get(region, &input),
            "UpdateApiKeyCredentialProvider" => self.update(region, &input),
            "DeleteApiKeyCredentialProvider" => self.delete(region, &input),
            "ListApiKeyCredentialProviders" => self.list(region, &input),
            other => error(
                404,
                "UnknownOperationException",
                &format!("unknown operation {other}"),
            ),
        }
    }

    fn name_of(input: &Value) -> Result<String, Reply> {
        match input.get("name").and_then(Value::as_str) {
            Some(name) if valid_name(name) => Ok(name.to_string()),
            Some(name) => Err(validation(&format!(
                "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: [a-zA-Z0-9\\-_]+"
            ))),
            None => Err(validation(
                "1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null",
            )),
        }
    }

    fn full(p: &StoredProvider) -> Value {
        json!({
            "name": p.name,
            "credentialProviderArn": p.arn,
            "apiKeySecretArn": { "secretArn": p.secret_arn },
            "createdTime": p.created_time,
            "lastUpdatedTime": p.last_updated_time,
        })
    }

    fn create(&self, region: &str, input: &Value) -> Reply {
        let name = match Self::name_of(input) {
            Ok(name) => name,
            Err(reply) => return reply,
        };
        let Some(api_key) = input
            .get("apiKey")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
        else {
            return validation("apiKey is required");
        };
        let tags = match tags_of(input.get("tags")) {
            Ok(tags) => tags,
            Err(reply) => return reply,
        };
        let mut store = self.lock();
        let key = (region.to_string(), name.clone());
        if store.contains_key(&key) {
            return error(
                409,
                "ConflictException",
                &format!("Credential provider with name: {name} already exists"),
            );
        }
        let created = now();
        let provider = StoredProvider {
            arn: provider_arn(region, &name),
            secret_arn: secret_arn(region, &name),
            name,
            api_key: api_key.to_string(),
            tags,
            region: region.to_string(),
            created_time: created,
            last_updated_time: created,
        };
        let out = json!({
            "name": provider.name,
            "credentialProviderArn": provider.arn,
            "apiKeySecretArn": { "secretArn": provider.secret_arn },
        });
        store.insert(key, provider);
        Reply::json(201, &out)
    }

    fn get(&self, region: &str, input: &Value) -> Reply {
        let name = match Self::name_of(input) {
            Ok(name) => name,
            Err(reply) => return reply,
        };
        match self.lock().get(&(region.to_string(), name.clone())) {
            Some(p) => Reply::json(200, &Self::full(p)),
            None => not_found(&format!("Credential provider {name} not found")),
        }
    }

    fn update(&self, region: &str, input: &Value) -> Reply {
        let name = match Self::name_of(input) {
            Ok(name) => name,
            Err(reply) => return reply,
        };
        let Some(api_key) = input
            .get("apiKey")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
        else {
            return validation("apiKey is required");
        };
        match self.lock().get_mut(&(region.to_string(), name.clone())) {
            Some(p) => {
                p.api_key = api_key.to_string();
                p.last_updated_time = now();
                Reply::json(200, &Self::full(p))
            }
            None => not_found(&format!("Credential provider {name} not found")),
        }
    }

    fn delete(&self, region: &str, input: &Value) -> Reply {
        let name = match Self::name_of(input) {
            Ok(name) => name,
            Err(reply) => return reply,
        };
        match self.lock().remove(&(region.to_string(), name.clone())) {
            Some(_) => Reply::no_content(),
            None => not_found(&format!("Credential provider {name} not found")),
        }
    }

    fn list(&self, region: &str, input: &Value) -> Reply {
        let max = match input.get("maxResults") {
            None | Some(Value::Null) => DEFAULT_MAX_RESULTS,
            Some(v) => match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
                Some(n) if (1..=MAX_RESULTS_LIMIT).contains(&n) => n,
                _ => {
                    return validation(&format!(
                        "1 validation error detected: Value '{v}' at 'maxResults' failed to satisfy constraint: \
                         Member must have value between 1 and {MAX_RESULTS_LIMIT}"
                    ));
                }
            },
        };
        // The token is the hex-encoded name of the first provider of the next page.
        let start = match input.get("nextToken").and_then(Value::as_str) {
            None => None,
            Some(token) => match decode_token(token) {
                Some(name) => Some(name),
                None => return validation("Invalid nextToken"),
            },
        };
        let store = self.lock();
        let mut names = store
            .values()
            .filter(|p| p.region == region)
            .filter(|p| start.as_ref().is_none_or(|s| p.name.as_str() >= s.as_str()));
        let page: Vec<Value> = names
            .by_ref()
            .take(max)
            .map(|p| {
                json!({
                    "name": p.name,
                    "credentialProviderArn": p.arn,
                    "createdTime": p.created_time,
                    "lastUpdatedTime": p.last_updated_time,
                })
            })
            .collect();
        let mut out = json!({ "credentialProviders": page });
        if let Some(next) = names.next() {
            out["nextToken"] = Value::String(encode_token(&next.name));
        }
        Reply::json(200, &out)
    }

    fn tags(&self, method: &str, path: &str, query: Option<&str>, body: &[u8]) -> Reply {
        let Some(arn) = tags_arn(path) else {
            return validation("resourceArn is required");
        };
        let mut store = self.lock();
        let Some(provider) = store.values_mut().find(|p| p.arn == arn) else {
            return not_found(&format!("Resource {arn} not found"));
        };
        match method {
            "GET" => Reply::json(200, &json!({ "tags": provider.tags })),
            "POST" => {
                let input: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
                match tags_of(input.get("tags")) {
                    Ok(tags) if input.get("tags").is_some() => {
                        provider.tags.extend(tags);
                        Reply::no_content()
                    }
                    Ok(_) => validation("tags is required"),
                    Err(reply) => reply,
                }
            }
            _ => {
                let keys: Vec<String> = query
                    .map(|q| {
                        url::form_urlencoded::parse(q.as_bytes())
                            .filter(|(k, _)| k == "tagKeys")
                            .map(|(_, v)| v.into_owned())
                            .collect()
                    })
                    .unwrap_or_default();
                for key in keys {
                    provider.tags.remove(&key);
                }
                Reply::no_content()
            }
        }
    }
}

fn encode_token(name: &str) -> String {
    use std::fmt::Write as _;
    name.bytes().fold(String::from("v1."), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn decode_token(token: &str) -> Option<String> {
    let hex = token.strip_prefix("v1.")?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}
