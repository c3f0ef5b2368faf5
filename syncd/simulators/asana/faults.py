"""Fault knobs (429 with Retry-After, 5xx, slow answers, a sliding-window rate limit) and the request log.

Tests and the sandbox turn knobs on; every API request asks `Faults.decide` first. The log records
each request with its answer, and counts requests that came back before a Retry-After had elapsed.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LoggedRequest:
    """One API request as the simulator saw it (paths are relative to `/api/1.0`)."""

    at: float
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    status: int
    retry_after: float | None = None

    def param(self, name: str) -> str | None:
        """The first query parameter of that name."""
        return next((value for key, value in self.query if key == name), None)


@dataclass
class _Rule:
    """Answer the next `remaining` matching requests with `status` (or delay them by `delay`)."""

    remaining: int
    status: int | None
    retry_after: float | None = None
    delay: float = 0.0
    method: str | None = None
    path: re.Pattern[str] | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or bool(self.path.search(path)))


@dataclass(frozen=True)
class Fault:
    """What to do to one request: wait `delay` seconds, then answer `status` if set."""

    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0


@dataclass
class Faults:
    """The knobs. Thread-safe; `clock` is monotonic seconds."""

    clock: Callable[[], float] = time.monotonic
    early_requests: int = 0
    _rules: list[_Rule] = field(default_factory=list)
    _window: tuple[int, float] | None = None
    _recent: deque[float] = field(default_factory=deque)
    _blocked_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def throttle(
        self, requests: int, *, retry_after: float = 1.0, method: str | None = None, path: str | None = None
    ) -> None:
        """Answer the next `requests` matching requests 429 with `Retry-After: retry_after`."""
        self._add(_Rule(requests, 429, retry_after, 0.0, method, _compile(path)))

    def fail(self, requests: int, *, status: int = 500, method: str | None = None, path: str | None = None) -> None:
        """Answer the next `requests` matching requests with a server error."""
        self._add(_Rule(requests, status, None, 0.0, method, _compile(path)))

    def slow(self, seconds: float, *, requests: int = 1, method: str | None = None, path: str | None = None) -> None:
        """Delay the next `requests` matching requests by `seconds` (to exercise client timeouts)."""
        self._add(_Rule(requests, None, None, seconds, method, _compile(path)))

    def limit_rate(self, count: int | None, per_seconds: float = 60.0) -> None:
        """Enforce `count` requests per sliding `per_seconds` like Asana's plan limits (None lifts it)."""
        with self._lock:
            self._window = None if count is None else (count, per_seconds)
            self._recent.clear()

    def clear(self) -> None:
        """Turn every knob off."""
        with self._lock:
            self._rules.clear()
            self._window = None
            self._recent.clear()
            self._blocked_until = 0.0
            self.early_requests = 0

    def decide(self, method: str, path: str) -> Fault:
        """What happens to this request (call once per request, in arrival order)."""
        with self._lock:
            now = self.clock()
            if now < self._blocked_until:
                self.early_requests += 1
            fault = self._from_rules(method, path) or self._from_window(now)
            if fault.status == 429 and fault.retry_after is not None:
                self._blocked_until = max(self._blocked_until, now + fault.retry_after)
            return fault

    def _from_rules(self, method: str, path: str) -> Fault | None:
        for rule in self._rules:
            if rule.remaining > 0 and rule.matches(method, path):
                rule.remaining -= 1
                return Fault(rule.status, rule.retry_after, rule.delay)
        self._rules = [rule for rule in self._rules if rule.remaining > 0]
        return None

    def _from_window(self, now: float) -> Fault:
        if self._window is None:
            return Fault()
        count, period = self._window
        while self._recent and self._recent[0] <= now - period:
            self._recent.popleft()
        if len(self._recent) >= count:
            wait = max(1.0, math.ceil(self._recent[0] + period - now))
            return Fault(429, wait)
        self._recent.append(now)
        return Fault()

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)


class RequestLog:
    """Every API request in arrival order (thread-safe)."""

    def __init__(self) -> None:
        self._entries: list[LoggedRequest] = []
        self._lock = threading.Lock()

    def record(self, entry: LoggedRequest) -> None:
        """Append one request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        """A copy of the log."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every logged request."""
        with self._lock:
            self._entries.clear()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests match `method` and the regex `path` (both optional)."""
        pattern = _compile(path)
        return sum(
            1
            for entry in self.entries()
            if (method is None or entry.method == method) and (pattern is None or pattern.search(entry.path))
        )


def _compile(path: str | None) -> re.Pattern[str] | None:
    return None if path is None else re.compile(path)
