"""Asana's fault knobs (429 with Retry-After, 5xx, refusals quoting the Authorization header, slow answers,
a sliding-window rate limit) and its logged request.

Tests and the sandbox turn knobs on; every API request asks `Faults.decide` first, which also counts
requests that came back before a Retry-After had elapsed. Knob paths are regexes searched in the path
under `/api/1.0`; the rules themselves are `syncd.simulators.kit.faults`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from syncd.simulators.kit.faults import FaultKind, FaultPlan, FaultRule
from syncd.simulators.kit.rate_window import SlidingWindow
from syncd.simulators.kit.request_log import QueryParameters


@dataclass(frozen=True)
class LoggedRequest(QueryParameters):
    """One API request as the simulator saw it (paths are relative to `/api/1.0`)."""

    at: float
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    status: int
    retry_after: float | None = None


@dataclass(frozen=True)
class Fault:
    """What to do to one request: wait `delay` seconds, then answer `status` if set."""

    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    echo_credentials: bool = False


@dataclass
class Faults:
    """The knobs. Thread-safe; `clock` is monotonic seconds."""

    clock: Callable[[], float] = time.monotonic
    early_requests: int = 0
    _plan: FaultPlan = field(default_factory=FaultPlan)
    _window: SlidingWindow | None = None
    _blocked_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def throttle(
        self, requests: int, *, retry_after: float = 1.0, method: str | None = None, path: str | None = None
    ) -> None:
        """Answer the next `requests` matching requests 429 with `Retry-After: retry_after`."""
        self._add("rate_limit", requests, method, path, status=429, retry_after=retry_after)

    def fail(self, requests: int, *, status: int = 500, method: str | None = None, path: str | None = None) -> None:
        """Answer the next `requests` matching requests with a server error."""
        self._add("server_error", requests, method, path, status=status)

    def refuse_echoing_credentials(
        self, requests: int, *, status: int = 401, method: str | None = None, path: str | None = None
    ) -> None:
        """Answer the next `requests` matching requests `status`, the message quoting their Authorization header."""
        self._add("server_error", requests, method, path, status=status, echo_credentials=True)

    def slow(self, seconds: float, *, requests: int = 1, method: str | None = None, path: str | None = None) -> None:
        """Delay the next `requests` matching requests by `seconds` (to exercise client timeouts)."""
        self._add("slow", requests, method, path, delay=seconds)

    def limit_rate(self, count: int | None, per_seconds: float = 60.0) -> None:
        """Enforce `count` requests per sliding `per_seconds` like Asana's plan limits (None lifts it)."""
        with self._lock:
            self._window = None if count is None else SlidingWindow(count, per_seconds)

    def clear(self) -> None:
        """Turn every knob off."""
        with self._lock:
            self._plan.clear()
            self._window = None
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
        rule = self._plan.pick(method, path)
        if rule is None:
            return None
        return Fault(None if rule.kind == "slow" else rule.status, rule.retry_after, rule.delay, rule.echo_credentials)

    def _from_window(self, now: float) -> Fault:
        wait = None if self._window is None else self._window.admit(now)
        return Fault() if wait is None else Fault(429, max(1.0, math.ceil(wait)))

    def _add(
        self,
        kind: FaultKind,
        requests: int,
        method: str | None,
        path: str | None,
        *,
        status: int = 500,
        retry_after: float | None = None,
        delay: float = 0.0,
        echo_credentials: bool = False,
    ) -> None:
        rule = FaultRule(
            kind, requests, None, method, path, status, retry_after, delay, path_syntax="regex",
            echo_credentials=echo_credentials,
        )  # fmt: skip
        self._plan.add(rule)
