"""Request accounting of the simulated GitHub: the logged request and the rate-limit budget."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from syncd.simulators.kit.request_log import QueryParameters


@dataclass(frozen=True)
class LoggedRequest(QueryParameters):
    """One request as the simulator saw it. `path` is under the API root for REST (`/repos/a/b/issues`)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: bytes
    content_type: str
    status: int
    at: float  # time.monotonic() when it arrived
    api: str  # "rest", "graphql" or "sim"
    headers: dict[str, str] = field(default_factory=dict)
    #: The response body, kept only when the simulator was asked to (`keep_responses`).
    response: bytes = b""

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


class RateBudget:
    """GitHub's primary rate limit: `limit` requests per hour window; 304 answers cost nothing."""

    def __init__(self, limit: int = 5000, window: float = 3600.0) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.window = window
        self.used = 0
        self.reset_at = time.time() + window

    def set(self, *, remaining: int, reset_in: float) -> None:
        """Force the budget (tests): `remaining` left until `reset_in` seconds from now."""
        with self._lock:
            self.used = max(0, self.limit - remaining)
            self.reset_at = time.time() + reset_in

    def exhausted(self) -> bool:
        """Whether the budget is spent (refilling it first if the window has passed)."""
        with self._lock:
            self._refill()
            return self.used >= self.limit

    def spend(self) -> None:
        """Count one request."""
        with self._lock:
            self._refill()
            self.used += 1

    def headers(self) -> dict[str, str]:
        """The `x-ratelimit-*` headers as of now."""
        with self._lock:
            self._refill()
            return {
                "x-ratelimit-limit": str(self.limit),
                "x-ratelimit-remaining": str(max(0, self.limit - self.used)),
                "x-ratelimit-reset": str(int(self.reset_at)),
                "x-ratelimit-used": str(self.used),
                "x-ratelimit-resource": "core",
            }

    def _refill(self) -> None:
        now = time.time()
        if now >= self.reset_at:
            self.used = 0
            self.reset_at = now + self.window
