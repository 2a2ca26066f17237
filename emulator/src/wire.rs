//! What a request is (service, protocol, operation) and the protocol-specific error answers.

use std::time::{SystemTime, UNIX_EPOCH};

/// The wire protocol of a request, which decides how errors look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// awsJson1.0/1.1: `X-Amz-Target` header (Cognito and the other JSON services).
    AwsJson,
    /// restJson1 (Bedrock AgentCore control).
    RestJson,
    /// awsQuery (IAM, STS): form body with `Action=`. Route 53 (restXml) shares its error document.
    Query,
    /// restXml S3.
    S3,
}

/// A request, as the proxy sees it.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The SigV4 signing name from the credential scope (`iam`, `s3`, `cognito-idp`, `bedrock-agentcore`,
    /// `sts`), or "" when the request is not signed.
    pub service: String,
    /// The region from the credential scope, `us-east-1` when absent.
    pub region: String,
    pub protocol: Protocol,
    /// The operation name (`CreateRole`), or `"<METHOD> <path>"` when unknown.
    pub operation: String,
}

/// An answer the proxy builds itself.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", "application/json".into()),
                ("x-amzn-requestid", request_id()),
            ],
            body: body.to_string().into_bytes(),
        }
    }

    /// 204 without a body (restJson operations whose output is empty).
    pub fn no_content() -> Self {
        Self {
            status: 204,
            headers: vec![("x-amzn-requestid", request_id())],
            body: Vec::new(),
        }
    }

    /// A restJson/awsJson error: `x-amzn-ErrorType` header and `{"message": ...}`.
    pub fn json_error(status: u16, error_type: &str, message: &str, protocol: Protocol) -> Self {
        let content_type = if protocol == Protocol::AwsJson {
            "application/x-amz-json-1.1"
        } else {
            "application/json"
        };
        let body = if protocol == Protocol::AwsJson {
            serde_json::json!({ "__type": error_type, "message": message })
        } else {
            serde_json::json!({ "message": message })
        };
        Self {
            status,
            headers: vec![
                ("content-type", content_type.into()),
                ("x-amzn-errortype", error_type.into()),
                ("x-amzn-requestid", request_id()),
            ],
            body: body.to_string().into_bytes(),
        }
    }

    fn xml(status: u16, body: String) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", "text/xml".into()),
                ("x-amzn-requestid", request_id()),
            ],
            body: body.into_bytes(),
        }
    }

    /// An awsQuery error document (IAM, STS).
    pub fn query_error(service: &str, status: u16, sender: bool, code: &str, message: &str) -> Self {
        let xmlns = match service {
            "sts" => "https://sts.amazonaws.com/doc/2011-06-15/",
            "route53" => "https://route53.amazonaws.com/doc/2013-04-01/",
            _ => "https://iam.amazonaws.com/doc/2010-05-08/",
        };
        let kind = if sender { "Sender" } else { "Receiver" };
        let id = request_id();
        Self::xml(
            status,
            format!(
                "<ErrorResponse xmlns=\"{xmlns}\"><Error><Type>{kind}</Type>\
                 <Code>{code}</Code><Message>{message}</Message></Error><RequestId>{id}</RequestId>\
                 </ErrorResponse>"
            ),
        )
    }

    /// An S3 error document.
    pub fn s3_error(status: u16, code: &str, message: &str) -> Self {
        let id = request_id();
        let mut reply = Self::xml(
            status,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message>\
                 <RequestId>{id}</RequestId><HostId>emulator</HostId></Error>"
            ),
        );
        reply.headers = vec![
            ("content-type", "application/xml".into()),
            ("x-amz-request-id", id),
        ];
        reply
    }
}

/// A unique-enough request id.
pub fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{:08x}-emu0-4000-8000-{:012x}", t & 0xffff_ffff, n)
}

