"""The read API under `/api/v1` (bearer token) and its OpenAPI description at `/api/v1/openapi.json`.

`GET /objectives` (progress and status, KRs nested), `GET /key-results/{id}` (linked tasks, check-in
history), `GET /sources` (freshness, last error), and `POST /key-results/{id}/check-ins` for metric KRs.
Every answer is built by `syncd.store.status_query` (one KR: `key_result_detail`), so it has the shapes
`syncd status --json` prints; each reads only the part it returns. The token is `server.api_token`, compared in constant time; without one configured the
API answers 503 (it is never open). The description is public: it holds no data.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from syncd import __version__
from syncd.config.views import OkrModel, build_okr
from syncd.runtime.context import Runtime
from syncd.runtime.okr_cache import OkrCache
from syncd.runtime.recompute.checkins import CheckInRefused, CheckIns
from syncd.store.errors import StoreError
from syncd.store.key_result_detail import read_key_result_detail, read_key_result_status
from syncd.store.status_query import read_source_health, read_status
from syncd.web.api_models import (
    CheckInCreated,
    CheckInIn,
    CheckInOut,
    KeyResultDetailOut,
    KeyResultOut,
    ObjectivesOut,
    Problem,
    SourcesOut,
)

API_PREFIX = "/api/v1"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"
#: Answers every operation may give besides its own.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No bearer token, or not `server.api_token`."},
    503: {"model": Problem, "description": "No `server.api_token` is configured, or the store is unavailable."},
}
T = TypeVar("T")

bearer = HTTPBearer(auto_error=False, description="`server.api_token` of the syncd config.")


def runtime_of(request: Request) -> Runtime:
    """The daemon's runtime, as `create_app` keeps it."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def token_refusal(expected: SecretStr | None, authorization: str) -> HTTPException | None:
    """Why a request with this `Authorization` header may not use the API (503 off, 401), or None."""
    if expected is None:
        return HTTPException(503, "the read API is off: set server.api_token (by ${ENV} reference) and reload syncd")
    scheme, _, credentials = authorization.strip().partition(" ")
    given = credentials.strip() if scheme.lower() == "bearer" else ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        what = "a wrong bearer token" if given else "no bearer token"
        return HTTPException(
            401, f"{what}: send Authorization: Bearer <server.api_token>", headers={"WWW-Authenticate": "Bearer"}
        )
    return None


def require_token(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
) -> None:
    """Let the request through only with `Authorization: Bearer <server.api_token>` (`ApiGate` checked it
    already, before the body was read; this declares the scheme in the description and checks again)."""
    given = f"Bearer {credentials.credentials}" if credentials is not None else ""
    refusal = token_refusal(runtime_of(request).config.server.api_token, given)
    if refusal is not None:
        raise refusal


class ApiGate:
    """ASGI middleware authenticating every `/api/v1` request (but the public description) before routing:
    nothing reads the path's parameters, the query or the body of a request without the token, so no token
    is 401 whatever else is wrong with it (not 400, 404, 405 or 422)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer an unauthenticated API request here; pass everything else on."""
        if scope["type"] == "http" and _protected(scope["path"]):
            headers = Headers(scope=scope)
            refusal = token_refusal(self.runtime.config.server.api_token, headers.get("authorization", ""))
            if refusal is not None:
                answer = JSONResponse({"detail": refusal.detail}, refusal.status_code, headers=refusal.headers)
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _protected(path: str) -> bool:
    """Whether `path` is under the API and needs the token (everything there but its description)."""
    return (path == API_PREFIX or path.startswith(API_PREFIX + "/")) and path != OPENAPI_PATH


def read_objectives(request: Request) -> ObjectivesOut:
    """Every objective with its progress and status, and its key results nested (config order)."""
    runtime = runtime_of(request)
    report = _store(lambda: read_status(runtime.engine, runtime.config, runtime.clock()))
    return ObjectivesOut.model_validate(report)


def read_sources(request: Request) -> SourcesOut:
    """Every configured source with the freshness of its last poll, its last error and its budget left."""
    runtime = runtime_of(request)
    report = _store(lambda: read_source_health(runtime.engine, runtime.config, runtime.clock()))
    return SourcesOut.model_validate(report)


