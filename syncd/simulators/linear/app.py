"""The simulator over HTTP: `POST /graphql` authenticated (a bare API key or `Bearer` OAuth token), through the
fault knobs and the rate windows, executed by graphql-core against the simulator's schema, answered with
Linear's rate-limit headers and logged; plus `/issue/{identifier}` pages for people (text; `?format=json`).

Rate limits: requests and complexity points per hour (sliding windows), told on every answer as
`X-RateLimit-Requests-{Limit,Remaining,Reset}` and `X-RateLimit-Complexity-*` (reset in epoch ms) and
`X-Complexity`; a spent budget is answered HTTP 400 with `extensions.code = RATELIMITED`, as Linear does. A
fault knob's 429 also carries `Retry-After`.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import anyio.from_thread
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.faults import FaultRule
from syncd.simulators.kit.request_log import QueryParameters, RequestLog
from syncd.simulators.linear.complexity import MAX_COMPLEXITY, complexity
from syncd.simulators.linear.resolvers import Resolvers

Answer = tuple[int, Any, dict[str, str]]
HOUR = 3600.0


def load_schema() -> GraphQLSchema:
    """The simulator's schema (`schema.graphql` in this package: Linear's types syncd uses)."""
    text = resources.files("syncd.simulators.linear").joinpath("schema.graphql").read_text(encoding="utf-8")
    return build_schema(text)


@dataclass(frozen=True)
class LoggedRequest(QueryParameters):
    """One GraphQL request the simulator answered (`path` is `/graphql/<OperationName>`)."""

    at: float
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    status: int
    operation: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    complexity: int = 0


class Spend:
    """A budget spent per sliding hour: requests (1 each) or complexity points (thread-safe)."""

    def __init__(self, limit: int, period: float = HOUR) -> None:
        self.limit = limit
        self.period = period
        self._spent: deque[tuple[float, int]] = deque()
        self._lock = threading.Lock()

    def _trim(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - self.period:
            self._spent.popleft()

    def remaining(self, now: float) -> int:
        """What is left now."""
        with self._lock:
            self._trim(now)
            return max(0, self.limit - sum(amount for _, amount in self._spent))

    def reset_ms(self, now: float) -> int:
        """When the oldest spending leaves the window (epoch ms)."""
        with self._lock:
            oldest = self._spent[0][0] if self._spent else now
        return int((time.time() + (oldest + self.period - now)) * 1000)

    def spend(self, now: float, amount: int) -> None:
        """Count `amount`."""
        with self._lock:
            self._spent.append((now, amount))


class SimulatorApp:
    """Binds the schema, the resolvers, the knobs, the budgets and the log to Starlette."""

    def __init__(self, resolvers: Resolvers, faults: FaultKnobs, log: RequestLog[LoggedRequest],
                 tokens: set[str], *, requests_limit: int = 5_000, complexity_limit: int = 3_000_000) -> None:  # fmt: skip
        self.schema = load_schema()
        self.resolvers = resolvers
        self.faults = faults
        self.log = log
        self.tokens = tokens
        self.requests = Spend(requests_limit)
        self.points = Spend(complexity_limit)

    def starlette(self) -> Starlette:
        """The ASGI app."""
        return Starlette(routes=[Route("/graphql", self._endpoint, methods=["POST"]),
                                 Route("/issue/{identifier}", self._page)])  # fmt: skip

    async def _endpoint(self, request: Request) -> Response:
        try:
            raw = await request.body()
        except ClientDisconnect:
            return Response(b"", 499)
        auth = request.headers.get("authorization", "")
        status, body, headers = await run_in_threadpool(self._serve, raw, auth)
        return JSONResponse(body, status_code=status, headers=headers)

    def _serve(self, raw: bytes, auth: str) -> Answer:
        started = time.monotonic()
        try:
            payload = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            answer: Answer = 400, _errors("Must provide query string.", "BAD_USER_INPUT"), {}
            self.log.record(LoggedRequest(started, "POST", "/graphql", (), payload, 400))
            return answer
        operation = payload.get("operationName") if isinstance(payload.get("operationName"), str) else None
        given = payload.get("variables")
        variables: dict[str, Any] = given if isinstance(given, dict) else {}
        status, body, headers, cost = self._answer(payload["query"], variables, operation, auth)
        self.log.record(LoggedRequest(started, "POST", f"/graphql/{operation or ''}", (), payload, status,
                                      operation, dict(variables), cost))  # fmt: skip
        return status, body, headers

    def _answer(self, query: str, variables: dict[str, Any], operation: str | None,
                auth: str) -> tuple[int, Any, dict[str, str], int]:  # fmt: skip
        refused = self._refused(auth, operation)
        if refused is not None:
            return (*refused, 0)
        fault = self.faults.decide("POST", f"/graphql/{operation or ''}")
        if fault is not None:
            faulted = _apply(fault, auth)
            if faulted is not None:
                return (*faulted, 0)
        document = self._document(query)
        if not isinstance(document, DocumentNode):
            return (*document, 0)
        cost = complexity(document, variables, operation)
        now = time.monotonic()
        over = self._over_budget(now, cost)
        if over is not None:
            return (*over, cost)
        self.requests.spend(now, 1)
        self.points.spend(now, cost)
        root = self.resolvers.query_root() | self.resolvers.mutation_root()
        result = execute_sync(self.schema, document, root, variable_values=variables, operation_name=operation)
        if fault is not None and fault.gate is not None:
            fault.gate.answered.set()
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [error.formatted for error in result.errors]
        return 200, body, self._headers(now, cost), cost

    def _document(self, query: str) -> DocumentNode | Answer:
        """The parsed document, or the answer to one that does not parse or validate against the schema."""
        try:
            document = parse(query)
        except GraphQLError as error:
            return 400, {"errors": [error.formatted]}, {}
        problems = validate(self.schema, document)
        return (400, {"errors": [e.formatted for e in problems]}, {}) if problems else document

    def _over_budget(self, now: float, cost: int) -> Answer | None:
        """The answer to a query too complex, or one the requests or complexity budget cannot pay now."""
        if cost > MAX_COMPLEXITY:
            return 400, _errors(f"Query too complex: {cost} points (at most {MAX_COMPLEXITY})", "INVALID_INPUT"), {}
        if self.requests.remaining(now) < 1 or self.points.remaining(now) < cost:
            return 400, _errors("Rate limit exceeded", "RATELIMITED"), self._headers(now, cost)
        return None

    def _refused(self, auth: str, operation: str | None) -> Answer | None:
        """The answer to a request without a known token (Linear: 400 with AUTHENTICATION_ERROR)."""
        if auth.removeprefix("Bearer ").strip() in self.tokens:
            return None
        return 400, _errors("Authentication required, not authenticated", "AUTHENTICATION_ERROR"), {}

    def _headers(self, now: float, cost: int) -> dict[str, str]:
        return {
            "X-RateLimit-Requests-Limit": str(self.requests.limit),
            "X-RateLimit-Requests-Remaining": str(self.requests.remaining(now)),
            "X-RateLimit-Requests-Reset": str(self.requests.reset_ms(now)),
            "X-RateLimit-Complexity-Limit": str(self.points.limit),
            "X-RateLimit-Complexity-Remaining": str(self.points.remaining(now)),
            "X-RateLimit-Complexity-Reset": str(self.points.reset_ms(now)),
            "X-Complexity": str(cost),
        }

    async def _page(self, request: Request) -> Response:
        identifier = request.path_params["identifier"]
        state = self.resolvers.state
        try:
            issue = state.issue(identifier)
        except LookupError:
            return PlainTextResponse(f"no issue {identifier} in the simulator\n", status_code=404)
        with state.lock:
            comments = state.issue_comments(issue)
            attachments = state.issue_attachments(issue)
            if request.query_params.get("format") == "json":
                data = self.resolvers.issue(issue)
                plain = {k: v for k, v in data.items() if not callable(v)}
                plain["labels"] = [state.labels[i].name for i in issue.label_ids if i in state.labels]
                plain["comments"] = [{"id": c.id, "body": c.body} for c in comments]
                plain["attachments"] = [{"url": a.url, "title": a.title, "subtitle": a.subtitle,
                                         "metadata": a.metadata} for a in attachments]  # fmt: skip
                return JSONResponse(plain)
            lines = [f"{issue.identifier}: {issue.title}", f"state: {state.states[issue.state_id].name}",
                     f"labels: {', '.join(state.labels[i].name for i in issue.label_ids if i in state.labels)}", ""]  # fmt: skip
            lines += [f"attachment {a.title}: {a.subtitle}" for a in attachments]
            lines += [f"comment {c.id}:\n{c.body}" for c in comments]
        return PlainTextResponse("\n".join(lines) + "\n")


def _errors(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, "userPresentableMessage": message}}]}


def operation_name(document: str) -> str | None:
    """The first operation's name in a document (for logs of requests sent without `operationName`)."""
    try:
        parsed = parse(document)
    except GraphQLError:
        return None
    for definition in parsed.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None:
            return definition.name.value
    return None


def _apply(fault: FaultRule, auth: str) -> Answer | None:
    """Wait out a `slow` or `hold` fault (None: go on), or the answer a failing one gives, in Linear's words."""
    if fault.kind == "slow":
        time.sleep(fault.delay)
        return None
    if fault.gate is not None:
        if anyio.from_thread.run(fault.gate.passage):
            return None
        return 502, _errors("The request was dropped before it reached Linear (fault knob)", "INTERNAL"), {}
    if fault.status == 429:
        wait = max(1, math.ceil(fault.retry_after or 1.0))
        reset = str(int((time.time() + wait) * 1000))
        headers = {"Retry-After": str(wait), "X-RateLimit-Requests-Remaining": "0", "X-RateLimit-Requests-Reset": reset}
        return 429, _errors("Rate limit exceeded", "RATELIMITED"), headers
    if fault.echo_credentials:
        return fault.status, _errors(f"Unauthorized; you sent Authorization: {auth}", "AUTHENTICATION_ERROR"), {}
    return fault.status, _errors("The simulator was asked to fail this request (fault knob)", "INTERNAL"), {}
