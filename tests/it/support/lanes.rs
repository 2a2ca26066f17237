//! Campaign lanes: independent cases spread over a few threads, each lane with its own emulator
//! (behaving like the service) so that a lane's freezes and fault rules touch only its own
//! deploys. The campaigns spend most of their time waiting for READY; lanes overlap the waits.

use std::time::Duration;

use super::deployment::{fixture, tool};
use super::emulator::Emulator;
use super::look::Look;

/// How long gateways take to become READY in the campaigns (targets half that; a new role is
/// not assumable for as long): the service's behaviour, scaled down to keep CI short.
pub const READY: Duration = Duration::from_millis(500);

/// Lanes, unless `CAMPAIGN_LANES` says otherwise.
pub fn count() -> usize {
    std::env::var("CAMPAIGN_LANES")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(3)
}

/// An emulator that behaves like the service, warmed up (moto imports each service on its first
/// use) with one deploy and cleanup named `warm-{lane}`.
pub fn emulator(lane: usize) -> (Emulator, Look) {
    let emu = Emulator::start().expect("emulator");
    emu.behave_like_the_service(READY).expect("service behaviour");
    let look = Look::new(&emu);
    let n = format!("warm{lane}");
    let f = fixture(&n);
    tool(&f, &emu)
        .args(["--non-interactive", "--no-verify", "-c", "config.yaml"])
        .assert()
        .code(0);
    tool(&f, &emu)
        .args(["--cleanup", "--deployment-id", &format!("sre-e2e-{n}"), "--yes"])
        .assert()
        .code(0);
    (emu, look)
}

/// Runs `case` on every item, spread round-robin over [`count`] lanes; returns the results in
/// the items' order. A panic in a lane fails the campaign with its message.
pub fn run<T, R, F>(items: Vec<T>, case: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(&Emulator, &Look, T) -> R + Sync,
{
    let lanes = count().min(items.len().max(1));
    let mut queues: Vec<Vec<(usize, T)>> = (0..lanes).map(|_| Vec::new()).collect();
    for (i, item) in items.into_iter().enumerate() {
        queues[i % lanes].push((i, item));
    }
    let case = &case;
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = queues
            .into_iter()
            .enumerate()
            .map(|(lane, queue)| {
                scope.spawn(move || {
                    let (emu, look) = emulator(lane);
                    queue
                        .into_iter()
                        .map(|(i, item)| (i, case(&emu, &look, item)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}
