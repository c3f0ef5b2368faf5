"""Slow and greedy clients cannot hold the web server: dripped headers and bodies are cut off (408), idle
keep-alive connections are closed, connections past the cap are refused at once, and `/healthz` answers
throughout. Real sockets against the server the daemon builds (`server_config`), with short limits."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from syncd.web.limits import ServerLimits, default_max_connections
from tests.support.served_app import serving_server
from tests.support.waiting import wait_until
from tests.support.webhooks import IntakeAdapter, make_runtime, migrated_sqlite

API_TOKEN = "slow-clients-api-token-0123"
LIMITS = ServerLimits(header_timeout=0.6, body_timeout=0.8, keep_alive=1, max_connections=8)


@dataclass
class Served:
    """A running server: its address, and uvicorn's server (to read how many connections it holds)."""

    host: str
    port: int
    server: uvicorn.Server

    def open_connections(self) -> int:
        """The connections the server has accepted and not closed."""
        return len(self.server.server_state.connections)

    @property
    def url(self) -> str:
        """`http://host:port`."""
        return f"http://{self.host}:{self.port}"

    def connect(self) -> socket.socket:
        """A raw client socket, connected."""
        client = socket.create_connection((self.host, self.port), timeout=5)
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return client


@contextmanager
def serving(tmp_path: Path, limits: ServerLimits = LIMITS) -> Iterator[Served]:
    """The daemon's app (webhooks, probes, API) behind `server_config(limits)` on a loopback port."""
    engine = migrated_sqlite(tmp_path / "syncd.db")
    runtime = make_runtime(engine, [IntakeAdapter("gh")], api_token=API_TOKEN)
    try:
        with serving_server(runtime, limits) as (url, server):
            host, _, port = url.removeprefix("http://").partition(":")
            yield Served(host, int(port), server)
    finally:
        engine.dispose()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The server with `LIMITS`."""
    with serving(tmp_path) as running:
        yield running


def read_until_closed(client: socket.socket, within: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took (fails after `within`)."""
    started = time.monotonic()
    client.settimeout(within)
    received = b""
    try:
        while chunk := client.recv(4096):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {within} s; it sent {received!r}")
    except ConnectionResetError:
        pass
    return received, time.monotonic() - started


def drip(client: socket.socket, data: bytes, interval: float, stop: threading.Event) -> None:
    """Send `data` one byte per `interval` until done, stopped or refused."""
    for byte in data:
        if stop.is_set():
            return
        try:
            client.sendall(bytes([byte]))
        except OSError:
            return
        time.sleep(interval)


def healthz(served: Served) -> int:
    """The status of `GET /healthz` on a fresh connection."""
    return httpx.get(served.url + "/healthz", timeout=3).status_code


class TestHeaderDeadline:
    """Headers must be complete within `header_timeout` of the connection (or of the previous answer)."""

    def test_dripped_headers_are_cut_off_with_408(self, served: Served) -> None:
        """One byte every 50 ms: the server answers 408 and closes at the deadline, not when the client stops."""
        stop = threading.Event()
        with closing(served.connect()) as client:
            request = b"POST /webhooks/gh HTTP/1.1\r\nHost: syncd\r\nX-Padding: " + b"a" * 400 + b"\r\n\r\n"
            dripper = threading.Thread(target=drip, args=(client, request, 0.05, stop), daemon=True)
            dripper.start()
            try:
                answer, took = read_until_closed(client, within=5)
            finally:
                stop.set()
                dripper.join(5)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert LIMITS.header_timeout - 0.1 <= took <= LIMITS.header_timeout + 1.5

    def test_a_connection_that_sends_nothing_is_closed(self, served: Served) -> None:
        """A silent connection does not hold a descriptor past the header deadline."""
        with closing(served.connect()) as client:
            answer, took = read_until_closed(client, within=5)
        assert answer.startswith(b"HTTP/1.1 408")
        assert took <= LIMITS.header_timeout + 1.5

    def test_an_idle_keep_alive_connection_is_closed_quietly(self, served: Served) -> None:
        """After an answer, an idle connection is closed by the keep-alive timeout, without a 408."""
        with closing(served.connect()) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: syncd\r\n\r\n")
            answer, took = read_until_closed(client, within=5)
        assert answer.startswith(b"HTTP/1.1 200")
        assert b"408" not in answer
        assert took <= LIMITS.keep_alive + 1.5

    def test_dripping_the_next_request_on_a_keep_alive_connection_is_cut_off(self, served: Served) -> None:
        """Bytes after an answer stop the keep-alive timeout; the header deadline still ends the connection."""
        stop = threading.Event()
        with closing(served.connect()) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: syncd\r\n\r\n")
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
            next_request = b"GET /healthz HTTP/1.1\r\nHost: syncd\r\nX-Padding: " + b"a" * 400 + b"\r\n\r\n"
            dripper = threading.Thread(target=drip, args=(client, next_request, 0.05, stop), daemon=True)
            dripper.start()
            try:
                answer, _took = read_until_closed(client, within=5)
            finally:
                stop.set()
                dripper.join(5)
        assert b"HTTP/1.1 408" in answer, answer  # after the rest of the first answer's body

    def test_a_prompt_request_is_served(self, served: Served) -> None:
        """The deadline does not touch ordinary traffic: several requests on one connection succeed."""
        with httpx.Client(base_url=served.url, timeout=3) as http:
            assert [http.get("/healthz").status_code for _ in range(5)] == [200] * 5


