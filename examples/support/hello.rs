//! The aiohttp seed's HTTP server (axum on tripod's loop) and a small HTTP client for
//! the concurrent fetches: shared by `asyncio_http_server`, `asyncio_fetch` and
//! `tests/network_examples.rs` (each includes this file with `#[path]`; each uses part of
//! it).
#![allow(dead_code)]

use std::future::Future;
use std::io;

use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use http_body_util::{BodyExt, Empty};
use hyper::StatusCode;
use hyper::body::Bytes;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tripod::asyncio::net::TcpListener;

/// The seed's port (`web.run_app(app, port=8080)`).
pub const DEFAULT_PORT: u16 = 8080;

/// The seed's handler: `Hello, <name>`, `Anonymous` when the path has no name.
pub async fn handle(name: Option<Path<String>>) -> String {
    let name = name.map_or_else(|| "Anonymous".to_string(), |Path(name)| name);
    format!("Hello, {name}")
}

/// The seed's routes: `/` and `/{name}`, one handler.
pub fn app() -> Router {
    Router::new()
        .route("/", get(handle))
        .route("/{name}", get(handle))
}

/// Serves [`app`] on `listener` until `stop` completes, then stops accepting and waits for
/// the requests in flight (axum's graceful shutdown: idle keep-alive connections are
/// closed, busy ones finish their response first).
///
/// # Errors
///
/// An I/O error of the server that ends it (axum goes on after a failed accept).
pub async fn serve(
    listener: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, app())
        .with_graceful_shutdown(stop)
        .await
}

/// An HTTP/1 client with a pool of keep-alive connections (hyper's own client).
pub type Client = HyperClient<HttpConnector, Empty<Bytes>>;

/// A new [`Client`]; its connections run as tasks of the loop it is used on.
pub fn client() -> Client {
    HyperClient::builder(TokioExecutor::new()).build_http()
}

/// A failed fetch: a bad URL, a connection or protocol error, or a body that is not UTF-8.
pub type FetchError = Box<dyn std::error::Error + Send + Sync>;

/// `GET url`: the status and the body.
///
/// # Errors
///
/// See [`FetchError`].
pub async fn fetch(client: &Client, url: &str) -> Result<(StatusCode, String), FetchError> {
    let response = client.get(url.parse()?).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, String::from_utf8(body.to_vec())?))
}
