//! Killing a deploy at a chosen call, for the crash campaigns: the emulator holds the k-th call,
//! the process is killed (SIGKILL) while it is held, and the held calls are then run (they
//! reached AWS, the answers were lost) or dropped (the process died before sending).

use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

use super::emulator::{Emulator, Thaw};

/// Where a kill landed.
pub enum Killed {
    /// The process ended (with this status) before its k-th call.
    Finished(ExitStatus),
    /// Killed while this operation was held; the held calls were released as asked and are done.
    At(String),
}

/// Starts `spawn` with the emulator holding its `k`-th call, kills it there, releases the held
/// calls as `how` says and waits until none is in flight.
pub fn kill_at_call(
    emu: &Emulator,
    k: u64,
    how: Thaw,
    spawn: impl FnOnce() -> Child,
    context: &str,
) -> Killed {
    let before = emu.calls().len();
    emu.faults().freeze_at(k);
    let mut child = spawn();
    let begun = Instant::now();
    while emu.faults().held() == 0 {
        if let Ok(Some(status)) = child.try_wait() {
            emu.faults().thaw(Thaw::Pass);
            return Killed::Finished(status);
        }
        assert!(
            begun.elapsed() < Duration::from_mins(1),
            "{context}: call {k} never came"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    let at = emu.calls()[before + usize::try_from(k).expect("k") - 1]
        .operation
        .clone();
    emu.faults().thaw(how);
    // The released calls finish (or are dropped) before anything else starts, as they would at AWS.
    let begun = Instant::now();
    while emu.calls()[before..]
        .iter()
        .any(|c| c.status == 0 && c.fault.is_none())
    {
        assert!(
            begun.elapsed() < Duration::from_secs(30),
            "{context}: calls still in flight"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    Killed::At(at)
}
