//! The loopback proxy in front of moto: counts calls, injects latency and faults, serves the identity
//! API itself, and forwards everything else to moto unchanged.

use std::io;
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode, Version};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use super::EmulatorError;
use super::faults::{FaultKind, Faults, Thaw};
use super::identity::{self, IdentityStore};
use super::wire::{self, Reply, RequestInfo};

/// How long the proxy waits for moto's answer.
const FORWARD_TIMEOUT: Duration = Duration::from_mins(2);

/// One request the proxy saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// SigV4 signing name from the credential scope (`iam`, `s3`, `sts`, `cognito-idp`,
    /// `bedrock-agentcore`), "" when unsigned.
    pub service: String,
    /// Operation name (`CreateRole`, `PutObject`, `CreateGateway`), or `"<METHOD> <path>"` when unknown.
    pub operation: String,
    /// Region from the credential scope (`us-east-1` when absent).
    pub region: String,
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The HTTP status the client received; 0 when the connection was closed without an answer
    /// (`Reset`, `LoseResponse`) or while the call is still in flight.
    pub status: u16,
    /// The non-delay fault injected into this call, if any.
    pub fault: Option<FaultKind>,
    /// When the request arrived (after its body was read).
    pub at: Instant,
    /// How long the proxy took to answer it (latency and faults included), once answered.
    pub served: Option<Duration>,
}

/// State shared by the proxy and the `Emulator` handle.
#[derive(Debug)]
pub struct Shared {
    pub faults: Faults,
    pub identity: IdentityStore,
    pub calls: Mutex<Vec<Call>>,
    pub moto: SocketAddr,
    /// Answers of creates that carried a `clientToken`, by operation, path and token: like the
    /// real service (and unlike moto), a repeated create gets the first answer back.
    pub client_tokens: Mutex<std::collections::HashMap<String, (StatusCode, HeaderMap, Bytes)>>,
    /// Cognito operations moto lacks.
    pub cognito: super::cognito::CognitoExtras,
    /// The token endpoint, JWKS and MCP endpoint moto lacks.
    pub dataplane: super::dataplane::DataPlane,
    /// The real service's behaviour where moto is kinder.
    pub service: super::service::Behaviour,
    /// When the proxy started (call times in the call log are relative to it).
    pub started: Instant,
}

impl Shared {
    pub fn new(moto: SocketAddr) -> Self {
        Self {
            faults: Faults::new(),
            identity: IdentityStore::default(),
            calls: Mutex::new(Vec::new()),
            moto,
            client_tokens: Mutex::new(std::collections::HashMap::new()),
            cognito: super::cognito::CognitoExtras::default(),
            dataplane: super::dataplane::DataPlane::new(moto),
            service: super::service::Behaviour::default(),
            started: Instant::now(),
        }
    }

