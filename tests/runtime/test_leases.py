"""Leases: one holder at a time, renewal, release, takeover after expiry or after the holder died."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from syncd.store.claims import holder_is_gone
from syncd.store.leases import Lease
from tests.support.store import migrated_sqlite
from tests.support.worker_env import FakeClock

TTL = timedelta(seconds=30)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite store."""
    with migrated_sqlite(tmp_path) as store:
        yield store


def _pair(engine: Engine, clock: FakeClock, name: str = "poll:fake") -> tuple[Lease, Lease]:
    return Lease(engine, name, "replica-a", clock, TTL), Lease(engine, name, "replica-b", clock, TTL)


class TestLeaseExclusivity:
    """Only one replica holds a lease until it lapses or is released."""

    def test_second_replica_is_refused_while_the_first_holds_it(self, engine: Engine) -> None:
        clock = FakeClock()
        a, b = _pair(engine, clock)
        assert a.acquire()
        assert not b.acquire()
        assert a.held()
        assert not b.held()

    def test_renewal_keeps_the_lease_past_its_first_expiry(self, engine: Engine) -> None:
        clock = FakeClock()
        a, b = _pair(engine, clock)
        a.acquire()
        clock.advance(20)
        assert a.acquire()  # renewed at t=20, now valid until t=50
        clock.advance(20)
        assert not b.acquire()
        assert a.held()

    def test_takeover_after_expiry(self, engine: Engine) -> None:
        clock = FakeClock()
        a, b = _pair(engine, clock)
        a.acquire()
        clock.advance(31)
        assert not a.held()
        assert b.acquire()
        assert not a.acquire()  # the old holder finds it taken and knows it lost it

    def test_release_lets_another_replica_take_it_at_once(self, engine: Engine) -> None:
        clock = FakeClock()
        a, b = _pair(engine, clock)
        a.acquire()
        a.release()
        assert b.acquire()

    def test_leases_with_different_names_are_independent(self, engine: Engine) -> None:
        clock = FakeClock()
        poll = Lease(engine, "poll:fake", "replica-a", clock, TTL)
        push = Lease(engine, "push:fake", "replica-b", clock, TTL)
        assert poll.acquire()
        assert push.acquire()


class TestDeadHolder:
    """A lease held by a process on this host that has died is taken over without waiting."""

    def test_dead_local_process_is_recognised(self) -> None:
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        assert holder_is_gone(f"{socket.gethostname()}:{child.pid}")

    def test_live_or_remote_holders_are_not_gone(self) -> None:
        assert not holder_is_gone(f"{socket.gethostname()}:1")  # pid 1 always runs
        assert not holder_is_gone("some-other-host:12345")
        assert not holder_is_gone("replica-a")

    def test_lease_of_a_killed_daemon_is_taken_over_before_expiry(self, engine: Engine) -> None:
        clock = FakeClock()
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        child.wait()
        dead = Lease(engine, "push:fake", f"{socket.gethostname()}:{child.pid}", clock, TTL)
        assert dead.acquire()
        successor = Lease(engine, "push:fake", "replica-b", clock, TTL)
        assert successor.acquire()
