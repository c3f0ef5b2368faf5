"""A tracker that refuses every request with 401 and echoes the request's Authorization header in its body,
as some proxies and trackers do: the worst case for error text that syncd stores and shows.

    with leaky_tracker() as url:    # GitHub-shaped and Asana-shaped error bodies on every path
        ...                          # point a source's base_url at `url` (GitHub) or `url + "/api/1.0"` (Asana)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from syncd.simulators.kit.server import BackgroundServer


async def _refuse(request: Request) -> JSONResponse:
    """401 with the caller's Authorization (and any X-Hook-Secret) quoted back, in both trackers' shapes."""
    said = f"you sent Authorization={request.headers.get('authorization', '')}"
    hook = request.headers.get("x-hook-secret")
    if hook:
        said += f" and X-Hook-Secret: {hook}"
    body = {"message": f"Bad credentials; {said}", "errors": [{"message": f"Not Authorized; {said}"}]}
    return JSONResponse(body, status_code=401)


def leaky_app() -> Starlette:
    """The app: every method on every path is refused."""
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    return Starlette(routes=[Route("/{path:path}", _refuse, methods=methods)])


@contextmanager
def leaky_tracker() -> Iterator[str]:
    """Serve the leaky tracker on a loopback port; yields its root URL."""
    server = BackgroundServer(leaky_app())
    try:
        yield server.start()
    finally:
        server.stop()