/// The throttling answer a real service gives for this protocol.
pub fn throttle(info: &RequestInfo) -> Reply {
    match info.protocol {
        Protocol::S3 => Reply::s3_error(503, "SlowDown", "Please reduce your request rate."),
        Protocol::Query => Reply::query_error(&info.service, 400, true, "Throttling", "Rate exceeded"),
        Protocol::AwsJson if info.service == "cognito-idp" => {
            Reply::json_error(400, "TooManyRequestsException", "Rate exceeded", info.protocol)
        }
        Protocol::AwsJson => Reply::json_error(400, "ThrottlingException", "Rate exceeded", info.protocol),
        Protocol::RestJson => Reply::json_error(429, "ThrottlingException", "Rate exceeded", info.protocol),
    }
}

/// The answer to credentials that are not allowed the call, in the protocol's form.
pub fn access_denied(info: &RequestInfo) -> Reply {
    let message = "User is not authorized to perform this action";
    match info.protocol {
        Protocol::S3 => Reply::s3_error(403, "AccessDenied", "Access Denied"),
        Protocol::Query => Reply::query_error(&info.service, 403, true, "AccessDenied", message),
        Protocol::AwsJson | Protocol::RestJson => {
            Reply::json_error(403, "AccessDeniedException", message, info.protocol)
        }
    }
}

/// A 5xx answer with the protocol's error body.
pub fn server_error(info: &RequestInfo, status: u16) -> Reply {
    let unavailable = status == 503;
    match info.protocol {
        Protocol::S3 if unavailable => Reply::s3_error(
            status,
            "ServiceUnavailable",
            "Service is unable to handle request.",
        ),
        Protocol::S3 => Reply::s3_error(
            status,
            "InternalError",
            "We encountered an internal error. Please try again.",
        ),
        Protocol::Query if unavailable => Reply::query_error(
            &info.service,
            status,
            false,
            "ServiceUnavailable",
            "Service is unable to handle request.",
        ),
        Protocol::Query => Reply::query_error(
            &info.service,
            status,
            false,
            "ServiceFailure",
            "An internal error occurred.",
        ),
        Protocol::AwsJson if info.service == "cognito-idp" => Reply::json_error(
            status,
            "InternalErrorException",
            "An internal error occurred.",
            info.protocol,
        ),
        Protocol::AwsJson | Protocol::RestJson if unavailable => Reply::json_error(
            status,
            "ServiceUnavailableException",
            "Service is unable to handle request.",
            info.protocol,
        ),
        Protocol::AwsJson | Protocol::RestJson => Reply::json_error(
            status,
            "InternalServerException",
            "An internal error occurred.",
            info.protocol,
        ),
    }
}

/// `(region, service)` from `Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, ...`
/// or from a presigned URL's `X-Amz-Credential`.
pub fn credential_scope(authorization: Option<&str>, query: Option<&str>) -> Option<(String, String)> {
    let credential = if let Some(auth) = authorization {
        let start = auth.find("Credential=")? + "Credential=".len();
        let rest = &auth[start..];
        let end = rest.find([',', ' ']).unwrap_or(rest.len());
        rest[..end].to_string()
    } else {
        url::form_urlencoded::parse(query?.as_bytes())
            .find(|(k, _)| k.eq_ignore_ascii_case("X-Amz-Credential"))?
            .1
            .into_owned()
    };
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 5 || parts[4] != "aws4_request" {
        return None;
    }
    Some((parts[2].to_string(), parts[3].to_string()))
}

/// Percent-decodes one path segment.
pub fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query_has(query: Option<&str>, key: &str) -> bool {
    query.is_some_and(|q| url::form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == key))
}

fn query_value(query: Option<&str>, key: &str) -> Option<String> {
    query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    })
}

