//! S3 objects written and deleted under conditions, the way Terraform's S3 backend locks since
//! 1.10: create only if absent (`If-None-Match: *`), replace or delete only if unchanged
//! (`If-Match: <ETag>`). A condition that does not hold is [`Written::Conflict`], not an error:
//! the caller decides what it means (a lock held by someone else, a state written under ours).
//!
//! A conditional create whose answer was lost is resent by the SDK (puts are idempotent) and then
//! meets its own object: a `Conflict` the caller must tell from someone else's by reading the
//! object (a lock body names its holder). Likewise a lost delete's resend finds nothing (404,
//! also a `Conflict` here).
//!
//! The team state backend (`deploy::store::s3`) is built on these.

use aws_sdk_s3::primitives::ByteStream;

use super::{AwsError, ErrorKind};

type Client = aws_sdk_s3::Client;

/// An object's body and the ETag it was read with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub body: Vec<u8>,
    pub etag: String,
}

/// How a conditional write or delete ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Done; the object's new ETag (empty for a delete).
    Done(String),
    /// The condition did not hold (HTTP 412 `PreconditionFailed`), or a concurrent conditional
    /// write won (HTTP 409 `ConditionalRequestConflict`): nothing was changed.
    Conflict,
}

/// The object and its ETag; `None` when there is none.
pub async fn read(c: &Client, bucket: &str, key: &str) -> Result<Option<Versioned>, AwsError> {
    let operation = "s3:GetObject";
    let out = match c.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => out,
        Err(e) => {
            let error = AwsError::from_sdk(operation, &e);
            // A missing key is no object; a missing bucket is an error to report.
            let missing_key = e.raw_response().is_some_and(|r| r.status().as_u16() == 404)
                && error.code.as_deref() != Some("NoSuchBucket");
            return if missing_key { Ok(None) } else { Err(error) };
        }
    };
    let etag = out.e_tag().unwrap_or_default().to_string();
    let body = out
        .body
        .collect()
        .await
        .map_err(|e| AwsError::other(operation, format!("reading the object's body: {e}")))?
        .into_bytes()
        .to_vec();
    Ok(Some(Versioned { body, etag }))
}

/// Writes `body` only if no object has the key (`If-None-Match: *`).
pub async fn create(c: &Client, bucket: &str, key: &str, body: &[u8]) -> Result<Written, AwsError> {
    put(c, bucket, key, body, None).await
}

/// Replaces the object only if its ETag is still `etag` (`If-Match`).
pub async fn replace(
    c: &Client,
    bucket: &str,
    key: &str,
    body: &[u8],
    etag: &str,
) -> Result<Written, AwsError> {
    put(c, bucket, key, body, Some(etag)).await
}

/// A PutObject under `If-Match: etag`, or `If-None-Match: *` without one.
async fn put(
    c: &Client,
    bucket: &str,
    key: &str,
    body: &[u8],
    etag: Option<&str>,
) -> Result<Written, AwsError> {
    let request = c
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body.to_vec()));
    let request = match etag {
        Some(etag) => request.if_match(etag),
        None => request.if_none_match("*"),
    };
    let sent = request.send().await;
    written(
        "s3:PutObject",
        sent.map(|out| out.e_tag().unwrap_or_default().to_string()),
    )
}

/// Deletes the object only if its ETag is still `etag` (`If-Match`).
pub async fn delete(c: &Client, bucket: &str, key: &str, etag: &str) -> Result<Written, AwsError> {
    let sent = c
        .delete_object()
        .bucket(bucket)
        .key(key)
        .if_match(etag)
        .send()
        .await;
    written("s3:DeleteObject", sent.map(|_| String::new()))
}

/// A conditional call's outcome: 412 and 409 are conflicts, anything else an error.
fn written<E>(
    operation: &'static str,
    sent: Result<
        String,
        aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
    >,
) -> Result<Written, AwsError>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    match sent {
        Ok(etag) => Ok(Written::Done(etag)),
        Err(e)
            if e.raw_response()
                .is_some_and(|r| matches!(r.status().as_u16(), 409 | 412)) =>
        {
            Ok(Written::Conflict)
        }
        Err(e) => {
            let error = AwsError::from_sdk(operation, &e);
            // A missing object under `If-Match` is a 404: the condition cannot hold either.
            if error.is(ErrorKind::NotFound) {
                Ok(Written::Conflict)
            } else {
                Err(error)
            }
        }
    }
}
