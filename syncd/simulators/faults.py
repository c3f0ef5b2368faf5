"""Fault rules of a simulated tracker: make the next N (or a fraction p of) matching requests fail or crawl.

Kinds: `rate_limit` (429 with Retry-After), `secondary` (GitHub's 403 secondary rate limit),
`server_error` (a 5xx), `slow` (answer after `delay` seconds). A rule matches by method and a path
pattern under the API root, a glob (`/repos/*/issues`) or a regex (`^/batch$`) as the simulator
chooses; each request meets at most one rule, the first that matches.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["rate_limit", "secondary", "budget_spent", "server_error", "slow"]
PathSyntax = Literal["glob", "regex"]


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
    path_syntax: PathSyntax = "glob"

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is None:
            return True
        if self.path_syntax == "regex":
            return re.search(self.path, path) is not None
        return fnmatch.fnmatchcase(path, self.path)


class FaultPlan:
    """A simulator's active fault rules (thread-safe; `pick` is called once per request)."""

    def __init__(self, seed: int = 4) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self.injected = 0

    def add(self, rule: FaultRule) -> FaultRule:
        """Activate a rule (a regex path is checked now, not at the first request)."""
        if rule.path is not None and rule.path_syntax == "regex":
            re.compile(rule.path)
        with self._lock:
            self._rules.append(rule)
        return rule

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
