"""Event streams per resource and the sync tokens of `GET /events` (Asana's Events API).

Every change appends one compact event to the stream of each resource that follows it (the task, its
projects). A sync token names a position in one stream; an unknown, missing or expired token answers
412 with a fresh token, as Asana does. At most 100 events per answer, then `has_more`.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from syncd.simulators.asana.store import ApiError

PAGE = 100
#: Events kept per stream; older ones are gone and tokens pointing before them have expired.
RETENTION = 100_000
MAX_TOKENS = 100_000


@dataclass(frozen=True)
class SyncToken:
    """A position in one resource's stream."""

    resource: str
    position: int


class EventLog:
    """Streams of compact events by resource gid, with sync tokens and listeners (webhooks)."""

    def __init__(self) -> None:
        self._seq = 0
        self._streams: dict[str, list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        self._tokens: dict[str, SyncToken] = {}
        self._listeners: list[Callable[[str, dict[str, Any]], None]] = []

    def listen(self, listener: Callable[[str, dict[str, Any]], None]) -> None:
        """Call `listener(resource, event)` for every event appended to any stream."""
        self._listeners.append(listener)

    def append(self, resources: Iterable[str], event: dict[str, Any]) -> None:
        """Record one event in the stream of each resource (once per resource)."""
        self._seq += 1
        for resource in dict.fromkeys(resources):
            stream = self._streams[resource]
            stream.append((self._seq, event))
            if len(stream) > RETENTION:
                del stream[: len(stream) - RETENTION]
            for listener in self._listeners:
                listener(resource, event)

    def read(self, resource: str, token: str | None) -> dict[str, Any]:
        """The `GET /events` answer: events after the token, a new token, `has_more`; 412 when the token
        is missing, unknown, expired or for another resource."""
        position = self._position(resource, token)
        stream = self._streams.get(resource, [])
        after = [(seq, event) for seq, event in stream if seq > position]
        page = after[:PAGE]
        last = page[-1][0] if page else position
        return {
            "data": [event for _, event in page],
            "sync": self._issue(resource, last),
            "has_more": len(after) > PAGE,
        }

    def expire(self, resource: str | None = None) -> int:
        """Expire every token (of one resource, or all); returns how many expired."""
        doomed = [t for t, pos in self._tokens.items() if resource is None or pos.resource == resource]
        for token in doomed:
            del self._tokens[token]
        return len(doomed)

    def count(self, resource: str) -> int:
        """How many events one resource's stream holds."""
        return len(self._streams.get(resource, []))

    def _position(self, resource: str, token: str | None) -> int:
        known = self._tokens.get(token) if token else None
        stream = self._streams.get(resource, [])
        oldest_kept = stream[0][0] - 1 if stream else 0
        if known is None or known.resource != resource or known.position < oldest_kept:
            message = "Sync token invalid or too old. If you are attempting to keep resources in sync, you must fetch the full dataset for this query now and use the new sync token for the next sync."
            raise ApiError(412, message, extra={"sync": self._issue(resource, self._seq)})
        return known.position

    def _issue(self, resource: str, position: int) -> str:
        token = secrets.token_hex(16)
        self._tokens[token] = SyncToken(resource, position)
        if len(self._tokens) > MAX_TOKENS:
            # The oldest tokens expire first, as Asana's do (dicts keep insertion order).
            del self._tokens[next(iter(self._tokens))]
        return token
