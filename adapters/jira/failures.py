"""The one mapping from a failed Jira response to syncd's failure vocabulary, and the budget its headers tell.

Pure (status, headers, body) -> error, beside the normalizer rather than inside the I/O client: 429 ->
`RateLimited` honouring `Retry-After` (without one, as some gateways answer: a jittered 1-3 s, so clients that
were limited together do not come back together), 5xx -> `Retriable`, 404/410 -> `NotFound`, 401/403 -> `Permanent` saying what to check,
other 4xx -> `Permanent` with Jira's own messages. Messages never carry credentials.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from datetime import UTC, datetime

from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable, TrackerError
from syncd.ports import Budget

#: The wait after a 429 that names none (seconds, drawn uniformly).
UNNAMED_WAIT = (1.0, 3.0)


def _seconds(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0


def jira_messages(body: bytes) -> str:
    """Jira's `errorMessages` and `errors` in one line (empty when the body says nothing readable)."""
    try:
        decoded = json.loads(body or b"{}")
    except ValueError:
        return ""
    if not isinstance(decoded, dict):
        return ""
    said = [str(message) for message in decoded.get("errorMessages") or () if message]
    errors = decoded.get("errors")
    if isinstance(errors, dict):
        said += [f"{field}: {message}" for field, message in errors.items()]
    return "; ".join(said)[:300]


def failure_from(status: int, headers: Mapping[str, str], body: bytes, *, where: str) -> TrackerError:
    """What a failed answer means (`headers` lower-cased)."""
    message = jira_messages(body)
    said = f"Jira answered {status} to {where}" + (f": {message}" if message else "")
    if status == 429:
        delay = _seconds(headers.get("retry-after")) or random.uniform(*UNNAMED_WAIT)
        reason = headers.get("ratelimit-reason")
        why = f" ({reason})" if reason else ""
        return RateLimited(f"{said}{why}; retry after {delay:g}s", delay=delay, status=status)
    if status >= 500:
        return Retriable(f"{said}; will retry", delay=_seconds(headers.get("retry-after")), status=status)
    if status in (404, 410):
        return NotFound(f"{said}; it was deleted, moved, or the account cannot see it", status=status)
    if status == 401:
        fix = "check email and token (Cloud: an API token of that account; Data Center: a personal access token)"
        return Permanent(f"{said}; {fix}", status=status)
    if status == 403:
        return Permanent(
            f"{said}; the account lacks a permission for this (browse, comment or edit issues)", status=status
        )
    return Permanent(said, status=status)


def budget_from(headers: Mapping[str, str]) -> Budget | None:
    """`X-RateLimit-Remaining`/`-Limit`/`-Reset` (lower-cased) as a budget, or None when Jira sent none."""
    remaining, limit = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-limit")
    if remaining is None and limit is None:
        return None
    resets = headers.get("x-ratelimit-reset")
    try:
        resets_at = datetime.fromisoformat(resets.replace("Z", "+00:00")) if resets else None
    except ValueError:
        resets_at = None
    if resets_at is not None and resets_at.tzinfo is None:
        resets_at = resets_at.replace(tzinfo=UTC)
    return Budget(_int(remaining), _int(limit), resets_at)


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None
