"""The kit's fault knobs: one vocabulary every simulated tracker's `faults` offers, decided once per request."""

from __future__ import annotations

from syncd.simulators.kit.fault_knobs import FaultKnobs


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class TestDecide:
    """`decide` picks a rule first, then the rate window, and notices clients that do not wait."""

    def test_a_request_inside_the_announced_wait_is_early_and_one_after_it_is_not(self) -> None:
        """After a 429 with Retry-After 5, a request 2 s later counts as early; one 6 s later does not."""
        clock = Clock()
        knobs = FaultKnobs(clock=clock)
        knobs.rate_limit(1, retry_after=5)
        limited = knobs.decide("GET", "/items")
        assert limited is not None
        assert (limited.status, limited.retry_after) == (429, 5)
        clock.now += 2
        assert knobs.decide("GET", "/items") is None
        clock.now += 4
        assert knobs.decide("GET", "/items") is None
        assert knobs.early_requests == 1

    def test_the_rate_window_answers_429_with_the_whole_seconds_until_a_slot_frees(self) -> None:
        """Two per 10 s: the third request at +0.5 s meets a 429 asking to wait 10 s (rounded up)."""
        clock = Clock()
        knobs = FaultKnobs(clock=clock)
        knobs.limit_rate(2, per_seconds=10)
        assert knobs.decide("GET", "/a") is None
        assert knobs.decide("GET", "/a") is None
        clock.now += 0.5
        refused = knobs.decide("GET", "/a")
        assert refused is not None
        assert (refused.kind, refused.status, refused.retry_after) == ("rate_limit", 429, 10)
        knobs.limit_rate(None)
        assert knobs.decide("GET", "/a") is None

    def test_a_rule_is_spent_before_the_window_is_consulted(self) -> None:
        """A server-error rule answers first and does not use a slot of the window."""
        knobs = FaultKnobs(clock=Clock(), server_error_status=503)
        knobs.limit_rate(1, per_seconds=60)
        knobs.server_error(1)
        failed = knobs.decide("POST", "/a")
        assert failed is not None
        assert failed.status == 503
        assert knobs.decide("POST", "/a") is None
        refused = knobs.decide("POST", "/a")
        assert refused is not None
        assert refused.status == 429

    def test_clear_turns_every_knob_off_and_forgets_early_requests(self) -> None:
        """After `clear()`, nothing is refused and the early count is zero."""
        clock = Clock()
        knobs = FaultKnobs(clock=clock)
        knobs.rate_limit(None, retry_after=30)
        knobs.limit_rate(1)
        knobs.decide("GET", "/a")
        knobs.decide("GET", "/a")
        knobs.clear()
        assert (knobs.decide("GET", "/a"), knobs.early_requests) == (None, 0)


class TestPaths:
    """Each tracker chooses how its knobs' paths are written: a glob (GitHub) or a regex (Asana)."""

    def test_glob_knobs_match_whole_paths_and_regex_knobs_search(self) -> None:
        """`/repos/*/issues` matches only that listing; the regex `/stories$` matches any path ending so."""
        glob = FaultKnobs()
        glob.server_error(None, method="GET", path="/repos/*/issues")
        assert glob.decide("GET", "/repos/acme/issues") is not None
        assert glob.decide("GET", "/repos/acme/issues/1") is None
        assert glob.decide("POST", "/repos/acme/issues") is None
        regex = FaultKnobs(path_syntax="regex")
        regex.slow(0.5, None, path="/stories$")
        held = regex.decide("POST", "/tasks/1/stories")
        assert held is not None
        assert (held.kind, held.delay) == ("slow", 0.5)
        assert regex.decide("GET", "/stories/1") is None
