"""Linear's failed answers mapped once (pure), and as the real client meets them from the simulator: rate limits
wait until the reset the headers name (requests or complexity), 429 honours Retry-After, 5xx is retried, a
gone entity is NotFound, a taken id Duplicate, authentication says what to check; budgets come from headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.inline_retry import InlineRetry
from adapters.linear.client import LinearClient
from adapters.linear.failures import Duplicate, budgets_from, failure_from
from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable
from syncd.simulators.linear import LinearSimulator
from tests.linear.support import TOKEN, linear_config

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
RATELIMITED = [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]


def ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


class TestFailureMapping:
    """Each answer becomes the error the runtime acts on."""

    def test_ratelimited_waits_until_the_spent_budgets_reset(self) -> None:
        """Complexity spent, resetting in 40 s (requests left): RateLimited(40)."""
        headers = {"x-ratelimit-complexity-remaining": "0", "x-ratelimit-complexity-reset": ms(NOW + timedelta(seconds=40)),
                   "x-ratelimit-requests-remaining": "12", "x-ratelimit-requests-reset": ms(NOW + timedelta(seconds=900))}  # fmt: skip
        error = failure_from(400, headers, RATELIMITED, where="Issues", now=NOW)
        assert isinstance(error, RateLimited)
        assert error.delay == pytest.approx(40.0)

    def test_a_limit_naming_no_reset_backs_off_with_jitter(self) -> None:
        """No header: 1-3 s, spread."""
        delays = {failure_from(429, {}, [], where="Issues", now=NOW).delay for _ in range(20)}  # type: ignore[attr-defined]
        assert all(1.0 <= delay <= 3.0 for delay in delays)
        assert len(delays) > 1

    def test_retry_after_is_honoured(self) -> None:
        """429 with Retry-After: 7."""
        error = failure_from(429, {"retry-after": "7"}, [], where="Issues", now=NOW)
        assert isinstance(error, RateLimited)
        assert error.delay == 7.0

    def test_5xx_is_retried_and_4xx_words_decide_the_rest(self) -> None:
        """503 Retriable; entity not found NotFound; a taken id Duplicate; authentication Permanent with advice."""
        assert type(failure_from(503, {}, [], where="Issues", now=NOW)) is Retriable
        gone = [{"message": "Entity not found: Issue", "extensions": {"code": "INVALID_INPUT"}}]
        assert isinstance(failure_from(200, {}, gone, where="Issue", now=NOW), NotFound)
        taken = [{"message": "Comment with id x already exists", "extensions": {"code": "INVALID_INPUT"}}]
        assert isinstance(failure_from(200, {}, taken, where="CommentCreate", now=NOW), Duplicate)
        auth = [{"message": "Authentication required", "extensions": {"code": "AUTHENTICATION_ERROR"}}]
        refused = failure_from(400, {}, auth, where="Viewer", now=NOW)
        assert type(refused) is Permanent
        assert "personal API key" in str(refused)

    def test_budgets_come_from_the_headers(self) -> None:
        """Requests and complexity budgets with their resets, and the query's cost."""
        told = budgets_from({"x-ratelimit-requests-limit": "5000", "x-ratelimit-requests-remaining": "4999",
                             "x-ratelimit-requests-reset": ms(NOW), "x-ratelimit-complexity-limit": "3000000",
                             "x-ratelimit-complexity-remaining": "2996500", "x-complexity": "3500"})  # fmt: skip
        assert told.requests is not None
        assert told.complexity is not None
        assert (told.requests.remaining, told.requests.limit, told.requests.resets_at) == (4999, 5000, NOW)
        assert (told.complexity.remaining, told.cost) == (2996500, 3500)
        assert budgets_from({}).requests is None


@pytest.fixture
def client(linear_sim: LinearSimulator) -> Any:
    """A client on the simulator whose in-line waits are recorded instead of slept."""
    slept: list[float] = []
    made = LinearClient(
        linear_config(linear_sim.url), retry=InlineRetry(4, sleep=slept.append, retry_rate_limited_writes=True)
    )
    made.slept = slept  # type: ignore[attr-defined]
    yield made
    made.close()


class TestAgainstTheSimulator:
    """The real client over HTTP."""

    def test_a_429_is_waited_out_in_line(self, linear_sim: LinearSimulator, client: Any) -> None:
        """Two 429s with Retry-After 1: waited (at least 1 s each), then the answer."""
        linear_sim.faults.rate_limit(2, retry_after=1.0)
        assert client.query("viewer")["viewer"]["email"]
        assert len(client.slept) == 2
        assert all(wait >= 1.0 for wait in client.slept)

    def test_a_spent_complexity_budget_is_ratelimited_until_its_reset(self, client: Any) -> None:
        """A workspace with 10 complexity points an hour: the listing is refused RATELIMITED, naming a long wait."""
        with LinearSimulator(token=TOKEN, complexity_limit=10) as small:
            small.create_team("ENG")
            tight = LinearClient(linear_config(small.url), retry=InlineRetry(1))
            try:
                with pytest.raises(RateLimited) as raised:
                    tight.query("issues", {"filter": {"team": {"key": {"eq": "ENG"}}}, "first": 100})
            finally:
                tight.close()
        assert raised.value.delay > 60

    def test_budgets_and_complexity_are_read_from_every_answer(self, linear_sim: LinearSimulator, client: Any) -> None:
        """After one listing: both budgets known, the complexity spent counted."""
        client.query("issues", {"filter": {"team": {"key": {"eq": "ENG"}}}, "first": 100})
        budgets = client.budgets()
        assert budgets.requests.limit == 5000
        assert budgets.requests.remaining == 4999
        assert client.complexity_spent == budgets.cost > 100

    def test_a_5xx_is_retried_and_a_bad_token_is_permanent(self, linear_sim: LinearSimulator, client: Any) -> None:
        """503 then the answer; a token the workspace does not know: Permanent, no retry, no token in the text."""
        linear_sim.faults.server_error(1)
        assert client.query("viewer")["viewer"]
        stranger = LinearClient(linear_config(linear_sim.url, token="lin_api_unknown_999"))
        try:
            with pytest.raises(Permanent) as raised:
                stranger.query("viewer")
        finally:
            stranger.close()
        assert "lin_api_unknown_999" not in str(raised.value)


class TestPacing:
    """syncd hard-codes none of Linear's limits: writes are paced only when the config asks."""

    def test_no_pacing_unless_writes_per_minute(self) -> None:
        """Default: no write limit (the headers govern); `writes_per_minute: 30` paces to 30 a minute."""
        from adapters.linear.adapter import write_limits

        assert write_limits(linear_config()) == ()
        (limit,) = write_limits(linear_config(writes_per_minute=30))
        assert (limit.count, limit.period) == (30, timedelta(minutes=1))


class TestSecrets:
    """An answer quoting the token back never carries it into syncd's errors."""

    def test_an_echoed_token_is_redacted(self, linear_sim: LinearSimulator, client: Any) -> None:
        """A 401 whose message quotes the Authorization header: the error names the failure, not the token."""
        linear_sim.faults.refuse_echoing_credentials(1)
        with pytest.raises(Permanent) as raised:
            client.query("viewer")
        assert TOKEN not in str(raised.value)
        assert "[redacted]" in str(raised.value)
