//! Reading a JWT's claims without checking its signature (the gateway checks that), and making a
//! tampered copy for the negative security check. Token bytes never reach an error or a log.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;

/// The claims of a Cognito access token that verification looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Claims {
    #[serde(default)]
    pub client_id: Option<String>,
    /// Space-separated scopes.
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub exp: Option<i64>,
    #[serde(default)]
    pub iss: Option<String>,
    #[serde(default)]
    pub token_use: Option<String>,
}

impl Claims {
    pub fn scopes(&self) -> Vec<&str> {
        self.scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .collect()
    }
}

/// Why a token could not be read. Never carries token text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a JWT (expected three dot-separated parts, found {0})")]
    Shape(usize),
    #[error("the token's payload is not base64url")]
    Base64,
    #[error("the token's payload is not a JSON object of claims")]
    Json,
}

/// The payload's claims.
pub fn claims(token: &str) -> Result<Claims, JwtError> {
    let payload = payload(token)?;
    serde_json::from_slice(&payload).map_err(|_| JwtError::Json)
}

/// The token with a changed payload and the original signature: any verifier must reject it.
pub fn tampered(token: &str) -> Result<String, JwtError> {
    let payload = payload(token)?;
    let mut claims: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&payload).map_err(|_| JwtError::Json)?;
    claims.insert("scope".into(), "admin tampered-by-sre-agent-deploy".into());
    let body = serde_json::to_vec(&claims).map_err(|_| JwtError::Json)?;
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(signature)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Shape(token.split('.').count()));
    };
    Ok(format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(body)))
}

fn payload(token: &str) -> Result<Vec<u8>, JwtError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(JwtError::Shape(parts.len()));
    }
    URL_SAFE_NO_PAD
        .decode(parts[1].trim_end_matches('='))
        .map_err(|_| JwtError::Base64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &serde_json::Value) -> String {
        let enc = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
        format!(
            "{}.{}.{}",
            enc(br#"{"alg":"ES256"}"#),
            enc(claims.to_string().as_bytes()),
            enc(b"sig")
        )
    }

    #[test]
    fn reads_cognito_access_token_claims() {
        let t = token(&serde_json::json!({
            "client_id": "abc", "scope": "sre-agent/invoke sre-agent/read", "exp": 1_900_000_000,
            "token_use": "access", "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_X"
        }));
        let c = claims(&t).expect("claims");
        assert_eq!(c.client_id.as_deref(), Some("abc"));
        assert_eq!(c.scopes(), ["sre-agent/invoke", "sre-agent/read"]);
        assert_eq!(c.exp, Some(1_900_000_000));
    }

    #[test]
    fn tampering_changes_the_payload_and_keeps_the_signature() {
        let t = token(&serde_json::json!({"client_id": "abc", "scope": "a/b"}));
        let bad = tampered(&t).expect("tampered");
        assert_ne!(bad, t);
        assert_eq!(bad.rsplit('.').next(), t.rsplit('.').next());
        assert_eq!(claims(&bad).expect("claims").client_id.as_deref(), Some("abc"));
    }

    #[test]
    fn malformed_tokens_are_errors_without_their_text() {
        assert_eq!(claims("secret-value"), Err(JwtError::Shape(1)));
        assert_eq!(claims("a.!!!.c"), Err(JwtError::Base64));
        let e = claims("a.bm90anNvbg.c").expect_err("not json");
        assert!(!e.to_string().contains("bm90"));
    }
}
