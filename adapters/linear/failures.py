"""The one mapping from a failed Linear answer to syncd's failure vocabulary, and the budgets its headers tell.

Pure (status, headers, GraphQL errors, now) -> error, beside the normalizer rather than inside the I/O client.
Linear answers a GraphQL error list, often with HTTP 400: `extensions.code` `RATELIMITED` (requests or
complexity spent; wait until the `X-RateLimit-*-Reset` the headers name, in epoch milliseconds) and HTTP 429
-> `RateLimited`; 5xx -> `Retriable`; an entity that is gone -> `NotFound`; a create whose client-chosen id
is taken -> `Duplicate`; authentication and other errors -> `Permanent` saying what to check. Messages never
carry credentials (Linear's messages do not echo them; they are cut to 300 characters anyway).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable, TrackerError
from syncd.ports import Budget

#: The wait after a limit that names no reset (seconds, drawn uniformly so limited clients spread out).
UNNAMED_WAIT = (1.0, 3.0)
_GONE = ("entity not found", "could not find", "not found")
_TAKEN = ("already exists", "duplicate", "unique constraint")


class Duplicate(Permanent):
    """A create refused because an object with the client-chosen id exists (it landed before, unseen)."""


@dataclass(frozen=True, slots=True)
class Budgets:
    """What the last `X-RateLimit-*` headers told: requests and complexity points left, and the last query's cost."""

    requests: Budget | None = None
    complexity: Budget | None = None
    cost: int | None = None


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(float(value))
    except ValueError:
        return None


def _moment(milliseconds: str | None) -> datetime | None:
    number = _int(milliseconds)
    return None if number is None else datetime.fromtimestamp(number / 1000, UTC)


def _budget(headers: Mapping[str, str], kind: str) -> Budget | None:
    remaining = _int(headers.get(f"x-ratelimit-{kind}-remaining"))
    limit = _int(headers.get(f"x-ratelimit-{kind}-limit"))
    if remaining is None and limit is None:
        return None
    return Budget(remaining, limit, _moment(headers.get(f"x-ratelimit-{kind}-reset")))


def budgets_from(headers: Mapping[str, str]) -> Budgets:
    """Requests and complexity budgets from lower-cased headers (None where Linear sent none)."""
    return Budgets(_budget(headers, "requests"), _budget(headers, "complexity"), _int(headers.get("x-complexity")))


def _codes(errors: Sequence[Mapping[str, Any]]) -> set[str]:
    codes = set()
    for error in errors:
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, Mapping) else None
        if isinstance(code, str):
            codes.add(code.upper())
    return codes


def messages(errors: Sequence[Mapping[str, Any]]) -> str:
    """Linear's error messages in one line."""
    return "; ".join(str(error.get("message") or "") for error in errors if error.get("message"))[:300]


def _reset_wait(headers: Mapping[str, str], now: datetime) -> float:
    """Seconds until the spent budget resets (the later of two spent ones), 0 when the headers name none.

    A limited answer with neither budget at 0 is a query costing more complexity than is left: its reset counts."""
    budgets = {kind: _budget(headers, kind) for kind in ("requests", "complexity")}
    spent = [b for b in budgets.values() if b is not None and b.remaining is not None and b.remaining <= 0]
    if not spent and budgets["complexity"] is not None:
        spent = [budgets["complexity"]]
    waits = [(b.resets_at - now).total_seconds() for b in spent if b.resets_at is not None]
    retry_after = _int(headers.get("retry-after"))
    if retry_after is not None:
        waits.append(float(retry_after))
    return max([0.0, *waits])


def failure_from(
    status: int, headers: Mapping[str, str], errors: Sequence[Mapping[str, Any]], *, where: str, now: datetime
) -> TrackerError:
    """What a failed answer (HTTP >= 400, or 200 with `errors`) means; `headers` lower-cased."""
    said = f"Linear answered {status} to {where}" + (f": {messages(errors)}" if messages(errors) else "")
    codes = _codes(errors)
    if "RATELIMITED" in codes or status == 429:
        delay = _reset_wait(headers, now) or random.uniform(*UNNAMED_WAIT)
        return RateLimited(f"{said}; retry after {delay:g}s", delay=delay, status=status)
    if status >= 500:
        return Retriable(f"{said}; will retry", delay=float(_int(headers.get("retry-after")) or 0), status=status)
    return _refusal(status, codes, said)


def _refusal(status: int, codes: set[str], said: str) -> TrackerError:
    """A failure retrying will not mend: credentials, permission, a taken id, a gone entity, the rest."""
    lowered = said.lower()
    if "AUTHENTICATION_ERROR" in codes or status == 401:
        fix = "check token: a personal API key (Settings > Security & access) or an OAuth access token"
        return Permanent(f"{said}; {fix}", status=status)
    if "FORBIDDEN" in codes or status == 403:
        return Permanent(f"{said}; the token's user cannot do this (team access, or admin for webhooks)", status=status)
    if any(word in lowered for word in _TAKEN):
        return Duplicate(said, status=status)
    if "ENTITY_NOT_FOUND" in codes or any(word in lowered for word in _GONE):
        return NotFound(f"{said}; it was deleted, or the token cannot see it", status=status)
    return Permanent(said, status=status)
