//! An ACME server that is rate-limited, as Let's Encrypt is after too many new accounts from one
//! address: its directory and nonces work, and every `newAccount` is refused with a 429, the
//! RFC 8555 `rateLimited` problem document and a `Retry-After`. Pebble has no rate limits, so
//! this stands in for it in that one case. HTTPS on loopback with a generated chain.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::certs;
use super::tls_servers::{Identity, Options, server_config};

/// The running server; dropping it stops it.
pub struct RateLimited {
    pub directory_url: String,
    /// The CA that signed the server's certificate (`ca_bundle_path` for the client).
    pub tls_ca: PathBuf,
    /// The `Retry-After` it sends, in seconds.
    pub retry_after: u64,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RateLimited {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RateLimited {
    /// Starts on a free loopback port; call inside a tokio runtime.
    pub async fn start(retry_after: u64) -> RateLimited {
        let dir = tempfile::tempdir().expect("tempdir");
        let now = time::OffsetDateTime::now_utc();
        let made = certs::leaf(
            &["localhost".to_string()],
            now - time::Duration::days(1),
            now + time::Duration::days(30),
        );
        let files = certs::write(&made, dir.path());
        let identity = Identity::from_pem(&made.chain_pem, &made.key_pem).expect("identity");
        let config = server_config(&identity, &Options::default()).expect("TLS config");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let base = format!("https://localhost:{port}");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&config));
        let served = base.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let base = served.clone();
                tokio::spawn(async move {
                    if let Ok(tls) = acceptor.accept(stream).await {
                        answer(tls, &base, retry_after).await;
                    }
                });
            }
        });
        RateLimited {
            directory_url: format!("{base}/dir"),
            tls_ca: files.ca,
            retry_after,
            _dir: dir,
            task,
        }
    }
}

/// One request, one answer, then the connection closes.
async fn answer<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    base: &str,
    retry_after: u64,
) {
    let mut buf = Vec::new();
    let mut chunk = [0_u8; 4096];
    // The head, then as much body as it announces.
    let (head, body_len) = loop {
        let Ok(n) = stream.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            break (head, end + 4 + length);
        }
    };
    while buf.len() < body_len {
        let Ok(n) = stream.read(&mut chunk).await else {
            return;
        };
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut words = head.split_whitespace();
    let (method, path) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    let (status, extra, body) = match (method, path) {
        ("GET", "/dir") => (
            "200 OK",
            "content-type: application/json\r\n".to_string(),
            serde_json::json!({
                "newNonce": format!("{base}/nonce"),
                "newAccount": format!("{base}/account"),
                "newOrder": format!("{base}/order"),
                "revokeCert": format!("{base}/revoke"),
                "keyChange": format!("{base}/key-change"),
            })
            .to_string(),
        ),
        (_, "/nonce") => ("200 OK", String::new(), String::new()),
        ("POST", _) => (
            "429 Too Many Requests",
            format!("content-type: application/problem+json\r\nretry-after: {retry_after}\r\n"),
            serde_json::json!({
                "type": "urn:ietf:params:acme:error:rateLimited",
                "detail": "too many new registrations (10) from this IP address in the last 3h0m0s",
                "status": 429,
            })
            .to_string(),
        ),
        _ => ("404 Not Found", String::new(), String::new()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nreplay-nonce: nonce-{}\r\ncache-control: no-store\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
        buf.len(),
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
