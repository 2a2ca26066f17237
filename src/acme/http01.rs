//! The HTTP-01 responder: serves `/.well-known/acme-challenge/<token>` with its key
//! authorization, and 404 for anything else, only while validation runs (dropped, it stops).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The path prefix the CA fetches tokens under.
pub const PREFIX: &str = "/.well-known/acme-challenge/";

/// A running responder; dropping it stops it.
pub struct Responder {
    tokens: Arc<Mutex<HashMap<String, String>>>,
    task: JoinHandle<()>,
    pub addr: SocketAddr,
}

impl Responder {
    /// Binds `listen` (the port the CA connects to; `http_port` in the config).
    pub async fn bind(listen: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let tokens: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let served = Arc::clone(&tokens);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let tokens = Arc::clone(&served);
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                        let answer = answer(&tokens, request.uri().path());
                        async move { Ok::<_, Infallible>(answer) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { tokens, task, addr })
    }

    /// Serves `key_authorization` for `token` from now on.
    pub fn add(&self, token: &str, key_authorization: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.to_string(), key_authorization.to_string());
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn answer(tokens: &Mutex<HashMap<String, String>>, path: &str) -> Response<Full<Bytes>> {
    let found = path.strip_prefix(PREFIX).and_then(|token| {
        tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
    });
    let (status, body) = match found {
        Some(key_authorization) => (StatusCode::OK, key_authorization),
        None => (StatusCode::NOT_FOUND, String::new()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}
