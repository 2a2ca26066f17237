//! Host preflight: is the machine that will run the backend servers ready for them? CPU, memory,
//! free disk, the tools the backends need, the backend ports, and whether the user that will run
//! the servers can read the certificate and key.
//!
//! The facts about the host ([`HostFacts`]) are read by [`gather`]; [`evaluate`] turns them into
//! findings, each with its fix, without any I/O, so the verdicts are tested on injected facts.
//! [`validate_findings`] is the part `--validate-only` runs when the config's host is this machine.

mod access;
mod evaluate;
pub mod gather;
mod local;
mod report;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use evaluate::{Evaluation, Passed, Verdict, evaluate, parse_version, pick_python};
pub use local::host_is_local;
pub use report::PreflightReport;

use crate::config::Config;
use crate::validate::ValidationResult;

/// The design's minimum host: 4 vCPUs.
pub const MIN_CPUS: usize = 4;
/// The design's minimum memory, 16 GiB. A 16 GiB instance reports a little less (the kernel keeps
/// some), so the check passes from [`MIN_MEMORY_REPORTED`] up.
pub const MIN_MEMORY_GIB: u64 = 16;
/// The least `MemTotal` a 16 GiB instance reports.
pub const MIN_MEMORY_REPORTED: u64 = 15 * GIB;
/// Free disk the backends need (images, virtual environments, logs): 50 GiB.
pub const MIN_DISK_GIB: u64 = 50;
/// The ports the original setup serves the four backends on.
pub const DEFAULT_PORTS: [u16; 4] = [8011, 8012, 8013, 8014];
/// The HTTPS port, checked in every run.
pub const HTTPS_PORT: u16 = 443;
pub const GIB: u64 = 1024 * 1024 * 1024;

/// What was found out about the host. Every field can be injected, so [`evaluate`] needs no host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostFacts {
    /// CPUs this process may use (`available_parallelism`: cgroup quotas and affinity included).
    pub cpus: usize,
    /// `MemTotal`; `None` when it could not be read.
    pub memory_bytes: Option<u64>,
    /// The folder the backends will live in (the current folder).
    pub disk_path: PathBuf,
    /// Free space for an unprivileged user on `disk_path`'s file system.
    pub disk_free_bytes: Option<u64>,
    /// The machine architecture (`x86_64`, `aarch64`), for install commands.
    pub arch: String,
    pub tools: Vec<ToolFact>,
    pub ports: Vec<PortFact>,
    /// The user the file checks are for.
    pub run_as: RunAs,
    pub files: Vec<FileFact>,
}

/// A command-line tool the backends need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolFact {
    /// `python`, `uv`, `docker` or `aws`.
    pub name: String,
    /// The command that answered (`python3.12`), or the one that was tried.
    pub command: String,
    pub found: bool,
    /// The first line `<command> --version` printed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl ToolFact {
    pub fn found(name: &str, command: &str, version: &str) -> Self {
        Self {
            name: name.into(),
            command: command.into(),
            found: true,
            version: Some(version.into()),
        }
    }

    pub fn missing(name: &str, command: &str) -> Self {
        Self {
            name: name.into(),
            command: command.into(),
            found: false,
            version: None,
        }
    }
}

/// Whether a TCP port can still be served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortFact {
    pub port: u16,
    pub state: PortState,
    /// Why the state is `unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PortState {
    Free,
    InUse,
    Unknown,
}

/// The user that will run the servers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunAs {
    pub name: String,
    /// False when `--run-as` names a user this host does not have.
    pub found: bool,
    /// The user's primary group, for `chgrp` fixes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Can the run-as user read one of the config's files?
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileFact {
    /// The config field naming the file (`tls.ssl_key_path`).
    pub field: String,
    pub path: PathBuf,
    pub access: Access,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Access {
    Readable,
    Missing,
    /// `blocked_by` is the file itself, or a folder on its path the user cannot enter.
    Denied {
        blocked_by: PathBuf,
        reason: String,
    },
    Unknown {
        reason: String,
    },
}

/// What to check: the ports, the files (config field and path) and the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Run the tools' `--version` (about a second); `--validate-only` without `--online` does not.
    pub probe_tools: bool,
    pub ports: Vec<u16>,
    pub files: Vec<(String, PathBuf)>,
    pub run_as: Option<String>,
    pub disk_path: PathBuf,
}

impl Request {
    /// The checks for `config` (its backend ports and TLS files, relative to `base_dir`), or for
    /// the default ports and no files without one. Port 443 is always checked, last.
    pub fn new(config: Option<&Config>, base_dir: &Path, run_as: Option<String>) -> Self {
        let mut ports: Vec<u16> = config
            .into_iter()
            .flat_map(|c| &c.gateway.targets)
            .filter_map(|t| url::Url::parse(&t.backend_url).ok())
            .filter_map(|u| u.port_or_known_default())
            .collect();
        if ports.is_empty() {
            ports.extend(DEFAULT_PORTS);
        }
        ports.sort_unstable();
        ports.dedup();
        if !ports.contains(&HTTPS_PORT) {
            ports.push(HTTPS_PORT);
        }
        let files = config
            .map(|c| {
                [
                    ("tls.ssl_cert_path", &c.tls.ssl_cert_path),
                    ("tls.ssl_key_path", &c.tls.ssl_key_path),
                ]
                .into_iter()
                .filter(|(_, p)| !p.as_os_str().is_empty())
                .map(|(field, p)| (field.to_string(), shown_path(&base_dir.join(p))))
                .collect()
            })
            .unwrap_or_default();
        Self {
            probe_tools: true,
            ports,
            files,
            run_as,
            disk_path: std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/opt")),
        }
    }
}

/// `path` with its folder made absolute and free of `..` (through the file system, so symbolic
/// links are followed the way the kernel follows them); the file name stays as written, so the
/// fixes name the file the config names. As it is when the folder does not exist.
fn shown_path(path: &Path) -> PathBuf {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (std::fs::canonicalize(dir), path.file_name()) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// The preflight findings `--validate-only` adds when the config's backends run on this machine
/// (see [`host_is_local`]); nothing otherwise. Fields `already` has findings on are left out, so
/// an unreadable key is reported once.
pub fn validate_findings(
    config: &Config,
    base_dir: &Path,
    already: &ValidationResult,
    online: bool,
) -> ValidationResult {
    if !host_is_local(config, online) {
        return ValidationResult::new();
    }
    let mut request = Request::new(Some(config), base_dir, None);
    request.probe_tools = online;
    let facts = gather::gather(&request);
    evaluate(&facts)
        .findings()
        .filter(|f| !already.mentions(&f.field))
        .cloned()
        .collect()
}
