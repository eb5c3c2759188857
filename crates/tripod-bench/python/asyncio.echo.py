"""asyncio.echo: the Python echo servers the harness loads (it is the load client).

    python3 asyncio.echo.py gevent|asyncio|uvloop

Binds 127.0.0.1 on a free port (backlog 4096), prints {"port": N} (or a skip line when the
module is not importable) and serves until killed. Each handler is the gevent seed's loop:
recv(1024), send it back, until the client closes; then close.

- gevent: gevent.server.StreamServer, a greenlet per connection (TCP_NODELAY set, as
  asyncio sets it on its transports).
- asyncio: asyncio.start_server streams (reader.read / writer.write + drain), the way
  the asyncio seed writes servers.
- uvloop: the same coroutine on uvloop's loop.
"""

import json
import socket
import sys

import _bench

BACKLOG = 4096


def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(BACKLOG)
    return s


def ready(s):
    print(json.dumps({"port": s.getsockname()[1]}), flush=True)


def serve_gevent():
    gevent = _bench.try_import("gevent", "gevent")
    if gevent is None:
        return
    from gevent.server import StreamServer

    def handle(conn, _addr):
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                data = conn.recv(1024)
                if not data:
                    conn.shutdown(socket.SHUT_WR)
                    break
                conn.sendall(data)
        except OSError:
            pass
        finally:
            conn.close()

    s = listener()
    server = StreamServer(s, handle)
    ready(s)
    server.serve_forever()


async def handle_stream(reader, writer):
    try:
        while True:
            data = await reader.read(1024)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


def serve_asyncio(run):
    import asyncio

    async def main():
        s = listener()
        server = await asyncio.start_server(handle_stream, sock=s, backlog=BACKLOG)
        ready(s)
        await server.serve_forever()

    run(main())


def main():
    impl = sys.argv[1] if len(sys.argv) > 1 else ""
    if impl == "gevent":
        serve_gevent()
    elif impl == "asyncio":
        import asyncio

        serve_asyncio(asyncio.run)
    elif impl == "uvloop":
        uvloop = _bench.try_import("uvloop", "uvloop")
        if uvloop is not None:
            serve_asyncio(uvloop.run)
    else:
        sys.exit(f"usage: {sys.argv[0]} gevent|asyncio|uvloop")


if __name__ == "__main__":
    _bench.main(main)
