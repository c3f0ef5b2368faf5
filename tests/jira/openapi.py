"""Check requests seen by the Jira simulator against Jira Cloud's OpenAPI description (the kit's checker).

Every REST v3 request must match an operation of `swagger-v3.v3.json` (path, method, declared query
names, JSON body). The file describes REST v3 only (it has no `/rest/api/2` path): a v2 request (Data Center,
and `serverInfo`, which syncd reads on every flavour) is checked against its v3 twin, the same path under
`/rest/api/3` (`/rest/api/2/search` against `/rest/api/3/search`, whose `startAt` paging v2 shares), so its
method, parameters and body must be the twin's. Comment bodies pass either way: the description declares no
type for `body`, and v2 sends wiki markup as a string. The admin-webhook API (`/rest/webhooks/1.0`) is not
in that file: its requests are checked against the shape the issue states (url, events, a JQL filter, the
secret) instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from syncd.simulators.jira.app import LoggedRequest
from syncd.simulators.kit.openapi import OpenApiChecker, SpecCall
from tests.conftest import VENDOR_DATA

JIRA_SPEC = VENDOR_DATA / "jira-openapi" / "swagger-v3.v3.json"
HOST = "https://your-domain.atlassian.net"
ADMIN_WEBHOOKS = "/rest/webhooks/1.0/webhook"
V2, V3 = "/rest/api/2/", "/rest/api/3/"
_CHECKER: list[OpenApiChecker] = []


def _checker() -> OpenApiChecker:
    if not _CHECKER:  # the description is large: read it once per test session
        _CHECKER.append(OpenApiChecker.from_file(JIRA_SPEC, host_url=HOST, declared_query_only=True))
    return _CHECKER[0]


class JiraSpec:
    """Judges logged requests (see the module docstring)."""

    def problems(self, requests: Iterable[LoggedRequest]) -> list[str]:
        """One line per request that matches no operation (empty when all conform)."""
        found: list[str] = []
        for entry in requests:
            if entry.path.startswith(ADMIN_WEBHOOKS):
                found.extend(_admin_webhook_problems(entry))
                continue
            raw = None if entry.body is None else json.dumps(entry.body).encode()
            path = V3 + entry.path.removeprefix(V2) if entry.path.startswith(V2) else entry.path
            said = _checker().problems(SpecCall(entry.method, path, entry.query, raw))
            found.extend(f"{line} (v3 twin of {entry.path})" if path != entry.path else line for line in said)
        return found


def _admin_webhook_problems(entry: LoggedRequest) -> list[str]:
    where = f"{entry.method} {entry.path}"
    if entry.method == "GET":
        return [] if entry.path == ADMIN_WEBHOOKS else [f"{where}: not an admin-webhook listing"]
    body = entry.body if isinstance(entry.body, dict) else {}
    problems = [f"{where}: missing {key}" for key in ("name", "url", "events", "filters") if key not in body]
    events = body.get("events") or []
    problems += [f"{where}: unknown event {event}" for event in events if not str(event).startswith("jira:issue_")]
    if "issue-related-events-section" not in (body.get("filters") or {}):
        problems.append(f"{where}: no JQL filter (filters.issue-related-events-section)")
    return problems