    pub fn calls(&self) -> MutexGuard<'_, Vec<Call>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The running proxy; dropping it stops the server thread.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Binds 127.0.0.1 on a free port and serves on a thread of its own with its own tokio runtime.
    pub fn start(shared: Arc<Shared>) -> Result<Self, EmulatorError> {
        let listener = StdTcpListener::bind("127.0.0.1:0")
            .map_err(|e| EmulatorError::new(format!("proxy bind: {e}")))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| EmulatorError::new(format!("proxy listener: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| EmulatorError::new(e.to_string()))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("emulator-proxy")
            .enable_all()
            .build()
            .map_err(|e| EmulatorError::new(format!("proxy runtime: {e}")))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("emulator-proxy".into())
            .spawn(move || {
                runtime.block_on(serve(listener, shared, rx));
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| EmulatorError::new(format!("proxy thread: {e}")))?;
        Ok(Self {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[allow(clippy::print_stderr)]
async fn serve(
    listener: StdTcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("emulator proxy: cannot listen: {e}");
            return;
        }
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(serve_connection(stream, Arc::clone(&shared)));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let reset = Arc::new(AtomicBool::new(false));
    let io = ResetIo {
        inner: TokioIo::new(stream),
        reset: Arc::clone(&reset),
    };
    let service = hyper::service::service_fn(move |req| {
        let shared = Arc::clone(&shared);
        let reset = Arc::clone(&reset);
        // Handled on its own task: like a real service, a request that arrived is processed to
        // the end (and recorded) even when the client goes away meanwhile.
        let task = tokio::spawn(async move { handle(req, &shared, &reset).await });
        async move {
            task.await
                .unwrap_or_else(|e| Err(Abort(format!("the request handler stopped: {e}"))))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .preserve_header_case(true)
        .serve_connection(io, service)
        .await;
}

/// The service's error: hyper then closes the connection without writing an answer.
#[derive(Debug)]
struct Abort(String);

impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Abort {}

type Resp = Response<Full<Bytes>>;

async fn handle(req: Request<Incoming>, shared: &Shared, reset: &AtomicBool) -> Result<Resp, Abort> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| Abort(format!("reading the request body: {e}")))?
        .to_bytes();
    let method = parts.method.as_str().to_string();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if path.starts_with("/_emulator/") {
        return Ok(control(&method, &path, shared));
    }
    let info = wire::classify(&method, &path, query.as_deref(), &header, &body);

    let decision = shared.faults.decide(&info.service, &info.operation);
    let index = {
        let mut calls = shared.calls();
        calls.push(Call {
            service: info.service.clone(),
            operation: info.operation.clone(),
            region: info.region.clone(),
            method: method.clone(),
            path: path.clone(),
            status: 0,
            fault: decision.fault,
            at: Instant::now(),
            served: None,
        });
        calls.len() - 1
    };
    let mut held = decision.held;
    if held {
        // Frozen: wait for the test to say what became of this call.
        let how = loop {
            if let Some(how) = shared.faults.thawed() {
                break how;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        held = how != Thaw::Pass;
        if how == Thaw::Run {
            let _ = dispatch(parts.clone(), body.clone(), &info, query.as_deref(), shared).await;
        }
        if held && let Some(call) = shared.calls().get_mut(index) {
            call.fault = Some(if how == Thaw::Run {
                FaultKind::LoseResponse
            } else {
                FaultKind::Reset
            });
            call.served = Some(call.at.elapsed());
        }
        if held {
            reset.store(true, Ordering::SeqCst);
            return Err(Abort("a frozen call was released after the client died".into()));
        }
    }
    if !decision.delay.is_zero() {
        tokio::time::sleep(decision.delay).await;
    }

    let outcome = match decision.fault {
        Some(FaultKind::Throttle) => Some(reply_to_response(wire::throttle(&info))),
        Some(FaultKind::ServerError(status)) => Some(reply_to_response(wire::server_error(&info, status))),
        Some(FaultKind::AccessDenied) => Some(reply_to_response(wire::access_denied(&info))),
        Some(FaultKind::ConditionalConflict) => Some(reply_to_response(wire::Reply::s3_error(
            409,
            "ConditionalRequestConflict",
            "A conflicting conditional operation is currently in progress against this resource. Please try again.",
        ))),
        Some(FaultKind::Reset) => None,
        Some(FaultKind::LoseResponse) => {
            // The operation really runs; only its answer is lost.
            let _ = dispatch(parts, body, &info, query.as_deref(), shared).await;
            None
        }
        Some(FaultKind::Delay(_)) | None => {
            Some(dispatch(parts, body, &info, query.as_deref(), shared).await)
        }
    };
    if let Some(call) = shared.calls().get_mut(index) {
        call.served = Some(call.at.elapsed());
        if let Some(response) = &outcome {
            call.status = response.status().as_u16();
        }
    }
    if let Some(response) = outcome {
        Ok(response)
    } else {
        reset.store(true, Ordering::SeqCst);
        Err(Abort("injected connection reset".into()))
    }
}

async fn dispatch(
    parts: hyper::http::request::Parts,
    body: Bytes,
    info: &RequestInfo,
    query: Option<&str>,
    shared: &Shared,
) -> Resp {
    let method = parts.method.as_str();
    let owned_path = parts.uri.path().to_string();
    let path = owned_path.as_str();
    if info.service.is_empty() && super::dataplane::DataPlane::serves(method, path) {
        return shared.dataplane.handle(parts, body).await;
    }
    if info.service != "s3" && identity::serves(method, path) {
        return reply_to_response(shared.identity.handle(method, path, query, &info.region, &body));
    }
    if info.service == "cognito-idp"
        && let Some(reply) = shared.cognito.handle(&info.operation, &body)
    {
        return reply_to_response(reply);
    }
    if let Some(answer) = shared.service.before(info, &parts, &body, shared.moto).await {
        return answer;
    }
    let token_key = idempotency_key(info, path, &body);
    if let Some(key) = &token_key {
        let cached = shared
            .client_tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned();
        if let Some((status, headers, bytes)) = cached {
            let mut response = Response::new(Full::new(bytes));
            *response.status_mut() = status;
            *response.headers_mut() = headers;
            return response;
        }
    }
    let request = parts.clone();
    let response =
        match tokio::time::timeout(FORWARD_TIMEOUT, forward(parts, body.clone(), shared.moto)).await {
            Ok(Ok(response)) if token_key.is_some() && response.status().is_success() => {
                let (head, body) = response.into_parts();
                let bytes = body
                    .collect()
                    .await
                    .map(http_body_util::Collected::to_bytes)
                    .unwrap_or_default();
                if let Some(key) = token_key {
                    shared
                        .client_tokens
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(key, (head.status, head.headers.clone(), bytes.clone()));
                }
                Response::from_parts(head, Full::new(bytes))
            }
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return bad_gateway(&format!("emulator proxy: forwarding to moto failed: {e}")),
            Err(_) => return bad_gateway("emulator proxy: moto did not answer in time"),
        };
    shared
        .service
        .after(info, &request, &body, response, shared.moto)
        .await
}

/// The emulator's own endpoints (unsigned, never recorded): `GET /_emulator/calls` is the call
/// log as JSON (`at_ms` and `served_ms` from the proxy's start), `DELETE` clears it.
fn control(method: &str, path: &str, shared: &Shared) -> Resp {
    match (method, path) {
        ("GET", "/_emulator/calls") => {
            let millis = |d: Duration| d.as_secs_f64() * 1000.0;
            let calls: Vec<serde_json::Value> = shared
                .calls()
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "service": c.service,
                        "operation": c.operation,
                        "path": c.path,
                        "status": c.status,
                        "fault": c.fault.map(|f| format!("{f:?}")),
                        "at_ms": millis(c.at.duration_since(shared.started)),
                        "served_ms": c.served.map(millis),
                    })
                })
                .collect();
            reply_to_response(Reply::json(200, &serde_json::Value::from(calls)))
        }
        ("DELETE", "/_emulator/calls") => {
            shared.calls().clear();
            reply_to_response(Reply::no_content())
        }
        _ => bad_gateway("emulator proxy: unknown control endpoint"),
    }
}

/// The idempotency key of a create that carries a `clientToken` (CreateGateway, CreateGatewayTarget).
fn idempotency_key(info: &RequestInfo, path: &str, body: &[u8]) -> Option<String> {
    if !matches!(info.operation.as_str(), "CreateGateway" | "CreateGatewayTarget") {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let token = json.get("clientToken")?.as_str()?;
    Some(format!("{}:{path}:{token}", info.operation))
}

fn bad_gateway(message: &str) -> Resp {
    let mut response = Response::new(Full::new(Bytes::from(
        serde_json::json!({ "message": message }).to_string(),
    )));
    *response.status_mut() = StatusCode::BAD_GATEWAY;
    response
        .headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    response
}

pub(super) fn reply_to_response(reply: Reply) -> Resp {
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Drops the hop-by-hop headers (and those `Connection` names).
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "proxy-authenticate",
        "proxy-authorization",
    ] {
        headers.remove(name);
    }
}

/// Sends the request to moto unchanged (method, path and query, headers, body bytes), except for the
/// hop-by-hop headers and `Expect`. Adds no header of its own: no `Content-Type`, and `Content-Length`
/// only when the client sent the body chunked.
pub(super) async fn forward(
    mut parts: hyper::http::request::Parts,
    body: Bytes,
    moto: SocketAddr,
) -> Result<Resp, String> {
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove("expect");
    if !body.is_empty() && !parts.headers.contains_key("content-length") {
        parts
            .headers
            .insert("content-length", HeaderValue::from(body.len()));
    }
    parts.version = Version::HTTP_11;

    let stream = TcpStream::connect(moto)
        .await
        .map_err(|e| format!("connect {moto}: {e}"))?;
    let _ = stream.set_nodelay(true);
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .preserve_header_case(true)
        .handshake::<_, Full<Bytes>>(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender
        .send_request(Request::from_parts(parts, Full::new(body)))
        .await
        .map_err(|e| format!("send: {e}"))?;
    let (mut parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("reading moto's answer: {e}"))?
        .to_bytes();
    strip_hop_by_hop(&mut parts.headers);
    parts.version = Version::HTTP_11;
    Ok(Response::from_parts(parts, Full::new(body)))
}

/// The accepted connection; when the service asked for a reset, the socket is closed with `SO_LINGER` 0,
/// so the client sees a TCP RST instead of an answer.
struct ResetIo {
    inner: TokioIo<TcpStream>,
    reset: Arc<AtomicBool>,
}

impl Drop for ResetIo {
    fn drop(&mut self) {
        if self.reset.load(Ordering::SeqCst) {
            let _ = self.inner.inner().set_zero_linger();
        }
    }
}

impl hyper::rt::Read for ResetIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for ResetIo {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.reset.load(Ordering::SeqCst) {
            // No FIN before the RST.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
}
