//! Waiting for a gateway or target to become `READY`: polls with backoff (first poll at once),
//! knows every status the API reports, and fails with the service's status reasons.

use std::time::{Duration, Instant};

use crate::aws::AwsError;
use crate::aws::agentcore::Resource;
use crate::deploy::error::DeployError;

/// How long to wait for READY before giving up (resume keeps waiting).
pub const WAIT_LIMIT: Duration = Duration::from_mins(15);

/// What a status means for a waiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Ready,
    Working,
    Failed,
}

/// Gateway statuses: CREATING, UPDATING, READY, FAILED, UPDATE_UNSUCCESSFUL, DELETING. Target
/// statuses add SYNCHRONIZING, SYNCHRONIZE_UNSUCCESSFUL and the *_PENDING_AUTH states, which need
/// a person to complete an OAuth flow and so count as failures here.
pub fn phase(status: &str) -> Phase {
    match status {
        "READY" => Phase::Ready,
        "CREATING" | "UPDATING" | "SYNCHRONIZING" => Phase::Working,
        _ => Phase::Failed,
    }
}

/// Polls `get` until the resource is READY; `say` hears each status change.
pub async fn until_ready<F, Fut>(
    step: &str,
    label: &str,
    first: Resource,
    mut get: F,
    say: impl Fn(String),
) -> Result<Resource, DeployError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<Resource>, AwsError>>,
{
    let started = Instant::now();
    let mut delay = Duration::ZERO;
    let mut current = first;
    loop {
        match phase(&current.status) {
            Phase::Ready => return Ok(current),
            Phase::Failed => {
                return Err(DeployError::Failed {
                    step: step.to_string(),
                    resource: label.to_string(),
                    status: current.status.clone(),
                    reasons: if current.status_reasons.is_empty() {
                        "the service gave no reason".into()
                    } else {
                        current.status_reasons.join("; ")
                    },
                });
            }
            Phase::Working => {}
        }
        if started.elapsed() > WAIT_LIMIT {
            return Err(DeployError::Timeout {
                step: step.to_string(),
                resource: label.to_string(),
                status: current.status.clone(),
                waited_secs: started.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).clamp(Duration::from_millis(500), Duration::from_secs(10));
        current = get()
            .await
            .map_err(|error| DeployError::Aws {
                step: step.to_string(),
                resource: label.to_string(),
                error,
            })?
            .ok_or_else(|| DeployError::Failed {
                step: step.to_string(),
                resource: label.to_string(),
                status: "DELETED".into(),
                reasons: "it disappeared while being created".into(),
            })?;
        say(format!("{label} is {}", current.status));
    }
}

/// Polls until `exists` says no: gateways and targets are deleted asynchronously.
pub async fn until_gone<F, Fut>(mut exists: F) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, AwsError>>,
{
    let mut delay = Duration::from_millis(200);
    let started = Instant::now();
    while started.elapsed() < WAIT_LIMIT {
        if !exists().await? {
            return Ok(());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    Err(AwsError::other(
        "wait for deletion",
        "the resource was still there after waiting",
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    fn resource(status: &str, reasons: &[&str]) -> Resource {
        Resource {
            id: "gw1".into(),
            arn: "arn".into(),
            name: "gw".into(),
            status: status.into(),
            status_reasons: reasons.iter().map(ToString::to_string).collect(),
            url: None,
            settings: None,
        }
    }

    #[tokio::test]
    async fn waits_through_working_states_to_ready() {
        let answers = Mutex::new(vec![resource("READY", &[]), resource("SYNCHRONIZING", &[])]);
        let heard = Mutex::new(Vec::new());
        let ready = until_ready(
            "target:a",
            "a",
            resource("CREATING", &[]),
            || {
                let next = answers.lock().expect("lock").pop();
                async move { Ok(next) }
            },
            |m| heard.lock().expect("lock").push(m),
        )
        .await
        .expect("ready");
        assert_eq!(ready.status, "READY");
        assert_eq!(*heard.lock().expect("lock"), ["a is SYNCHRONIZING", "a is READY"]);
    }

    #[tokio::test]
    async fn failure_shows_the_status_reasons() {
        let err = until_ready(
            "gateway",
            "gw",
            resource("CREATING", &[]),
            || async {
                Ok(Some(resource(
                    "FAILED",
                    &["role cannot be assumed", "check trust"],
                )))
            },
            |_| {},
        )
        .await
        .expect_err("failed");
        assert_eq!(
            err.to_string(),
            "step gateway: gw is FAILED: role cannot be assumed; check trust"
        );
        assert!(err.suggestion().is_some());
    }

    #[tokio::test]
    async fn a_vanished_resource_is_an_error() {
        let err = until_ready(
            "gateway",
            "gw",
            resource("CREATING", &[]),
            || async { Ok(None) },
            |_| {},
        )
        .await
        .expect_err("gone");
        assert!(err.to_string().contains("disappeared"));
    }

    #[test]
    fn every_status_has_a_phase() {
        assert_eq!(phase("READY"), Phase::Ready);
        for working in ["CREATING", "UPDATING", "SYNCHRONIZING"] {
            assert_eq!(phase(working), Phase::Working);
        }
        for failed in [
            "FAILED",
            "UPDATE_UNSUCCESSFUL",
            "SYNCHRONIZE_UNSUCCESSFUL",
            "DELETING",
            "CREATE_PENDING_AUTH",
            "UPDATE_PENDING_AUTH",
            "SYNCHRONIZE_PENDING_AUTH",
        ] {
            assert_eq!(phase(failed), Phase::Failed, "{failed}");
        }
    }
}
