"""The simulator over HTTP: GitLab's `/api/v4`, authenticated (`PRIVATE-TOKEN` or `Authorization: Bearer`),
through the fault knobs and the note-creation limit, answered by the routes with `RateLimit-*` headers and
logged; `POST /api/graphql` the same way (faults match path `/graphql`; its own log, as its requests have no
REST reference page to be checked against); plus each item's page for people (`/GROUP/PROJECT/-/issues/N`,
`?format=json` with its notes).

Project ids in paths are URL-encoded full paths (`acme%2Fweb`) or numbers: the raw path is split before it is
decoded, as GitLab routes.
"""

from __future__ import annotations

import json
import math
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.from_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from syncd.simulators.gitlab.graphql import GitLabGraphQL, GraphQLRequest
from syncd.simulators.gitlab.render import item_json, note_json
from syncd.simulators.gitlab.routes import KINDS, ApiError, ApiRequest, GitLabApi
from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.faults import FaultRule
from syncd.simulators.kit.rate_window import SlidingWindow
from syncd.simulators.kit.request_log import QueryParameters, RequestLog

Query = tuple[tuple[str, str], ...]
Answer = tuple[int, Any, dict[str, str]]
#: gitlab.com's authenticated API limit (requests a minute), told in `RateLimit-*` headers.
API_LIMIT = 2000


@dataclass(frozen=True)
class LoggedRequest(QueryParameters):
    """One API request the simulator answered (`path` under `/api/v4`, project ids still encoded)."""

    at: float
    method: str
    path: str
    query: Query
    body: Any
    status: int


@dataclass(frozen=True)
class Incoming:
    """One API request as it arrived: method, path under `/api/v4` (still encoded), query, body, token, URL."""

    method: str
    encoded: str
    query: Query
    raw: bytes
    token: str
    url: str


