"""Polling a Jira project: JQL dates are minutes in the API user's time zone, so each poll reaches back to the
minute (and the overlap) and a seen-set keeps what was already delivered from coming back; reconciliation
finds deleted issues. Run against the simulated site, whose clock the tests set, on both flavours (Cloud pages
`POST /rest/api/3/search/jql` by `nextPageToken`, Data Center `POST /rest/api/2/search` by `startAt`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.jira.adapter import JiraAdapter
from syncd.simulators.jira import JiraSimulator
from tests.jira.openapi import JIRA_SPEC, JiraSpec
from tests.jira.support import EMAIL, FLAVOURS, PAT, TOKEN, flavour_config

pytestmark = pytest.mark.parametrize("deployment", FLAVOURS, indirect=True)

#: 18:30:45 UTC on 1 December is 10:30:45 in Los Angeles (PST, UTC-8), the API user's zone.
START = datetime(2026, 12, 1, 18, 30, 45, tzinfo=UTC)
LATER = datetime(2026, 12, 2, tzinfo=UTC)


class SiteClock:
    """The simulated site's clock, set by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> SiteClock:
    """The site's clock."""
    return SiteClock()


@pytest.fixture
def sim(clock: SiteClock, deployment: str) -> Iterator[JiraSimulator]:
    """A site whose changes are stamped by `clock`; its requests must conform to the OpenAPI."""
    with JiraSimulator(email=EMAIL, token=TOKEN, personal_access_token=PAT, clock=clock, deployment=deployment) as site:
        site.create_project("ENG")
        yield site
        if JIRA_SPEC.is_file():
            assert JiraSpec().problems(site.requests) == []


def adapter(sim: JiraSimulator, overlap: str) -> JiraAdapter:
    """The source's adapter with `poll_overlap`."""
    return JiraAdapter(flavour_config(sim, poll_overlap=overlap))


def searched(sim: JiraSimulator) -> list[str]:
    """The JQL of every search, in order."""
    return [str(r.body["jql"]) for r in sim.requests if r.path == sim.site.search_path]


class TestBookmark:
    """The incremental poll after a first one."""

    def test_the_jql_date_is_the_bookmark_less_the_overlap_in_the_users_zone_to_the_minute(
        self, sim: JiraSimulator
    ) -> None:
        """Bookmark 18:30:45 UTC less a minute is 10:29:45 in Los Angeles: the poll asks from "10:29"."""
        sim.create_issue("ENG", "Ship it", labels=["kr:ENG-1.1"])
        source = adapter(sim, "60s")
        first = source.poll(None, "ENG", LATER)
        second = source.poll(first.bookmark, "ENG", LATER)
        assert searched(sim) == [
            'project in ("ENG") ORDER BY updated ASC',
            'project in ("ENG") AND updated >= "2026/12/01 10:29" ORDER BY updated ASC',
        ]
        assert [s.external_id for s in first.snapshots] == ["ENG-1"]
        assert second.snapshots == ()
        source.close()

    def test_a_change_later_in_the_same_minute_is_found_with_a_short_overlap(
        self, sim: JiraSimulator, clock: SiteClock
    ) -> None:
        """ENG-2 changes 5 s after the bookmark, in the same minute: found (the JQL date
        is floored to 10:30, not rounded to 10:31); ENG-1, read again but unchanged, is not delivered again."""
        sim.create_issue("ENG", "Ship it")
        source = adapter(sim, "1s")
        first = source.poll(None, "ENG", LATER)
        clock.now = START + timedelta(seconds=5)
        sim.create_issue("ENG", "Write the docs")
        second = source.poll(first.bookmark, "ENG", LATER)
        assert [s.external_id for s in second.snapshots] == ["ENG-2"]
        clock.now = START + timedelta(seconds=9)
        sim.transition("ENG-1", "done", "Done")
        third = source.poll(second.bookmark, "ENG", LATER)
        assert [(s.external_id, s.state.value) for s in third.snapshots] == [("ENG-1", "done")]
        source.close()

    def test_the_bookmark_never_passes_the_polls_start(self, sim: JiraSimulator) -> None:
        """A poll that started before the newest change keeps its bookmark at its own start (re-read next time)."""
        sim.create_issue("ENG", "Ship it")
        source = adapter(sim, "1s")
        started = START - timedelta(minutes=5)
        result = source.poll(None, "ENG", started)
        assert result.bookmark.cursor is not None
        assert f'"at":"{started.isoformat()}"' in result.bookmark.cursor
        source.close()


class TestReconcile:
    """A full listing of the project is complete: deleted issues are missing from it."""

    def test_a_deleted_issue_is_missing_from_the_complete_listing(self, sim: JiraSimulator) -> None:
        """Two issues, one deleted: the listing is complete and holds the other."""
        sim.create_issue("ENG", "Ship it")
        sim.create_issue("ENG", "Obsolete")
        sim.delete_issue("ENG-2")
        source = adapter(sim, "60s")
        result = source.reconcile("ENG", LATER)
        assert result.complete
        assert [s.external_id for s in result.snapshots] == ["ENG-1"]
        source.close()


class TestPaging:
    """A listing longer than a page is read in pages of 100, each flavour its own way."""

    def test_250_issues_come_in_three_pages(self, sim: JiraSimulator) -> None:
        """Cloud follows `nextPageToken`; Data Center moves `startAt` by what came until `total`."""
        for number in range(250):
            sim.create_issue("ENG", f"Task {number}", emit=False)
        source = adapter(sim, "60s")
        result = source.reconcile("ENG", LATER)
        assert len({s.external_id for s in result.snapshots}) == 250
        pages = [r.body for r in sim.requests if r.path == sim.site.search_path]
        if sim.site.cloud:
            assert [page.get("nextPageToken") is None for page in pages] == [True, False, False]
        else:
            assert [(page["startAt"], page["maxResults"]) for page in pages] == [(0, 100), (100, 100), (200, 100)]
        assert result.requests == 3 + 2  # serverInfo and GET /field (the default points field) come once, first
        source.close()
