"""What the simulated OKR stores (Quantive, WorkBoard) share: metrics kept in memory, a bearer token (and
optionally more headers) required, the fault knobs, and a request log, served over real HTTP on 127.0.0.1.

A store's simulator subclasses `MetricStoreSimulator` with its routes; each handler gets the decoded JSON body
and answers `(status, json)`. Faults are decided once per request before auth (a 5xx outage is
`faults.server_error(count=None)`, lifted by `faults.clear()`); a 429 carries `Retry-After`.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.request_log import RequestLog
from syncd.simulators.kit.server import BackgroundServer, Served

Answer = tuple[int, Any]
Handler = Callable[[Mapping[str, str], Any], Answer]


@dataclass(frozen=True)
class StoreRequest:
    """One request a simulated store answered (`path` under its API root)."""

    at: float
    method: str
    path: str
    headers: Mapping[str, str]
    body: Any
    status: int


@dataclass
class Metric:
    """One metric (key result) of a simulated store: its value and every update it received."""

    id: str
    name: str
    actual: float = 0.0
    target: float = 100.0
    updates: list[dict[str, Any]] = field(default_factory=list)


class MetricStoreSimulator(Served):
    """A simulated OKR store: subclasses give `routes()` and `required_headers`."""

    vendor = "store"

    def __init__(self, token: str, *, prefix: str = "") -> None:
        self.token = token
        self.prefix = prefix
        self.metrics: dict[str, Metric] = {}
        self.faults = FaultKnobs()
        self.requests: RequestLog[StoreRequest] = RequestLog()
        self._lock = threading.Lock()
        self._server: BackgroundServer | None = None

    # -- state ---------------------------------------------------------------------------------
    def add_metric(self, metric_id: str, name: str, *, actual: float = 0.0, target: float = 100.0) -> Metric:
        """Create a metric people made in the tool."""
        with self._lock:
            metric = self.metrics[metric_id] = Metric(metric_id, name, actual, target)
            return metric

    def updates(self, metric_id: str) -> list[dict[str, Any]]:
        """The updates (check-ins) a metric received, oldest first."""
        with self._lock:
            return list(self.metrics[metric_id].updates)

    def writes(self) -> list[StoreRequest]:
        """Every logged request that changed a metric (answered 2xx)."""
        return [r for r in self.requests.entries() if r.method in ("POST", "PUT") and 200 <= r.status < 300]

    def required_headers(self) -> Mapping[str, str]:
        """Headers (lower-cased) every request must carry besides the bearer token."""
        return {}

    @abstractmethod
    def routes(self) -> list[tuple[str, str, Callable[..., Answer]]]:
        """(method, path pattern under the root with `{id}`, handler(id, headers, body))."""

    # -- HTTP ----------------------------------------------------------------------------------
    def app(self) -> Starlette:
        """The ASGI app: every route behind faults, auth and the log."""
        routes = [
            Route(self.prefix + path, self._endpoint(method, handler), methods=[method])
            for method, path, handler in self.routes()
        ]
        return Starlette(routes=routes)

    def _endpoint(self, method: str, handler: Callable[..., Answer]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            path = request.url.path.removeprefix(self.prefix)
            headers = {name.lower(): value for name, value in request.headers.items()}
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:  # the tools answer a body that is no JSON with a 400, not an error of their own
                extra: dict[str, str] = {}
                body = raw.decode(errors="replace")
                status, answer = 400, {"error": "the request body is not JSON"}
            else:
                status, answer, extra = await self._answer(
                    method, path, headers, body, request=request, handler=handler
                )
            logged = {k: v for k, v in headers.items() if k != "authorization"}
            self.requests.record(StoreRequest(time.time(), method, path, logged, body, status))
            return JSONResponse(answer, status_code=status, headers=extra)

        return endpoint

    async def _answer(
        self, method: str, path: str, headers: Mapping[str, str], body: Any, *, request: Request,
        handler: Callable[..., Answer],
    ) -> tuple[int, Any, dict[str, str]]:  # fmt: skip
        fault = self.faults.decide(method, path)
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "hold" and fault.gate is not None:
                if not await fault.gate.passage():
                    return 502, {"error": "bad gateway"}, {}
            elif fault.status == 429:
                return 429, {"error": "too many requests"}, {"retry-after": f"{fault.retry_after or 1:g}"}
            else:
                return fault.status, {"error": f"{self.vendor} is unavailable"}, {}
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": "unauthorized"}, {}
        for name, value in self.required_headers().items():
            if headers.get(name) != value:
                return 403, {"error": f"{name} is missing or names another account"}, {}
        with self._lock:
            status, answer = handler(request.path_params.get("id", ""), headers, body)
        return status, answer, {}

    def start(self) -> str:
        """Serve on a free loopback port; returns the API root."""
        self._server = BackgroundServer(self.app())
        return self._server.start() + self.prefix

    @property
    def url(self) -> str:
        """The API root (once started)."""
        if self._server is None:
            raise RuntimeError("the simulator is not started")
        return self._server.url + self.prefix

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.stop()
