//! Tools the tests drive (Chromium, tmux), installed from Debian's packages when missing and
//! running as root (as in CI), one installer at a time across test processes.
#![allow(clippy::print_stderr)] // the one-time install says what it is doing

use std::path::{Path, PathBuf};
use std::process::Command;

/// `binary`, installing Debian's `package` first when it is missing. `why` names the test.
pub fn ensure(binary: &Path, package: &str, why: &str) -> Result<PathBuf, String> {
    // Under the lock even when the binary is there: `scripts/test-tools` (CI) may be installing
    // it right now, and a binary unpacked before its libraries are set up is not ready.
    let lock_path = std::env::temp_dir().join("sre-agent-deploy-apt.lock");
    let lock = std::fs::File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    if binary.is_file() {
        return Ok(binary.to_path_buf());
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        return Err(format!(
            "{package} is not installed: `sudo apt-get install {package}`"
        ));
    }
    eprintln!("installing Debian's {package} package for {why} (once)");
    let run = |args: &[&str]| {
        Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map_err(|e| format!("apt-get: {e}"))
            .and_then(|s| {
                s.success()
                    .then_some(())
                    .ok_or(format!("apt-get {args:?} failed: {s}"))
            })
    };
    run(&["update", "-qq"])?;
    run(&["install", "-y", "-qq", "--no-install-recommends", package])?;
    binary
        .is_file()
        .then(|| binary.to_path_buf())
        .ok_or_else(|| format!("the {package} package did not install {}", binary.display()))
}
