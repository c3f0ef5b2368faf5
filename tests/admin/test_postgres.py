"""The admin tools on a PostgreSQL store: check-in, explain, plan (read-only) and the API read the same."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from syncd.simulators.github import GitHubSimulator
from syncd.store.schema import Base
from tests.support.admin_world import API_TOKEN, AdminWorld, serving_api
from tests.support.store import postgres_schema

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_world(tmp_path: Path, github_sim: GitHubSimulator, postgres_url: str) -> Iterator[AdminWorld]:
    """The synced world on a throwaway PostgreSQL schema."""
    with postgres_schema(postgres_url) as url:
        world = AdminWorld.create(tmp_path, github_sim, store_url=url)
        world.sync_once()
        yield world


def row_counts(world: AdminWorld) -> dict[str, int]:
    """Rows per table."""
    engine = world.engine()
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for name, t in Base.metadata.tables.items()
            }
    finally:
        engine.dispose()


def test_check_in_explain_plan_and_api_on_postgresql(pg_world: AdminWorld) -> None:
    """A check-in moves ENG-1.2 to 50%; explain reads the mirror; the plan writes nothing; the API agrees."""
    checked = pg_world.syncd("checkin", "ENG-1.2", "4.5")
    assert checked.exit_code == 0, checked.output
    explained = pg_world.syncd("explain", "acme-github:acme/web#7", "--json")
    assert explained.exit_code == 0, explained.output
    (comment,) = json.loads(explained.stdout)["targets"]
    assert "**50%** (4.5 / 2 days (from 7))" in comment["desired_text"]
    assert comment["applied"] is False
    before = row_counts(pg_world)
    planned = pg_world.syncd("plan", "--json")
    assert planned.exit_code == 0, planned.output
    assert [w["key"] for w in json.loads(planned.stdout)["writes"]] == ["acme/web#7"]
    assert row_counts(pg_world) == before
    with serving_api(pg_world) as (url, _runtime):
        detail = httpx.get(f"{url}/api/v1/key-results/ENG-1.2", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert detail.status_code == 200
    assert detail.json()["key_result"]["current"] == 4.5
