"""The request pipeline every simulated endpoint shares: log, faults, auth, rate limit, ETag/304, errors."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from syncd.simulators.github.apps import Credentials
from syncd.simulators.github.entities import TokenGrant
from syncd.simulators.github.state import SimError
from syncd.simulators.github.traffic import LoggedRequest, RateBudget
from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.faults import FaultRule
from syncd.simulators.kit.rate_window import SlidingWindow
from syncd.simulators.kit.request_log import RequestLog

API_PREFIX = "/api/v3"
DOCS = "https://docs.github.com/rest"
SECONDARY_MESSAGE = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
Auth = Literal["token", "app", "none"]


@dataclass(frozen=True)
class EndpointOptions:
    """How an endpoint authenticates, which API it belongs to, and whether it is a content write."""

    auth: Auth = "token"
    api: str = "rest"
    content_write: bool = False


@dataclass
class Reply:
    """What a handler answers: JSON (`body`, or pre-rendered `text`), a status, extra headers."""

    body: Any = None
    status: int = 200
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        """The body as bytes."""
        if self.text is not None:
            return self.text.encode()
        return b"" if self.body is None else json.dumps(self.body, separators=(",", ":")).encode()


@dataclass
class Call:
    """One request as a handler sees it."""

    method: str
    path: str
    params: dict[str, Any]
    query: QueryParams
    body: Any
    grant: TokenGrant | None
    authorization: str | None
    url: str  # the request URL with the simulator's own host


Handler = Callable[[Call], Reply]


def error_reply(status: int, message: str, **headers: str) -> Reply:
    """GitHub's error body."""
    return Reply({"message": message, "documentation_url": DOCS, "status": str(status)}, status, headers=headers)


class Pipeline:
    """Wraps handlers into Starlette endpoints with GitHub's cross-cutting behaviour."""

    def __init__(
        self,
        log: RequestLog[LoggedRequest],
        faults: FaultKnobs,
        budget: RateBudget,
        credentials: Credentials,
        writes: SlidingWindow | None,
        *,
        keep_responses: bool = False,
    ) -> None:
        self.log, self.faults, self.budget, self.credentials, self.writes = log, faults, budget, credentials, writes
        self.keep_responses = keep_responses

    def endpoint(
        self, handler: Handler, *, auth: Auth = "token", api: str = "rest", content_write: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        """A Starlette endpoint running `handler` through the pipeline."""

        options = EndpointOptions(auth, api, content_write)

        async def run(request: Request) -> Response:
            started = time.monotonic()
            try:
                raw = await request.body()
            except ClientDisconnect:  # the client died mid-request (crash tests kill it): nothing to answer
                return Response(b"", 499)
            path = request.url.path.removeprefix(API_PREFIX) if api == "rest" else request.url.path
            reply = await self._answer(request, raw, path, handler, options)
            data = reply.encoded()
            headers = {"content-type": "application/json; charset=utf-8", **reply.headers}
            headers["x-github-request-id"] = uuid.uuid4().hex[:20].upper()
            self._record(request, raw, path, api, status=reply.status, started=started, data=data)
            return Response(data if reply.status != 304 else b"", reply.status, headers)

        return run

    def _record(
        self, request: Request, raw: bytes, path: str, api: str, *, status: int, started: float, data: bytes
    ) -> None:
        """Log the request (the Authorization header only by its scheme, never the credential)."""
        lowered = {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}
        if "authorization" in request.headers:
            lowered["authorization"] = request.headers["authorization"].partition(" ")[0]
        query = tuple(request.query_params.multi_items())
        content_type = request.headers.get("content-type", "")
        response = data if self.keep_responses else b""
        entry = LoggedRequest(request.method, path, query, raw, content_type, status, started, api, lowered, response)
        self.log.record(entry)

    async def _answer(
        self, request: Request, raw: bytes, path: str, handler: Handler, options: EndpointOptions
    ) -> Reply:
        fault = self.faults.decide(request.method, path) if options.api != "sim" else None
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        elif fault is not None and fault.gate is not None:
            if not await fault.gate.passage():
                return error_reply(502, "Server Error")
        elif fault is not None:
            return self._fault_reply(fault, request.headers.get("authorization", ""))
        reply = self._handled(request, raw, path, handler, options)
        if fault is not None and fault.gate is not None:
            fault.gate.answered.set()
        return reply

    def _handled(self, request: Request, raw: bytes, path: str, handler: Handler, options: EndpointOptions) -> Reply:
        try:
            call = self._call(request, raw, path, options.auth)
            if options.api != "sim" and self.budget.exhausted():
                return self._with_rate(error_reply(403, "API rate limit exceeded for this token."))
            wait = self.writes.admit(time.monotonic()) if options.content_write and self.writes is not None else None
            if wait is not None:
                return error_reply(403, SECONDARY_MESSAGE, **{"retry-after": str(max(1, round(wait)))})
            reply = handler(call)
        except SimError as refused:
            extra = {"location": refused.location} if refused.location else {}
            reply = error_reply(refused.status, refused.message, **extra)
        return self._conditional(request, reply) if options.api != "sim" else reply

    def _call(self, request: Request, raw: bytes, path: str, auth: Auth) -> Call:
        authorization = request.headers.get("authorization")
        grant = self.credentials.grant_for(authorization) if auth == "token" else None
        try:
            body = json.loads(raw) if raw else None
        except ValueError as error:
            raise SimError(400, "Problems parsing JSON") from error
        url = f"{request.url.scheme}://{request.url.netloc}{request.url.path}"
        return Call(
            request.method, path, dict(request.path_params), request.query_params, body, grant, authorization, url
        )

    def _conditional(self, request: Request, reply: Reply) -> Reply:
        """ETag on every GET 200; a matching If-None-Match answers 304, which costs no rate limit."""
        if request.method == "GET" and reply.status == 200:
            etag = 'W/"' + hashlib.sha256(reply.encoded()).hexdigest()[:40] + '"'
            reply.headers["etag"] = etag
            if request.headers.get("if-none-match") == etag:
                return self._with_rate(Reply(None, 304, headers={"etag": etag}))
        if reply.status < 400 or reply.status >= 500:
            self.budget.spend()
        return self._with_rate(reply)

    def _with_rate(self, reply: Reply) -> Reply:
        reply.headers.update(self.budget.headers())
        return reply

    def _fault_reply(self, fault: FaultRule, authorization: str) -> Reply:
        if fault.kind == "rate_limit":
            headers = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return self._with_rate(error_reply(fault.status, SECONDARY_MESSAGE, **headers))
        if fault.kind == "secondary":
            return error_reply(403, SECONDARY_MESSAGE)
        if fault.kind == "budget_spent":
            spent = error_reply(403, "API rate limit exceeded for this token.")
            spent.headers.update(self.budget.headers())
            spent.headers.update(
                {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time() + fault.delay))}
            )
            return spent
        if fault.echo_credentials:
            return error_reply(fault.status, f"Bad credentials; you sent Authorization: {authorization}")
        return error_reply(fault.status, "Server Error")
