"""One partition per source (issue 18, "idle poll: one request per source"): a source following ENG and OPS
searches `project in ("ENG", "OPS")` once per poll, and its reconciliation, one listing of both, is complete over
both projects' keys: in the store, an issue listed in neither (deleted, moved out) leaves the mirror, one moved
between them stays under its new key. On both flavours, against the simulated site and a migrated SQLite store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from adapters.jira.adapter import JiraAdapter, partition_name
from syncd.core.matching import MatchRules
from syncd.ports import PollResult
from syncd.simulators.jira import JiraSimulator
from syncd.store.bookmarks import partition_states, save_poll
from syncd.store.tables import TASKS
from tests.jira.openapi import JIRA_SPEC, JiraSpec
from tests.jira.support import EMAIL, FLAVOURS, PAT, TOKEN, flavour_config
from tests.support.worker_env import migrated_copy

pytestmark = pytest.mark.parametrize("deployment", FLAVOURS, indirect=True)

LATER = datetime(2030, 1, 1, tzinfo=UTC)
RULES = MatchRules(label_prefix="kr:", known_krs=frozenset({"ENG-1.1"}))


@pytest.fixture
def sim(deployment: str) -> Iterator[JiraSimulator]:
    """A site with projects ENG, OPS and HR; its requests must conform to the OpenAPI."""
    with JiraSimulator(email=EMAIL, token=TOKEN, personal_access_token=PAT, deployment=deployment) as site:
        for project in ("ENG", "OPS", "HR"):
            site.create_project(project)
        yield site
        if JIRA_SPEC.is_file():
            assert JiraSpec().problems(site.requests) == []


@pytest.fixture
def source(sim: JiraSimulator) -> Iterator[JiraAdapter]:
    """The source following OPS and ENG (in that order: the partition name sorts them)."""
    adapter = JiraAdapter(flavour_config(sim, projects=["OPS", "ENG"], poll_overlap="60s"))
    yield adapter
    adapter.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite store."""
    engine = migrated_copy(tmp_path)
    yield engine
    engine.dispose()


def searches(sim: JiraSimulator) -> list[str]:
    """The JQL of every search, in order."""
    return [str(r.body["jql"]) for r in sim.requests if r.path == sim.site.search_path]


def saved(store: Engine, result: PollResult) -> None:
    """Apply a poll to the store as the scheduler does."""
    with store.begin() as conn:
        save_poll(conn, "acme-jira", result, RULES, LATER)


def live(store: Engine) -> dict[str, str]:
    """Live mirrored tasks: key -> container."""
    query = select(TASKS.c.external_id, TASKS.c.container).where(TASKS.c.deleted.is_(False))
    with store.connect() as conn:
        return {row.external_id: row.container for row in conn.execute(query)}


