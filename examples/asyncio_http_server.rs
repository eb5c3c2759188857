//! The aiohttp server of the asyncio seed (000): axum on tripod's loop.
//!
//! ```python
//! from aiohttp import web
//!
//! async def handle(request):
//!     name = request.match_info.get('name', "Anonymous")
//!     text = "Hello, " + name
//!     return web.Response(text=text)
//!
//! app = web.Application()
//! app.add_routes([web.get('/', handle), web.get('/{name}', handle)])
//! web.run_app(app, port=8080)
//! ```
//!
//! ```text
//! cargo run --release --example asyncio_http_server                  # port 8080, until Ctrl-C
//! cargo run --release --example asyncio_http_server -- 3000 --serve-for 10
//! TRIPOD_HTTP_PORT=3000 cargo run --release --example asyncio_http_server
//! curl http://127.0.0.1:8080/ http://127.0.0.1:8080/bob              # Hello, Anonymous / Hello, bob
//! ```
//!
//! The port is the first argument, else `$TRIPOD_HTTP_PORT`, else 8080 (0: any free port).
//! Ctrl-C, or the end of `--serve-for SECS`, stops it gracefully: no new connections, the
//! requests in flight are answered, then it returns.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/hello.rs"]
mod hello;

use tripod::asyncio::{self, net};

fn main() {
    let args = cli::server_args("TRIPOD_HTTP_PORT", hello::DEFAULT_PORT);
    let result = asyncio::run(async {
        let listener = net::listen(("0.0.0.0", args.port), 4096).await?;
        println!(
            "======== Running on http://{} ========",
            listener.local_addr()?
        );
        println!("(Press CTRL+C to quit)");
        hello::serve(listener, cli::stop_signal(args.serve_for)).await
    });
    match result {
        Ok(()) => println!("stopped"),
        Err(e) => {
            eprintln!("error: port {}: {e}", args.port);
            std::process::exit(1);
        }
    }
}
