"""The fault knobs every simulated tracker offers, in one vocabulary, over a `FaultPlan`.

A tracker's `faults` is a `FaultKnobs` (or a subclass adding its own kinds, such as GitHub's secondary
limit, or its own names for the same knobs). Its request pipeline asks `decide(method, path)` once per
request and renders the rule it gets in the tracker's error shape: `rate_limit` (429 with Retry-After),
`server_error` (a 5xx), `echo_credentials` refusals, `slow`, `hold` (see `RequestGate`). `limit_rate` adds a
sliding-window limit answered like a rate-limit rule; `early_requests` counts requests that came back
before the last Retry-After had elapsed (a client that does not wait).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from syncd.simulators.kit.faults import FaultKind, FaultPlan, FaultRule, PathSyntax, RequestGate
from syncd.simulators.kit.rate_window import SlidingWindow


class FaultKnobs(FaultPlan):
    """Fault rules added by knob, plus an optional sliding-window rate limit (thread-safe)."""

    def __init__(
        self,
        *,
        path_syntax: PathSyntax = "glob",
        server_error_status: int = 502,
        clock: Callable[[], float] = time.monotonic,
        seed: int = 4,
    ) -> None:
        super().__init__(seed)
        self.path_syntax: PathSyntax = path_syntax
        self.server_error_status = server_error_status
        self.clock = clock
        self.early_requests = 0
        self._window: SlidingWindow | None = None
        self._blocked_until = 0.0
        self._knob_lock = threading.Lock()

    def rate_limit(
        self,
        count: int | None = 1,
        *,
        retry_after: float = 1.0,
        method: str | None = None,
        path: str | None = None,
        probability: float | None = None,
    ) -> FaultRule:
        """Answer matching requests 429 with `Retry-After: retry_after`."""
        return self._rule("rate_limit", count, method, path, probability, status=429, retry_after=retry_after)

    def server_error(
        self,
        count: int | None = 1,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        probability: float | None = None,
    ) -> FaultRule:
        """Answer matching requests with a server error (the tracker's usual 5xx unless `status` is given)."""
        chosen = self.server_error_status if status is None else status
        return self._rule("server_error", count, method, path, probability, status=chosen)

    def refuse_echoing_credentials(
        self, count: int | None = 1, *, status: int = 401, method: str | None = None, path: str | None = None
    ) -> FaultRule:
        """Answer `status` (401 by default) with a message quoting the request's Authorization header back."""
        return self._rule("server_error", count, method, path, None, status=status, echo_credentials=True)

    def slow(
        self,
        delay: float,
        count: int | None = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        probability: float | None = None,
    ) -> FaultRule:
        """Answer normally, but only after `delay` seconds."""
        return self._rule("slow", count, method, path, probability, delay=delay)

    def hold(self, count: int | None = 1, *, method: str | None = None, path: str | None = None) -> RequestGate:
        """Keep matching requests until the returned gate is released (applied, answered) or dropped (502)."""
        gate = RequestGate()
        self._rule("hold", count, method, path, None, gate=gate)
        return gate

    def limit_rate(self, count: int | None, per_seconds: float = 60.0) -> None:
        """Admit at most `count` requests per sliding `per_seconds`, answering the rest 429 (None lifts it)."""
        with self._knob_lock:
            self._window = None if count is None else SlidingWindow(count, per_seconds)

    def clear(self) -> None:
        """Turn every knob off and forget early requests."""
        super().clear()
        with self._knob_lock:
            self._window = None
            self._blocked_until = 0.0
            self.early_requests = 0

    def decide(self, method: str, path: str) -> FaultRule | None:
        """The fault this request meets, if any: a rule first, else the rate window (once per request)."""
        with self._knob_lock:
            now = self.clock()
            if now < self._blocked_until:
                self.early_requests += 1
            fault = self.pick(method, path) or self._from_window(now)
            if fault is not None and fault.status == 429 and fault.retry_after is not None:
                self._blocked_until = max(self._blocked_until, now + fault.retry_after)
            return fault

    def _from_window(self, now: float) -> FaultRule | None:
        wait = None if self._window is None else self._window.admit(now)
        if wait is None:
            return None
        return FaultRule("rate_limit", count=None, status=429, retry_after=max(1.0, math.ceil(wait)))

    def _rule(
        self,
        kind: FaultKind,
        count: int | None,
        method: str | None,
        path: str | None,
        probability: float | None,
        *,
        status: int = 502,
        retry_after: float | None = None,
        delay: float = 0.0,
        gate: RequestGate | None = None,
        echo_credentials: bool = False,
    ) -> FaultRule:
        rule = FaultRule(
            kind,
            count=count,
            probability=probability,
            method=method,
            path=path,
            status=status,
            retry_after=retry_after,
            delay=delay,
            path_syntax=self.path_syntax,
            gate=gate,
            echo_credentials=echo_credentials,
        )
        return self.add(rule)
