//! The network examples' logic (examples/support/*.rs, shared with the examples): the echo
//! server and its load client, the seed's HTTP routes and the fetch client, and their
//! graceful stops, on tripod's loop over 127.0.0.1. Ordered by the conversations
//! themselves and by events, never by sleeps; every wait is bounded.

#[path = "../examples/support/echo.rs"]
mod echo;
#[path = "../examples/support/hello.rs"]
mod hello;

use std::sync::Arc;
use std::time::Duration;

use hyper::StatusCode;
use tripod::asyncio::net::{self, AsyncReadExt, AsyncWriteExt, TcpStream};
use tripod::asyncio::{self, Event};

/// Fails the test rather than hanging it.
const LIMIT: Duration = Duration::from_secs(10);

async fn bounded<F: std::future::IntoFuture>(what: &str, future: F) -> F::Output {
    asyncio::wait_for(future, LIMIT)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {LIMIT:?}"))
}

#[test]
fn echo_server_echoes_many_clients_and_stops_gracefully() {
    asyncio::run(async {
        let listener = net::listen(("127.0.0.1", 0), echo::BACKLOG).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(Event::new());
        let stopped = Arc::clone(&stop);
        let server =
            asyncio::create_task(echo::serve(listener, async move { stopped.wait().await }));

        // 50 clients at once, each a few messages, one of them larger than the server's
        // 1024-byte reads (echoed in pieces, read back whole).
        let clients: Vec<_> = (0..50u32)
            .map(|i| {
                asyncio::create_task(async move {
                    let mut conn = TcpStream::connect(addr).await?;
                    for round in 0..5u32 {
                        let msg =
                            format!("hello {i}.{round}").repeat(if round == 4 { 300 } else { 1 });
                        conn.write_all(msg.as_bytes()).await?;
                        let mut back = vec![0; msg.len()];
                        conn.read_exact(&mut back).await?;
                        assert_eq!(back, msg.as_bytes());
                    }
                    conn.shutdown().await?; // the server sees EOF and closes its side
                    let mut rest = Vec::new();
                    conn.read_to_end(&mut rest).await?;
                    assert!(rest.is_empty());
                    std::io::Result::Ok(())
                })
            })
            .collect();
        for client in clients {
            bounded("a client", client).await.unwrap().unwrap();
        }

        // One client stays connected, idle: the stop closes it (EOF) instead of waiting.
        let mut idle = TcpStream::connect(addr).await.unwrap();
        idle.write_all(b"ping").await.unwrap();
        let mut pong = [0; 4];
        idle.read_exact(&mut pong).await.unwrap();
        assert_eq!(&pong, b"ping");
        stop.set();
        let mut rest = Vec::new();
        bounded("EOF on the idle client", idle.read_to_end(&mut rest))
            .await
            .unwrap();
        assert!(rest.is_empty());
        let stats = bounded("the server", server).await.unwrap();
        assert_eq!(
            stats,
            echo::ServeStats {
                connections: 51,
                errors: 0
            }
        );
        // Stopped: the port no longer accepts.
        assert!(TcpStream::connect(addr).await.is_err());
    });
}

#[test]
fn load_client_counts_checked_round_trips_and_orders_latencies() {
    asyncio::run(async {
        let listener = net::listen(("127.0.0.1", 0), echo::BACKLOG).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(Event::new());
        let stopped = Arc::clone(&stop);
        let server =
            asyncio::create_task(echo::serve(listener, async move { stopped.wait().await }));

        let report = bounded(
            "the load",
            echo::load(addr, 100, Duration::from_millis(200)),
        )
        .await
        .unwrap();
        assert_eq!(report.clients, 100);
        assert!(
            report.round_trips >= 100,
            "{} round trips",
            report.round_trips
        );
        assert_eq!(report.latencies.len() as u64, report.round_trips);
        assert!(report.elapsed >= Duration::from_millis(200));
        assert!(report.latencies.windows(2).all(|w| w[0] <= w[1]));
        let (p50, p99, max) = (
            report.percentile(0.5),
            report.percentile(0.99),
            report.percentile(1.0),
        );
        assert!(p50 <= p99 && p99 <= max && max == *report.latencies.last().unwrap());
        assert!(report.rate() > 0.0);

        stop.set();
        let stats = bounded("the server", server).await.unwrap();
        assert_eq!(
            stats,
            echo::ServeStats {
                connections: 100,
                errors: 0
            }
        );
    });
}

#[test]
fn load_client_reports_a_refused_connection() {
    asyncio::run(async {
        // A port that was free a moment ago and has no listener now.
        let addr = net::listen(("127.0.0.1", 0), 16)
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let err = bounded("the load", echo::load(addr, 3, Duration::from_millis(10)))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn http_routes_answer_as_the_seed_and_the_server_stops_gracefully() {
    asyncio::run(async {
        let listener = net::listen(("127.0.0.1", 0), 1024).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(Event::new());
        let stopped = Arc::clone(&stop);
        let server =
            asyncio::create_task(hello::serve(listener, async move { stopped.wait().await }));

        let client = hello::client();
        let get = |path: &str| {
            let (client, url) = (client.clone(), format!("{base}{path}"));
            asyncio::create_task(async move { hello::fetch(&client, &url).await.unwrap() })
        };
        let paths = ["/", "/bob", "/%E5%8D%8F", "/a/b"];
        let answers = bounded("the fetches", asyncio::gather(paths.map(get)))
            .await
            .unwrap();
        assert_eq!(answers[0], (StatusCode::OK, "Hello, Anonymous".to_string()));
        assert_eq!(answers[1], (StatusCode::OK, "Hello, bob".to_string()));
        assert_eq!(answers[2], (StatusCode::OK, "Hello, 协".to_string())); // percent-decoded
        assert_eq!(answers[3].0, StatusCode::NOT_FOUND);

        // Many at once over the client's pool: each answer matches its own request.
        let names: Vec<String> = (0..64).map(|i| format!("/user{i}")).collect();
        let many = bounded("64 fetches", asyncio::gather(names.iter().map(|n| get(n))))
            .await
            .unwrap();
        for (i, (status, body)) in many.into_iter().enumerate() {
            assert_eq!((status, body), (StatusCode::OK, format!("Hello, user{i}")));
        }

        // The client's keep-alive connections are idle: the graceful stop closes them.
        stop.set();
        bounded("the server", server).await.unwrap().unwrap();
        let refused = hello::fetch(&hello::client(), &format!("{base}/")).await;
        assert!(refused.is_err(), "{refused:?}");
    });
}
