"""The one-shot sync's push phase waits for the trackers' pace instead of giving up (simulated clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncd.runtime.backfill import Backfill
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.reload import build_adapters, close_adapters
from syncd.simulators.github import GitHubSimulator
from syncd.store.okr import sync_config
from tests.support.admin_world import AdminWorld, github_source
from tests.support.github_sim import github_sim

__all__ = ["github_sim"]


class SimulatedClock:
    """A clock that only moves when the backfill sleeps."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class TestPushAtThePace:
    """`sync --once` makes every wanted write even when the pace spreads them over minutes."""

    def test_writes_held_back_by_the_pace_are_all_made(self, tmp_path: Path, github_sim: GitHubSimulator) -> None:
        """At one write a minute, the six comments take five simulated minutes and none is left over."""
        world = AdminWorld.create(tmp_path, github_sim)
        world.write_config(sources=[github_source(github_sim, writes_per_minute=1)])
        config, engine, clock = world.config(), world.engine(), SimulatedClock()
        adapters = build_adapters(config)
        runtime = Runtime(loaded=LoadedConfig(config, world.config_path, adapters), engine=engine, clock=clock)
        try:
            sync_config(engine, config, clock())
            backfill = Backfill(runtime, sleep=clock.sleep)
            for source, partition in backfill.partitions():
                assert backfill.mirror(source, partition).error is None
            backfill.compute()
            wanted, started = backfill.remaining_writes(), clock()
            steps = list(backfill.push())
        finally:
            runtime.executor.shutdown(wait=True)
            close_adapters(adapters)
            engine.dispose()
        assert wanted == 6  # 1, 2, 3 (ENG-1.1), 7 (ENG-1.2), and the unknown-KR warnings on 4 and 6
        assert steps[-1].written == wanted
        assert backfill.remaining_writes() == 0
        assert clock() - started >= timedelta(minutes=5)  # the pace held: one write a minute
        comments = [
            c for n in (1, 2, 3, 4, 6, 7) for c in github_sim.comments("acme/web", n) if "syncd:task=" in c.body
        ]
        assert len(comments) == 6
