//! Loopback servers for the remote TLS checks: rustls servers on 127.0.0.1 that present a given
//! chain and answer `GET <health path>` with a chosen status (and count the requests they get), a
//! server that accepts TCP and never says a word, a plain HTTP server on a port where TLS is
//! expected, and a closed port. Servers are tasks on the caller's tokio runtime, so hundreds start
//! cheaply (one task per listener, one per connection); dropping a server stops it. Used by the
//! tests, the demo's emulator and `examples/bench-sweep.rs`.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// The certificate chain (leaf first) and key a server presents.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    /// From PEM text: the chain (leaf first) and the private key.
    pub fn from_pem(chain_pem: &str, key_pem: &str) -> Result<Self, Box<dyn Error>> {
        let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes()).collect::<Result<Vec<_>, _>>()?;
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())?;
        Ok(Self { chain, key })
    }

    /// From DER: the chain (leaf first) and a PKCS#8 private key.
    pub fn from_der(chain: Vec<Vec<u8>>, pkcs8_key: Vec<u8>) -> Self {
        Self {
            chain: chain.into_iter().map(CertificateDer::from).collect(),
            key: PrivateKeyDer::Pkcs8(pkcs8_key.into()),
        }
    }
}

/// How a TLS server behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The status `GET <health_path>` answers with; other paths get 404.
    pub status: u16,
    pub health_path: String,
    /// Offer only TLS 1.2.
    pub tls12_only: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            status: 200,
            health_path: "/health".into(),
            tls12_only: false,
        }
    }
}

/// A running server; dropping it stops it.
pub struct Server {
    pub addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Server {
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// How many HTTP requests reached the server (over completed TLS handshakes).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The rustls server config for `identity`.
pub fn server_config(identity: &Identity, options: &Options) -> Result<Arc<ServerConfig>, Box<dyn Error>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(provider);
    let builder = if options.tls12_only {
        builder.with_protocol_versions(&[&rustls::version::TLS12])?
    } else {
        builder.with_safe_default_protocol_versions()?
    };
    let config = builder
        .with_no_client_auth()
        .with_single_cert(identity.chain.clone(), identity.key.clone_key())?;
    Ok(Arc::new(config))
}

/// Starts one TLS server on 127.0.0.1 (a free port).
pub async fn start(identity: &Identity, options: &Options) -> Result<Server, Box<dyn Error>> {
    let config = server_config(identity, options)?;
    Ok(start_with(config, options).await?)
}

/// Starts one TLS server on 127.0.0.1 at `port` (for the demo's fixed backend ports).
pub async fn start_at(port: u16, identity: &Identity, options: &Options) -> Result<Server, Box<dyn Error>> {
    let config = server_config(identity, options)?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    Ok(serve(listener, config, options)?)
}

/// Starts `n` TLS servers sharing one config.
pub async fn start_many(
    n: usize,
    identity: &Identity,
    options: &Options,
) -> Result<Vec<Server>, Box<dyn Error>> {
    let config = server_config(identity, options)?;
    let mut servers = Vec::with_capacity(n);
    for _ in 0..n {
        servers.push(start_with(Arc::clone(&config), options).await?);
    }
    Ok(servers)
}

async fn start_with(config: Arc<ServerConfig>, options: &Options) -> std::io::Result<Server> {
    serve(TcpListener::bind("127.0.0.1:0").await?, config, options)
}

fn serve(listener: TcpListener, config: Arc<ServerConfig>, options: &Options) -> std::io::Result<Server> {
    let addr = listener.local_addr()?;
    let requests = Arc::new(AtomicUsize::new(0));
    let acceptor = TlsAcceptor::from(config);
    let counter = Arc::clone(&requests);
    let options = options.clone();
    let task = tokio::spawn(async move {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                // Out of file descriptors, say: wait instead of spinning.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            let acceptor = acceptor.clone();
            let counter = Arc::clone(&counter);
            let options = options.clone();
            // Connection tasks live in the set, so they stop with the server.
            connections.spawn(async move {
                let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
                else {
                    return;
                };
                answer(tls, &options, &counter).await;
            });
            while connections.try_join_next().is_some() {}
        }
    });
    Ok(Server { addr, requests, task })
}

/// Reads one request head and answers it.
async fn answer<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, options: &Options, requests: &AtomicUsize) {
    let Some(head) = read_head(&mut stream).await else {
        return;
    };
    requests.fetch_add(1, Ordering::SeqCst);
    let path = head.split_whitespace().nth(1).unwrap_or("");
    let status = if path == options.health_path {
        options.status
    } else {
        404
    };
    let body = if (200..300).contains(&status) {
        "ok\n"
    } else {
        "unhealthy\n"
    };
    let reply = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        reason(status),
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// The request head, up to the blank line (at most 16 KiB).
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// A server that accepts TCP connections and keeps them open without reading or writing.
pub async fn silent() -> std::io::Result<Server> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        let mut held: Vec<TcpStream> = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    Ok(Server {
        addr,
        requests: Arc::new(AtomicUsize::new(0)),
        task,
    })
}

/// A plain-HTTP server (no TLS) that answers anything with `400 Bad Request`, like a web server
/// on a port where TLS is expected.
pub async fn plain_http() -> std::io::Result<Server> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    let task = tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 1024];
            let _ = tcp.read(&mut buf).await;
            let _ = tcp
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    Ok(Server { addr, requests, task })
}

/// A loopback port nothing listens on (bound, then released).
pub fn closed_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    drop(listener);
    Ok(port)
}

/// Loopback TLS backends presenting the certificate in `dir` (`fullchain.pem`, `privkey.pem`),
/// each answering `status`, on a runtime that lives as long as they do.
pub struct Backends {
    pub servers: Vec<Server>,
    _rt: tokio::runtime::Runtime,
}

impl Backends {
    pub fn serve(dir: &std::path::Path, n: usize, status: u16) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let chain = std::fs::read_to_string(dir.join("fullchain.pem")).expect("chain");
        let key = std::fs::read_to_string(dir.join("privkey.pem")).expect("key");
        let identity = Identity::from_pem(&chain, &key).expect("identity");
        let options = Options {
            status,
            ..Options::default()
        };
        let servers = rt.block_on(start_many(n, &identity, &options)).expect("servers");
        Self { servers, _rt: rt }
    }
}
