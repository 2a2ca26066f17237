//! S3: the spec bucket (private, tagged) and the rendered OpenAPI specs in it.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration, Tag, Tagging,
};

use super::{AwsError, ErrorKind, call};

type Client = aws_sdk_s3::Client;

/// Object metadata key holding the SHA-256 of the content, so unchanged specs are not re-uploaded.
pub const DIGEST_METADATA: &str = "sre-agent-deploy-sha256";

/// What `HeadBucket` says about a bucket name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketAccess {
    Missing,
    /// It exists and these credentials can use it.
    Accessible,
    /// It exists and belongs to someone else (names are global).
    Forbidden,
}

pub async fn create_bucket(c: &Client, name: &str, region: &str) -> Result<(), AwsError> {
    let mut request = c.create_bucket().bucket(name);
    if region != "us-east-1" {
        request = request.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    call("s3:CreateBucket", request.send()).await.map(|_| ())
}

pub async fn bucket_access(c: &Client, name: &str) -> Result<BucketAccess, AwsError> {
    match c.head_bucket().bucket(name).send().await {
        Ok(_) => Ok(BucketAccess::Accessible),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            match status {
                Some(404) => Ok(BucketAccess::Missing),
                Some(403) => Ok(BucketAccess::Forbidden),
                _ => Err(AwsError::from_sdk("s3:HeadBucket", &e)),
            }
        }
    }
}

pub async fn block_public_access(c: &Client, name: &str) -> Result<(), AwsError> {
    let config = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    call(
        "s3:PutPublicAccessBlock",
        c.put_public_access_block()
            .bucket(name)
            .public_access_block_configuration(config)
            .send(),
    )
    .await
    .map(|_| ())
}

pub async fn tag_bucket(c: &Client, name: &str, tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    let tag_set: Vec<Tag> = tags
        .iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect();
    let tagging = Tagging::builder()
        .set_tag_set(Some(tag_set))
        .build()
        .map_err(|e| AwsError::other("s3:PutBucketTagging", e.to_string()))?;
    call(
        "s3:PutBucketTagging",
        c.put_bucket_tagging().bucket(name).tagging(tagging).send(),
    )
    .await
    .map(|_| ())
}

pub async fn bucket_tags(c: &Client, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
    match call("s3:GetBucketTagging", c.get_bucket_tagging().bucket(name).send()).await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) if e.code.as_deref() == Some("NoSuchTagSet") || e.is(ErrorKind::NotFound) => {
            Ok(BTreeMap::new())
        }
        Err(e) => Err(e),
    }
}

/// The content digest recorded on an object, `Some("")` for an object without one, `None` when absent.
pub async fn object_digest(c: &Client, bucket: &str, key: &str) -> Result<Option<String>, AwsError> {
    match c.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(Some(
            out.metadata()
                .and_then(|m| m.get(DIGEST_METADATA))
                .cloned()
                .unwrap_or_default(),
        )),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("s3:HeadObject", &e)),
    }
}

pub async fn put_object(
    c: &Client,
    bucket: &str,
    key: &str,
    body: &str,
    digest: &str,
) -> Result<(), AwsError> {
    call(
        "s3:PutObject",
        c.put_object()
            .bucket(bucket)
            .key(key)
            .content_type("application/yaml")
            .metadata(DIGEST_METADATA, digest)
            .body(ByteStream::from(body.as_bytes().to_vec()))
            .send(),
    )
    .await
    .map(|_| ())
}

pub async fn delete_object(c: &Client, bucket: &str, key: &str) -> Result<(), AwsError> {
    call(
        "s3:DeleteObject",
        c.delete_object().bucket(bucket).key(key).send(),
    )
    .await
    .map(|_| ())
}

/// Keys under `prefix`.
pub async fn list_keys(c: &Client, bucket: &str, prefix: &str) -> Result<Vec<String>, AwsError> {
    let pages: Vec<_> = c
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| AwsError::from_sdk("s3:ListObjectsV2", &e))?;
    Ok(pages
        .iter()
        .flat_map(aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output::contents)
        .filter_map(|o| o.key().map(str::to_string))
        .collect())
}

pub async fn delete_bucket(c: &Client, name: &str) -> Result<(), AwsError> {
    call("s3:DeleteBucket", c.delete_bucket().bucket(name).send())
        .await
        .map(|_| ())
}

/// Names of the account's buckets in `region` (all pages).
pub async fn list_buckets_in(c: &Client, region: &str) -> Result<Vec<String>, AwsError> {
    let pages: Vec<_> = c
        .list_buckets()
        .bucket_region(region)
        .max_buckets(1000)
        .into_paginator()
        .send()
        .collect::<Result<_, _>>()
        .await
        .map_err(|e| AwsError::from_sdk("s3:ListBuckets", &e))?;
    Ok(pages
        .iter()
        .flat_map(aws_sdk_s3::operation::list_buckets::ListBucketsOutput::buckets)
        .filter_map(|b| b.name().map(str::to_string))
        .collect())
}

pub async fn list_buckets(c: &Client) -> Result<Vec<String>, AwsError> {
    let out = call("s3:ListBuckets", c.list_buckets().send()).await?;
    Ok(out
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_string))
        .collect())
}
