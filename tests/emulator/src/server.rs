//! The accept loop: HTTP/1.1 with one request per connection, a graceful stop, and the one way
//! a handler can close a connection without answering.
//!
//! Keep-alive is off unless asked for (`--keep-alive`, used by the benchmark). Chromium silently
//! resends a request once when a *reused* connection closes before the answer, so on a
//! kept-alive connection a `drop` fault would turn into a second request instead of the failed
//! fetch the app must handle.

use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tower::ServiceExt;

/// How long answers in flight may take to finish once a stop is asked for.
const GRACE: Duration = Duration::from_secs(1);

/// A response carrying this is never sent: its connection is closed instead.
#[derive(Debug, Clone, Copy)]
struct DropConnection;

/// The error that makes hyper close a connection without writing a response.
#[derive(Debug)]
struct ConnectionDropped;

impl fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by a fault rule")
    }
}

impl std::error::Error for ConnectionDropped {}

/// What a handler returns to close its connection without an HTTP answer.
pub(crate) fn drop_connection() -> Response {
    let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    response.extensions_mut().insert(DropConnection);
    response
}

/// How long the first half of a [`cut_off`] answer is left to reach the client before the
/// connection drops, so that the browser has the status and headers in hand.
const CUT_AFTER: Duration = Duration::from_millis(100);

/// `answer` with its status and headers, sent chunked (no `Content-Length`), of which the first
/// half of the body arrives and then the connection drops without the last chunk: to a browser,
/// `fetch` resolves and reading the body fails (Chromium: `ERR_INCOMPLETE_CHUNKED_ENCODING`).
pub(crate) fn cut_off(answer: crate::fota::Answer) -> Response {
    let mut body = answer.body.clone();
    body.truncate(crate::fota::half_of(&body));
    let first = futures_util::stream::once(async move { Ok::<_, ConnectionDropped>(body) });
    let then_drop = futures_util::stream::once(async {
        tokio::time::sleep(CUT_AFTER).await;
        Err(ConnectionDropped)
    });
    let mut response = crate::fota::Answer {
        body: String::new(),
        ..answer
    }
    .into_response();
    *response.body_mut() =
        axum::body::Body::from_stream(futures_util::StreamExt::chain(first, then_drop));
    response
        .headers_mut()
        .remove(axum::http::header::CONTENT_LENGTH);
    response
}

pub(crate) fn is_dropped(response: &Response) -> bool {
    response.extensions().get::<DropConnection>().is_some()
}

/// Serves `router` on `listener` until `stop` fires or its sender is dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    keep_alive: bool,
    mut stop: oneshot::Receiver<()>,
) {
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Headers and body leave at once, not a delayed-ACK later.
                    let _ = stream.set_nodelay(true);
                    let router = router.clone();
                    let service = service_fn(move |request: hyper::Request<Incoming>| {
                        let router = router.clone();
                        async move {
                            let response = router
                                .oneshot(request)
                                .await
                                .unwrap_or_else(|never: Infallible| match never {});
                            if is_dropped(&response) {
                                Err(ConnectionDropped)
                            } else {
                                Ok(response)
                            }
                        }
                    });
                    let connection = http1::Builder::new()
                        .keep_alive(keep_alive)
                        .serve_connection(TokioIo::new(stream), service);
                    tokio::spawn(graceful.watch(connection));
                }
                // Out of file descriptors and the like: wait rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            },
            _ = &mut stop => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
}
