"""The simulator over HTTP: Jira's API, authenticated (HTTP basic email:token, or Bearer PAT), through the
fault knobs, answered by the routes and logged; plus `/browse/{key}` pages for people (plain text;
`?format=json`: the issue with every field and its comments with their properties).
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass
from typing import Any

import anyio.from_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from syncd.simulators.jira.render import comment_json, issue_json
from syncd.simulators.jira.routes import ApiError, ApiRequest, JiraApi
from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.faults import FaultRule
from syncd.simulators.kit.request_log import QueryParameters, RequestLog

Query = tuple[tuple[str, str], ...]
Answer = tuple[int, Any, dict[str, str]]


@dataclass(frozen=True)
class LoggedRequest(QueryParameters):
    """One API request the simulator answered."""

    at: float
    method: str
    path: str
    query: Query
    body: Any
    status: int


class SimulatorApp:
    """Binds the routes, the knobs and the log to Starlette."""

    def __init__(self, api: JiraApi, faults: FaultKnobs, log: RequestLog[LoggedRequest], credentials: set[str]) -> None:
        self._api = api
        self._faults = faults
        self._log = log
        self._credentials = credentials

    def starlette(self) -> Starlette:
        """The ASGI app."""
        methods = ["GET", "POST", "PUT", "DELETE"]
        return Starlette(
            routes=[
                Route("/rest/{path:path}", self._api_endpoint, methods=methods),
                Route("/browse/{key}", self._browse),
            ]
        )

    async def _api_endpoint(self, request: Request) -> Response:
        path = "/rest/" + request.path_params["path"]
        query = tuple(request.query_params.multi_items())
        try:
            raw = await request.body()
        except ClientDisconnect:
            return Response(b"", 499)
        auth = request.headers.get("authorization", "")
        status, body, headers = await run_in_threadpool(self._serve, request.method, path, query, raw, auth)
        if body is None:
            return Response(status_code=status, headers=headers)
        return JSONResponse(body, status_code=status, headers=headers)

    def _serve(self, method: str, path: str, query: Query, raw: bytes, auth: str) -> Answer:
        started = time.monotonic()
        body: Any = None
        try:
            body = json.loads(raw) if raw else None
            answer = self._answer(method, path, query, body, auth)
        except json.JSONDecodeError:
            answer = 400, ApiError(400, "Unexpected character: the body is not JSON").body(), {}
        self._log.record(LoggedRequest(started, method, path, query, body, answer[0]))
        return answer

    def _answer(self, method: str, path: str, query: Query, body: Any, auth: str) -> Answer:
        try:
            # serverInfo answers anyone, as Jira's does (it is how a client learns which Jira it reached).
            if _credential(auth) not in self._credentials and not path.endswith("/serverInfo"):
                raise ApiError(401, "Client must be authenticated to access this resource.")
            fault = self._faults.decide(method, path)
            if fault is not None:
                _apply(fault, auth)
            status, answer = self._api.handle(ApiRequest(method, path, dict(query), body))
            if fault is not None and fault.gate is not None:
                fault.gate.answered.set()
        except ApiError as error:
            return error.status, error.body(), error.headers
        return status, answer, {}

    async def _browse(self, request: Request) -> Response:
        key = request.path_params["key"]
        state = self._api.state
        try:
            issue = state.issue(key)
        except LookupError:
            return PlainTextResponse(f"no issue {key} in the simulator\n", status_code=404)
        if request.query_params.get("format") == "json":
            site = self._api.site.url
            with state.lock:
                comments = [comment_json(site, c, properties=True) for c in state.issue_comments(issue)]
                return JSONResponse({"issue": issue_json(site, issue), "comments": comments})
        with state.lock:
            lines = [f"{issue.key}: {issue.summary}", f"status: {issue.category} resolution: {issue.resolution}",
                     f"labels: {', '.join(issue.labels)}", f"fields: {issue.fields}", ""]  # fmt: skip
            lines += [f"comment {c.id}: {json.dumps(c.body)}" for c in state.issue_comments(issue)]
        return PlainTextResponse("\n".join(lines) + "\n")


def _credential(auth: str) -> str:
    """`email:token` of HTTP basic, or the Bearer token."""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "basic":
        try:
            return base64.b64decode(value).decode()
        except (ValueError, UnicodeDecodeError):
            return ""
    return value if scheme.lower() == "bearer" else ""


def _apply(fault: FaultRule, auth: str) -> None:
    """Wait out a `slow` or `hold` fault, or raise the error a failing one answers (in Jira's words)."""
    if fault.kind == "slow":
        time.sleep(fault.delay)
    elif fault.gate is not None:
        if not anyio.from_thread.run(fault.gate.passage):
            raise ApiError(502, "The request was dropped before it reached Jira (fault knob)")
    elif fault.status == 429:
        wait = str(max(1, math.ceil(fault.retry_after or 1.0)))
        headers = {"Retry-After": wait, "X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0",
                   "RateLimit-Reason": "jira-quota-tenant-based"}  # fmt: skip
        raise ApiError(429, "Rate limit exceeded.", headers)
    elif fault.echo_credentials:
        raise ApiError(fault.status, f"Unauthorized; you sent Authorization: {auth}")
    else:
        raise ApiError(fault.status, "The simulator was asked to fail this request (fault knob)")
