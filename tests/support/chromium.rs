//! Headless Chromium for the HTML report test: found at `$CHROMIUM` or `/usr/bin/chromium`, and
//! installed from Debian's packages when missing and running as root (as in CI), one installer
//! at a time. The page is loaded from a file with the network-quiet flags this machine needs.
#![allow(clippy::print_stderr)] // the one-time install says what it is doing

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Chromium binary, installing Debian's `chromium` package when needed.
pub fn ensure() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("CHROMIUM").map(PathBuf::from) {
        return Ok(path);
    }
    let default = PathBuf::from("/usr/bin/chromium");
    if default.is_file() {
        return Ok(default);
    }
    let lock_path = std::env::temp_dir().join("sre-agent-deploy-chromium.lock");
    let lock = std::fs::File::create(&lock_path).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    if default.is_file() {
        return Ok(default);
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        return Err("Chromium is not installed: `sudo apt-get install chromium`, or set CHROMIUM".into());
    }
    eprintln!("installing Debian's chromium package for the HTML report test (once)");
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
    run(&["install", "-y", "-qq", "--no-install-recommends", "chromium"])?;
    default
        .is_file()
        .then_some(default)
        .ok_or_else(|| "the chromium package did not install /usr/bin/chromium".into())
}

/// The DOM Chromium builds from the HTML file at `page` (a fresh profile under `scratch`).
pub fn dump_dom(chromium: &Path, page: &Path, scratch: &Path) -> Result<String, String> {
    let profile = scratch.join("chromium-profile");
    let output = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .map_err(|e| format!("{}: {e}", chromium.display()))?;
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    if dom.trim().is_empty() {
        return Err(format!(
            "Chromium printed no DOM ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(dom)
}
