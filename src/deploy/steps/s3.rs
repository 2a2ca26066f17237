//! The spec bucket and the rendered OpenAPI specs in it.

use crate::aws::s3::{self, BucketAccess};
use crate::deploy::context::{Found, StepCx};
use crate::deploy::error::DeployError;
use crate::deploy::state::{LedgerStatus, ResourceKind};

pub async fn bucket(cx: &StepCx) -> Result<(), DeployError> {
    let plan = cx.plan();
    let c = &cx.clients().s3;
    let name = &plan.bucket;
    let entry = cx.entry(ResourceKind::S3Bucket, name).await;
    match s3::bucket_access(c, name).await.map_err(cx.aws(name.as_str()))? {
        BucketAccess::Accessible => {
            let ours = match &entry {
                Some(e) if e.status == LedgerStatus::Present => e.created_by_us,
                // This deployment sent the create and stopped before recording it: the bucket is
                // ours, and may still lack its public access block and tag, which follow the create.
                Some(e) if e.status == LedgerStatus::Intended => {
                    finish_new_bucket(cx, name).await?;
                    true
                }
                _ => cx.is_ours(&s3::bucket_tags(c, name).await.map_err(cx.aws(name.as_str()))?),
            };
            if entry.is_none() || !ours {
                cx.say(format!(
                    "using existing bucket {name}{}",
                    if ours {
                        ""
                    } else {
                        " (not created by this deployment; cleanup keeps it)"
                    }
                ));
            }
            cx.present(ResourceKind::S3Bucket, name, Found::new(ours), None)
                .await
        }
        BucketAccess::Forbidden => Err(cx.conflict(
            name,
            format!("the bucket name {name} is taken by another AWS account"),
            "bucket names are global: choose another gateway.s3_bucket".into(),
        )),
        BucketAccess::Missing => {
            cx.intend(ResourceKind::S3Bucket, name, None).await?;
            match s3::create_bucket(c, name, &plan.region).await {
                Ok(()) => {}
                Err(e) if e.code.as_deref() == Some("BucketAlreadyOwnedByYou") => {}
                Err(e) if e.is(crate::aws::ErrorKind::AlreadyExists) => {
                    return Err(cx.conflict(
                        name,
                        format!("the bucket name {name} was just taken by another AWS account"),
                        "bucket names are global: choose another gateway.s3_bucket".into(),
                    ));
                }
                Err(e) => return Err(cx.aws(name.as_str())(e)),
            }
            // Recorded as present only once it is blocked and tagged, so a present bucket is whole.
            finish_new_bucket(cx, name).await?;
            cx.present(ResourceKind::S3Bucket, name, Found::new(true), None)
                .await?;
            cx.say(format!("created bucket {name} (public access blocked)"));
            Ok(())
        }
    }
}

/// Blocks public access to a bucket this deployment created and tags it as the deployment's.
async fn finish_new_bucket(cx: &StepCx, name: &str) -> Result<(), DeployError> {
    let c = &cx.clients().s3;
    let (blocked, tagged) = tokio::join!(
        s3::block_public_access(c, name),
        s3::tag_bucket(c, name, &cx.plan().tags)
    );
    blocked.map_err(cx.aws(name))?;
    tagged.map_err(cx.aws(name))?;
    Ok(())
}

/// Uploads each rendered spec unless the object already holds the same content.
pub async fn specs(cx: &StepCx) -> Result<(), DeployError> {
    let bucket_is_ours = cx
        .entry(ResourceKind::S3Bucket, &cx.plan().bucket)
        .await
        .is_some_and(|e| e.created_by_us);
    let uploads = cx.plan().specs.iter().map(|spec| async move {
        let plan = cx.plan();
        let c = &cx.clients().s3;
        let key = &spec.key;
        // An object this deployment never sent, in a bucket it created, cannot exist yet.
        let never_sent = cx.entry(ResourceKind::S3Object, key).await.is_none() && bucket_is_ours;
        let before = if never_sent {
            None
        } else {
            s3::object_digest(c, &plan.bucket, key)
                .await
                .map_err(cx.aws(key.as_str()))?
        };
        let uri = plan.s3_uri(key);
        let entry = cx.entry(ResourceKind::S3Object, key).await;
        if before.as_deref() == Some(spec.digest.as_str()) {
            // An upload this deployment sent before it stopped, unrecorded: record it now.
            if let Some(e) = entry.filter(|e| e.status == LedgerStatus::Intended) {
                cx.present(
                    ResourceKind::S3Object,
                    key,
                    Found::new(e.created_by_us),
                    Some(&plan.bucket),
                )
                .await?;
            }
            cx.output(&format!("spec_uri:{}", spec.target), &uri).await?;
            return Ok::<bool, DeployError>(false);
        }
        let ours = before.is_none() || entry.is_some_and(|e| e.created_by_us);
        // Replacing an object that is not ours does not make it ours.
        if ours {
            cx.intend(ResourceKind::S3Object, key, Some(&plan.bucket)).await?;
        }
        s3::put_object(c, &plan.bucket, key, &spec.body, &spec.digest)
            .await
            .map_err(cx.aws(key.as_str()))?;
        cx.present(ResourceKind::S3Object, key, Found::new(ours), Some(&plan.bucket))
            .await?;
        cx.output(&format!("spec_uri:{}", spec.target), &uri).await?;
        Ok(true)
    });
    // Joined on this task, so the step's call counter sees every upload.
    let results = futures_util::future::join_all(uploads).await;
    let mut uploaded = 0;
    for result in results {
        uploaded += usize::from(result?);
    }
    let total = cx.plan().specs.len();
    cx.say(format!(
        "{uploaded} of {total} specs uploaded ({} unchanged)",
        total - uploaded
    ));
    Ok(())
}
