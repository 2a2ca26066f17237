//! The state in S3, for teams and CI: `PREFIX/<id>.json` holds the state and `PREFIX/<id>.lock`
//! the lock, as Terraform's S3 backend does since 1.10 — S3 conditional writes alone, no table:
//! - the lock is taken with `PutObject` under `If-None-Match: *`, and released with
//!   `DeleteObject` under `If-Match` on the ETag it was written with (the ETag of a body that
//!   holds our lock id: a match is our lock). Two calls per run;
//! - every save is one `PutObject` under `If-Match` on the ETag last read or written (the first
//!   under `If-None-Match: *`): a write under our lock by anyone else stops the run
//!   ([`StateError::LostUpdate`]) and is never overwritten.
//!
//! A conditional write whose answer was lost is resent by the SDK and then meets its own object:
//! the object is read back, and a body that is ours byte for byte counts as written.

use std::path::PathBuf;
use std::sync::Mutex;

use super::lock::LockBody;
use super::s3_bridge::Bridge;
use super::{Backend, StateError, parse};
use crate::aws::AwsError;
use crate::aws::s3_conditional::{self, Versioned, Written};
use crate::config::{AwsConfig, BackendUrl};
use crate::deploy::state::State;

/// One deployment's state in a backend, and the AWS settings that reach the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub url: BackendUrl,
    pub deployment_id: String,
    pub aws: AwsConfig,
}

impl S3Location {
    pub fn state_key(&self) -> String {
        self.url.key(&format!("{}.json", self.deployment_id))
    }

    pub fn lock_key(&self) -> String {
        self.url.key(&format!("{}.lock", self.deployment_id))
    }

    pub fn state_url(&self) -> String {
        format!("s3://{}/{}", self.url.bucket, self.state_key())
    }

    fn lock_path(&self) -> PathBuf {
        PathBuf::from(format!("s3://{}/{}", self.url.bucket, self.lock_key()))
    }

    pub(super) fn connect(&self) -> Result<Bridge, StateError> {
        Bridge::new(&self.aws).map_err(|source| StateError::Io {
            path: PathBuf::from(self.state_url()),
            source,
        })
    }
}

/// An S3 state opened for writing: it holds the lock until dropped.
#[derive(Debug)]
pub struct S3State {
    at: S3Location,
    bridge: Bridge,
    /// The ETag of the state object as last read or written; `None` while there is none.
    etag: Mutex<Option<String>>,
    /// The ETag our lock object was written with.
    lock_etag: String,
}

impl S3State {
    /// Takes the lock and reads the state, if any. A state that cannot be used (missing when
    /// `create` is false, corrupt, newer) releases the lock again before the error returns.
    pub fn open(
        at: &S3Location,
        operation: &str,
        create: bool,
    ) -> Result<(Self, Option<State>, Vec<String>), StateError> {
        let bridge = at.connect()?;
        let lock_etag = acquire(&bridge, at, &LockBody::new(operation))?;
        let held = Self {
            at: at.clone(),
            bridge,
            etag: Mutex::new(None),
            lock_etag,
        };
        let found = held.fetch()?;
        let mut notes = Vec::new();
        let state = match found {
            Some(Versioned { body, etag }) => {
                let state = parse(&body, &PathBuf::from(at.state_url()))?;
                *held
                    .etag
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(etag);
                Some(state)
            }
            None if create => {
                notes = bucket_notes(&held.bridge, at);
                None
            }
            None => {
                return Err(StateError::NotFound {
                    path: PathBuf::from(at.state_url()),
                });
            }
        };
        Ok((held, state, notes))
    }

    fn fetch(&self) -> Result<Option<Versioned>, StateError> {
        read_object(&self.bridge, &self.at, &self.at.state_key())
    }