/// Classifies one request.
pub fn classify(
    method: &str,
    path: &str,
    query: Option<&str>,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
) -> RequestInfo {
    let (region, service) = credential_scope(header("authorization").as_deref(), query)
        .unwrap_or_else(|| ("us-east-1".to_string(), String::new()));
    let fallback = || format!("{method} {path}");
    let form = header("content-type").is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));

    let (protocol, operation) = if let Some(target) = header("x-amz-target") {
        let op = target.rsplit('.').next().unwrap_or_default().to_string();
        (Protocol::AwsJson, op)
    } else if service == "s3" {
        (
            Protocol::S3,
            s3_operation(method, path, query, header).unwrap_or_else(fallback),
        )
    } else if service == "route53" {
        (
            Protocol::Query,
            route53_operation(method, path).unwrap_or_else(fallback),
        )
    } else if service == "iam" || service == "sts" || form || query_has(query, "Action") {
        let action = if form {
            url::form_urlencoded::parse(body)
                .find(|(k, _)| k == "Action")
                .map(|(_, v)| v.into_owned())
        } else {
            None
        };
        let action = action.or_else(|| query_value(query, "Action"));
        (Protocol::Query, action.unwrap_or_else(fallback))
    } else {
        let op = if service == "bedrock-agentcore" || service.is_empty() {
            agentcore_operation(method, path)
        } else {
            None
        };
        (Protocol::RestJson, op.unwrap_or_else(fallback))
    };
    RequestInfo {
        service,
        region,
        protocol,
        operation,
    }
}

fn segments(path: &str) -> Vec<&str> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

