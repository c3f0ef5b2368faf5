"""Jira's failed answers mapped once: 429 waits as told (or a jittered 1-3 s when Jira names no wait), 5xx is
retried, 404 is an answer, 401/403 say what to check; the budget comes from `X-RateLimit-*`."""

from __future__ import annotations

from adapters.jira.failures import budget_from, failure_from
from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable

BODY = b'{"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}'


class TestFailures:
    """Each status class becomes the error the runtime acts on."""

    def test_a_429_waits_what_retry_after_says_and_names_the_reason(self) -> None:
        """Retry-After: 7 -> RateLimited(7), with RateLimit-Reason in the message."""
        error = failure_from(429, {"retry-after": "7", "ratelimit-reason": "jira-burst-based"}, b"", where="GET /x")
        assert isinstance(error, RateLimited)
        assert error.delay == 7.0
        assert "jira-burst-based" in str(error)

    def test_a_429_without_retry_after_backs_off_with_jitter(self) -> None:
        """No header: a wait between 1 and 3 seconds, not the same every time."""
        errors = [failure_from(429, {}, b"", where="GET /x") for _ in range(20)]
        delays = {error.delay for error in errors if isinstance(error, RateLimited)}
        assert all(1.0 <= delay <= 3.0 for delay in delays)
        assert len(delays) > 1

    def test_a_5xx_is_retried(self) -> None:
        """503 -> Retriable, not a rate limit."""
        error = failure_from(503, {}, b"", where="POST /rest/api/3/search/jql")
        assert type(error) is Retriable

    def test_a_404_is_not_found_with_jiras_words(self) -> None:
        """The error names the request and quotes Jira's message."""
        error = failure_from(404, {}, BODY, where="GET /rest/api/3/issue/ENG-9")
        assert isinstance(error, NotFound)
        assert "GET /rest/api/3/issue/ENG-9" in str(error)
        assert "Issue does not exist" in str(error)

    def test_a_401_says_to_check_the_credentials(self) -> None:
        """Permanent, with the fix."""
        error = failure_from(401, {}, b"", where="GET /rest/api/3/myself")
        assert type(error) is Permanent
        assert "check email and token" in str(error)


class TestBudget:
    """`X-RateLimit-Limit`/`-Remaining`/`-Reset` headers as the source's budget."""

    def test_the_headers_are_the_budget(self) -> None:
        """Remaining and limit as numbers, the reset as a time."""
        told = budget_from(
            {"x-ratelimit-limit": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2026-12-03T12:00Z"}
        )
        assert told is not None
        assert (told.remaining, told.limit, told.resets_at and told.resets_at.isoformat()) == (
            0,
            100,
            "2026-12-03T12:00:00+00:00",
        )

    def test_no_headers_no_budget(self) -> None:
        """Jira sent none: unknown."""
        assert budget_from({}) is None
