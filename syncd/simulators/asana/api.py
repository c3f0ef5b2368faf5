"""The simulator's request model, router and pagination (the kit's offset tokens in Asana's `next_page`),
independent of HTTP (so `/batch` reuses them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from syncd.simulators.asana.store import ApiError
from syncd.simulators.kit.paging import PageTokenError, offset_of, offset_page

JSON = dict[str, Any]
MAX_PAGE = 100


@dataclass(frozen=True)
class ApiRequest:
    """One API call: method, path relative to `/api/1.0`, path parameters, query, and the body's `data`."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    data: Any = None
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def opt_fields(self) -> str | None:
        """The `opt_fields` asked for, if any."""
        return self.query.get("opt_fields")

    def body(self) -> Mapping[str, Any]:
        """The `data` object of a write, or 400."""
        if not isinstance(self.data, Mapping):
            raise ApiError(400, 'data: Missing input: the request body must be {"data": {...}}')
        return self.data

    def required(self, name: str) -> str:
        """A required query parameter, or 400 naming it."""
        value = self.query.get(name)
        if not value:
            raise ApiError(400, f"{name}: Missing input")
        return value


@dataclass(frozen=True)
class ApiAnswer:
    """A status and a JSON body."""

    status: int
    body: JSON


Handler = Callable[[ApiRequest], ApiAnswer]


class Router:
    """Maps `METHOD /path/{param}` templates to handlers."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, template: str, handler: Handler) -> None:
        """Register a handler for a path template such as `/tasks/{task_gid}`."""
        pattern = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
        self._routes.append((method.upper(), re.compile(f"^{pattern}$"), handler))

    def handle(self, request: ApiRequest) -> ApiAnswer:
        """Answer one request; unknown paths are 404, known paths with another method 405 (as JSON errors)."""
        known_path = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            known_path = True
            if method == request.method.upper():
                routed = ApiRequest(
                    request.method.upper(), request.path, request.query, request.data, match.groupdict()
                )
                return handler(routed)
        if known_path:
            raise ApiError(405, f"{request.method} is not allowed on {request.path}")
        raise ApiError(404, f"No matching route for request: {request.method} {request.path}")


def answer(data: Any, status: int = 200) -> ApiAnswer:
    """`{"data": ...}` with a status."""
    return ApiAnswer(status, {"data": data})


def paginate(
    request: ApiRequest, items: Sequence[Any], render: Callable[[Any], JSON] = dict, *, max_unpaged: int = MAX_PAGE
) -> ApiAnswer:
    """One page of `items` per `limit`/`offset` (only that page is rendered), with Asana's `next_page`;
    without a limit a result larger than `max_unpaged` is refused, as Asana refuses it."""
    limit_text, offset = request.query.get("limit"), request.query.get("offset")
    _offset_of(offset)  # a token no page handed out is a 400, with or without a limit
    if limit_text is None:
        if len(items) > max_unpaged:
            raise ApiError(
                400, "The result is too large. You should use pagination (may require specifying a workspace)!"
            )
        return ApiAnswer(200, {"data": [render(item) for item in items], "next_page": None})
    page = offset_page(items, offset, _limit(limit_text))
    rendered = [render(item) for item in page.items]
    next_page = None if page.next_token is None else _next_page(request, page.next_token)
    return ApiAnswer(200, {"data": rendered, "next_page": next_page})


def _limit(text: str) -> int:
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE:
        raise ApiError(400, f"limit: Must be between 1 and {MAX_PAGE}, got {text!r}")
    return limit


def _offset_of(token: str | None) -> int:
    try:
        return offset_of(token)
    except PageTokenError as error:
        raise ApiError(
            400, "offset: Your pagination token is invalid or was not returned by a previous request"
        ) from error


def _next_page(request: ApiRequest, token: str) -> JSON:
    query = {**request.query, "offset": token}
    path = f"{request.path}?{urlencode(query)}"
    return {"offset": token, "path": path, "uri": f"/api/1.0{path}"}
