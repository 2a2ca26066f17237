//! The engine against the service's timing, which moto is kinder about: READY after seconds,
//! seen within a poll interval (targets read from one listing per tick), and a new role not
//! assumable at once, waited for. The one test that asserts on time: it runs with no campaign
//! and no package install beside it. Its module sorts after the campaigns', so both campaigns
//! hold their (shared) lock before it asks for its exclusive one and they run side by side.

use std::time::Duration;

use crate::support::deployment::{deploy_ok, fixture};
use crate::support::emulator::{Call, Emulator};

fn calls_of<'a>(calls: &'a [Call], operation: &str) -> Vec<&'a Call> {
    calls.iter().filter(|c| c.operation == operation).collect()
}

#[test]
fn ready_is_seen_within_a_poll_and_a_new_role_is_waited_for() {
    let _quiet = crate::support::timing_sensitive();
    let emu = Emulator::start().expect("emulator");
    emu.set_ready_after(Duration::from_millis(2200), Duration::from_millis(1100))
        .expect("READY delays");
    // Long enough that the first CreateGateway comes within it even when the machine is busy.
    emu.set_role_propagation(Duration::from_millis(2500));
    let f = fixture("r");
    let (_, stderr) = deploy_ok(&f, &emu);
    let calls = emu.calls();

    // The role: CreateGateway was refused while the role propagated, and retried 1-2 s later.
    let creates = calls_of(&calls, "CreateGateway");
    assert!(creates.len() >= 2, "refused at first: {creates:?}");
    assert_eq!(creates[0].status, 400);
    let refused_to_created = creates[creates.len() - 1].at - creates[creates.len() - 2].at;
    assert!(
        refused_to_created >= Duration::from_millis(900) && refused_to_created <= Duration::from_millis(2500),
        "retried after {refused_to_created:?}"
    );
    assert!(stderr.contains("not assumable yet"), "{stderr}");

    // The gateway: polled at once and then steadily, READY seen well within a second.
    let made = creates[creates.len() - 1];
    let gets: Vec<&Call> = calls_of(&calls, "GetGateway")
        .into_iter()
        .filter(|c| c.at > made.at)
        .collect();
    for pair in gets.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(150) && gap <= Duration::from_secs(1),
            "a steady poll: {gap:?}"
        );
    }
    // The gateway was made between the create's arrival and its answer (moto can take a second
    // to answer on a loaded machine): READY is 2.2 s after that moment, so the poll that saw it
    // came at least 2.2 s after the arrival, and at most a poll and some slack after the answer.
    let last = gets.last().expect("polled").at;
    let answered = made.at + made.served.expect("the create was answered");
    let seen = last - made.at;
    let after_answer = last.saturating_duration_since(answered);
    assert!(
        seen >= Duration::from_millis(2200) && after_answer <= Duration::from_millis(3200),
        "READY after 2.2 s seen {seen:?} after the create was sent, {after_answer:?} after its answer"
    );
    assert!(
        stderr.contains("waiting for gateway sre-gw-r to be READY: it is CREATING"),
        "the progress line says what it waits for: {stderr}"
    );

    // The targets: one listing per tick for all four, no per-target Get, READY seen at once.
    assert_eq!(emu.call_count("GetGatewayTarget"), 0);
    let last_create = calls_of(&calls, "CreateGatewayTarget")
        .into_iter()
        .map(|c| c.at)
        .max()
        .expect("targets created");
    let lists = calls_of(&calls, "ListGatewayTargets");
    let waited = lists.last().expect("listed").at - last_create;
    assert!(
        waited >= Duration::from_millis(1100) && waited <= Duration::from_millis(2100),
        "targets READY after 1.1 s seen {waited:?} after the last create"
    );
    assert!(
        lists.len() <= 4 + 1100 / 150,
        "one listing per tick for four targets, not one per target: {} listings",
        lists.len()
    );
}
