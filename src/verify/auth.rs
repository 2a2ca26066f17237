//! The Cognito check: a `client_credentials` token from the token endpoint (form body with the
//! client id and secret), then its claims: client id, scopes and expiry. The token itself is held
//! in a `SecretString` and never printed; only its claims reach the report.

use std::time::Instant;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;

use super::certinfo::utc;
use super::check::{Check, Component, Status};
use super::jwt;

/// What the token request needs. `Debug` shows the secret as `[REDACTED]`.
#[derive(Debug)]
pub struct TokenRequest<'a> {
    pub url: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a SecretString,
    /// The scopes to ask for and expect in the token.
    pub scopes: &'a [String],
}

/// A token that passed the request; its claims may still have failed a check. `Debug` shows the
/// token as `[REDACTED]`.
#[derive(Debug)]
pub struct Token {
    pub access_token: SecretString,
    pub expires_at: Option<OffsetDateTime>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: SecretString,
    #[serde(default)]
    expires_in: Option<i64>,
}

#[derive(Deserialize, Default)]
struct OAuthError {
    #[serde(default)]
    error: String,
}

/// The token request's form body (the secret goes only into the request).
fn form(req: &TokenRequest<'_>) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", req.client_id.to_string()),
        ("client_secret", req.client_secret.expose_secret().to_string()),
    ];
    if !req.scopes.is_empty() {
        form.push(("scope", req.scopes.join(" ")));
    }
    form
}

/// Just a token for `req.scopes`, with no checks (for the negative checks); `Err` says why not.
pub async fn plain_token(http: &reqwest::Client, req: &TokenRequest<'_>) -> Result<SecretString, String> {
    let response = http
        .post(req.url)
        .form(&form(req))
        .send()
        .await
        .map_err(|e| super::http_error(&e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("the token endpoint answered HTTP {}", status.as_u16()));
    }
    let body = response.bytes().await.map_err(|e| super::http_error(&e))?;
    serde_json::from_slice::<TokenResponse>(&body)
        .map(|t| t.access_token)
        .map_err(|_| "the token endpoint's answer is not a token".to_string())
}

/// Gets a token and checks its claims. Returns the checks and the token, when one was issued.
pub async fn check(
    http: &reqwest::Client,
    req: &TokenRequest<'_>,
    now: OffsetDateTime,
) -> (Vec<Check>, Option<Token>) {
    let started = Instant::now();
    let form = form(req);
    let fail = |message: String, suggestion: &str| {
        Check::new(Component::Auth, "token", req.url, Status::Fail, message)
            .suggest(suggestion)
            .timed(started.elapsed())
    };
    let response = match http.post(req.url).form(&form).send().await {
        Ok(r) => r,
        Err(e) => {
            return (
                vec![fail(
                    format!("cannot reach the token endpoint: {}", super::http_error(&e)),
                    "check cognito.cognito_domain (or verify.token_url) and this machine's network",
                )],
                None,
            );
        }
    };
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    if !status.is_success() {
        let error = serde_json::from_slice::<OAuthError>(&body)
            .unwrap_or_default()
            .error;
        let (why, fix) = match error.as_str() {
            "invalid_client" => (
                "the client id or secret was refused",
                "check cognito.client_id and cognito.client_secret (the secret is in the Cognito console, app client)",
            ),
            "invalid_scope" => (
                "a requested scope is not allowed for this app client",
                "add the scopes in cognito.scopes to the app client, or re-run the deploy to update it",
            ),
            "unauthorized_client" => (
                "the app client may not use the client_credentials flow",
                "enable the client_credentials OAuth flow on the app client",
            ),
            _ => (
                "the token request was refused",
                "check the app client's settings and the token endpoint URL",
            ),
        };
        let shown = if error.is_empty() {
            String::new()
        } else {
            format!(", {error}")
        };
        return (
            vec![fail(format!("HTTP {}{shown}: {why}", status.as_u16()), fix)],
            None,
        );
    }
    let Ok(parsed) = serde_json::from_slice::<TokenResponse>(&body) else {
        return (
            vec![fail(
                "the token endpoint's answer has no access_token".into(),
                "check that the URL is a Cognito /oauth2/token endpoint",
            )],
            None,
        );
    };
    let elapsed = started.elapsed();
    let token_expiry = parsed.expires_in.map(|s| now + time::Duration::seconds(s));
    let mut checks = vec![
        Check::new(
            Component::Auth,
            "token",
            req.url,
            Status::Pass,
            "client_credentials token issued",
        )
        .timed(elapsed),
    ];
    let (claim_checks, expires_at) =
        check_claims(parsed.access_token.expose_secret(), req, now, token_expiry);
    checks.extend(claim_checks);
    (
        checks,
        Some(Token {
            access_token: parsed.access_token,
            expires_at,
        }),
    )
}

