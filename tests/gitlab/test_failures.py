"""GitLab failures: python-gitlab's own sleeping and retrying are off (syncd decides waits), 429s honour
Retry-After or RateLimit-Reset, 5xx are retried, other 4xx are permanent with GitLab's words; the budget comes
from RateLimit-* headers, and every request is told to the observer."""

from __future__ import annotations

import time
from typing import Any

import pytest

from adapters.gitlab.adapter import GitLabAdapter
from adapters.gitlab.client import GitLabClient
from adapters.gitlab.failures import failure_from
from adapters.inline_retry import InlineRetry
from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable
from syncd.ports import RequestOutcome, RequestReason
from syncd.simulators.gitlab import GitLabSimulator
from tests.gitlab.support import gitlab_config


class TestMapping:
    """The one mapping, status and headers to syncd's vocabulary."""

    def test_429_waits_retry_after_then_the_reset(self) -> None:
        """Retry-After first; else until RateLimit-Reset; else 1-3 s."""
        assert failure_from(429, {"retry-after": "7"}, "", where="GET x", now=0).delay == 7  # type: ignore[attr-defined]
        reset = failure_from(429, {"ratelimit-reset": "1030"}, "", where="GET x", now=1000.0)
        assert isinstance(reset, RateLimited)
        assert reset.delay == pytest.approx(30)
        unnamed = failure_from(429, {}, "", where="GET x", now=0)
        assert isinstance(unnamed, RateLimited)
        assert 1 <= unnamed.delay <= 3

    @pytest.mark.parametrize(
        ("status", "kind", "words"),
        [(502, Retriable, "will retry"), (404, NotFound, "deleted"), (401, Permanent, "expired or revoked"),
         (403, Permanent, "api scope"), (422, Permanent, "422")],
    )  # fmt: skip
    def test_other_answers(self, status: int, kind: type, words: str) -> None:
        """5xx retriable; 404 not found; 401/403 say what to check; other 4xx permanent."""
        error = failure_from(status, {}, "nope", where="GET x", now=0)
        assert type(error) is kind
        assert words in str(error)


class TestClient:
    """The real client against the simulator: no hidden sleep, the observer told, the budget read."""

    def test_a_429_is_not_slept_through_by_the_sdk(self, gitlab_sim: GitLabSimulator) -> None:
        """A 60 s Retry-After comes back at once as RateLimited(60) after exactly one request."""
        seen: list[RequestOutcome] = []
        client = GitLabClient(gitlab_config(gitlab_sim.url), observer=seen.append)
        gitlab_sim.faults.rate_limit(1, retry_after=60)
        started = time.monotonic()
        with pytest.raises(RateLimited) as raised:
            client.list_items("acme/web", "issue", None)
        assert time.monotonic() - started < 5
        assert raised.value.delay == 60
        assert len(gitlab_sim.requests) == 1
        assert [o.reason for o in seen] == [RequestReason.RATE_LIMITED]
        client.close()

    def test_short_waits_and_5xx_are_retried_in_line_and_told(self, gitlab_sim: GitLabSimulator) -> None:
        """A 502 then a 1 s 429: the listing succeeds on the third attempt; each attempt is observed."""
        seen: list[RequestOutcome] = []
        retry = InlineRetry(4, backoff_base=0.01, retry_rate_limited_writes=True)
        client = GitLabClient(gitlab_config(gitlab_sim.url), observer=seen.append, retry=retry)
        gitlab_sim.faults.server_error(1, status=502)
        gitlab_sim.faults.rate_limit(1, retry_after=1)
        assert client.list_items("acme/web", "issue", None) == []
        assert [o.reason for o in seen] == [RequestReason.SERVER_ERROR, RequestReason.RATE_LIMITED, RequestReason.OK]
        assert client.budget().limit == 2000
        client.close()

    def test_a_note_create_is_never_repeated_after_a_5xx(self, gitlab_sim: GitLabSimulator, make_adapter: Any) -> None:
        """It may have landed: the 502 goes to the runtime (which looks again with `unknown`)."""
        task = gitlab_sim.create_issue("acme/web", "Ship it")
        adapter: GitLabAdapter = make_adapter()
        client = adapter.client
        gitlab_sim.faults.server_error(1, method="POST", path="*/notes")
        with pytest.raises(Retriable):
            client.create_note("acme/web", "issue", 1, "hello")
        assert sum(r.method == "POST" for r in gitlab_sim.requests) == 1
        assert gitlab_sim.notes(task) == []

    def test_a_bad_token_is_permanent_and_names_no_secret(self, gitlab_sim: GitLabSimulator) -> None:
        """401 with what to check; the token is not in the message."""
        config = gitlab_config(gitlab_sim.url, token="glpat-wrong-token-value")
        client = GitLabClient(config)
        with pytest.raises(Permanent) as raised:
            client.current_user()
        assert "expired or revoked" in str(raised.value)
        assert "glpat-wrong-token-value" not in str(raised.value)
        client.close()