class TestBodyDeadline:
    """A body must be complete within `body_timeout` of its headers."""

    def test_a_dripped_body_is_answered_408(self, served: Served) -> None:
        """Headers at once, then one body byte every 50 ms: 408 at the deadline, and nothing is stored."""
        stop = threading.Event()
        with closing(served.connect()) as client:
            client.sendall(
                b"POST /webhooks/gh HTTP/1.1\r\nHost: syncd\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n"
            )
            dripper = threading.Thread(target=drip, args=(client, b"{" * 1000, 0.05, stop), daemon=True)
            dripper.start()
            try:
                answer, took = read_until_closed(client, within=5)
            finally:
                stop.set()
                dripper.join(5)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert LIMITS.body_timeout - 0.1 <= took <= LIMITS.body_timeout + 1.5

    def test_a_dripped_body_to_the_api_is_answered_408(self, served: Served) -> None:
        """The deadline holds on every route, not only the webhook fast path (an authenticated check-in)."""
        with closing(served.connect()) as client:
            client.sendall(
                b"POST /api/v1/key-results/X/check-ins HTTP/1.1\r\nHost: syncd\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + API_TOKEN.encode() + b"\r\nContent-Length: 100\r\n\r\n{"
            )
            answer, took = read_until_closed(client, within=5)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert took <= LIMITS.body_timeout + 1.5

    def test_a_prompt_body_is_stored(self, served: Served) -> None:
        """An ordinary delivery is unaffected (401 here: unsigned; the body was read in full and judged)."""
        answer = httpx.post(served.url + "/webhooks/gh", content=b"{}", headers={"content-type": "application/json"})
        assert answer.status_code == 401


class TestConnectionCap:
    """Past `max_connections` a connection is refused at once; the held ones expire; the probe answers after."""

    def test_connections_past_the_cap_are_refused_and_the_server_recovers(self, served: Served) -> None:
        """Eight silent connections fill the cap; the ninth gets 503 at once; after the header deadline the
        eight are gone and `/healthz` answers."""
        held = [served.connect() for _ in range(LIMITS.max_connections)]
        try:
            wait_until(
                lambda: served.open_connections() == LIMITS.max_connections, timeout=5, what="the eight connections"
            )
            with closing(served.connect()) as extra:
                answer, took = read_until_closed(extra, within=3)
            assert answer.startswith(b"HTTP/1.1 503"), answer
            assert took < LIMITS.header_timeout
            for client in held:
                read_until_closed(client, within=5)
            assert healthz(served) == 200
        finally:
            for client in held:
                client.close()

    def test_the_default_cap_leaves_descriptors_for_the_rest(self) -> None:
        """At most 500, and at most half the open-file limit."""
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        assert 16 <= default_max_connections() <= 500
        if soft != resource.RLIM_INFINITY:
            assert default_max_connections() <= max(16, soft // 2)
