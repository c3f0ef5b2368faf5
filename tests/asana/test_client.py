"""The client maps every failure once (429 -> RateLimited(Retry-After), 5xx/transport -> Retriable,
404 -> NotFound, other 4xx -> Permanent) and keeps the SDK from hiding rate-limit waits."""

from __future__ import annotations

import time

import pytest

from adapters.asana.client import AsanaClient, map_status
from syncd.core.errors import NotFound, Permanent, RateLimited, Retriable
from syncd.simulators.asana import AsanaSimulator
from tests.support.asana_sim import TOKEN


def client(sim: AsanaSimulator, *, timeout: float = 5.0, token: str = TOKEN) -> AsanaClient:
    """A client on the simulator."""
    return AsanaClient(base_url=sim.base_url, token=token, timeout=timeout, requests_per_minute=150)


class TestMapping:
    """One table decides retry intent."""

    @pytest.mark.parametrize(
        ("status", "retry_after", "kind", "delay"),
        [
            (429, "30", RateLimited, 30.0),
            (429, None, RateLimited, 0.0),
            (500, None, Retriable, 0.0),
            (503, "7", Retriable, 7.0),
            (0, None, Retriable, 0.0),
            (404, None, NotFound, None),
            (410, None, NotFound, None),
            (401, None, Permanent, None),
            (403, None, Permanent, None),
            (400, None, Permanent, None),
        ],
    )
    def test_status_to_error(
        self, status: int, retry_after: str | None, kind: type[Exception], delay: float | None
    ) -> None:
        """The error type and, for retriable ones, the server's delay."""
        error = map_status("GET /tasks/1", status, retry_after, "message")
        assert type(error) is kind
        if delay is not None:
            assert isinstance(error, Retriable)
            assert error.delay == delay

    def test_messages_say_what_and_what_to_do_without_the_token(self, asana_sim: AsanaSimulator) -> None:
        """401 names the call and the fix; the token never appears."""
        with pytest.raises(Permanent) as refused:
            client(asana_sim, token="secret-token-value").me()
        message = str(refused.value)
        assert "GET /users/me" in message
        assert "check the source's token" in message
        assert "secret-token-value" not in message


class TestNoHiddenWaits:
    """The SDK's own retries are off: a 429 reaches us at once, with its Retry-After."""

    def test_a_long_retry_after_on_a_get_is_raised_at_once(self, asana_sim: AsanaSimulator) -> None:
        """The SDK would sleep 60 s inside the call; we see RateLimited(60) immediately, after one request."""
        asana_sim.faults.throttle(1, retry_after=60)
        started = time.monotonic()
        with pytest.raises(RateLimited) as limited:
            client(asana_sim).me()
        assert limited.value.delay == 60
        assert time.monotonic() - started < 5
        assert len(asana_sim.requests) == 1

    def test_a_short_retry_after_is_waited_out_in_line_exactly(self, asana_sim: AsanaSimulator) -> None:
        """Retry-After 1: the second request arrives no sooner than a second later."""
        asana_sim.faults.throttle(1, retry_after=1)
        assert client(asana_sim).me()["name"] == "Sim Admin"
        first, second = asana_sim.requests
        assert (first.status, second.status) == (429, 200)
        assert second.at - first.at >= 1.0
        assert asana_sim.faults.early_requests == 0

    def test_a_timeout_is_retriable(self, asana_sim: AsanaSimulator) -> None:
        """A slow answer past the timeout becomes Retriable (retried in-line for reads, then it succeeds)."""
        asana_sim.faults.slow(1.0, requests=1)
        assert client(asana_sim, timeout=0.3).me()["name"] == "Sim Admin"
        assert len(asana_sim.requests) == 2

    def test_an_unreachable_server_is_retriable_after_short_in_line_retries(self) -> None:
        """Nothing listens on port 9: three attempts 1 s and 2 s apart, then Retriable (not a urllib3 error)."""
        waits: list[float] = []
        unreachable = AsanaClient(
            base_url="http://127.0.0.1:9/api/1.0", token=TOKEN, timeout=0.5, requests_per_minute=150, sleep=waits.append
        )
        with pytest.raises(Retriable, match="failed in transit"):
            unreachable.task("1", "name")
        assert (waits, unreachable.requests) == ([1.0, 2.0], 3)


class TestBudget:
    """The budget is our own count of the last minute's requests, or 0 while a 429 holds."""

    def test_requests_spend_the_budget(self, asana_sim: AsanaSimulator) -> None:
        """Two requests: 148 of 150 left."""
        api = client(asana_sim)
        api.me()
        api.me()
        budget = api.budget()
        assert (budget.remaining, budget.limit, api.requests) == (148, 150, 2)
