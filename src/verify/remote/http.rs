//! The health request: one HTTP/1.1 `GET` over an already verified TLS stream, with hyper's
//! connection-level client (no pool, no redirects). It returns the response status; the body is
//! not read. It must only ever be given a stream whose certificate passed verification.

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper::{Request, header};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

/// The `Host` header for `host` on `port`: the port is left out for 443, IPv6 gets brackets.
pub(super) fn host_header(host: &str, port: u16) -> String {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    if port == 443 {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// Sends `GET path` and returns the response status code.
pub(super) async fn get_status<S>(stream: S, host_header: &str, path: &str) -> Result<u16, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let request = Request::get(path)
        .header(header::HOST, host_header)
        .header(
            header::USER_AGENT,
            concat!("sre-agent-deploy/", env!("CARGO_PKG_VERSION")),
        )
        .header(header::ACCEPT, "*/*")
        .header(header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("\"{path}\" is not a valid request path: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("the HTTP connection could not start: {e}"))?;
    let mut conn = std::pin::pin!(conn);
    let mut response = std::pin::pin!(sender.send_request(request));
    // The connection future does the I/O; the response future waits for the response head. With
    // `connection: close` both can finish in the same poll, so an ended connection still hands
    // over the response it read.
    let response = tokio::select! {
        biased;
        response = &mut response => response,
        ended = &mut conn => match ended {
            Ok(()) => response.await,
            Err(e) => return Err(describe(&e)),
        },
    };
    response.map(|r| r.status().as_u16()).map_err(|e| describe(&e))
}

fn describe(e: &hyper::Error) -> String {
    if e.is_parse() {
        format!("the answer is not HTTP/1.1: {e}")
    } else if e.is_incomplete_message() || e.is_closed() {
        "the server closed the connection before a complete answer".to_string()
    } else {
        format!("the HTTP exchange failed: {e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_header_leaves_out_443_and_brackets_ipv6() {
        assert_eq!(host_header("backend.corp", 443), "backend.corp");
        assert_eq!(host_header("backend.corp", 8011), "backend.corp:8011");
        assert_eq!(host_header("::1", 8443), "[::1]:8443");
    }

    #[tokio::test]
    async fn status_of_a_canned_answer() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, mut server) = tokio::io::duplex(4096);
        let answer = tokio::spawn(async move {
            let mut buf = vec![0u8; 1024];
            let n = server.read(&mut buf).await.expect("read");
            let head = String::from_utf8_lossy(&buf[..n]).to_string();
            server
                .write_all(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n")
                .await
                .expect("write");
            head
        });
        let status = get_status(client, "b.corp:8011", "/health").await;
        assert_eq!(status, Ok(503));
        let head = answer.await.expect("server task").to_ascii_lowercase();
        assert!(head.starts_with("get /health http/1.1\r\n"), "{head}");
        assert!(head.contains("host: b.corp:8011\r\n"), "{head}");
    }

    #[tokio::test]
    async fn garbage_is_not_http() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, mut server) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            let mut buf = vec![0u8; 1024];
            let _ = server.read(&mut buf).await;
            let _ = server.write_all(b"SSH-2.0-OpenSSH\r\n\r\n").await;
        });
        let error = get_status(client, "b.corp", "/health")
            .await
            .expect_err("not HTTP");
        assert!(error.contains("not HTTP/1.1"), "{error}");
    }
}
