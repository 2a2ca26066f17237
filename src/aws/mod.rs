//! Thin adapters over the AWS SDK for Rust: one shared `SdkConfig` (region, profile, endpoint
//! overrides, retries) and one file per service. Adapters translate between our values and SDK
//! calls, and SDK errors into [`AwsError`]; they hold no deployment policy.

pub mod agentcore;
pub mod calls;
pub mod cognito;
pub mod gateways;
pub mod iam;
pub mod resend;
pub mod route53;
pub mod s3;
pub mod s3_conditional;
pub mod targets;
pub mod trace;

use std::fmt;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::region::Region;

use crate::config::AwsConfig;
use calls::CallCounter;
use resend::NoBlindResend;
use trace::CallTrace;

/// The SDK clients of one deployment, all in the deployment's region.
#[derive(Debug, Clone)]
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub cognito: aws_sdk_cognitoidentityprovider::Client,
    pub s3: aws_sdk_s3::Client,
    pub agentcore: aws_sdk_bedrockagentcorecontrol::Client,
    pub sts: aws_sdk_sts::Client,
    /// For the ACME DNS-01 challenge only (a global service: its endpoint ignores the region).
    pub route53: aws_sdk_route53::Client,
}

impl Clients {
    /// Builds the clients from the standard credential chain, the config's region and profile,
    /// the standard endpoint override (`AWS_ENDPOINT_URL`) and `aws.endpoint_url` for AgentCore.
    pub async fn connect(aws: &AwsConfig) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(aws.region.clone()))
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(6)
                    .with_initial_backoff(Duration::from_millis(200))
                    .with_max_backoff(Duration::from_secs(10)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_mins(1))
                    .build(),
            );
        if let Some(profile) = &aws.profile {
            loader = loader.profile_name(profile);
        }
        let shared = loader.load().await;
        let path_style = shared.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let s3 = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(path_style)
            .interceptor(CallCounter)
            .interceptor(NoBlindResend)
            .interceptor(CallTrace)
            .build();
        let mut agentcore = aws_sdk_bedrockagentcorecontrol::config::Builder::from(&shared)
            .interceptor(CallCounter)
            .interceptor(NoBlindResend)
            .interceptor(CallTrace);
        if let Some(endpoint) = &aws.endpoint_url {
            agentcore = agentcore.endpoint_url(endpoint);
        }
        Self {
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(&shared)
                    .interceptor(CallCounter)
                    .interceptor(NoBlindResend)
                    .interceptor(CallTrace)
                    .build(),
            ),
            cognito: aws_sdk_cognitoidentityprovider::Client::from_conf(
                aws_sdk_cognitoidentityprovider::config::Builder::from(&shared)
                    .interceptor(CallCounter)
                    .interceptor(NoBlindResend)
                    .interceptor(CallTrace)
                    .build(),
            ),
            s3: aws_sdk_s3::Client::from_conf(s3),
            agentcore: aws_sdk_bedrockagentcorecontrol::Client::from_conf(agentcore.build()),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(&shared)
                    .interceptor(CallCounter)
                    .interceptor(NoBlindResend)
                    .interceptor(CallTrace)
                    .build(),
            ),
            route53: aws_sdk_route53::Client::from_conf(
                aws_sdk_route53::config::Builder::from(&shared)
                    .interceptor(CallCounter)
                    .interceptor(NoBlindResend)
                    .interceptor(CallTrace)
                    .build(),
            ),
        }
    }
}

/// What kind of failure an AWS call had, as far as the deployment's policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The name is taken: adopt it if it is ours, else pick another or stop.
    AlreadyExists,
    /// The resource does not exist.
    NotFound,
    AccessDenied,
    /// Throttling, 5xx, timeouts, dropped connections: the SDK already retried.
    Transient,
    /// The request was rejected as invalid.
    Invalid,
    Other,
}

/// A failed AWS call, with the operation, the service's error code and a next step.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub operation: &'static str,
    pub kind: ErrorKind,
    pub code: Option<Box<str>>,
    pub message: String,
    /// The service's request id (`x-amzn-RequestId`), which AWS support asks for first.
    pub request_id: Option<Box<str>>,
}

