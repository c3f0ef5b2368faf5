"""CSV exports: a KR's check-in history and the overview, as the store has them; formulas neutralised."""

from __future__ import annotations

import csv
import io

import httpx

from syncd.config.views import build_okr
from syncd.store.goals_read import read_kr_page
from syncd.store.status_query import read_status
from syncd.web.dashboard.exports import HISTORY_COLUMNS, OVERVIEW_COLUMNS, spreadsheet_safe
from tests.support.goals_world import GoalsWorld


def rows(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.text)))


class TestKrHistory:
    """`/kr/<id>.csv` has one row per check-in, oldest first, times in UTC."""

    def test_one_row_per_check_in(self, viewer: httpx.Client, played: GoalsWorld) -> None:
        page = read_kr_page(played.engine(), build_okr(played.config()), "ENG-1.2", played.runtime().clock())
        answer = viewer.get("/kr/ENG-1.2.csv")
        assert answer.headers["content-disposition"] == 'attachment; filename="ENG-1.2.csv"'
        got = rows(answer)
        assert list(got[0]) == list(HISTORY_COLUMNS)
        assert [(r["kind"], float(r["progress"])) for r in got] == [(p.kind, p.progress) for p in page.history]
        assert all(r["at"].endswith("Z") for r in got)
        assert "onboarding emails shipped" in {r["note"] for r in got}

    def test_an_unknown_kr_is_404_and_a_stranger_is_sent_to_login(self, viewer: httpx.Client, url: str) -> None:
        assert viewer.get("/kr/NOPE-1.csv").status_code == 404
        assert httpx.get(url + "/kr/ENG-1.1.csv").status_code == 303


class TestOverview:
    """`/export/overview.csv?cycle=` has a row per objective and per KR of it, with percent and status."""

    def test_every_objective_and_kr_of_the_cycle(self, viewer: httpx.Client, played: GoalsWorld) -> None:
        report = read_status(played.engine(), played.config(), played.runtime().clock())
        got = rows(viewer.get("/export/overview.csv", params={"cycle": "2026-Q4"}))
        assert list(got[0]) == list(OVERVIEW_COLUMNS)
        expected = []
        for objective in (o for o in report.objectives if o.cycle == "2026-Q4"):
            expected.append((objective.id, "", str(objective.percent), objective.status))
            expected += [(objective.id, kr.id, str(kr.percent), kr.status) for kr in objective.key_results]
        assert [(r["objective"], r["key_result"], r["percent"], r["status"]) for r in got] == expected

    def test_without_a_cycle_every_cycle_is_exported(self, viewer: httpx.Client) -> None:
        assert {r["cycle"] for r in rows(viewer.get("/export/overview.csv"))} == {"2026-Q4", "2027-H1"}


def test_cells_a_spreadsheet_would_run_are_quoted() -> None:
    """A title starting with = + - @ is exported as text, not a formula."""
    assert [spreadsheet_safe(v) for v in ("=HYPERLINK()", "+1", "-x", "@a", "plain", 3, None)] == [
        "'=HYPERLINK()",
        "'+1",
        "'-x",
        "'@a",
        "plain",
        3,
        "",
    ]
