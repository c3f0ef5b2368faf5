"""The sandbox's convergence probe: its ground truth takes every check-in people made, not only the story's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.recompute.checkins import CheckIns
from syncd.sandbox.convergence import Probe
from syncd.store.okr import sync_config
from tests.sandbox.conftest import NOW, SeededCompany
from tests.support.store import migrated_sqlite


@pytest.fixture
def engine(tmp_path: Path, seeded: SeededCompany) -> Iterator[Engine]:
    """The sandbox's store: migrated, with the company's OKRs loaded."""
    with migrated_sqlite(tmp_path) as engine:
        sync_config(engine, seeded.config, NOW)
        yield engine


def outside_check_in(engine: Engine, seeded: SeededCompany, kr_id: str, value: float) -> None:
    """What `syncd checkin KR VALUE` does from another terminal while the sandbox runs."""
    runtime = Runtime(
        loaded=LoadedConfig(seeded.config, None, {}), engine=engine, clock=lambda: NOW + timedelta(seconds=30)
    )
    try:
        CheckIns(runtime).record(kr_id, value, via="cli")
    finally:
        runtime.executor.shutdown(wait=True)


class TestGroundTruthCheckIns:
    """Check-ins made outside the story (the CLI, the API) count in the ground truth, as they do for syncd."""

    def test_a_check_in_from_the_cli_moves_the_expected_progress(self, engine: Engine, seeded: SeededCompany) -> None:
        story = seeded.seeded_checkins()
        probe = Probe(seeded.config, engine, seeded.sources, lambda: story)
        before = probe.check(NOW + timedelta(minutes=1)).truth.progress["ENG-1.3"]
        outside_check_in(engine, seeded, "ENG-1.3", 55)
        check = probe.check(NOW + timedelta(minutes=1))
        assert check.truth.progress["ENG-1.3"] != before
        assert not [d for d in check.differences if d.startswith("ENG-1.3:")], check.differences

    def test_a_story_check_in_the_store_lost_still_counts(self, engine: Engine, seeded: SeededCompany) -> None:
        """The story's own list stays part of the truth: a check-in missing from the store is a difference."""
        story = seeded.seeded_checkins()
        probe = Probe(seeded.config, engine, seeded.sources, lambda: story)
        check = probe.check(NOW + timedelta(minutes=1))
        kr_id = story[0].kr_id
        assert [d for d in check.differences if d.startswith(f"{kr_id}:")]