    /// Deletes our lock object (under `If-Match` on its ETag). A lock that is no longer ours
    /// (removed with `force-unlock`, perhaps taken by another run since) is left alone.
    fn release(&self) -> Result<(), StateError> {
        match delete_lock(&self.bridge, &self.at, &self.lock_etag)? {
            // A conflict is a lock that is gone, or someone else's: either way not ours to delete.
            Written::Done(_) | Written::Conflict => Ok(()),
        }
    }
}

impl Backend for S3State {
    fn path(&self) -> PathBuf {
        PathBuf::from(self.at.state_url())
    }

    fn write(&self, text: &[u8]) -> Result<(), StateError> {
        let mut etag = self
            .etag
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (bucket, key, body, previous) = (
            self.at.url.bucket.clone(),
            self.at.state_key(),
            text.to_vec(),
            etag.clone(),
        );
        let written = self.bridge.send(&self.path(), |c| async move {
            match previous {
                Some(previous) => s3_conditional::replace(&c, &bucket, &key, &body, &previous).await,
                None => s3_conditional::create(&c, &bucket, &key, &body).await,
            }
        })?;
        *etag = Some(match written {
            Written::Done(new) => new,
            // Either our own write whose answer was lost (the SDK resent it and met it), or
            // someone else's: only a byte-identical body is ours.
            Written::Conflict => match self.fetch()? {
                Some(found) if found.body == text => found.etag,
                _ => return Err(StateError::LostUpdate { path: self.path() }),
            },
        });
        Ok(())
    }

    fn remote(&self) -> bool {
        true
    }

    fn flags(&self) -> String {
        format!(
            "--deployment-id {} --state-backend {}",
            self.at.deployment_id, self.at.url
        )
    }
}

impl Drop for S3State {
    fn drop(&mut self) {
        if let Err(e) = self.release() {
            // Drop cannot return it; the next run names the lock and the command that removes it.
            tracing::warn!(
                "could not release the lock {}: {e}",
                self.at.lock_path().display()
            );
        }
    }
}

/// Writes the lock, or says who holds it. A conflict is read back: our own lock (the SDK's
/// resend of a create whose answer was lost) is ours; a lock that vanished meanwhile is tried
/// once more.
fn acquire(bridge: &Bridge, at: &S3Location, lock: &LockBody) -> Result<String, StateError> {
    let path = at.lock_path();
    for _ in 0..2 {
        let (bucket, key, body) = (at.url.bucket.clone(), at.lock_key(), lock.to_json());
        let created = bridge.send(&path, |c| async move {
            s3_conditional::create(&c, &bucket, &key, &body).await
        })?;
        if let Written::Done(etag) = created {
            return Ok(etag);
        }
        let Some(held) = read_lock(bridge, at)? else {
            continue;
        };
        let (body, etag) = held;
        return match body {
            Ok(body) if body.lock_id == lock.lock_id => Ok(etag),
            Ok(body) => Err(StateError::Locked {
                path: PathBuf::from(at.state_url()),
                holder: body.holder(),
                unlock: Some(format!(
                    "sre-agent-deploy force-unlock --deployment-id {} --state-backend {} {}",
                    at.deployment_id, at.url, body.lock_id
                )),
            }),
            Err(message) => Err(StateError::ForeignLock { path, message }),
        };
    }
    Err(StateError::Locked {
        path: PathBuf::from(at.state_url()),
        holder: "runs that keep taking and releasing it".into(),
        unlock: None,
    })
}

/// The lock object, parsed, and its ETag; `None` when there is no lock.
#[allow(clippy::type_complexity)] // a pair read together; a struct would only name it
fn read_lock(
    bridge: &Bridge,
    at: &S3Location,
) -> Result<Option<(Result<LockBody, String>, String)>, StateError> {
    let read = read_object(bridge, at, &at.lock_key())?;
    Ok(read.map(|Versioned { body, etag }| (LockBody::parse(&body), etag)))
}

