"""Request (and response) conformance against a tracker's OpenAPI description, with openapi-core.

A request conforms when its method and path match an operation (the most literal path template wins, as
servers route), its query names only declared parameters (optional: some descriptions enumerate them in
schemas instead), and its parameters and JSON body validate. A kept 2xx response must match the
operation's response schema. Findings are lines that name the request; an empty list means it conforms.

openapi-core and PyYAML come with the `dev` extra: import this module from tests, never from a simulator's
serving path (the sandbox runs without it).
"""

from __future__ import annotations

import contextlib
import json
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from werkzeug.datastructures import Headers, ImmutableMultiDict

Query = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class SpecCall:
    """One request as a checker judges it: method, path under the API root, query pairs, raw body."""

    method: str
    path: str
    query: Query = ()
    body: bytes | None = None
    content_type: str = "application/json"


@dataclass
class _SpecRequest:
    """The shape openapi-core reads (its `Request` protocol)."""

    method: str
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str
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


class OpenApiChecker:
    """One OpenAPI description and the checks a request or response must pass against it.

    `host_url` and `prefix` place paths as the description's servers expect them (`https://app.asana.com`
    + `/api/1.0`); `declared_query_only` also reports query names the operation does not declare."""

    def __init__(
        self, spec: dict[str, Any], *, host_url: str, prefix: str = "", declared_query_only: bool = False
    ) -> None:
        _allow_null_in_nullable_enums(spec)
        self.spec = spec
        self.host_url, self.prefix, self.declared_query_only = host_url, prefix, declared_query_only
        self.api = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))
        self._templates = sorted((_template(path) for path in spec["paths"]), key=lambda t: t.literals, reverse=True)

    @classmethod
    def from_file(cls, path: Path, **options: Any) -> OpenApiChecker:
        """A checker over a JSON or YAML description file."""
        text = path.read_text()
        spec = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        return cls(spec, **options)

    def template_of(self, path: str) -> str | None:
        """The path template a concrete path matches (the most literal one), or None."""
        return next((t.path for t in self._templates if t.pattern.match(path)), None)

    def problems(self, call: SpecCall) -> list[str]:
        """Why this request does not match the description (empty when it does)."""
        where = f"{call.method} {call.path}"
        template = self.template_of(call.path)
        if template is None:
            return [f"{where}: no path of the description matches"]
        item = self.spec["paths"][template]
        operation = item.get(call.method.lower())
        if operation is None:
            return [f"{where}: {template} has no {call.method} operation"]
        found = self._undeclared(where, item, operation, call.query) if self.declared_query_only else []
        try:
            with _quiet():
                self.api.validate_request(self._spec_request(call))
        except OpenAPIError as error:
            cause = f" ({error.__cause__})" if error.__cause__ else ""
            found.append(f"{where} {dict(call.query)}: {type(error).__name__}: {error}{cause}")
        return found

    def response_problems(self, call: SpecCall, status: int, body: bytes) -> list[str]:
        """Why a 2xx response body does not match the operation's response schema (empty when it does)."""
        if not body or not 200 <= status < 300:
            return []
        response = _SpecResponse(status, Headers({"content-type": "application/json"}), body)
        try:
            with _quiet():
                self.api.validate_response(self._spec_request(call), response)
        except OpenAPIError as error:
            details = [e.message for e in getattr(error.__cause__, "schema_errors", ()) or ()]
            return [f"response to {call.method} {call.path}: {type(error).__name__}: {details or error}"]
        return []

    def _undeclared(self, where: str, item: dict[str, Any], operation: dict[str, Any], query: Query) -> list[str]:
        parameters = [self._resolve(p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]
        declared = {p["name"] for p in parameters if p.get("in") == "query"}
        return [f"{where}: query parameter {key!r} is not declared" for key, _ in query if key not in declared]

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def _spec_request(self, call: SpecCall) -> _SpecRequest:
        content_type = call.content_type.split(";")[0].strip().lower() if call.body else ""
        parameters = RequestParameters(
            query=ImmutableMultiDict(list(call.query)),
            header=Headers({"content-type": content_type} if content_type else {}),
            cookie=ImmutableMultiDict(),
        )
        path = self.prefix + call.path
        return _SpecRequest(call.method.lower(), path, parameters, call.body or None, content_type, self.host_url)


def _template(path: str) -> _Template:
    regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
    literals = sum(1 for part in path.split("/") if part and not part.startswith("{"))
    return _Template(path, re.compile(f"^{regex}$"), literals)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """openapi-core warns about constructs it does not evaluate (security schemes, allowEmptyValue): not findings."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


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