class TestOnePartition:
    """The source is one partition, polled with one search."""

    def test_the_partition_is_the_sorted_project_keys(self, source: JiraAdapter) -> None:
        """`ENG,OPS`; a single project keeps its old per-project name; a long list is named by a digest."""
        assert source.partitions() == ["ENG,OPS"]
        assert partition_name(["ENG"]) == "ENG"
        many = partition_name([f"P{n:04}" for n in range(100)])
        assert len(many) <= 200
        assert many.startswith("100 projects sha256:")

    def test_an_idle_poll_of_two_projects_is_one_request(self, sim: JiraSimulator, source: JiraAdapter) -> None:
        """Backfill, settle, then idle: one search over both projects, no issue delivered again."""
        sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"])
        sim.create_issue("OPS", "Run it", labels=["kr:ENG-1.1"])
        (partition,) = source.partitions()
        first = source.poll(None, partition, LATER)
        assert sorted(s.external_id for s in first.snapshots) == ["ENG-1", "OPS-1"]
        settle = source.poll(first.bookmark, partition, LATER)
        before = len(searches(sim))
        idle = source.poll(settle.bookmark, partition, LATER)
        assert (idle.requests, idle.snapshots, idle.partition) == (1, (), "ENG,OPS")
        (jql,) = searches(sim)[before:]
        assert jql.startswith('project in ("OPS", "ENG") AND updated >= ')

    def test_the_jql_option_is_anded_with_both_projects(self, sim: JiraSimulator) -> None:
        """`jql: issuetype = Bug` narrows the one search."""
        adapter = JiraAdapter(flavour_config(sim, projects=["ENG", "OPS"], jql="issuetype = Bug"))
        try:
            adapter.reconcile("ENG,OPS", LATER)
        finally:
            adapter.close()
        assert searches(sim) == ['project in ("ENG", "OPS") AND (issuetype = Bug) ORDER BY updated ASC']

    def test_an_older_per_project_bookmark_is_not_read_as_the_sources(
        self, sim: JiraSimulator, source: JiraAdapter
    ) -> None:
        """Upgraded from per-project partitions: a poll handed the old `ENG` bookmark lists everything once,
        under the new partition (the scheduler never hands it one: the new name has no bookmark, so it reconciles)."""
        sim.create_issue("ENG", "Ship it")
        sim.create_issue("OPS", "Run it")
        old = JiraAdapter(flavour_config(sim, poll_overlap="60s"))
        try:
            old_bookmark = old.poll(None, "ENG", LATER).bookmark
        finally:
            old.close()
        result = source.poll(old_bookmark, "ENG", LATER)
        assert result.partition == result.bookmark.partition == "ENG,OPS"
        assert sorted(s.external_id for s in result.snapshots) == ["ENG-1", "OPS-1"]
        assert "updated >=" not in searches(sim)[-1]


class TestReconciliation:
    """One complete listing of both projects; in the store, what neither lists leaves the mirror."""

    def test_the_listing_is_complete_over_both_projects(self, sim: JiraSimulator, source: JiraAdapter) -> None:
        """Containers ENG and OPS, in one search."""
        sim.create_issue("ENG", "Ship it")
        sim.create_issue("OPS", "Run it")
        before = len(searches(sim))
        result = source.reconcile("ENG,OPS", LATER)
        assert (result.complete, result.containers, result.partition) == (True, ("OPS", "ENG"), "ENG,OPS")
        assert sorted(s.external_id for s in result.snapshots) == ["ENG-1", "OPS-1"]
        assert len(searches(sim)) == before + 1

    def test_deletion_and_moves_are_found_by_reconciliation(
        self, sim: JiraSimulator, source: JiraAdapter, store: Engine
    ) -> None:
        """ENG-2 deleted and OPS-1 moved to HR (not followed) leave; ENG-1 moved to OPS stays as OPS-2."""
        sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"])
        sim.create_issue("ENG", "Obsolete", labels=["kr:ENG-1.1"])
        sim.create_issue("OPS", "Run it", labels=["kr:ENG-1.1"])
        saved(store, source.reconcile("ENG,OPS", LATER))
        assert live(store) == {"ENG-1": "ENG", "ENG-2": "ENG", "OPS-1": "OPS"}

        sim.delete_issue("ENG-2")
        assert sim.move_issue("OPS-1", "HR") == "HR-1"
        assert sim.move_issue("ENG-1", "OPS") == "OPS-2"
        saved(store, source.reconcile("ENG,OPS", LATER))
        assert live(store) == {"OPS-2": "OPS"}
        with store.connect() as conn:
            assert set(partition_states(conn, "acme-jira")) == {"ENG,OPS"}

    def test_a_move_between_followed_projects_is_polled_under_its_new_key(
        self, sim: JiraSimulator, source: JiraAdapter
    ) -> None:
        """The incremental poll sees OPS-1 (ex ENG-1), its `updated` moved by the move."""
        sim.create_issue("ENG", "Ship it")
        first = source.poll(None, "ENG,OPS", LATER)
        sim.move_issue("ENG-1", "OPS")
        second = source.poll(first.bookmark, "ENG,OPS", LATER)
        assert [(s.external_id, s.container) for s in second.snapshots] == [("OPS-1", "OPS")]
