//! The spec bucket and the rendered OpenAPI specs in it. Spec objects are puts (idempotent,
//! compared by content digest), not creates, so they are uploaded rather than reconciled.

use crate::aws::AwsError;
use crate::aws::s3::{self, BucketAccess};
use crate::deploy::context::{Found, StepCx};
use crate::deploy::ensure::{How, Managed, ensure};
use crate::deploy::error::DeployError;
use crate::deploy::reconcile::{Foreign, Rules, Seen};
use crate::deploy::state::{LedgerStatus, ResourceKind};

/// Bucket names are global. A bucket of that name in this account that is not the deployment's
/// is used as it is; one in another account stops the run. S3 takes the tag and the public
/// access block in calls after `CreateBucket`, so a bucket this deployment intended may not
/// carry its tag yet: it is finished then (recorded present only once whole).
struct Bucket<'a> {
    cx: &'a StepCx,
}

impl Managed for Bucket<'_> {
    type Item = ();
    const KIND: ResourceKind = ResourceKind::S3Bucket;
    // In us-east-1 CreateBucket answers 200 for a bucket the account already owns: look first.
    const RULES: Rules = Rules {
        look_first: true,
        tagged_after_create: true,
        ..Rules::unique(Foreign::Use)
    };

    fn name(&self) -> &str {
        &self.cx.plan().bucket
    }

    fn id(&self, (): &()) -> String {
        self.name().to_string()
    }

    async fn get(&self, name: &str) -> Result<Option<()>, DeployError> {
        match s3::bucket_access(&self.cx.clients().s3, name)
            .await
            .map_err(self.cx.aws(name))?
        {
            BucketAccess::Accessible => Ok(Some(())),
            BucketAccess::Missing => Ok(None),
            BucketAccess::Forbidden => Err(self.cx.conflict(
                name,
                format!("the bucket name {name} is taken by another AWS account"),
                "bucket names are global: choose another gateway.s3_bucket".into(),
            )),
        }
    }

    async fn find(&self, _known: Option<&str>) -> Result<Vec<(Seen, ())>, DeployError> {
        let name = self.name();
        if self.get(name).await?.is_none() {
            return Ok(Vec::new());
        }
        let tags = s3::bucket_tags(&self.cx.clients().s3, name)
            .await
            .map_err(self.cx.aws(name))?;
        let seen = Seen::new(name.to_string(), self.cx.owner(&tags));
        Ok(vec![(seen, ())])
    }

    async fn create(&self, _replaced: Option<&str>) -> Result<(), AwsError> {
        s3::create_bucket(&self.cx.clients().s3, self.name(), &self.cx.plan().region).await
    }

    async fn delete(&self, name: &str) -> Result<(), AwsError> {
        s3::delete_bucket(&self.cx.clients().s3, name).await
    }

    /// Blocks public access and tags the bucket as the deployment's.
    async fn finish(&self, (): &()) -> Result<(), DeployError> {
        let (c, name) = (&self.cx.clients().s3, self.name());
        let (blocked, tagged) = tokio::join!(
            s3::block_public_access(c, name),
            s3::tag_bucket(c, name, &self.cx.plan().tags)
        );
        blocked.map_err(self.cx.aws(name))?;
        tagged.map_err(self.cx.aws(name))?;
        Ok(())
    }

    fn foreign(&self, name: &str) -> (String, String) {
        (
            format!("the bucket name {name} is taken"),
            "bucket names are global: choose another gateway.s3_bucket".into(),
        )
    }
}

pub async fn bucket(cx: &StepCx) -> Result<(), DeployError> {
    let name = &cx.plan().bucket;
    let resolved = ensure(cx, &mut Bucket { cx }).await?;
    if resolved.how == How::Created {
        cx.say(format!("created bucket {name} (public access blocked)"));
    }
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
            cx.output(&format!("spec_uri:{}", spec.target), &uri).await;
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
        cx.output(&format!("spec_uri:{}", spec.target), &uri).await;
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
