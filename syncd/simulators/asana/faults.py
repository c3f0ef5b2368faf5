"""Asana's fault knobs: the kit's (`rate_limit`, `server_error` 500 by default, `refuse_echoing_credentials`,
`slow`, `hold`, `limit_rate` like Asana's plan limits, `early_requests`) under Asana's older names too.

`throttle` is `rate_limit` and `fail` is `server_error`, as tests and the sandbox have called them. Knob paths
are regexes searched in the path under `/api/1.0`; the rules themselves are `syncd.simulators.kit.faults`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.faults import FaultRule


class Faults(FaultKnobs):
    """The simulated Asana's knobs. Thread-safe; `clock` is monotonic seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(path_syntax="regex", server_error_status=500, clock=clock)

    def throttle(
        self, requests: int, *, retry_after: float = 1.0, method: str | None = None, path: str | None = None
    ) -> None:
        """Answer the next `requests` matching requests 429 with `Retry-After: retry_after`."""
        self.rate_limit(requests, retry_after=retry_after, method=method, path=path)

    def fail(self, requests: int, *, status: int = 500, method: str | None = None, path: str | None = None) -> None:
        """Answer the next `requests` matching requests with a server error."""
        self.server_error(requests, status=status, method=method, path=path)

    def slow(
        self,
        delay: float,
        count: int | None = 1,
        *,
        method: str | None = None,
        path: str | None = None,
        probability: float | None = None,
        requests: int | None = None,
    ) -> FaultRule:
        """Delay matching requests by `delay` seconds (to exercise client timeouts); `requests` is `count`."""
        chosen = count if requests is None else requests
        return super().slow(delay, chosen, method=method, path=path, probability=probability)
