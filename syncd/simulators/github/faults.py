"""GitHub's fault knobs: make the next N (or a fraction p of) matching requests fail or crawl.

`rate_limit` (429 with Retry-After), `secondary_limit` (403 secondary rate limit without headers),
`budget_spent` (403 with `x-ratelimit-remaining: 0`, what GitHub answers when the hourly budget is gone),
`server_error` (502 by default), `refuse_echoing_credentials` (401 by default, the body quoting the request's
Authorization header), `slow` (answer after `delay` seconds), `hold` (keep the request until
the test releases or drops it, see `RequestGate`). Rules match by method and a
glob on the path under the API root (`/repos/*/issues`), first rule first (`syncd.simulators.kit.faults`).
"""

from __future__ import annotations

from syncd.simulators.kit.faults import FaultPlan, FaultRule, RequestGate


class GitHubFaults(FaultPlan):
    """The simulated GitHub's fault rules, with a knob per kind of failure GitHub answers."""

    def rate_limit(self, count: int | None = 1, *, retry_after: float = 1.0, **match: str | float | None) -> FaultRule:
        """Answer 429 with `Retry-After: retry_after`."""
        return self.add(FaultRule("rate_limit", count=count, status=429, retry_after=retry_after, **match))  # type: ignore[arg-type]

    def secondary_limit(self, count: int | None = 1, **match: str | float | None) -> FaultRule:
        """Answer 403 "secondary rate limit" with no Retry-After and no rate-limit headers at zero."""
        return self.add(FaultRule("secondary", count=count, status=403, retry_after=None, **match))  # type: ignore[arg-type]

    def budget_spent(self, count: int | None = 1, *, reset_in: float = 60.0, **match: str | float | None) -> FaultRule:
        """Answer 403 "API rate limit exceeded" with `x-ratelimit-remaining: 0` and a reset `reset_in` seconds away."""
        return self.add(FaultRule("budget_spent", count=count, status=403, delay=reset_in, **match))  # type: ignore[arg-type]

    def server_error(self, count: int | None = 1, *, status: int = 502, **match: str | float | None) -> FaultRule:
        """Answer a 5xx (502 Bad Gateway by default)."""
        return self.add(FaultRule("server_error", count=count, status=status, **match))  # type: ignore[arg-type]

    def refuse_echoing_credentials(
        self, count: int | None = 1, *, status: int = 401, **match: str | float | None
    ) -> FaultRule:
        """Answer `status` (401 by default) with a message quoting the request's Authorization header back."""
        rule = FaultRule("server_error", count=count, status=status, echo_credentials=True, **match)  # type: ignore[arg-type]
        return self.add(rule)

    def slow(self, delay: float, count: int | None = 1, **match: str | float | None) -> FaultRule:
        """Answer normally, but only after `delay` seconds."""
        return self.add(FaultRule("slow", count=count, delay=delay, **match))  # type: ignore[arg-type]

    def hold(self, count: int | None = 1, **match: str | float | None) -> RequestGate:
        """Keep matching requests until the returned gate is released (applied, answered) or dropped (502)."""
        gate = RequestGate()
        self.add(FaultRule("hold", count=count, gate=gate, **match))  # type: ignore[arg-type]
        return gate
