"""Check traffic seen by the GitHub simulator against GitHub's OpenAPI description (openapi-core).

Each REST request must match an operation of `github-openapi/api.github.com.json`: method and path
template, only declared query parameters, parameter values and body valid against their schemas.
Each successful response the simulator kept must match that operation's response schema (this keeps
the simulator honest). The 13 MB description is loaded once per process (`load_github_openapi`).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from werkzeug.datastructures import Headers, ImmutableMultiDict

from syncd.simulators.github import LoggedRequest

SPEC_RELATIVE = Path("github-openapi") / "api.github.com.json"


@dataclass
class _SpecRequest:
    """The shape openapi-core reads (its `Request` protocol)."""

    method: str
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str = "https://api.github.com"
    full_url_pattern: str | None = None


@dataclass
class _SpecResponse:
    """The shape openapi-core reads (its `Response` protocol)."""

    status_code: int
    headers: Headers
    data: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class _Template:
    path: str
    pattern: re.Pattern[str]
    literals: int


class GitHubOpenApi:
    """GitHub's REST description, with the checks one logged request must pass."""

    def __init__(self, spec: dict[str, Any]) -> None:
        _allow_null_in_nullable_enums(spec)
        self.spec = spec
        self.api = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
        self._templates = sorted(
            (self._template(path) for path in spec["paths"]), key=lambda t: t.literals, reverse=True
        )

    @staticmethod
    def _template(path: str) -> _Template:
        regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
        literals = sum(1 for part in path.split("/") if part and not part.startswith("{"))
        return _Template(path, re.compile(f"^{regex}$"), literals)

    def template_of(self, path: str) -> str | None:
        """The path template a concrete path matches (the most literal one), or None."""
        return next((t.path for t in self._templates if t.pattern.match(path)), None)

    def problems(self, request: LoggedRequest) -> list[str]:
        """Why this request does not match the description (empty when it does)."""
        where = f"{request.method} {request.path}"
        template = self.template_of(request.path)
        if template is None:
            return [f"{where}: no path of the GitHub REST API matches"]
        item = self.spec["paths"][template]
        operation = item.get(request.method.lower())
        if operation is None:
            return [f"{where}: {template} has no {request.method} operation"]
        declared = {p["name"] for p in self._parameters(item, operation) if p.get("in") == "query"}
        found = [f"{where}: query parameter {key!r} is not declared" for key, _ in request.query if key not in declared]
        try:
            self.api.validate_request(self._spec_request(request))
        except OpenAPIError as error:
            found.append(f"{where}: {type(error).__name__}: {error}")
        return found

    def response_problems(self, request: LoggedRequest) -> list[str]:
        """Why the kept response body does not match the operation's response schema (empty when it does)."""
        if not request.response or not 200 <= request.status < 300:
            return []
        response = _SpecResponse(request.status, Headers({"content-type": "application/json"}), request.response)
        try:
            self.api.validate_response(self._spec_request(request), response)
        except OpenAPIError as error:
            details = [e.message for e in getattr(error.__cause__, "schema_errors", ()) or ()]
            return [f"response to {request.method} {request.path}: {type(error).__name__}: {details or error}"]
        return []

    def _parameters(self, item: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
        return [self._resolve(p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    @staticmethod
    def _spec_request(request: LoggedRequest) -> _SpecRequest:
        content_type = request.content_type.split(";")[0].strip().lower() if request.body else ""
        parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.query)),
            header=Headers({"content-type": content_type} if content_type else {}),
            cookie=ImmutableMultiDict(),
        )
        return _SpecRequest(request.method.lower(), request.path, parameters, request.body or None, content_type)


def _allow_null_in_nullable_enums(node: Any) -> None:
    """OpenAPI 3.0 `nullable: true` admits null even with an `enum`; openapi-core wants null listed."""
    if isinstance(node, dict):
        if node.get("nullable") and isinstance(node.get("enum"), list) and None not in node["enum"]:
            node["enum"].append(None)
        for value in node.values():
            _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null_in_nullable_enums(value)


@functools.cache
def load_github_openapi(vendor_data: Path) -> GitHubOpenApi | None:
    """The description under `vendor_data`, loaded once; None when the file is absent."""
    path = vendor_data / SPEC_RELATIVE
    if not path.is_file():
        return None
    return GitHubOpenApi(json.loads(path.read_text()))


def rest_requests(requests: list[LoggedRequest]) -> list[LoggedRequest]:
    """The REST API requests of a log (GraphQL and the simulator's own views are not in the description)."""
    return [r for r in requests if r.api == "rest"]


def nonconforming(spec: GitHubOpenApi, requests: list[LoggedRequest]) -> list[str]:
    """Every problem of every REST request (identical requests are checked once), and of the first kept
    response per operation and status."""
    seen: set[tuple[str, str, tuple[tuple[str, str], ...], bytes]] = set()
    answered: set[tuple[str, str | None, int]] = set()
    found: list[str] = []
    for request in rest_requests(requests):
        key = (request.method, request.path, request.query, request.body)
        if key not in seen:
            seen.add(key)
            found.extend(spec.problems(request))
        operation = (request.method, spec.template_of(request.path), request.status)
        if request.response and operation not in answered:
            answered.add(operation)
            found.extend(spec.response_problems(request))
    return found


__all__ = ["GitHubOpenApi", "load_github_openapi", "nonconforming", "rest_requests"]
