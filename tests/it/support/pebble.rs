//! Pebble, Let's Encrypt's ACME test server, and pebble-challtestsrv as its DNS (Debian's `pebble`
//! package, installed when missing and running as root). Both listen on free loopback ports;
//! challtestsrv answers 127.0.0.1 for every name, so Pebble validates HTTP-01 against this host.
//! Pebble's own HTTPS uses a chain generated here; its issuing root is fetched from its
//! management endpoint.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::certs;

/// A running Pebble; dropping it stops both servers.
pub struct Pebble {
    server: Child,
    challtestsrv: Child,
    _dir: tempfile::TempDir,
    /// The ACME directory.
    pub directory_url: String,
    /// The CA that signs Pebble's own HTTPS certificate (`ca_bundle_path` for the client).
    pub tls_ca: PathBuf,
    /// The root Pebble issues under, to check what it issued.
    pub issuing_root: PathBuf,
    /// The port Pebble connects to for HTTP-01 (where the tool's responder must listen).
    pub http_port: u16,
    /// pebble-challtestsrv's management port (its DNS answers are set there).
    pub dns_management: u16,
}

impl Pebble {
    pub fn start() -> Result<Self, String> {
        let pebble_bin = super::apt::ensure(Path::new("/usr/bin/pebble"), "pebble", "the ACME tests")?;
        let challtestsrv_bin = Path::new("/usr/bin/pebble-challtestsrv");
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let now = time::OffsetDateTime::now_utc();
        let tls = certs::write(
            &certs::leaf(
                &["localhost".to_string()],
                now - time::Duration::days(1),
                now + time::Duration::days(30),
            ),
            dir.path(),
        );
        let port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .map_err(|e| e.to_string())
        };
        let (listen, management, http_port, tls_port, dns, challenges) =
            (port()?, port()?, port()?, port()?, port()?, port()?);
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": format!("127.0.0.1:{listen}"),
                "managementListenAddress": format!("127.0.0.1:{management}"),
                "certificate": tls.chain,
                "privateKey": tls.key,
                "httpPort": http_port,
                "tlsPort": tls_port,
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
            }
        });
        let config_path = dir.path().join("pebble.json");
        std::fs::write(&config_path, config.to_string()).map_err(|e| e.to_string())?;
        let challtestsrv = Command::new(challtestsrv_bin)
            .args(["-management", &format!("127.0.0.1:{challenges}")])
            .args(["-dns01", &format!("127.0.0.1:{dns}")])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("pebble-challtestsrv: {e}"))?;
        let pebble = Command::new(pebble_bin)
            .arg("-config")
            .arg(&config_path)
            .args(["-dnsserver", &format!("127.0.0.1:{dns}")])
            // Validate at once, never reject a nonce at random (Pebble's default 5%), and
            // validate every order afresh (by default Pebble reuses half of the valid
            // authorizations, so a failure case could pass by chance).
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_WFE_NONCEREJECT", "0")
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("pebble: {e}"))?;
        let started = Self {
            server: pebble,
            challtestsrv,
            directory_url: format!("https://localhost:{listen}/dir"),
            tls_ca: tls.ca.clone(),
            issuing_root: dir.path().join("issuing-root.pem"),
            http_port,
            dns_management: challenges,
            _dir: dir,
        };
        for port in [listen, management, challenges] {
            wait_for(port)?;
        }
        let root = fetch_root(&tls.ca, management)?;
        std::fs::write(&started.issuing_root, root).map_err(|e| e.to_string())?;
        Ok(started)
    }
}

impl Pebble {
    /// A sink for the emulator's Route 53 changes: TXT records reach challtestsrv (Pebble's
    /// DNS) when Route 53 would have them on its name servers, and leave it when deleted.
    #[allow(clippy::print_stderr)] // a failed mirror is reported; the test then fails on what Pebble saw
    pub fn dns_sink(&self) -> emulator::DnsSink {
        let port = self.dns_management;
        std::sync::Arc::new(move |change: &emulator::DnsChange| {
            if change.record_type != "TXT" {
                return;
            }
            let result = if change.action == "DELETE" {
                post(port, "/clear-txt", &serde_json::json!({ "host": change.name }))
            } else {
                change.values.iter().try_for_each(|value| {
                    let value = value.trim_matches('"');
                    post(
                        port,
                        "/set-txt",
                        &serde_json::json!({ "host": change.name, "value": value }),
                    )
                })
            };
            if let Err(e) = result {
                eprintln!("pebble-challtestsrv: {e}");
            }
        })
    }

    /// challtestsrv answers SERVFAIL for `host` from now on: a domain that does not resolve.
    pub fn refuse_to_resolve(&self, host: &str) -> Result<(), String> {
        post(
            self.dns_management,
            "/set-servfail",
            &serde_json::json!({ "host": host }),
        )
    }
}

/// A JSON POST to challtestsrv's management API (plain HTTP on loopback).
fn post(port: u16, path: &str, body: &serde_json::Value) -> Result<(), String> {
    use std::io::{Read as _, Write as _};
    let body = body.to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    if answer.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!(
            "{path}: {}",
            answer.lines().next().unwrap_or("no answer")
        ))
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in [&mut self.server, &mut self.challtestsrv] {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn wait_for(port: u16) -> Result<(), String> {
    let begun = Instant::now();
    while begun.elapsed() < Duration::from_secs(20) {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("nothing listened on 127.0.0.1:{port} after 20 s"))
}

/// Pebble's issuing root, from its management endpoint (HTTPS, under the generated CA).
fn fetch_root(ca: &Path, management: u16) -> Result<String, String> {
    let ca_pem = std::fs::read(ca).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(&ca_pem).map_err(|e| e.to_string())?])
            .build()
            .map_err(|e| e.to_string())?;
        client
            .get(format!("https://localhost:{management}/roots/0"))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| format!("Pebble's root: {e}"))?
            .text()
            .await
            .map_err(|e| e.to_string())
    })
}