/// `get-token-vault` -> `GetTokenVault`.
fn pascal(name: &str) -> String {
    name.split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Bedrock AgentCore control (restJson1) operations by method and path.
pub fn agentcore_operation(method: &str, path: &str) -> Option<String> {
    let seg = segments(path);
    let op = match (method, seg.as_slice()) {
        ("POST", ["gateways"]) => "CreateGateway",
        ("GET", ["gateways"]) => "ListGateways",
        ("GET", ["gateways", _]) => "GetGateway",
        ("PUT", ["gateways", _]) => "UpdateGateway",
        ("DELETE", ["gateways", _]) => "DeleteGateway",
        ("POST", ["gateways", _, "targets"]) => "CreateGatewayTarget",
        ("GET", ["gateways", _, "targets"]) => "ListGatewayTargets",
        ("GET", ["gateways", _, "targets", _]) => "GetGatewayTarget",
        ("PUT", ["gateways", _, "targets", _]) => "UpdateGatewayTarget",
        ("DELETE", ["gateways", _, "targets", _]) => "DeleteGatewayTarget",
        ("PUT", ["gateways", _, "synchronizeTargets"]) => "SynchronizeGatewayTargets",
        ("POST", ["identities", name]) => return Some(pascal(name)),
        ("POST", ["tags", _]) => "TagResource",
        ("GET", ["tags", _]) => "ListTagsForResource",
        ("DELETE", ["tags", _]) => "UntagResource",
        _ => return None,
    };
    Some(op.to_string())
}

/// Route 53 (restXml) operations by method and path, for the ones the product and its tests send.
pub fn route53_operation(method: &str, path: &str) -> Option<String> {
    let seg = segments(path);
    let op = match (method, seg.as_slice()) {
        ("POST", [_, "hostedzone"]) => "CreateHostedZone",
        ("GET", [_, "hostedzone"]) => "ListHostedZones",
        ("GET", [_, "hostedzone", _]) => "GetHostedZone",
        ("DELETE", [_, "hostedzone", _]) => "DeleteHostedZone",
        ("POST", [_, "hostedzone", _, "rrset"]) => "ChangeResourceRecordSets",
        ("GET", [_, "hostedzone", _, "rrset"]) => "ListResourceRecordSets",
        ("GET", [_, "hostedzonesbyname"]) => "ListHostedZonesByName",
        ("GET", [_, "change", _]) => "GetChange",
        _ => return None,
    };
    Some(op.to_string())
}

/// S3 (path-style) operations by method, path, sub-resource and a few headers. Best effort.
pub fn s3_operation(
    method: &str,
    path: &str,
    query: Option<&str>,
    header: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    let seg = segments(path);
    let has = |key: &str| query_has(query, key);
    let op = match (method, seg.len()) {
        ("GET", 0) => "ListBuckets",
        (_, 0) => return None,
        ("PUT", 1) => {
            const SUB: [(&str, &str); 14] = [
                ("tagging", "PutBucketTagging"),
                ("policy", "PutBucketPolicy"),
                ("versioning", "PutBucketVersioning"),
                ("encryption", "PutBucketEncryption"),
                ("publicAccessBlock", "PutPublicAccessBlock"),
                ("lifecycle", "PutBucketLifecycleConfiguration"),
                ("ownershipControls", "PutBucketOwnershipControls"),
                ("acl", "PutBucketAcl"),
                ("cors", "PutBucketCors"),
                ("notification", "PutBucketNotificationConfiguration"),
                ("website", "PutBucketWebsite"),
                ("logging", "PutBucketLogging"),
                ("replication", "PutBucketReplication"),
                ("object-lock", "PutObjectLockConfiguration"),
            ];
            SUB.iter()
                .find(|(k, _)| has(k))
                .map_or("CreateBucket", |(_, op)| op)
        }
        ("GET", 1) => {
            const SUB: [(&str, &str); 16] = [
                ("location", "GetBucketLocation"),
                ("tagging", "GetBucketTagging"),
                ("policy", "GetBucketPolicy"),
                ("versioning", "GetBucketVersioning"),
                ("encryption", "GetBucketEncryption"),
                ("publicAccessBlock", "GetPublicAccessBlock"),
                ("lifecycle", "GetBucketLifecycleConfiguration"),
                ("ownershipControls", "GetBucketOwnershipControls"),
                ("acl", "GetBucketAcl"),
                ("cors", "GetBucketCors"),
                ("notification", "GetBucketNotificationConfiguration"),
                ("website", "GetBucketWebsite"),
                ("logging", "GetBucketLogging"),
                ("versions", "ListObjectVersions"),
                ("uploads", "ListMultipartUploads"),
                ("object-lock", "GetObjectLockConfiguration"),
            ];
            if query_value(query, "list-type").as_deref() == Some("2") {
                "ListObjectsV2"
            } else {
                SUB.iter()
                    .find(|(k, _)| has(k))
                    .map_or("ListObjects", |(_, op)| op)
            }
        }
        ("HEAD", 1) => "HeadBucket",
        ("DELETE", 1) => {
            const SUB: [(&str, &str); 8] = [
                ("tagging", "DeleteBucketTagging"),
                ("policy", "DeleteBucketPolicy"),
                ("encryption", "DeleteBucketEncryption"),
                ("publicAccessBlock", "DeletePublicAccessBlock"),
                ("lifecycle", "DeleteBucketLifecycle"),
                ("ownershipControls", "DeleteBucketOwnershipControls"),
                ("cors", "DeleteBucketCors"),
                ("website", "DeleteBucketWebsite"),
            ];
            SUB.iter()
                .find(|(k, _)| has(k))
                .map_or("DeleteBucket", |(_, op)| op)
        }
        ("POST", 1) if has("delete") => "DeleteObjects",
        ("PUT", _) => {
            let copy = header("x-amz-copy-source").is_some();
            if has("uploadId") {
                if copy { "UploadPartCopy" } else { "UploadPart" }
            } else if has("tagging") {
                "PutObjectTagging"
            } else if has("acl") {
                "PutObjectAcl"
            } else if copy {
                "CopyObject"
            } else {
                "PutObject"
            }
        }
        ("GET", _) => {
            if has("tagging") {
                "GetObjectTagging"
            } else if has("acl") {
                "GetObjectAcl"
            } else if has("attributes") {
                "GetObjectAttributes"
            } else if has("uploadId") {
                "ListParts"
            } else {
                "GetObject"
            }
        }
        ("HEAD", _) => "HeadObject",
        ("DELETE", _) => {
            if has("uploadId") {
                "AbortMultipartUpload"
            } else if has("tagging") {
                "DeleteObjectTagging"
            } else {
                "DeleteObject"
            }
        }
        ("POST", _) => {
            if has("uploads") {
                "CreateMultipartUpload"
            } else if has("uploadId") {
                "CompleteMultipartUpload"
            } else if has("restore") {
                "RestoreObject"
            } else {
                return None;
            }
        }
        _ => return None,
    };
    Some(op.to_string())
}