/// An object of the backend and its ETag; `None` when there is none.
fn read_object(bridge: &Bridge, at: &S3Location, key: &str) -> Result<Option<Versioned>, StateError> {
    let (bucket, key) = (at.url.bucket.clone(), key.to_string());
    let path = PathBuf::from(format!("s3://{bucket}/{key}"));
    bridge.send(
        &path,
        |c| async move { s3_conditional::read(&c, &bucket, &key).await },
    )
}

/// Deletes the lock object if its ETag is still `etag`.
fn delete_lock(bridge: &Bridge, at: &S3Location, etag: &str) -> Result<Written, StateError> {
    let (bucket, key, etag) = (at.url.bucket.clone(), at.lock_key(), etag.to_string());
    bridge.send(&at.lock_path(), |c| async move {
        s3_conditional::delete(&c, &bucket, &key, &etag).await
    })
}

/// Reads the state without taking the lock.
pub fn read(at: &S3Location) -> Result<State, StateError> {
    let bridge = at.connect()?;
    let path = PathBuf::from(at.state_url());
    match read_object(&bridge, at, &at.state_key())? {
        Some(found) => parse(&found.body, &path),
        None => Err(StateError::NotFound { path }),
    }
}

/// Removes a stale lock, but only the one named: `lock_id` must be the lock's. `Ok(None)` when
/// there is no lock; else the lock that was removed.
pub fn force_unlock(at: &S3Location, lock_id: &str) -> Result<Option<LockBody>, StateError> {
    let bridge = at.connect()?;
    let path = at.lock_path();
    let Some((body, etag)) = read_lock(&bridge, at)? else {
        return Ok(None);
    };
    let body = body.map_err(|message| StateError::ForeignLock {
        path: path.clone(),
        message,
    })?;
    if body.lock_id != lock_id {
        return Err(StateError::LockIdMismatch {
            path,
            held: body.lock_id,
            asked: lock_id.to_string(),
        });
    }
    delete_lock(&bridge, at, &etag)?;
    Ok(Some(body))
}

/// What the bucket's settings say about keeping a state there: versioning (a warning when off:
/// an overwritten or deleted state could not be recovered) and default encryption.
fn bucket_notes(bridge: &Bridge, at: &S3Location) -> Vec<String> {
    let bucket = at.url.bucket.clone();
    let settings = bridge.run(|c| async move {
        let (versioning, encryption) = tokio::join!(
            c.get_bucket_versioning().bucket(&bucket).send(),
            c.get_bucket_encryption().bucket(&bucket).send()
        );
        (
            versioning.map(|v| v.status().map(|s| s.as_str().to_string())),
            encryption.map(|e| {
                e.server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|r| r.apply_server_side_encryption_by_default())
                    .map(|d| d.sse_algorithm().as_str().to_string())
            }),
        )
    });
    let Ok((versioning, encryption)) = settings else {
        return Vec::new();
    };
    let name = &at.url.bucket;
    let mut notes = Vec::new();
    match versioning {
        Ok(Some(status)) if status == "Enabled" => notes.push(format!("bucket {name}: versioning is on")),
        Ok(_) => notes.push(format!(
            "warning: bucket {name} has versioning off: an overwritten or deleted state cannot be recovered; turn it on with `aws s3api put-bucket-versioning --bucket {name} --versioning-configuration Status=Enabled`"
        )),
        Err(e) => notes.push(format!(
            "bucket {name}: versioning could not be read ({}); make sure it is on",
            AwsError::from_sdk("s3:GetBucketVersioning", &e)
        )),
    }
    notes.push(match encryption {
        Ok(Some(algorithm)) => format!("bucket {name}: default encryption {algorithm}"),
        Ok(None) => format!("bucket {name}: no default encryption rule (S3 still encrypts with SSE-S3)"),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => {
            format!("bucket {name}: no default encryption rule (S3 still encrypts with SSE-S3)")
        }
        Err(e) => format!(
            "bucket {name}: default encryption could not be read ({})",
            AwsError::from_sdk("s3:GetBucketEncryption", &e)
        ),
    });
    notes
}
