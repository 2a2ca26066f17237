//! Waiting for a gateway or target to become `READY`, and for a deletion to finish: the first
//! poll at once, then a steady, jittered interval well under a second, so READY is seen within
//! a fraction of a second of happening; every status the API reports is known, a failure carries
//! the service's status reasons, and the progress line says what is awaited.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use tokio::time::Instant;

use crate::aws::agentcore::Resource;
use crate::deploy::error::DeployError;

/// How long to wait for READY before giving up (resume keeps waiting).
pub const WAIT_LIMIT: Duration = Duration::from_mins(15);

/// The steady interval between polls, before jitter (±20%).
pub const POLL: Duration = Duration::from_millis(250);

/// How often a long wait says it is still waiting.
const STILL_WAITING: Duration = Duration::from_secs(10);

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

/// `d` ± 20%, so that many waiters do not poll in step.
pub fn jittered(d: Duration) -> Duration {
    // A fresh `RandomState` is randomly keyed: enough randomness for jitter, without a crate.
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    let unit = f64::from(u32::try_from(hasher.finish() % 1_000_001).unwrap_or(0)) / 1_000_000.0;
    d.mul_f64(0.8 + 0.4 * unit)
}

/// Polls `get` until the resource is READY; `say` hears each status change and, during a long
/// wait, that it is still waiting.
pub async fn until_ready<F, Fut>(
    step: &str,
    label: &str,
    first: Resource,
    mut get: F,
    say: impl Fn(String),
) -> Result<Resource, DeployError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<Resource>, DeployError>>,
{
    let started = Instant::now();
    let mut told = started;
    let mut current = first;
    let mut polled = false;
    if phase(&current.status) == Phase::Working {
        say(format!(
            "waiting for {label} to be READY: it is {}",
            current.status
        ));
    }
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
        if told.elapsed() >= STILL_WAITING {
            told = Instant::now();
            say(format!(
                "still waiting for {label} to be READY: {} for {} s",
                current.status,
                started.elapsed().as_secs()
            ));
        }
        // The first poll goes at once: a resource is often READY by the time it is asked.
        if polled {
            tokio::time::sleep(jittered(POLL)).await;
        }
        polled = true;
        let next = get().await?.ok_or_else(|| DeployError::Failed {
            step: step.to_string(),
            resource: label.to_string(),
            status: "DELETED".into(),
            reasons: "it disappeared while being created".into(),
        })?;
        if next.status != current.status {
            say(if phase(&next.status) == Phase::Working {
                format!("waiting for {label} to be READY: it is {}", next.status)
            } else {
                format!("{label} is {}", next.status)
            });
        }
        current = next;
    }
}

/// Polls until `exists` says no (gateways and targets are deleted asynchronously). `Ok(false)`
/// when it was still there after [`WAIT_LIMIT`].
pub async fn until_gone<F, Fut, E>(mut exists: F) -> Result<bool, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool, E>>,
{
    let started = Instant::now();
    while started.elapsed() < WAIT_LIMIT {
        if !exists().await? {
            return Ok(true);
        }
        tokio::time::sleep(jittered(POLL)).await;
    }
    Ok(false)
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
        assert_eq!(
            *heard.lock().expect("lock"),
            [
                "waiting for a to be READY: it is CREATING",
                "waiting for a to be READY: it is SYNCHRONIZING",
                "a is READY"
            ]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn polls_at_once_then_at_a_steady_interval_under_a_second() {
        let polls = Mutex::new(Vec::new());
        let begun = tokio::time::Instant::now();
        until_ready(
            "gateway",
            "gw",
            resource("CREATING", &[]),
            || {
                let mut polls = polls.lock().expect("lock");
                polls.push(begun.elapsed());
                let status = if polls.len() < 12 { "CREATING" } else { "READY" };
                async move { Ok(Some(resource(status, &[]))) }
            },
            |_| {},
        )
        .await
        .expect("ready");
        let polls = polls.lock().expect("lock");
        assert_eq!(polls[0], Duration::ZERO, "the first poll goes at once");
        for pair in polls.windows(2) {
            let gap = pair[1].saturating_sub(pair[0]);
            assert!(
                gap >= POLL.mul_f64(0.79) && gap <= POLL.mul_f64(1.21) && gap < Duration::from_secs(1),
                "steady gap: {gap:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_wait_says_what_it_waits_for() {
        let heard = Mutex::new(Vec::new());
        let polls = Mutex::new(0u32);
        until_ready(
            "gateway",
            "gateway gw",
            resource("CREATING", &[]),
            || {
                let mut n = polls.lock().expect("lock");
                *n += 1;
                let status = if *n < 100 { "CREATING" } else { "READY" };
                async move { Ok(Some(resource(status, &[]))) }
            },
            |m| heard.lock().expect("lock").push(m),
        )
        .await
        .expect("ready");
        let heard = heard.lock().expect("lock");
        assert!(
            heard
                .iter()
                .any(|m| m.starts_with("still waiting for gateway gw to be READY: CREATING for ")),
            "{heard:?}"
        );
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
    fn jitter_stays_within_a_fifth() {
        for _ in 0..200 {
            let d = jittered(Duration::from_secs(1));
            assert!(
                d >= Duration::from_millis(800) && d <= Duration::from_millis(1200),
                "{d:?}"
            );
        }
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