impl AwsError {
    pub fn from_sdk<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let code: Option<Box<str>> = err.code().map(Into::into);
        let message = match (err, err.message()) {
            (SdkError::ServiceError(_), Some(message)) => message.to_string(),
            (SdkError::ServiceError(service), None) => format!(
                "the service answered HTTP {} without a message",
                service.raw().status().as_u16()
            ),
            (SdkError::ResponseError(_), _) => format!(
                "the service's answer could not be read (HTTP {})",
                err.raw_response().map_or(0, |r| r.status().as_u16())
            ),
            (SdkError::TimeoutError(_), _) => "the call timed out".to_string(),
            (SdkError::DispatchFailure(failure), _) => format!(
                "could not reach the endpoint ({})",
                failure
                    .as_connector_error()
                    .map_or_else(|| "connection failed".to_string(), ToString::to_string)
            ),
            (other, _) => aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
        };
        let kind = match err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
                ErrorKind::Transient
            }
            _ => classify(code.as_deref(), &message),
        };
        let request_id = err
            .raw_response()
            .and_then(|r| trace::request_id(r.headers()))
            .map(String::into_boxed_str);
        Self {
            operation,
            kind,
            code,
            message,
            request_id,
        }
    }

    /// A failure that is not an SDK error (a missing field in a response, say).
    pub fn other(operation: &'static str, message: impl Into<String>) -> Self {
        Self {
            operation,
            kind: ErrorKind::Other,
            code: None,
            message: message.into(),
            request_id: None,
        }
    }

    pub fn is(&self, kind: ErrorKind) -> bool {
        self.kind == kind
    }

    /// A throttling answer: the service refused the request without running it, so it may be
    /// sent again as it is.
    pub fn throttled(&self) -> bool {
        self.kind == ErrorKind::Transient && self.code.as_deref().is_some_and(|c| THROTTLING.contains(&c))
    }

    /// The IAM action that allows the operation (`s3:HeadBucket` is allowed by `s3:ListBucket`).
    pub fn iam_action(&self) -> String {
        let action = match self.operation {
            "s3:HeadBucket" | "s3:ListObjectsV2" => "s3:ListBucket",
            "s3:HeadObject" => "s3:GetObject",
            "s3:PutPublicAccessBlock" => "s3:PutBucketPublicAccessBlock",
            "s3:ListBuckets" => "s3:ListAllMyBuckets",
            other => other,
        };
        action.to_string()
    }

    /// What to do about it.
    pub fn suggestion(&self) -> String {
        match self.kind {
            ErrorKind::AccessDenied => format!(
                "the credentials in use are not allowed {}: grant it to them (or use a role that has it), then resume",
                self.iam_action()
            ),
            ErrorKind::Transient => {
                "the service stayed unavailable or throttled after retries: wait a moment, then resume".into()
            }
            ErrorKind::AlreadyExists => {
                "the name is taken by a resource this deployment did not create: choose another name in the config"
                    .into()
            }
            ErrorKind::NotFound => "the resource is gone; resume to re-create it".into(),
            ErrorKind::Invalid | ErrorKind::Other => {
                if self.message.to_ascii_lowercase().contains("region") || self.message.contains("endpoint") {
                    "check aws.region, aws.endpoint_url and AWS_ENDPOINT_URL: they must name the same region".into()
                } else {
                    "fix the cause named in the message, then resume".into()
                }
            }
        }
    }
}

/// Error codes that mean "slow down": the request was refused before it ran.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "SlowDown",
    "RequestLimitExceeded",
];

/// Maps a service error code to what the deployment does about it.
fn classify(code: Option<&str>, message: &str) -> ErrorKind {
    let Some(code) = code else { return ErrorKind::Other };
    match code {
        "EntityAlreadyExists"
        | "ConflictException"
        | "BucketAlreadyOwnedByYou"
        | "BucketAlreadyExists"
        | "ResourceInUseException" => ErrorKind::AlreadyExists,
        "NoSuchEntity" | "ResourceNotFoundException" | "NoSuchBucket" | "NotFound" | "NoSuchKey" => {
            ErrorKind::NotFound
        }
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "NotAuthorizedException" => {
            ErrorKind::AccessDenied
        }
        "Throttling"
        | "ThrottlingException"
        | "TooManyRequestsException"
        | "SlowDown"
        | "RequestLimitExceeded"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "InternalServerException"
        | "InternalFailure"
        | "InternalError"
        | "InternalErrorException" => ErrorKind::Transient,
        "InvalidParameterException"
            if message.contains("already exists") || message.contains("Domain already") =>
        {
            ErrorKind::AlreadyExists
        }
        "ValidationException"
        | "InvalidParameterException"
        | "MalformedPolicyDocument"
        | "InvalidInput"
        | "ValidationError" => ErrorKind::Invalid,
        _ => ErrorKind::Other,
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{} failed: {code}: {}", self.operation, self.message)?,
            None => write!(f, "{} failed: {}", self.operation, self.message)?,
        }
        match &self.request_id {
            Some(id) => write!(f, " (request id {id})"),
            None => Ok(()),
        }
    }
}

impl std::error::Error for AwsError {}

/// Runs one SDK call, turning its error into an [`AwsError`] named after the operation.
pub async fn call<T, E>(
    operation: &'static str,
    future: impl Future<Output = Result<T, SdkError<E, HttpResponse>>>,
) -> Result<T, AwsError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    future.await.map_err(|e| AwsError::from_sdk(operation, &e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        assert_eq!(
            classify(Some("EntityAlreadyExists"), ""),
            ErrorKind::AlreadyExists
        );
        assert_eq!(classify(Some("ConflictException"), ""), ErrorKind::AlreadyExists);
        assert_eq!(classify(Some("NoSuchEntity"), ""), ErrorKind::NotFound);
        assert_eq!(
            classify(Some("AccessDeniedException"), ""),
            ErrorKind::AccessDenied
        );
        assert_eq!(classify(Some("ThrottlingException"), ""), ErrorKind::Transient);
        assert_eq!(
            classify(
                Some("InvalidParameterException"),
                "Domain already associated with another user pool."
            ),
            ErrorKind::AlreadyExists
        );
        assert_eq!(classify(Some("ValidationException"), "bad"), ErrorKind::Invalid);
        assert_eq!(classify(None, ""), ErrorKind::Other);
    }

    #[test]
    fn suggestions_name_the_operation_for_access_denied() {
        let e = AwsError {
            operation: "CreateRole",
            kind: ErrorKind::AccessDenied,
            code: Some("AccessDenied".into()),
            message: "not authorized to perform iam:CreateRole".into(),
            request_id: None,
        };
        assert!(e.suggestion().contains("CreateRole"));
        assert_eq!(
            e.to_string(),
            "CreateRole failed: AccessDenied: not authorized to perform iam:CreateRole"
        );
        let with_id = AwsError {
            request_id: Some("4b1c-77".into()),
            ..e
        };
        assert_eq!(
            with_id.to_string(),
            "CreateRole failed: AccessDenied: not authorized to perform iam:CreateRole (request id 4b1c-77)"
        );
    }
}
