"""What a slow or greedy client may cost the web server: header and body read deadlines, a connection cap.

uvicorn closes idle keep-alive connections, but it has no deadline for a request's headers or body: a
client dripping one byte a second holds its connection (and a file descriptor) forever, and enough of
them starve `/healthz` and the webhooks. Here the h11 protocol closes a connection whose request headers
are not complete within `header_timeout` (408, at accept or after a keep-alive response) and refuses
connections past `max_connections` at once; `BodyDeadline` answers 408 when the body is not read in full
within `body_timeout` of the headers. `server_config` puts them together for the daemon.
"""

from __future__ import annotations

import asyncio
import resource
from dataclasses import dataclass, field
from typing import Any

import h11
import structlog
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

log = structlog.get_logger("syncd.web.limits")

_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
)
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nretry-after: 5\r\nconnection: close\r\n\r\n"


def default_max_connections() -> int:
    """500 open connections, or half the process's open-file limit when that is lower (the store, the
    trackers and the logs need descriptors too)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return 500 if soft == resource.RLIM_INFINITY else max(16, min(500, soft // 2))


@dataclass(frozen=True)
class ServerLimits:
    """The web server's limits (seconds and counts); README's Operations section states the defaults."""

    #: From accepting a connection (or finishing a response on it) to the end of the next request's headers.
    header_timeout: float = 10.0
    #: From the end of the headers to the end of the body.
    body_timeout: float = 30.0
    #: An idle keep-alive connection is closed after this long.
    keep_alive: float = 5.0
    #: Connections past this many are answered 503 and closed at once.
    max_connections: int = field(default_factory=default_max_connections)
    #: Largest request line plus headers (h11 answers 400 past it).
    max_header_bytes: int = 16 * 1024


def guarded_protocol(limits: ServerLimits) -> type[H11Protocol]:
    """uvicorn's h11 protocol with a header deadline and a connection cap of `limits`."""

    class GuardedH11Protocol(H11Protocol):
        """Closes a connection whose request headers do not arrive in time; refuses one past the cap."""

        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections:
                log.warning("web.connection_refused", reason="connection cap", cap=limits.max_connections)
                transport.write(_BUSY)
                transport.close()
                return
            self._arm_header_deadline()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the request's headers are complete
                self._disarm_header_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
                self._arm_header_deadline()  # the next request on this keep-alive connection

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_deadline()
            super().connection_lost(exc)

        def _arm_header_deadline(self) -> None:
            self._disarm_header_deadline()
            self._header_timer = self.loop.call_later(limits.header_timeout, self._headers_too_slow)

        def _disarm_header_deadline(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
                return
            if self.timeout_keep_alive_task is not None:
                return  # idle after a response: the keep-alive timeout closes it quietly
            log.info("web.request_timeout", part="headers", seconds=limits.header_timeout)
            self.transport.write(_TIMED_OUT)
            self.transport.close()

    return GuardedH11Protocol


class BodyDeadline:
    """ASGI middleware: a request whose body is not read in full within `seconds` of its headers is
    answered 408 and its connection closed; the app is told the client disconnected."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a `receive` that gives up at the deadline."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = _Exchange(asyncio.get_running_loop().time() + self.seconds, receive, send)
        await self.app(scope, exchange.receive, exchange.send)


class _Exchange:
    """One request's body reads against its deadline, and whether its answer has started."""

    def __init__(self, deadline: float, receive: Receive, send: Send) -> None:
        self.deadline = deadline
        self._receive = receive
        self._send = send
        self.body_read = False
        self.started = False
        self.timed_out = False

    async def receive(self) -> Message:
        """The next message; `http.disconnect` once the deadline passed with the body still incomplete."""
        if self.body_read:
            return await self._receive()  # waiting for a disconnect after the body has no deadline
        if self.timed_out:
            return {"type": "http.disconnect"}
        try:
            async with asyncio.timeout_at(self.deadline):
                message = await self._receive()
        except TimeoutError:
            await self._time_out()
            return {"type": "http.disconnect"}
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.body_read = True
        return message

    async def send(self, message: Message) -> None:
        """Pass the app's answer on, unless the 408 went out instead."""
        if self.timed_out:
            return
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)

    async def _time_out(self) -> None:
        self.timed_out = True
        log.info("web.request_timeout", part="body")
        if self.started:
            return
        headers = [(b"content-type", b"text/plain"), (b"content-length", b"0"), (b"connection", b"close")]
        await self._send({"type": "http.response.start", "status": 408, "headers": headers})
        await self._send({"type": "http.response.body", "body": b""})


def server_config(app: ASGIApp, host: str, port: int, limits: ServerLimits, **options: Any) -> uvicorn.Config:
    """The uvicorn config serving `app` within `limits` (`options`: other uvicorn settings)."""
    return uvicorn.Config(
        BodyDeadline(app, limits.body_timeout),
        host=host,
        port=port,
        http=guarded_protocol(limits),
        timeout_keep_alive=max(1, round(limits.keep_alive)),
        limit_concurrency=limits.max_connections + 1,  # the protocol refuses the extra connection itself
        h11_max_incomplete_event_size=limits.max_header_bytes,
        **options,
    )
