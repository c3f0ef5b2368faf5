"""Serve the daemon's web stack for a runtime on a loopback port, as `syncd run` does: `WebhookFastPath` in
front of `create_app`, behind `server_config` and its limits (real sockets, real uvicorn).

    with serving_app(runtime) as url:
        httpx.post(f"{url}/webhooks/gh", ...)

`serving_server` yields the uvicorn server too, for tests that wait on its state (the connections it holds).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from syncd.runtime.context import Runtime
from syncd.web.app import WebhookFastPath, create_app
from syncd.web.limits import ServerLimits, server_config


@contextmanager
def serving_app(runtime: Runtime, limits: ServerLimits | None = None) -> Iterator[str]:
    """The app of `runtime` on a free loopback port; yields `http://127.0.0.1:PORT`. The runtime's executor
    is shut down when the block ends (its engine and adapters stay the caller's)."""
    with serving_server(runtime, limits) as (url, _server):
        yield url


@contextmanager
def serving_server(runtime: Runtime, limits: ServerLimits | None = None) -> Iterator[tuple[str, uvicorn.Server]]:
    """`serving_app`, yielding the running uvicorn server beside the URL."""
    app = create_app(runtime)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    config = server_config(
        WebhookFastPath(app),
        "127.0.0.1",
        0,
        limits or ServerLimits(),
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        assert time.monotonic() < deadline, "the server did not start in time"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", server
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.writer.close()
        runtime.executor.shutdown(wait=True)