/// The claims checks: client id, scopes, expiry (the report states when the token expires).
fn check_claims(
    token: &str,
    req: &TokenRequest<'_>,
    now: OffsetDateTime,
    fallback_expiry: Option<OffsetDateTime>,
) -> (Vec<Check>, Option<OffsetDateTime>) {
    let subject = "access token";
    let claims = match jwt::claims(token) {
        Ok(c) => c,
        Err(e) => {
            return (
                vec![
                    Check::new(Component::Auth, "claims", subject, Status::Fail, e.to_string())
                        .suggest("the token endpoint must issue Cognito JWT access tokens"),
                ],
                fallback_expiry,
            );
        }
    };
    let mut checks = Vec::new();
    checks.push(match claims.client_id.as_deref() {
        Some(id) if id == req.client_id => Check::new(
            Component::Auth,
            "client_id",
            subject,
            Status::Pass,
            format!("issued to client {id}"),
        ),
        other => Check::new(
            Component::Auth,
            "client_id",
            subject,
            Status::Fail,
            format!(
                "issued to client {}, not {}",
                other.unwrap_or("(none)"),
                req.client_id
            ),
        )
        .field("cognito.client_id")
        .suggest("the token must come from the app client the gateway allows"),
    });
    let granted = claims.scopes();
    let missing: Vec<&str> = req
        .scopes
        .iter()
        .map(String::as_str)
        .filter(|s| !granted.contains(s))
        .collect();
    checks.push(if missing.is_empty() {
        Check::new(
            Component::Auth,
            "scopes",
            subject,
            Status::Pass,
            format!("scopes: {}", granted.join(" ")),
        )
        .detail("scopes", granted.join(" "))
    } else {
        Check::new(
            Component::Auth,
            "scopes",
            subject,
            Status::Fail,
            format!("missing scopes: {}", missing.join(" ")),
        )
        .field("cognito.scopes")
        .suggest("allow these scopes on the app client and the resource server (re-run the deploy)")
    });
    let expires_at = claims
        .exp
        .and_then(|e| OffsetDateTime::from_unix_timestamp(e).ok())
        .or(fallback_expiry);
    checks.push(match expires_at {
        Some(at) if at > now => Check::new(
            Component::Auth,
            "expiry",
            subject,
            Status::Pass,
            format!(
                "expires at {} (in {} minutes)",
                utc(at),
                (at - now).whole_minutes()
            ),
        )
        .detail("expires_at", utc(at)),
        Some(at) => Check::new(
            Component::Auth,
            "expiry",
            subject,
            Status::Fail,
            format!("already expired at {}", utc(at)),
        )
        .suggest("check this machine's clock"),
        None => Check::new(
            Component::Auth,
            "expiry",
            subject,
            Status::Warn,
            "the token states no expiry",
        ),
    });
    (checks, expires_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn token(claims: &serde_json::Value) -> String {
        format!(
            "e30.{}.c2ln",
            URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
        )
    }

    fn statuses(checks: &[Check]) -> Vec<(String, Status)> {
        checks.iter().map(|c| (c.name.clone(), c.status)).collect()
    }

    #[test]
    fn debug_formatting_redacts_the_secret_and_the_token() {
        let secret = SecretString::from("client-secret-value-1");
        let request = TokenRequest {
            url: "http://127.0.0.1:9/oauth2/token",
            client_id: "abc",
            client_secret: &secret,
            scopes: &[],
        };
        let token = Token {
            access_token: SecretString::from("eyJ.token-value-2.sig"),
            expires_at: None,
        };
        let shown = format!("{request:?} {token:?} {secret:?}");
        assert!(!shown.contains("client-secret-value-1"), "{shown}");
        assert!(!shown.contains("token-value-2"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
    }

    #[test]
    fn claims_are_checked_against_the_request() {
        let secret = SecretString::from("s");
        let scopes = vec!["sre-agent/invoke".to_string()];
        let req = TokenRequest {
            url: "http://127.0.0.1:9/oauth2/token",
            client_id: "abc",
            client_secret: &secret,
            scopes: &scopes,
        };
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let good = token(
            &serde_json::json!({"client_id": "abc", "scope": "sre-agent/invoke", "exp": 1_800_003_600}),
        );
        let (checks, at) = check_claims(&good, &req, now, None);
        assert!(checks.iter().all(|c| c.status == Status::Pass), "{checks:?}");
        assert_eq!(at.map(OffsetDateTime::unix_timestamp), Some(1_800_003_600));
        assert!(checks[2].message.contains("in 60 minutes"));

        let bad = token(&serde_json::json!({"client_id": "other", "scope": "x/y", "exp": 1_700_000_000}));
        let (checks, _) = check_claims(&bad, &req, now, None);
        assert_eq!(
            statuses(&checks),
            [
                ("client_id".into(), Status::Fail),
                ("scopes".into(), Status::Fail),
                ("expiry".into(), Status::Fail)
            ]
        );
    }
}
