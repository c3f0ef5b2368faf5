"""`POST /batch`: up to 10 actions answered in one request, each with its own status and body.

An action is `{"method": "get", "relative_path": "/tasks/123", "data": {...}, "options": {"fields": [...],
"limit": 10, "offset": "..."}}`. GET actions take `data` as query parameters; writes take it as the body's
`data`. Each action is answered as if it had been its own request (errors included), as Asana does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.simulators.asana.api import ApiAnswer, ApiRequest, Handler, Router
from syncd.simulators.asana.store import ApiError

MAX_ACTIONS = 10


def batch_handler(router: Router) -> Handler:
    """The `/batch` endpoint over the given router."""

    def handle(request: ApiRequest) -> ApiAnswer:
        actions = request.body().get("actions")
        if not isinstance(actions, list) or not actions:
            raise ApiError(400, "actions: Missing input: a batch needs a list of actions")
        if len(actions) > MAX_ACTIONS:
            raise ApiError(400, f"actions: A batch may hold at most {MAX_ACTIONS} actions, got {len(actions)}")
        return ApiAnswer(200, {"data": [_run(router, action, index) for index, action in enumerate(actions)]})

    return handle


def _run(router: Router, action: Any, index: int) -> dict[str, Any]:
    try:
        request = _action_request(action, index)
        if request.path == "/batch":
            raise ApiError(400, f"actions[{index}]: a batch cannot contain another batch")
        result = router.handle(request)
    except ApiError as error:
        return {"status_code": error.status, "headers": {}, "body": error.body()}
    return {"status_code": result.status, "headers": {}, "body": result.body}


def _action_request(action: Any, index: int) -> ApiRequest:
    if not isinstance(action, Mapping):
        raise ApiError(400, f"actions[{index}]: Expected an object")
    method, path = str(action.get("method", "")).upper(), str(action.get("relative_path", ""))
    if method not in {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"} or not path.startswith("/"):
        raise ApiError(400, f"actions[{index}]: needs a method and a relative_path starting with /")
    if "?" in path:
        raise ApiError(400, f"actions[{index}].relative_path: Query parameters are not accepted here; put them in data")
    data = action.get("data") or {}
    options = action.get("options") or {}
    query = _options_query(options)
    if method == "GET":
        query |= {str(k): _query_text(v) for k, v in dict(data).items()}
        return ApiRequest(method, path, query)
    return ApiRequest(method, path, query, data)


def _options_query(options: Mapping[str, Any]) -> dict[str, str]:
    query: dict[str, str] = {}
    fields = options.get("fields")
    if fields:
        query["opt_fields"] = ",".join(str(f) for f in fields)
    for key in ("limit", "offset"):
        if options.get(key) is not None:
            query[key] = str(options[key])
    return query


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)
