//! The command line of the network examples: a port (first argument, else an environment
//! variable, else the default) and `--serve-for SECS`; and the stop signal (Ctrl-C, or the
//! end of `--serve-for`).
#![allow(dead_code)]

use std::time::Duration;

use tripod::asyncio;

/// A server's settings.
#[derive(Debug)]
pub struct ServerArgs {
    /// The port to listen on (0: any free port).
    pub port: u16,
    /// Stop after this long (graceful, as on Ctrl-C); `None`: until Ctrl-C.
    pub serve_for: Option<Duration>,
}

/// Parses `[PORT] [--serve-for SECS]`; the port defaults to `$port_env`, then to
/// `default_port`. Exits with a usage message on bad input.
pub fn server_args(port_env: &str, default_port: u16) -> ServerArgs {
    let usage = |problem: &str| -> ! {
        let name = std::env::args().next().unwrap_or_default();
        eprintln!(
            "error: {problem}\nusage: {name} [PORT] [--serve-for SECS]   (PORT also from ${port_env})"
        );
        std::process::exit(2)
    };
    let mut port = None;
    let mut serve_for = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--serve-for" {
            let secs = args
                .next()
                .unwrap_or_else(|| usage("--serve-for needs SECS"));
            let secs: f64 = secs.parse().unwrap_or_else(|_| usage("SECS is a number"));
            if !(secs.is_finite() && secs >= 0.0) {
                usage("SECS is a number >= 0");
            }
            serve_for = Some(Duration::from_secs_f64(secs));
        } else if port.is_none() && !arg.starts_with('-') {
            port = Some(
                arg.parse()
                    .unwrap_or_else(|_| usage("PORT is a number 0..=65535")),
            );
        } else {
            usage(&format!("unexpected argument `{arg}`"));
        }
    }
    let port = port.unwrap_or_else(|| match std::env::var(port_env) {
        Ok(p) => p
            .parse()
            .unwrap_or_else(|_| usage(&format!("${port_env} is a number 0..=65535"))),
        Err(_) => default_port,
    });
    ServerArgs { port, serve_for }
}

/// Completes on Ctrl-C, or after `serve_for` if given.
pub async fn stop_signal(serve_for: Option<Duration>) {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            // No signal handling here: only the time bound (or nothing) stops the server.
            std::future::pending::<()>().await;
        }
    };
    match serve_for {
        Some(limit) => {
            tokio::select! {
                () = ctrl_c => {}
                () = asyncio::sleep(limit) => {}
            }
        }
        None => ctrl_c.await,
    }
}
