"""The one mapping from a failed GitLab answer to syncd's failure vocabulary, and the budget its headers tell.

Pure (status, headers, message) -> error, beside the normalizer rather than inside the I/O client: 429 ->
`RateLimited` honouring `Retry-After`, else `RateLimit-Reset` (gitlab.com does not always send them; without
either a jittered 1-3 s, so clients limited together do not come back together), 5xx -> `Retriable`,
404/410 -> `NotFound`, 401/403 -> `Permanent` saying what to check, other 4xx -> `Permanent` with GitLab's own
message. A GraphQL answer's `errors` (top-level, or a mutation payload's) -> `Permanent` with GitLab's
messages. Messages never carry credentials.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable, TrackerError
from syncd.ports import Budget

#: The wait after a 429 that names none (seconds, drawn uniformly).
UNNAMED_WAIT = (1.0, 3.0)


def _number(value: str | None) -> float | None:
    try:
        return None if value is None else float(value)
    except ValueError:
        return None


def rate_limit_delay(headers: Mapping[str, str], now: float) -> float:
    """Seconds to wait after a 429: `Retry-After`, else until `RateLimit-Reset`, else a jittered 1-3 s."""
    after = _number(headers.get("retry-after"))
    if after is not None and after >= 0:
        return after
    reset = _number(headers.get("ratelimit-reset"))
    if reset is not None and reset > now:
        return reset - now
    return random.uniform(*UNNAMED_WAIT)


def failure_from(status: int, headers: Mapping[str, str], message: str, *, where: str, now: float) -> TrackerError:
    """What a failed answer means (`headers` lower-cased; `message` is GitLab's `message`/`error`)."""
    said = f"GitLab answered {status} to {where}" + (f": {message[:300]}" if message else "")
    if status == 429:
        delay = rate_limit_delay(headers, now)
        return RateLimited(f"{said}; retry after {delay:.3g}s", delay=delay, status=status)
    if status >= 500:
        return Retriable(f"{said}; will retry", delay=_number(headers.get("retry-after")) or 0.0, status=status)
    if status in (404, 410):
        return NotFound(f"{said}; it was deleted, moved, or the token cannot see it", status=status)
    if status == 401:
        return Permanent(f"{said}; the token is wrong, expired or revoked", status=status)
    if status == 403:
        fix = "the token needs the api scope and at least the Reporter role (Maintainer to manage hooks)"
        return Permanent(f"{said}; {fix}", status=status)
    return Permanent(said, status=status)


def graphql_failure(messages: Sequence[str], *, where: str) -> Permanent:
    """GitLab answered a GraphQL request with errors (HTTP 200): what it said, for the target's last error."""
    said = "; ".join(message.strip() for message in messages if message.strip())[:300] or "an error without a message"
    return Permanent(f"GitLab GraphQL {where} failed: {said}")


def budget_from(headers: Mapping[str, str]) -> Budget | None:
    """`RateLimit-Remaining`/`-Limit`/`-Reset` (lower-cased; reset in Unix seconds), or None when absent."""
    remaining, limit = _number(headers.get("ratelimit-remaining")), _number(headers.get("ratelimit-limit"))
    if remaining is None and limit is None:
        return None
    reset = _number(headers.get("ratelimit-reset"))
    resets_at = datetime.fromtimestamp(reset, UTC) if reset is not None and 0 < reset < 1e11 else None
    return Budget(None if remaining is None else int(remaining), None if limit is None else int(limit), resets_at)
