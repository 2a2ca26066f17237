//! The gateway's target statuses, read with one `ListGatewayTargets` per tick for every target
//! step that waits on them, instead of one `GetGatewayTarget` per target.
//!
//! A waiter asks for a listing taken at or after a given moment (its create's answer, or its
//! previous reading). A finished listing taken since then is shared; so is one in flight that was
//! started since then; otherwise the waiter starts a listing of its own, which the next waiters
//! share. Waiters that poll at the same interval therefore share one listing per tick, and no
//! waiter waits for a listing that cannot show it what it needs.

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use tokio::time::Instant;

use crate::aws::AwsError;
use crate::aws::agentcore::TargetSummary;

/// One listing of a gateway's targets.
#[derive(Debug, Clone)]
pub struct Listing {
    /// When the listing was asked for: it shows every change made before then.
    pub taken: Instant,
    pub targets: Arc<Vec<TargetSummary>>,
}

impl Listing {
    pub fn status(&self, target_id: &str) -> Option<&str> {
        self.targets
            .iter()
            .find(|t| t.id == target_id)
            .map(|t| t.status.as_str())
    }
}

type Pending = Shared<BoxFuture<'static, Result<Listing, AwsError>>>;

#[derive(Default)]
struct Slots {
    /// The newest finished listing, by gateway.
    done: Option<(String, Listing)>,
    /// The newest listing in flight: its gateway, when it was started, and its answer to come.
    pending: Option<(String, Instant, Pending)>,
}

/// The listings of one run, shared by its target steps.
#[derive(Default)]
pub struct Board {
    slots: Mutex<Slots>,
}

impl std::fmt::Debug for Board {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Board").finish_non_exhaustive()
    }
}

impl Board {
    /// A listing of `gateway`'s targets taken at or after `since`; `list` is started only when
    /// there is no such listing, finished or in flight.
    pub async fn since<F, Fut>(&self, gateway: &str, since: Instant, list: F) -> Result<Listing, AwsError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<TargetSummary>, AwsError>> + Send + 'static,
    {
        let pending = {
            let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((listed, listing)) = &slots.done
                && listed == gateway
                && listing.taken >= since
            {
                return Ok(listing.clone());
            }
            match &slots.pending {
                Some((listed, started, pending)) if listed == gateway && *started >= since => pending.clone(),
                _ => {
                    let taken = Instant::now();
                    let fetch = list();
                    let pending = async move {
                        Ok(Listing {
                            taken,
                            targets: Arc::new(fetch.await?),
                        })
                    }
                    .boxed()
                    .shared();
                    slots.pending = Some((gateway.to_string(), taken, pending.clone()));
                    pending
                }
            }
        };
        let listing = pending.await?;
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        let newer = slots
            .done
            .as_ref()
            .is_none_or(|(listed, done)| listed != gateway || done.taken < listing.taken);
        if newer {
            slots.done = Some((gateway.to_string(), listing.clone()));
        }
        Ok(listing)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    fn summary(id: &str, status: &str) -> TargetSummary {
        TargetSummary {
            id: id.into(),
            name: id.into(),
            status: status.into(),
        }
    }

    fn slow_listing(
        lists: &Arc<AtomicU32>,
        status: &'static str,
    ) -> impl Future<Output = Result<Vec<TargetSummary>, AwsError>> + Send + 'static {
        let lists = Arc::clone(lists);
        async move {
            lists.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(vec![summary("t1", status)])
        }
    }

    #[tokio::test]
    async fn waiters_share_a_listing_started_since_they_asked() {
        let board = Arc::new(Board::default());
        let lists = Arc::new(AtomicU32::new(0));
        let since = Instant::now();
        let mut waiters = Vec::new();
        for _ in 0..4 {
            let (board, lists) = (Arc::clone(&board), Arc::clone(&lists));
            waiters.push(tokio::spawn(async move {
                board
                    .since("gw", since, || slow_listing(&lists, "READY"))
                    .await
                    .expect("listing")
            }));
        }
        for waiter in waiters {
            assert_eq!(waiter.await.expect("join").status("t1"), Some("READY"));
        }
        assert_eq!(lists.load(Ordering::SeqCst), 1, "one listing for four waiters");
    }

    #[tokio::test]
    async fn a_waiter_never_waits_for_a_listing_started_before_it_asked() {
        let board = Arc::new(Board::default());
        let lists = Arc::new(AtomicU32::new(0));
        let first = {
            let (board, lists) = (Arc::clone(&board), Arc::clone(&lists));
            let since = Instant::now();
            tokio::spawn(async move {
                board
                    .since("gw", since, || slow_listing(&lists, "CREATING"))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        // Asked while the first listing is in flight, for a state newer than its start.
        let later = Instant::now();
        let second = board
            .since("gw", later, || slow_listing(&lists, "READY"))
            .await
            .expect("listing");
        assert!(second.taken >= later);
        assert_eq!(second.status("t1"), Some("READY"));
        assert_eq!(
            first.await.expect("join").expect("listing").status("t1"),
            Some("CREATING")
        );
        assert_eq!(lists.load(Ordering::SeqCst), 2);
        // The newest finished listing is kept.
        let kept = board
            .since("gw", later, || slow_listing(&lists, "FAILED"))
            .await
            .expect("listing");
        assert_eq!(kept.status("t1"), Some("READY"));
        let other = board
            .since("gw2", later, || async { Ok(vec![]) })
            .await
            .expect("listing");
        assert_eq!(other.status("t1"), None, "another gateway is listed on its own");
    }
}
