"""Check traffic seen by the GitHub simulator against GitHub's OpenAPI description (the kit's checker).

Each REST request must match an operation of `github-openapi/api.github.com.json`: method and path
template, only declared query parameters, parameter values and body valid against their schemas.
Each successful response the simulator kept must match that operation's response schema (this keeps
the simulator honest). The 13 MB description is loaded once per process (`load_github_openapi`).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from syncd.simulators.github import LoggedRequest
from syncd.simulators.kit.openapi import OpenApiChecker, SpecCall

SPEC_RELATIVE = Path("github-openapi") / "api.github.com.json"


class GitHubOpenApi:
    """GitHub's REST description (the kit's checker, with undeclared query names reported), judging logged requests."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.checker = OpenApiChecker(spec, host_url="https://api.github.com", declared_query_only=True)
        self.spec = self.checker.spec

    def template_of(self, path: str) -> str | None:
        """The path template a concrete path matches (the most literal one), or None."""
        return self.checker.template_of(path)

    def problems(self, request: LoggedRequest) -> list[str]:
        """Why this request does not match the description (empty when it does)."""
        return self.checker.problems(_call(request))

    def response_problems(self, request: LoggedRequest) -> list[str]:
        """Why the kept response body does not match the operation's response schema (empty when it does)."""
        return self.checker.response_problems(_call(request), request.status, request.response)


def _call(request: LoggedRequest) -> SpecCall:
    return SpecCall(request.method, request.path, request.query, request.body or None, request.content_type)


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
