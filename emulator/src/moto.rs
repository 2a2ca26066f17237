//! Installs moto (once, under a file lock) and runs `moto_server` on a free loopback port.

use std::fs::{File, OpenOptions};
use std::io::Read as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::EmulatorError;

/// The moto release the emulator is built and checked against.
pub const MOTO_VERSION: &str = "5.2.5";
/// Overrides the venv location.
pub const VENV_ENV: &str = "SRE_AGENT_DEPLOY_MOTO_VENV";
/// How long moto may take to answer after it was started.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// `moto_server`'s own entry point, plus a watchdog: when the parent dies, the pipe on stdin closes and
/// moto exits, so even a killed test run leaves no orphan server.
const LAUNCHER: &str = "\
import os, sys, threading
def _watch():
    try:
        sys.stdin.buffer.read()
    finally:
        os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
from moto.server import main
sys.exit(main(sys.argv[1:]))
";

/// `$SRE_AGENT_DEPLOY_MOTO_VENV`, else `.venv-moto` at the workspace's root.
pub fn default_venv() -> PathBuf {
    match std::env::var_os(VENV_ENV) {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv-moto"),
    }
}

fn marker(venv: &Path) -> PathBuf {
    venv.join(format!(".moto-{MOTO_VERSION}-installed"))
}

fn is_installed(venv: &Path) -> bool {
    venv.join("bin/moto_server").is_file() && marker(venv).is_file()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn run(cmd: &mut Command, what: &str) -> Result<(), EmulatorError> {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| EmulatorError::new(format!("{what}: cannot run {cmd:?}: {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Err(EmulatorError::new(format!(
        "{what} failed ({}):\n{}",
        output.status,
        tail(&text, 30)
    )))
}

/// Makes sure `venv` holds `moto[server]==MOTO_VERSION`: creates the venv and pip-installs moto when
/// `bin/moto_server` or the install marker is missing. Parallel test binaries serialise on `<venv>.lock`.
pub fn ensure_venv(venv: &Path) -> Result<(), EmulatorError> {
    if is_installed(venv) {
        return Ok(());
    }
    if let Some(parent) = venv.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| EmulatorError::new(format!("cannot create {}: {e}", parent.display())))?;
    }
    let mut lock_path = venv.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| EmulatorError::new(format!("cannot open lock file {}: {e}", lock_path.display())))?;
    lock.lock()
        .map_err(|e| EmulatorError::new(format!("cannot lock {}: {e}", lock_path.display())))?;
    // Another process may have installed it while this one waited for the lock.
    let result = if is_installed(venv) { Ok(()) } else { install(venv) };
    drop(lock); // Closing the file releases the lock.
    result
}

fn install(venv: &Path) -> Result<(), EmulatorError> {
    let pip = venv.join("bin/pip");
    if !pip.is_file() {
        run(
            Command::new("python3").arg("-m").arg("venv").arg(venv),
            "creating the moto venv",
        )?;
    }
    run(
        Command::new(&pip).args([
            "install",
            "--disable-pip-version-check",
            "--quiet",
            &format!("moto[server]=={MOTO_VERSION}"),
        ]),
        "installing moto",
    )?;
    if !venv.join("bin/moto_server").is_file() {
        return Err(EmulatorError::new(format!(
            "moto was installed into {} but bin/moto_server is missing",
            venv.display()
        )));
    }
    std::fs::write(marker(venv), MOTO_VERSION)
        .map_err(|e| EmulatorError::new(format!("cannot write the install marker: {e}")))
}

/// A free loopback port (the OS picks it; a short race with other processes is possible and retried).
pub fn free_port() -> Result<u16, EmulatorError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| EmulatorError::new(format!("bind 127.0.0.1:0: {e}")))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| EmulatorError::new(e.to_string()))
}

/// A running moto server. Dropping it kills the server and reaps it.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    stdin: Option<ChildStdin>,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// Installs moto when needed and starts it on a free port; returns once it accepts connections.
    pub fn start(venv: &Path) -> Result<Self, EmulatorError> {
        ensure_venv(venv)?;
        let mut last_error = None;
        for _ in 0..3 {
            match Self::start_once(venv) {
                Ok(moto) => return Ok(moto),
                Err((e, retry)) if retry => last_error = Some(e),
                Err((e, _)) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| EmulatorError::new("moto did not start")))
    }

    fn start_once(venv: &Path) -> Result<Self, (EmulatorError, bool)> {
        let fatal = |e: EmulatorError| (e, false);
        let dir = tempfile::Builder::new()
            .prefix("moto-")
            .tempdir()
            .map_err(|e| fatal(EmulatorError::new(format!("temp dir: {e}"))))?;
        let log = dir.path().join("moto.log");
        let out =
            File::create(&log).map_err(|e| fatal(EmulatorError::new(format!("{}: {e}", log.display()))))?;
        let err = out
            .try_clone()
            .map_err(|e| fatal(EmulatorError::new(e.to_string())))?;
        let port = free_port().map_err(fatal)?;
        let python = venv.join("bin/python");
        let mut child = Command::new(&python)
            .arg("-c")
            .arg(LAUNCHER)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::piped())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| {
                fatal(EmulatorError::new(format!(
                    "cannot start {}: {e}",
                    python.display()
                )))
            })?;
        let stdin = child.stdin.take();
        let mut moto = Self {
            child,
            stdin,
            port,
            log,
            _dir: dir,
        };

        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        loop {
            match moto.child.try_wait() {
                Ok(Some(status)) => {
                    let log = moto.log_tail(40);
                    let retry = log.contains("Address already in use");
                    return Err((
                        EmulatorError::new(format!(
                            "moto_server exited ({status}) before answering on {addr}; log {}:\n{log}",
                            moto.log.display()
                        )),
                        retry,
                    ));
                }
                Ok(None) => {}
                Err(e) => return Err(fatal(EmulatorError::new(format!("waiting for moto_server: {e}")))),
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(250)).is_ok() {
                return Ok(moto);
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(fatal(EmulatorError::new(format!(
                    "moto_server did not answer on {addr} within {} s; log {}:\n{}",
                    START_TIMEOUT.as_secs(),
                    moto.log.display(),
                    moto.log_tail(40)
                ))));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `http://127.0.0.1:PORT` of moto itself (bypassing the proxy).
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `lines` lines of moto's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        tail(&text, lines)
    }

    /// The process id of the moto server.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `POST`s `body` to one of moto's own endpoints (`/moto-api/...`); blocking.
    pub fn api(&self, path: &str, body: &serde_json::Value) -> Result<(), EmulatorError> {
        use std::io::Write as _;
        let fail = |e: &dyn std::fmt::Display| EmulatorError::new(format!("moto {path}: {e}"));
        let body = body.to_string();
        let mut stream =
            TcpStream::connect_timeout(&self.addr(), Duration::from_secs(5)).map_err(|e| fail(&e))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(|e| fail(&e))?;
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr(),
            body.len()
        )
        .map_err(|e| fail(&e))?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).map_err(|e| fail(&e))?;
        let status = answer.split_whitespace().nth(1).unwrap_or_default();
        if status.starts_with('2') {
            Ok(())
        } else {
            Err(fail(&answer.lines().next().unwrap_or("no answer")))
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
