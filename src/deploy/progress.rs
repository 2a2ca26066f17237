//! Plain progress lines (`[HH:MM:SS] step: message`) for terminals, pipes and CI logs. The same
//! lines are what a later dashboard will watch.

use std::io::Write;
use std::sync::Mutex;

/// Where progress lines go.
pub struct Progress {
    out: Mutex<Box<dyn Write + Send>>,
}

impl Progress {
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self { out: Mutex::new(out) }
    }

    /// Progress on standard error, so standard output stays for results.
    pub fn stderr() -> Self {
        Self::new(Box::new(std::io::stderr()))
    }

    pub fn line(&self, step: &str, message: &str) {
        let now = super::state::now_rfc3339();
        let clock = now.get(11..19).unwrap_or(&now);
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "[{clock}] {step:<24} {message}");
            let _ = out.flush();
        }
    }
}
