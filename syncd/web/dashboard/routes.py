"""The dashboard's routes on the web role's app: pages, login/logout, badges, CSV exports, static files.

Off until `server.viewer_token` or `server.trusted_user_header` is configured: then every dashboard path is a
plain 404, as if there were no dashboard (strangers learn nothing). Every dashboard answer carries a strict
Content-Security-Policy (nothing from another origin, no inline script or style) and `no-referrer`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qs

import structlog
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncd.runtime.context import Runtime
from syncd.store.errors import StoreError
from syncd.web.dashboard import auth, exports
from syncd.web.dashboard.badges import Badges
from syncd.web.dashboard.pages import Pages

log = structlog.get_logger("syncd.web.dashboard")

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
#: The longest login form read (a token and a little more).
LOGIN_BODY_LIMIT = 4096

Handler = Callable[[Request], Awaitable[Response]]


class Dashboard:
    """The dashboard of one app: access rules around `Pages`, login and logout, badges and exports."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.pages = Pages(runtime)
        self.badges = Badges(runtime, self.pages.okr)
        self.limiter = auth.LoginLimiter()

    def routes(self) -> list[BaseRoute]:
        """The dashboard's routes (the app serves them only while the dashboard is configured)."""
        static = StaticFiles(directory=Path(str(files("syncd.web.dashboard") / "static")))
        return [
            Route("/", self.viewing(self.pages.overview), methods=["GET"]),
            Route("/objective/{objective_id}", self.viewing(self.pages.objective), methods=["GET"]),
            Route("/kr/{kr_id}.csv", self.viewing(self.exports_kr), methods=["GET"]),
            Route("/kr/{kr_id}", self.viewing(self.pages.key_result), methods=["GET"]),
            Route("/sources", self.viewing(self.pages.sources), methods=["GET"]),
            Route("/export/overview.csv", self.viewing(self.exports_overview), methods=["GET"]),
            Route("/login", self.guarded(self.login_form), methods=["GET"]),
            Route("/login", self.guarded(self.login), methods=["POST"]),
            Route("/logout", self.guarded(self.logout), methods=["POST"]),
            Route("/badge/{item_id}.svg", self.guarded(self.badge), methods=["GET"]),
            Mount("/static", app=_Headered(static, self.runtime), name="dashboard-static"),
        ]

    def guarded(self, handler: Handler) -> Handler:
        """`handler` when the dashboard is on, with the security headers; a bare 404 when it is off."""

        async def endpoint(request: Request) -> Response:
            if not auth.dashboard_enabled(self.runtime.config.server):
                return PlainTextResponse("Not Found", 404)
            try:
                response = await handler(request)
            except StoreError as error:
                response = PlainTextResponse(f"the store is unavailable: {error}", 503)
            response.headers.update(SECURITY_HEADERS)
            return response

        return endpoint

    def viewing(self, handler: Handler) -> Handler:
        """`guarded(handler)` for a signed-in viewer only: others go to /login (or 403 behind a proxy)."""

        async def endpoint(request: Request) -> Response:
            server = self.runtime.config.server
            who = auth.viewer(request, server)
            if who is None:
                if server.viewer_token is None:
                    return PlainTextResponse(f"sign in through the proxy: no {server.trusted_user_header} header", 403)
                return RedirectResponse("/login", 303)
            request.scope["syncd.viewer"] = who
            return await handler(request)

        return self.guarded(endpoint)

    async def login_form(self, request: Request) -> Response:
        """The login page (a one-field form); behind a proxy only, there is nothing to log in to."""
        if self.runtime.config.server.viewer_token is None:
            return PlainTextResponse("Not Found", 404)
        return self.pages.render(request, "login.html", error="")

    async def login(self, request: Request) -> Response:
        """Trade the viewer token for a session cookie; a wrong one is counted, past the limit 429."""
        server = self.runtime.config.server
        if server.viewer_token is None:
            return PlainTextResponse("Not Found", 404)
        address = request.client.host if request.client else "unknown"
        wait = self.limiter.blocked_for(address)
        if wait > 0:
            log.warning("dashboard.login_throttled", client=address)
            throttled = self.pages.render(request, "login.html", 429, error="Too many wrong tokens: wait a minute.")
            throttled.headers["retry-after"] = str(int(wait) + 1)
            return throttled
        body = await _bounded_body(request)
        if body is None:
            return PlainTextResponse("the login form is too large", 413)
        given = parse_qs(body.decode("utf-8", "replace")).get("token", [""])[0]
        if not auth.token_matches(server, given):
            self.limiter.failed(address)
            log.warning("dashboard.login_refused", client=address)
            return self.pages.render(request, "login.html", 401, error="That is not the viewer token.")
        log.info("dashboard.login", client=address)
        response = RedirectResponse("/", 303)
        response.set_cookie(
            auth.SESSION_COOKIE,
            auth.session_cookie(server),
            max_age=auth.SESSION_SECONDS,
            httponly=True,
            samesite="lax",
            secure=auth.cookie_secure(request, server),
        )
        return response

    async def logout(self, _request: Request) -> Response:
        """Drop the session cookie and go back to the login page."""
        response = RedirectResponse("/login", 303)
        response.delete_cookie(auth.SESSION_COOKIE, httponly=True, samesite="lax")
        return response

    async def badge(self, request: Request) -> Response:
        """`/badge/<id>.svg` of an objective or KR, public when `server.public_badges` is on (else 404)."""
        if not self.runtime.config.server.public_badges:
            return PlainTextResponse("Not Found", 404)
        return await self.badges.answer(request.path_params["item_id"])

    async def exports_kr(self, request: Request) -> Response:
        """`/kr/<id>.csv`: the KR's check-in history."""
        return await exports.kr_history(self.runtime, self.pages.okr(), request.path_params["kr_id"])

    async def exports_overview(self, request: Request) -> Response:
        """`/export/overview.csv`: every objective and KR with progress and status."""
        return await exports.overview(self.runtime, self.pages.okr(), request.query_params.get("cycle"))


class _Headered:
    """The static files, with the security headers on every answer; 404 while the dashboard is off."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one static file."""
        if not auth.dashboard_enabled(self.runtime.config.server):
            await PlainTextResponse("Not Found", 404)(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)


async def _bounded_body(request: Request) -> bytes | None:
    """The request body, or None past `LOGIN_BODY_LIMIT` bytes."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > LOGIN_BODY_LIMIT:
            return None
    return body
