//! Headless Chromium for the HTML report test: found at `$CHROMIUM` or `/usr/bin/chromium`, and
//! installed from Debian's packages when missing and running as root (as in CI), one installer
//! at a time. The page is loaded from a file with the network-quiet flags this machine needs.

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
    super::apt::ensure(&default, "chromium", "the HTML report test")
        .map_err(|e| format!("{e}, or set CHROMIUM"))
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
