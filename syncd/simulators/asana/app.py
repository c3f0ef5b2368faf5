"""The simulator over HTTP: Asana's API under `/api/1.0`, and `/_sim/` views for people and tests.

Each API request is authenticated (Bearer token), passed through the fault knobs, answered by the
router, and logged. `/_sim/tasks/{gid}` shows a task with its stories (text, or JSON with
`?format=json`); `/_sim/requests` lists the request log as JSON.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import anyio.from_thread
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from syncd.simulators.asana.api import ApiRequest
from syncd.simulators.asana.faults import Faults
from syncd.simulators.asana.handlers import AsanaApi
from syncd.simulators.asana.render import story_json, task_json
from syncd.simulators.asana.store import ApiError
from syncd.simulators.asana.traffic import LoggedRequest
from syncd.simulators.asana.view import task_text
from syncd.simulators.kit.faults import FaultRule
from syncd.simulators.kit.request_log import RequestLog

API_PREFIX = "/api/1.0"
Answer = tuple[int, dict[str, Any], dict[str, str]]


class SimulatorApp:
    """Binds the API, the knobs and the log to Starlette routes."""

    def __init__(self, api: AsanaApi, faults: Faults, log: RequestLog[LoggedRequest], token: str) -> None:
        self._api = api
        self._faults = faults
        self._log = log
        self._token = token

    def starlette(self) -> Starlette:
        """The ASGI app."""
        methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
        return Starlette(
            routes=[
                Route(API_PREFIX + "/{path:path}", self._api_endpoint, methods=methods),
                Route("/_sim/tasks/{gid}", self._task_view),
                Route("/_sim/requests", self._requests_view),
                Route("/0/{project}/{gid}", self._permalink),
            ]
        )

    async def _api_endpoint(self, request: Request) -> Response:
        path = "/" + request.path_params["path"]
        query = tuple(request.query_params.multi_items())
        try:
            raw = await request.body()
        except ClientDisconnect:  # the client died mid-request: nothing to answer
            return Response(b"", 499)
        auth = request.headers.get("authorization", "")
        status, body, headers = await run_in_threadpool(self._serve, request.method, path, query, raw, auth)
        return JSONResponse(body, status_code=status, headers=headers)

    def _serve(self, method: str, path: str, query: tuple[tuple[str, str], ...], raw: bytes, auth: str) -> Answer:
        started = time.monotonic()
        body: Any = None
        retry_after: float | None = None
        try:
            body = json.loads(raw) if raw else None
            status, payload, headers = self._answer(method, path, query, body, auth)
        except json.JSONDecodeError:
            status, payload, headers = 400, ApiError(400, "Could not parse request data, invalid JSON").body(), {}
        if "Retry-After" in headers:
            retry_after = float(headers["Retry-After"])
        self._log.record(LoggedRequest(started, method, path, query, body, status, retry_after))
        return status, payload, headers

    def _answer(self, method: str, path: str, query: tuple[tuple[str, str], ...], body: Any, auth: str) -> Answer:
        try:
            if auth != f"Bearer {self._token}":
                raise ApiError(401, "Not Authorized")
            fault = self._faults.decide(method, path)
            if fault is not None:
                _apply(fault, auth)
            data = body.get("data") if isinstance(body, dict) else None
            result = self._api.handle(ApiRequest(method, path, dict(query), data))
            if fault is not None and fault.gate is not None:
                fault.gate.answered.set()
        except ApiError as error:
            return error.status, error.body(), error.headers
        return result.status, result.body, {}

    async def _task_view(self, request: Request) -> Response:
        gid = request.path_params["gid"]
        state = self._api.state
        with state.lock:
            task = state.store.tasks.get(gid)
            if task is None:
                return PlainTextResponse(f"no task {gid} in the simulator\n", status_code=404)
            record = task_json(state.store, task)
            stories = [story_json(state.store, s) for s in state.store.stories.values() if s.task == gid]
        if request.query_params.get("format") == "json":
            return JSONResponse({"task": record, "deleted": task.deleted, "stories": stories})
        return PlainTextResponse(task_text(record, stories, deleted=task.deleted))

    async def _requests_view(self, request: Request) -> Response:
        entries = [
            {"method": e.method, "path": e.path, "query": list(e.query), "status": e.status, "body": e.body}
            for e in self._log.entries()
        ]
        return JSONResponse(entries)

    async def _permalink(self, request: Request) -> Response:
        return RedirectResponse(f"/_sim/tasks/{request.path_params['gid']}")


def _apply(fault: FaultRule, auth: str) -> None:
    """Wait out a `slow` or `hold` fault, or raise the error a failing one answers (in Asana's words)."""
    if fault.kind == "slow":
        time.sleep(fault.delay)
    elif fault.gate is not None:
        # This runs in a worker thread of the event loop; the gate waits in the loop without blocking it.
        if not anyio.from_thread.run(fault.gate.passage):
            raise ApiError(502, "Server Error: the request was dropped before it reached Asana (fault knob)")
    elif fault.status == 429:
        wait = fault.retry_after or 1.0
        raise ApiError(
            429, "You have made too many requests recently. Please, be chill.", headers={"Retry-After": _seconds(wait)}
        )
    elif fault.echo_credentials:
        raise ApiError(fault.status, f"Not Authorized; you sent Authorization: {auth}")
    else:
        raise ApiError(fault.status, "Server Error: the simulator was asked to fail this request (fault knob)")


def _seconds(value: float) -> str:
    """Retry-After as Asana sends it: whole seconds (rounded up)."""
    return str(max(1, math.ceil(value)))
