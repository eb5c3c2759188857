//! Concurrent fetches (seeds 000 and 003): several GETs at once, gathered, against the
//! local HTTP server of `asyncio_http_server` started in-process (no outside network).
//!
//! ```python
//! def f(url):
//!     print('GET: %s' % url)
//!     resp = urllib.request.urlopen(url)
//!     data = resp.read()
//!     print('%d bytes received from %s.' % (len(data), url))
//!
//! gevent.joinall([gevent.spawn(f, url) for url in urls])
//! ```
//!
//! The server and the fetches share one loop: the server is a task, each fetch another,
//! and `gather` collects the responses in the order asked. The client is hyper's own
//! (keep-alive connections, pooled), the crate axum serves with.

#[path = "support/hello.rs"]
mod hello;

use std::sync::Arc;
use std::time::Instant;

use tripod::asyncio::{self, Event, net};

fn main() -> Result<(), hello::FetchError> {
    asyncio::run(async {
        let listener = net::listen(("127.0.0.1", 0), 1024).await?;
        let base = format!("http://{}", listener.local_addr()?);
        let stop = Arc::new(Event::new());
        let stopped = Arc::clone(&stop);
        let server =
            asyncio::create_task(hello::serve(listener, async move { stopped.wait().await }));

        let client = hello::client();
        let names = [
            "", "bob", "alice", "tripod", "gevent", "asyncio", "tokio", "axum",
        ];
        let start = Instant::now();
        let fetches = names.map(|name| {
            let (client, url) = (client.clone(), format!("{base}/{name}"));
            asyncio::create_task(async move {
                println!("GET: {url}");
                let (status, body) = hello::fetch(&client, &url).await?;
                println!("{} bytes received from {url}.", body.len());
                Ok::<_, hello::FetchError>((url, status, body))
            })
        });
        let responses = asyncio::gather(fetches.map(|task| async { task.await? })).await?;
        let elapsed = start.elapsed();
        for (url, status, body) in &responses {
            println!("{url} -> {status} {body:?}");
        }
        println!(
            "{} fetches in {:.1} ms",
            responses.len(),
            elapsed.as_secs_f64() * 1e3
        );

        stop.set();
        server.await??;
        Ok(())
    })
}
