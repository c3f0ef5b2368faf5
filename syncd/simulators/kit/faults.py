"""Fault rules of a simulated tracker: make the next N (or a fraction p of) matching requests fail or crawl.

Kinds: `rate_limit` (429 with Retry-After), `secondary` (GitHub's 403 secondary rate limit),
`server_error` (a 5xx), `slow` (answer after `delay` seconds), `hold` (keep the request at a
`RequestGate` until the test lets it through, or drops it unapplied: crash tests kill the client at
each step of a write this way). A failing rule may `echo_credentials`: its error body then quotes the request's
Authorization header back, as some proxies and trackers do (the worst case for error text syncd keeps and
shows). A rule matches by method and a path
pattern under the API root, a glob (`/repos/*/issues`) or a regex (`^/batch$`) as the simulator
chooses; each request meets at most one rule, the first that matches.
"""

from __future__ import annotations

import asyncio
import fnmatch
import random
import re
import threading
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["rate_limit", "secondary", "budget_spent", "server_error", "slow", "hold"]
PathSyntax = Literal["glob", "regex"]


class RequestGate:
    """Where a `hold` rule keeps the requests it caught until `release()` (applied, then answered) or
    `drop()` (answered 502 and never applied: as if the request had not reached the tracker)."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.answered = threading.Event()
        self.dropped = False
        self._open = False
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._lock = threading.Lock()

    def release(self) -> None:
        """Let the held requests through: they are applied and answered."""
        self._set_open()

    def drop(self) -> None:
        """Answer the held requests with a 502 without applying them."""
        self.dropped = True
        self._set_open()

    def _set_open(self) -> None:
        with self._lock:
            self._open = True
            waiting, self._waiting = self._waiting, []
        for loop, event in waiting:  # called from the test's thread: wake each request in its own loop
            loop.call_soon_threadsafe(event.set)

    async def passage(self) -> bool:
        """Hold one request until the gate opens (without blocking the event loop); True if it may go on."""
        opened = asyncio.Event()
        with self._lock:
            if not self._open:
                self._waiting.append((asyncio.get_running_loop(), opened))
            else:
                opened.set()
        self.arrived.set()
        await opened.wait()
        return not self.dropped


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
    gate: RequestGate | None = None  # `hold` rules only
    echo_credentials: bool = False  # the error body quotes the request's Authorization header

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