def read_key_result(kr_id: str, request: Request) -> KeyResultDetailOut:
    """One key result as status shows it, with its linked tasks and its check-in history."""
    runtime = runtime_of(request)
    okr = build_okr(runtime.config)
    canonical = _known_kr(okr, kr_id)
    detail = _store(lambda: read_key_result_detail(runtime.engine, okr, canonical, runtime.clock()))
    return KeyResultDetailOut.model_validate(detail)


def create_check_in(kr_id: str, body: CheckInIn, request: Request) -> CheckInCreated:
    """Record a metric KR's current value; its progress, history and push state follow at once."""
    runtime = runtime_of(request)
    # One OKR model for the whole request: the id check, the check-in's validation and recompute, the answer.
    cache = OkrCache()
    okr = cache.model(runtime.loaded)
    canonical = _known_kr(okr, kr_id)
    try:
        recorded = _store(
            lambda: CheckIns(runtime, cache).record(canonical, body.value, note=body.note, at=body.at, via="api")
        )
    except CheckInRefused as error:
        raise _refusal(error) from None
    standing = _store(lambda: read_key_result_status(runtime.engine, okr, canonical, runtime.clock()))
    check_in = CheckInOut(
        at=recorded.at,
        kind="metric",
        value=recorded.value,
        progress=recorded.value_progress,
        done=None,
        total=None,
        cause=recorded.cause,
        note=recorded.note,
    )
    return CheckInCreated(check_in=check_in, key_result=KeyResultOut.model_validate(standing))


def _known_kr(okr: OkrModel, kr_id: str) -> str:
    """The configured spelling of `kr_id`, or 404 naming close ids."""
    rules = okr.rules
    canonical = rules.canonical(kr_id)
    if canonical is None:
        close = rules.suggestions(kr_id)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise HTTPException(404, f"no key result {kr_id!r} in the config{hint}")
    return canonical


def _refusal(error: CheckInRefused) -> Exception:
    """The HTTP answer to a refused check-in: 404 unknown KR, 400 not a check-in KR, 422 bad value or time."""
    if error.reason == "unknown_kr":
        return HTTPException(404, str(error))
    if error.reason == "not_checkin_kr":
        return HTTPException(400, str(error))
    field = "value" if error.reason == "not_a_number" else "at"
    return RequestValidationError([{"loc": ("body", field), "msg": str(error), "type": "value_error"}])


def _store(read: Callable[[], T]) -> T:
    """Run a store read or write; an unavailable store answers 503 with its one-line reason."""
    try:
        return read()
    except StoreError as error:
        raise HTTPException(503, f"the store is unavailable: {error}") from None


def api_router() -> APIRouter:
    """The `/api/v1` routes (behind the bearer token) and the public OpenAPI description of them."""
    protected = APIRouter(
        prefix=API_PREFIX, tags=["syncd"], dependencies=[Depends(require_token)], responses=COMMON_RESPONSES
    )
    protected.add_api_route("/objectives", read_objectives, methods=["GET"], response_model=ObjectivesOut)
    protected.add_api_route("/sources", read_sources, methods=["GET"], response_model=SourcesOut)
    not_found: dict[int | str, dict[str, Any]] = {404: {"model": Problem, "description": "No such key result."}}
    protected.add_api_route(
        "/key-results/{kr_id}", read_key_result, methods=["GET"], response_model=KeyResultDetailOut, responses=not_found
    )
    refused = {**not_found, 400: {"model": Problem, "description": "The key result does not take check-ins."}}
    protected.add_api_route(
        "/key-results/{kr_id}/check-ins",
        create_check_in,
        methods=["POST"],
        status_code=201,
        response_model=CheckInCreated,
        responses=refused,
    )
    router = APIRouter()
    router.include_router(protected)
    router.add_api_route(OPENAPI_PATH, _describe(list(protected.routes)), methods=["GET"], include_in_schema=False)
    return router


def _describe(routes: list[BaseRoute]) -> Callable[[], dict[str, Any]]:
    """The endpoint serving the OpenAPI description of `routes` (built once, on first request)."""
    description: dict[str, Any] = {}

    def openapi_document() -> dict[str, Any]:
        if not description:
            description.update(
                get_openapi(
                    title="syncd read API",
                    version=__version__,
                    description="OKR progress as syncd computes it. Send Authorization: Bearer <server.api_token>.",
                    routes=routes,
                )
            )
        return description

    return openapi_document
