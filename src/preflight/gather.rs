//! Reads the real host into [`HostFacts`]: CPUs (`available_parallelism`), memory
//! (`/proc/meminfo`), free disk (statvfs), the tools (`<tool> --version`, a few seconds each, at
//! the same time), the ports (a bind that is released at once) and the files' readability. Linux
//! first; elsewhere a fact that cannot be read is `None` or `unknown` with the reason.
//!
//! It judges nothing: [`super::evaluate`] does.

use std::io::{ErrorKind, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::access::{self, Accounts};
use super::{FileFact, HostFacts, PortFact, PortState, Request, ToolFact, pick_python};

/// How long a `--version` may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a connect to a port this process may not bind may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// The Python commands tried, in order of preference.
const PYTHONS: [&str; 4] = ["python3.12", "python3.13", "python3.14", "python3"];

/// Reads every fact the request asks for.
pub fn gather(request: &Request) -> HostFacts {
    let (tools, disk_free_bytes) = std::thread::scope(|s| {
        let disk = s.spawn(|| disk_free(&request.disk_path));
        let tools = if request.probe_tools { tools(s) } else { Vec::new() };
        (tools, disk.join().ok().flatten())
    });
    let (run_as, files) = files(request);
    HostFacts {
        cpus: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
        memory_bytes: std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|t| mem_total(&t)),
        disk_path: request.disk_path.clone(),
        disk_free_bytes,
        arch: std::env::consts::ARCH.to_string(),
        tools,
        ports: request.ports.iter().map(|&p| port(p)).collect(),
        run_as,
        files,
    }
}

/// `MemTotal` from `/proc/meminfo`, in bytes.
pub fn mem_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find_map(|l| l.strip_prefix("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().next()?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The bytes available to unprivileged users on the file system holding `path` (statvfs: no
/// process to start, unlike `df`).
fn disk_free(path: &Path) -> Option<u64> {
    let stats = rustix::fs::statvfs(path).ok()?;
    stats.f_bavail.checked_mul(stats.f_frsize)
}

/// Every tool's `--version`, run at the same time.
fn tools<'scope>(s: &'scope std::thread::Scope<'scope, '_>) -> Vec<ToolFact> {
    let version = |cmd: &'static str| s.spawn(move || (cmd.to_string(), first_line(cmd)));
    let pythons: Vec<_> = PYTHONS.iter().map(|c| version(c)).collect();
    let others: Vec<_> = [("uv", "uv"), ("docker", "docker"), ("aws", "aws")]
        .into_iter()
        .map(|(name, cmd)| (name, version(cmd)))
        .collect();
    let pythons: Vec<(String, Option<String>)> = pythons.into_iter().filter_map(|h| h.join().ok()).collect();
    let mut tools = vec![pick_python(&pythons)];
    for (name, handle) in others {
        tools.push(match handle.join() {
            Ok((cmd, Some(v))) => ToolFact::found(name, &cmd, &v),
            Ok((cmd, None)) => ToolFact::missing(name, &cmd),
            Err(_) => ToolFact::missing(name, name),
        });
    }
    tools
}

/// The first non-empty line `cmd --version` printed (stdout, else stderr), if it ran and succeeded.
fn first_line(cmd: &str) -> Option<String> {
    let text = run(Command::new(cmd).arg("--version"))?;
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// Runs a command with [`COMMAND_TIMEOUT`]; its stdout, or its stderr when stdout is empty, when
/// it exits with success.
fn run(command: &mut Command) -> Option<String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    };
    if !status.success() {
        return None;
    }
    let read = |pipe: Option<&mut dyn Read>| {
        let mut text = String::new();
        if let Some(p) = pipe {
            let _ = p.read_to_string(&mut text);
        }
        text
    };
    let out = read(child.stdout.as_mut().map(|p| p as &mut dyn Read));
    if out.trim().is_empty() {
        Some(read(child.stderr.as_mut().map(|p| p as &mut dyn Read)))
    } else {
        Some(out)
    }
}

/// Whether `port` can be served: a bind on every IPv4 address, released at once. A port this
/// user may not bind (under 1024 without root) is in use when something answers on loopback.
fn port(port: u16) -> PortFact {
    let fact = |state, detail: Option<String>| PortFact { port, state, detail };
    match TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)) {
        Ok(listener) => {
            drop(listener);
            fact(PortState::Free, None)
        }
        Err(e) if e.kind() == ErrorKind::AddrInUse => fact(PortState::InUse, None),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => {
            let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            if TcpStream::connect_timeout(&loopback, CONNECT_TIMEOUT).is_ok() {
                fact(PortState::InUse, None)
            } else {
                fact(
                    PortState::Unknown,
                    Some(format!(
                        "binding it needs root or CAP_NET_BIND_SERVICE, and nothing answers on \
                         127.0.0.1:{port}"
                    )),
                )
            }
        }
        Err(e) => fact(PortState::Unknown, Some(e.to_string())),
    }
}

/// The run-as user and, for each file, whether that user can read it.
fn files(request: &Request) -> (super::RunAs, Vec<FileFact>) {
    let accounts = Accounts::read();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let current = accounts.current(&status);
    let (name, user) = match &request.run_as {
        None => (
            current
                .as_ref()
                .map_or("the current user", |u| u.name.as_str())
                .to_string(),
            current.clone(),
        ),
        Some(name) => (name.clone(), accounts.user(name)),
    };
    // Without --run-as the current user is the one, known to the account files or not.
    let mut run_as = access::run_as_fact(&name, user.as_ref());
    run_as.found |= request.run_as.is_none();
    let as_current = request.run_as.is_none()
        || matches!((&user, &current), (Some(u), Some(c)) if u.identity.uid == c.identity.uid);
    let files = request
        .files
        .iter()
        .map(|(field, path)| FileFact {
            field: field.clone(),
            path: path.clone(),
            access: access::check(path, user.as_ref(), as_current, &accounts),
        })
        .collect();
    (run_as, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_total_in_bytes() {
        let text = "MemTotal:       24684084 kB\nMemFree:         1000 kB\n";
        assert_eq!(mem_total(text), Some(24_684_084 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
    }

    #[test]
    fn disk_free_reads_the_file_system() {
        let free = disk_free(Path::new(".")).expect("statvfs on the current folder");
        assert!(free > 0);
        assert_eq!(disk_free(Path::new("/no/such/folder")), None);
    }

    #[test]
    fn a_port_held_here_is_in_use_and_a_released_one_is_free() {
        let held = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).expect("bind");
        let p = held.local_addr().expect("addr").port();
        assert_eq!(port(p).state, PortState::InUse);
        drop(held);
        // Another test's bind to port 0 may briefly get the same port; it lets go again.
        let freed = (0..100).any(|_| {
            let free = port(p).state == PortState::Free;
            if !free {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            free
        });
        assert!(freed, "port {p} stayed in use after it was released");
    }

    #[test]
    fn a_missing_tool_is_none() {
        assert_eq!(first_line("sre-agent-deploy-no-such-tool"), None);
    }
}
