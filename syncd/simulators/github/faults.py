"""GitHub's fault knobs: the kit's (`rate_limit`, `server_error` 502 by default, `refuse_echoing_credentials`,
`slow`, `hold`, `limit_rate`) plus the two refusals only GitHub answers.

`secondary_limit` (403 secondary rate limit without headers) and `budget_spent` (403 with
`x-ratelimit-remaining: 0`, what GitHub answers when the hourly budget is gone). Rules match by method and a
glob on the path under the API root (`/repos/*/issues`), first rule first (`syncd.simulators.kit.faults`).
"""

from __future__ import annotations

from syncd.simulators.kit.fault_knobs import FaultKnobs
from syncd.simulators.kit.faults import FaultRule


class GitHubFaults(FaultKnobs):
    """The simulated GitHub's fault rules, with a knob per kind of failure GitHub answers."""

    def __init__(self) -> None:
        super().__init__(path_syntax="glob", server_error_status=502)

    def secondary_limit(
        self, count: int | None = 1, *, method: str | None = None, path: str | None = None
    ) -> FaultRule:
        """Answer 403 "secondary rate limit" with no Retry-After and no rate-limit headers at zero."""
        rule = FaultRule("secondary", count=count, status=403, retry_after=None, method=method, path=path)
        return self.add(rule)

    def budget_spent(
        self, count: int | None = 1, *, reset_in: float = 60.0, method: str | None = None, path: str | None = None
    ) -> FaultRule:
        """Answer 403 "API rate limit exceeded" with `x-ratelimit-remaining: 0` and a reset `reset_in` seconds away."""
        rule = FaultRule("budget_spent", count=count, status=403, delay=reset_in, method=method, path=path)
        return self.add(rule)
