//! The body of an S3 state lock: who holds it, for what, since when, and the lock id that
//! `force-unlock` must name.

use serde::{Deserialize, Serialize};

use crate::deploy::state::now_rfc3339;

/// What a lock object says. Written once with `If-None-Match: *`; never changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockBody {
    /// A UUID (version 4), new for every lock.
    pub lock_id: String,
    /// What the holder is doing: `deploy`, `resume`, `cleanup`, `state push`.
    pub operation: String,
    /// `user@host`.
    pub who: String,
    pub pid: u32,
    /// RFC 3339, UTC.
    pub created: String,
    /// The sre-agent-deploy version that took it.
    pub version: String,
}

impl LockBody {
    /// A new lock for `operation`, held by this process.
    pub fn new(operation: &str) -> Self {
        Self {
            lock_id: uuid_v4(),
            operation: operation.to_string(),
            who: who(),
            pid: std::process::id(),
            created: now_rfc3339(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).unwrap_or_default()
    }

    /// The body of a lock object; an error (the reason) when it is not one of ours.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("its body is not an sre-agent-deploy lock ({e})"))
    }

    /// The holder as a person reads it: `alice@ci-7 (pid 4242, deploy, 3m 12s ago, lock id …)`.
    pub fn holder(&self) -> String {
        format!(
            "{} (pid {}, {}, since {}, {} ago, sre-agent-deploy {}), lock id {}",
            self.who,
            self.pid,
            self.operation,
            self.created,
            age(&self.created),
            self.version,
            self.lock_id
        )
    }
}

/// How long ago an RFC 3339 time was, roughly: `42s`, `3m 12s`, `5h 2m`, `2d 4h`.
pub fn age(created: &str) -> String {
    let Ok(then) = time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
    else {
        return "an unknown time".into();
    };
    let seconds = (time::OffsetDateTime::now_utc() - then).whole_seconds().max(0);
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds / 3600 % 24,
        seconds / 60 % 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// `user@host` from the environment and the kernel's host name.
pub fn who() -> String {
    let user = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{user}@{host}")
}

/// A random (version 4) UUID from the TLS library's secure random source.
fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    if rustls::crypto::aws_lc_rs::default_provider()
        .secure_random
        .fill(&mut b)
        .is_err()
    {
        // Never seen; the pid and the clock still make the id unique to this run.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        b = (nanos ^ (u128::from(std::process::id()) << 96)).to_be_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = super::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_round_trips_and_ids_differ() {
        let a = LockBody::new("deploy");
        let b = LockBody::new("deploy");
        assert_ne!(a.lock_id, b.lock_id);
        assert_eq!(a.lock_id.len(), 36);
        assert_eq!(&a.lock_id[14..15], "4", "version 4: {}", a.lock_id);
        assert_eq!(LockBody::parse(&a.to_json()), Ok(a.clone()));
        assert!(a.who.contains('@'), "{}", a.who);
        assert!(a.holder().contains(&a.lock_id));
    }

    #[test]
    fn a_foreign_body_is_refused() {
        for body in [&b"{}"[..], b"locked", br#"{"lock_id":"x","extra":1}"#] {
            assert!(
                LockBody::parse(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn ages_read_naturally() {
        let ago = |s: i64| {
            (time::OffsetDateTime::now_utc() - time::Duration::seconds(s))
                .format(&time::format_description::well_known::Rfc3339)
                .expect("formats")
        };
        assert_eq!(age(&ago(5)), "5s");
        assert_eq!(age(&ago(192)), "3m 12s");
        assert_eq!(age(&ago(3 * 3600 + 120)), "3h 2m");
        assert_eq!(age(&ago(2 * 86_400 + 3600)), "2d 1h");
        assert_eq!(age("yesterday"), "an unknown time");
    }
}
