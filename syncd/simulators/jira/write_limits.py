"""Jira Cloud's per-issue write limits as the simulated site keeps them: (writes, seconds) windows per issue on
the site's clock. A write past one is refused; the routes answer it 429 with Jira's `RateLimit-Reason`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

#: Jira Cloud's limits: 20 writes per 2 s and 100 per 30 s, per issue.
JIRA_CLOUD_LIMITS = ((20, 2.0), (100, 30.0))
REASON = "jira-per-issue-on-write"


@dataclass(frozen=True)
class Refusal:
    """The limit a write would pass: at most `limit` writes in `seconds`."""

    limit: int
    seconds: float


@dataclass
class IssueWriteLimits:
    """Recent writes per issue id, judged against `limits` (not thread-safe: the routes hold the state lock)."""

    limits: Sequence[tuple[int, float]]
    _writes: dict[int, list[datetime]] = field(default_factory=dict)

    def admit(self, issue_id: int, now: datetime) -> Refusal | None:
        """Count a write to the issue at `now`, or the limit it would pass (then it is not counted)."""
        longest = max((seconds for _, seconds in self.limits), default=0.0)
        kept = [at for at in self._writes.get(issue_id, []) if (now - at).total_seconds() < longest]
        self._writes[issue_id] = kept
        for limit, seconds in self.limits:
            if sum(1 for at in kept if (now - at).total_seconds() < seconds) >= limit:
                return Refusal(limit, seconds)
        kept.append(now)
        return None
