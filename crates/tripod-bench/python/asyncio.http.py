"""asyncio.http: the aiohttp seed's server, loaded by the harness (wrk or its own client).

    python3 asyncio.http.py

Binds 127.0.0.1 on a free port (backlog 4096), prints {"port": N} (or a skip line when
aiohttp is not importable) and serves the seed's app until killed: `/` answers
"Hello, Anonymous", `/{name}` answers "Hello, {name}". No access log.
"""

import asyncio
import json
import socket

import _bench


async def handle(request):
    name = request.match_info.get("name", "Anonymous")
    text = "Hello, " + name
    return web.Response(text=text)


async def serve():
    app = web.Application()
    app.add_routes([web.get("/", handle), web.get("/{name}", handle)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(4096)
    site = web.SockSite(runner, s, backlog=4096)
    await site.start()
    print(json.dumps({"port": s.getsockname()[1]}), flush=True)
    await asyncio.Event().wait()


def main():
    global web
    aiohttp = _bench.try_import("aiohttp", "aiohttp")
    if aiohttp is None:
        return
    from aiohttp import web

    asyncio.run(serve())


if __name__ == "__main__":
    _bench.main(main)
