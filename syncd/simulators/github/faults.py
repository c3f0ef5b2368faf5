"""Fault knobs: make the next N (or a fraction p of) matching requests fail or crawl.

Kinds: `rate_limit` (429 with Retry-After), `secondary` (403 secondary rate limit without headers),
`server_error` (502 by default), `slow` (answer after `delay` seconds). Rules match by method and a
glob on the path under the API root (`/repos/*/issues`), first rule first.
"""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["rate_limit", "secondary", "server_error", "slow"]


@dataclass
class FaultRule:
    """One fault: what it does, which requests it hits, and for how many (count) or how often (probability)."""

    kind: FaultKind
    count: int | None = 1
    probability: float | None = None
    method: str | None = None
    path: str | None = None
    status: int = 502
    retry_after: float | None = 1.0
    delay: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


class FaultPlan:
    """The simulator's active fault rules (thread-safe; `pick` is called once per request)."""

    def __init__(self, seed: int = 4) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.injected = 0

    def add(self, rule: FaultRule) -> FaultRule:
        """Activate a rule."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def rate_limit(self, count: int | None = 1, *, retry_after: float = 1.0, **match: str | float | None) -> FaultRule:
        """Answer 429 with `Retry-After: retry_after`."""
        return self.add(FaultRule("rate_limit", count=count, status=429, retry_after=retry_after, **match))  # type: ignore[arg-type]

    def secondary_limit(self, count: int | None = 1, **match: str | float | None) -> FaultRule:
        """Answer 403 "secondary rate limit" with no Retry-After and no rate-limit headers at zero."""
        return self.add(FaultRule("secondary", count=count, status=403, retry_after=None, **match))  # type: ignore[arg-type]

    def server_error(self, count: int | None = 1, *, status: int = 502, **match: str | float | None) -> FaultRule:
        """Answer a 5xx (502 Bad Gateway by default)."""
        return self.add(FaultRule("server_error", count=count, status=status, **match))  # type: ignore[arg-type]

    def slow(self, delay: float, count: int | None = 1, **match: str | float | None) -> FaultRule:
        """Answer normally, but only after `delay` seconds."""
        return self.add(FaultRule("slow", count=count, delay=delay, **match))  # type: ignore[arg-type]

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self._rules.clear()

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The fault this request meets, if any (spending one of the rule's count)."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.probability is not None and self._random.random() >= rule.probability:
                    continue
                if rule.count is not None:
                    if rule.count <= 0:
                        continue
                    rule.count -= 1
                self.injected += 1
                return rule
        return None
