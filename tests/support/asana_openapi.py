"""Check requests seen by the Asana simulator against Asana's own OpenAPI description (the kit's checker).

Each logged request must match an operation of `asana_oas.yaml`: path, method, query parameters (the
`opt_fields` names are enumerated there, so a misspelt field fails) and JSON body. `POST /batch`
actions are checked as the requests they stand for.

Spec quirk, handled explicitly: `TaskUpdateRequest.custom_fields` declares its values as strings, while
the API (and the field's own description) take numbers for number and percent fields. Numbers in
`PUT /tasks/{gid}` `custom_fields` are therefore checked as their string form; the adapter tests assert
separately that numbers are sent as JSON numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from syncd.simulators.asana.traffic import LoggedRequest
from syncd.simulators.kit.openapi import OpenApiChecker, SpecCall

SPEC_RELATIVE = Path("asana-openapi") / "asana_oas.yaml"
HOST = "https://app.asana.com"
PREFIX = "/api/1.0"
_TASK_PATH = re.compile(r"^/tasks/[^/]+$")


class AsanaSpec:
    """Asana's OpenAPI description in the kit's checker (query names are judged by the schemas, which
    enumerate `opt_fields`), judging logged requests and unfolding `/batch`."""

    def __init__(self, path: Path) -> None:
        self.checker = OpenApiChecker.from_file(path, host_url=HOST, prefix=PREFIX)

    def problems(self, requests: Iterable[LoggedRequest]) -> list[str]:
        """One line per request (or batch action) that matches no operation of the description."""
        found: list[str] = []
        for entry in requests:
            found.extend(self.check(entry.method, entry.path, dict(entry.query), entry.body))
            if entry.method == "POST" and entry.path == "/batch" and isinstance(entry.body, Mapping):
                for index, action in enumerate((entry.body.get("data") or {}).get("actions") or []):
                    method, path, query, body = batch_action_request(action)
                    where = f"batch action {index} of"
                    found.extend(f"{where} {line}" for line in self.check(method, path, query, body))
        return found

    def check(self, method: str, path: str, query: dict[str, str], body: Any, *, quirks: bool = True) -> list[str]:
        """Findings for one request (empty when it matches an operation); `quirks=False` judges the body
        exactly as sent."""
        if quirks:
            body = with_spec_quirks(method, path, body)
        raw = None if body is None else json.dumps(body).encode()
        return self.checker.problems(SpecCall(method, path, tuple(query.items()), raw))


def batch_action_request(action: Mapping[str, Any]) -> tuple[str, str, dict[str, str], Any]:
    """(method, path, query, body) of one `/batch` action, as Asana unfolds it."""
    method = str(action.get("method", "")).upper()
    options = action.get("options") or {}
    query: dict[str, str] = {}
    if options.get("fields"):
        query["opt_fields"] = ",".join(options["fields"])
    for key in ("limit", "offset"):
        if key in options:
            query[key] = str(options[key])
    data = action.get("data")
    if method == "GET":
        query |= {str(k): str(v) for k, v in (data or {}).items()}
        return method, str(action["relative_path"]), query, None
    return method, str(action["relative_path"]), query, {"data": data or {}}


def with_spec_quirks(method: str, path: str, body: Any) -> Any:
    """The body as the description can judge it: numeric custom-field values in a task update become
    strings (see the module docstring); everything else is unchanged."""
    if method != "PUT" or not _TASK_PATH.match(path) or not isinstance(body, Mapping):
        return body
    data = body.get("data")
    if not isinstance(data, Mapping) or not isinstance(data.get("custom_fields"), Mapping):
        return body
    values = {
        k: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v
        for k, v in data["custom_fields"].items()
    }
    return {**body, "data": {**data, "custom_fields": values}}


def load_spec(vendor_data: Path) -> AsanaSpec:
    """The description under the vendor-data folder."""
    return AsanaSpec(vendor_data / SPEC_RELATIVE)