class SimulatorApp:
    """Binds the routes, the knobs, the limits and the log to Starlette."""

    def __init__(
        self,
        api: GitLabApi,
        faults: FaultKnobs,
        log: RequestLog[LoggedRequest],
        tokens: set[str],
        *,
        clock: Callable[[], float],
        note_limit: SlidingWindow | None,
        graphql: GitLabGraphQL | None = None,
        graphql_log: RequestLog[GraphQLRequest] | None = None,
    ) -> None:
        self._api = api
        self._graphql = graphql or GitLabGraphQL(api.state)
        self.graphql_log: RequestLog[GraphQLRequest] = graphql_log or RequestLog()
        self._faults = faults
        self._log = log
        self._tokens = tokens
        self._clock = clock
        self.note_limit = note_limit
        #: The clock the note-creation limit counts by (a benchmark's simulated one, or monotonic time).
        self.note_clock = clock
        self._used: list[float] = []

    def starlette(self) -> Starlette:
        """The ASGI app."""
        methods = ["GET", "POST", "PUT", "DELETE"]
        return Starlette(
            routes=[
                Route("/api/graphql", self._graphql_endpoint, methods=["POST"]),
                Route("/api/v4/{path:path}", self._api_endpoint, methods=methods),
                Route("/{path:path}", self._page),
            ]
        )

    async def _api_endpoint(self, request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        encoded = raw_path.decode("latin-1").partition("/api/v4/")[2]
        query = tuple(request.query_params.multi_items())
        try:
            raw = await request.body()
        except ClientDisconnect:
            return Response(b"", 499)
        token = request.headers.get("private-token") or request.headers.get("authorization", "").removeprefix("Bearer ")
        url = f"{request.url.scheme}://{request.url.netloc}/api/v4/{encoded}"
        answer = await run_in_threadpool(self._serve, Incoming(request.method, encoded, query, raw, token, url))
        status, body, headers = answer
        if body is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)

    def _serve(self, incoming: Incoming) -> Answer:
        started = self._clock()
        body: Any = None
        try:
            body = _decoded_body(incoming.raw)
            status, answer, headers = self._answer(incoming, body)
        except ApiError as error:
            status, answer, headers = error.status, error.body(), error.headers
        self._log.record(LoggedRequest(started, incoming.method, "/" + incoming.encoded, incoming.query, body, status))
        return status, answer, headers | self._budget_headers(started)

    def _answer(self, incoming: Incoming, body: Any) -> Answer:
        method, encoded, token = incoming.method, incoming.encoded, incoming.token
        if token not in self._tokens:
            raise ApiError(401, "401 Unauthorized")
        fault = self._faults.decide(method, "/" + encoded)
        if fault is not None:
            _apply(fault, token)
        if method == "POST" and encoded.endswith("/notes") and self.note_limit is not None:
            wait = self.note_limit.admit(self.note_clock())
            if wait is not None:
                raise ApiError(429, "Retry later", {"Retry-After": str(max(1, math.ceil(wait)))})
        segments = tuple(urllib.parse.unquote(part) for part in encoded.split("/"))
        answer = self._api.handle(ApiRequest(method, segments, incoming.query, body, incoming.url))
        if fault is not None and fault.gate is not None:
            fault.gate.answered.set()
        return answer

    async def _graphql_endpoint(self, request: Request) -> Response:
        try:
            raw = await request.body()
        except ClientDisconnect:
            return Response(b"", 499)
        token = request.headers.get("private-token") or request.headers.get("authorization", "").removeprefix("Bearer ")
        status, body, headers = await run_in_threadpool(self._serve_graphql, raw, token)
        return JSONResponse(body, status_code=status, headers=headers)

    def _serve_graphql(self, raw: bytes, token: str) -> Answer:
        started = self._clock()
        try:
            payload = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            payload = None
        query = payload.get("query") if isinstance(payload, dict) else None
        given = payload.get("variables") if isinstance(payload, dict) else None
        variables: dict[str, Any] = given if isinstance(given, dict) else {}
        named = payload.get("operationName") if isinstance(payload, dict) else None
        operation = named if isinstance(named, str) else None
        headers: dict[str, str] = {}
        try:
            status, body = self._graphql_answer(query, variables, operation, token)
        except ApiError as error:
            status, body, headers = error.status, {"errors": [{"message": str(error)}]}, error.headers
        errors = tuple(str(e.get("message")) for e in body.get("errors") or () if isinstance(e, dict))
        given_data = body.get("data")
        data: dict[str, Any] = given_data if isinstance(given_data, dict) else {}
        errors += tuple(
            str(m) for answer in data.values() if isinstance(answer, dict) for m in answer.get("errors") or ()
        )
        self.graphql_log.record(GraphQLRequest(started, operation, dict(variables), str(query or ""), status, errors))
        return status, body, headers | self._budget_headers(started)

    def _graphql_answer(self, query: object, variables: dict[str, Any], operation: str | None,
                        token: str) -> tuple[int, dict[str, Any]]:  # fmt: skip
        if token not in self._tokens:
            raise ApiError(401, "Invalid token")
        fault = self._faults.decide("POST", "/graphql")
        if fault is not None:
            _apply(fault, token)
        if not isinstance(query, str) or not query.strip():
            raise ApiError(400, "No query string was present")
        answer = self._graphql.execute(query, variables, operation)
        if fault is not None and fault.gate is not None:
            fault.gate.answered.set()
        return answer

    def _budget_headers(self, now: float) -> dict[str, str]:
        self._used = [t for t in self._used if t > now - 60.0] + [now]
        remaining = max(0, API_LIMIT - len(self._used))
        reset = int(time.time() + 60.0 - (now - self._used[0]))
        return {"RateLimit-Limit": str(API_LIMIT), "RateLimit-Observed": str(len(self._used)),
                "RateLimit-Remaining": str(remaining), "RateLimit-Reset": str(reset)}  # fmt: skip

    async def _page(self, request: Request) -> Response:
        path = request.path_params["path"]
        project_path, _, rest = path.partition("/-/")
        kind_word, _, iid = rest.partition("/")
        state = self._api.state
        try:
            project = state.project(project_path)
            item = state.item(project, KINDS[kind_word], int(iid))
        except (LookupError, ValueError):
            return PlainTextResponse(f"no such item in the simulator: /{path}\n", status_code=404)
        root = self._api.instance.url
        with state.lock:
            notes = state.item_notes(item)
            if request.query_params.get("format") == "json":
                return JSONResponse({"item": item_json(root, project, item),
                                     "notes": [note_json(root, n, item) for n in notes]})  # fmt: skip
            lines = [f"{project.path}{'#' if item.kind == 'issue' else '!'}{item.iid}: {item.title}",
                     f"state: {item.state} draft: {item.draft} labels: {', '.join(item.labels)}", ""]  # fmt: skip
            lines += [f"note {n.id}:\n{n.body}\n" for n in notes]
        return PlainTextResponse("\n".join(lines) + "\n")


def _decoded_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        decoded = urllib.parse.parse_qs(raw.decode("utf-8", errors="replace"))
        if decoded:
            return {key: values[0] for key, values in decoded.items()}
        raise ApiError(400, "The request body is not JSON", key="error") from None


def _apply(fault: FaultRule, token: str) -> None:
    """Wait out a `slow` or `hold` fault, or raise the error a failing one answers (in GitLab's words)."""
    if fault.kind == "slow":
        time.sleep(fault.delay)
    elif fault.gate is not None:
        if not anyio.from_thread.run(fault.gate.passage):
            raise ApiError(502, "The request was dropped before it reached GitLab (fault knob)")
    elif fault.status == 429:
        wait = str(max(1, math.ceil(fault.retry_after or 1.0)))
        raise ApiError(429, "Retry later", {"Retry-After": wait, "RateLimit-Remaining": "0"})
    elif fault.echo_credentials:
        raise ApiError(fault.status, f"401 Unauthorized; you sent PRIVATE-TOKEN: {token}")
    else:
        raise ApiError(fault.status, "The simulator was asked to fail this request (fault knob)")
