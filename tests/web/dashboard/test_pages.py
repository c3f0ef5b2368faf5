"""The dashboard's pages on a seeded store, over real HTTP: the store's numbers, the charts, the CSP."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import httpx
import pytest

from syncd.config.views import build_okr
from syncd.store.goals_read import read_kr_page
from syncd.store.status_query import read_status
from syncd.web.dashboard.charts import bar_width
from syncd.web.dashboard.routes import CSP
from syncd.web.dashboard.views import Clock, status_colour
from tests.support.goals_world import GoalsWorld

PAGES = ["/", "/kr/ENG-1.1", "/kr/ENG-1.2", "/objective/ENG-1", "/sources", "/?cycle=2027-H1"]


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and every element's id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


class TestOverview:
    """`/` shows every objective of the cycle and its KRs with the percentages and statuses the store has."""

    def test_every_objective_and_kr_shows_the_store_s_percent_and_status(
        self, viewer: httpx.Client, played: GoalsWorld
    ) -> None:
        page = parse(viewer.get("/").text)
        engine = played.engine()
        report = read_status(engine, played.config(), played.runtime().clock())
        shown = 0
        for objective in (o for o in report.objectives if o.cycle == "2026-Q4"):
            [node] = page.find("li", id=f"objective-{objective.id}")
            assert (node["data-percent"], node["data-status"]) == (str(objective.percent), objective.status)
            for kr in objective.key_results:
                [item] = page.find("li", id=f"kr-{kr.id}")
                assert (item["data-percent"], item["data-status"]) == (str(kr.percent), kr.status)
                shown += 1
        assert shown == 3

    def test_the_aligned_child_is_nested_under_its_parent(self, viewer: httpx.Client) -> None:
        html = viewer.get("/").text
        parent, child = html.index('id="objective-ENG-1"'), html.index('id="objective-ENG-2"')
        children = html.index('class="children"')
        assert parent < children < child

    def test_the_cycle_picker_lists_both_cycles_and_the_other_shows_its_objectives(self, viewer: httpx.Client) -> None:
        page = parse(viewer.get("/").text)
        assert page.find("a", href="/?cycle=2026-Q4")
        assert page.find("a", href="/?cycle=2027-H1")
        other = parse(viewer.get("/?cycle=2027-H1").text)
        assert other.find("li", id="objective-OPS-1")
        assert not other.find("li", id="objective-ENG-1")

    def test_owner_kr_count_and_the_expected_marker_are_shown(self, viewer: httpx.Client) -> None:
        html = viewer.get("/").text
        assert "Owner Ada Lovelace · 2 key results" in html
        assert html.count('class="bar-expected"') == 5  # two objectives, three KRs

    def test_an_unknown_cycle_is_404(self, viewer: httpx.Client) -> None:
        assert viewer.get("/?cycle=1999").status_code == 404

    def test_each_kr_row_links_its_page_fills_its_bar_and_shows_its_last_change_in_the_viewer_s_zone(
        self, viewer: httpx.Client, played: GoalsWorld
    ) -> None:
        report = read_status(played.engine(), played.config(), played.runtime().clock())
        viewer.cookies.set("tz", "Asia/Tokyo")
        try:
            html = viewer.get("/").text
        finally:
            viewer.cookies.delete("tz")
        tokyo = Clock(ZoneInfo("Asia/Tokyo"))
        rows = 0
        for objective in (o for o in report.objectives if o.cycle == "2026-Q4"):
            for kr in objective.key_results:
                row = re.search(rf'<li class="kr" id="kr-{re.escape(kr.id)}".*?</li>', html, re.S)
                assert row is not None, kr.id
                page = parse(row.group(0))
                assert page.find("a", href=f"/kr/{kr.id}")
                assert page.find("rect", width=str(bar_width(kr.progress)), fill=status_colour(kr.status))
                assert page.find("line", x1=str(bar_width(objective.expected)))
                assert kr.last_change is not None
                assert f"{kr.amount} · last change {tokyo.time(kr.last_change)}" in row.group(0)
                assert kr.status.replace("_", " ") in row.group(0)
                rows += 1
        assert rows == 3


class TestKeyResult:
    """`/kr/<id>`: one chart point per progress check-in, the expected and scope lines, tasks by source."""

    def test_one_point_per_check_in_and_the_expected_line(self, viewer: httpx.Client, played: GoalsWorld) -> None:
        detail = read_kr_page(played.engine(), build_okr(played.config()), "ENG-1.1", played.runtime().clock())
        progress = [p for p in detail.history if p.kind == "progress"]
        page = parse(viewer.get("/kr/ENG-1.1").text)
        assert len(page.find("circle", **{"class": "point"})) == len(progress) == 5
        assert page.find("path", **{"class": "expected"})
        assert page.find("path", **{"class": "scope"})

    def test_tasks_joining_and_leaving_show_on_their_check_ins(self, viewer: httpx.Client) -> None:
        html = viewer.get("/kr/ENG-1.1").text
        cells = re.findall(r'<td class="scope-change">([^<]*)</td>', html)
        # newest first: #4 done; #3 dropped; #5 and #6 added with #2 done; #1 done; #1-#4 linked
        assert cells == ["", "-1 task", "+2 tasks", "", "+4 tasks"]

    def test_tasks_are_listed_by_source_with_share_and_tracker_link(self, viewer: httpx.Client) -> None:
        html = viewer.get("/kr/ENG-1.1").text
        assert "<h3>acme-github</h3>" in html
        assert 'href="https://github.example/acme/web/issues/5"' in html
        assert html.count("20.0%") == 5  # five counted tasks of weight 1
        assert "0.0%" in html  # the dropped one has no share

    def test_a_metric_kr_lists_its_check_ins_with_notes_and_draws_no_scope(self, viewer: httpx.Client) -> None:
        html = viewer.get("/kr/ENG-1.2").text
        assert "onboarding emails shipped" in html
        assert "first cohort measured" in html
        assert len(re.findall(r'class="metric-check-in"', html)) == 3
        assert 'class="scope"' not in html

    def test_an_id_in_another_case_is_found_and_an_unknown_one_is_404(self, viewer: httpx.Client) -> None:
        assert viewer.get("/kr/eng-1.1").status_code == 200
        missing = viewer.get("/kr/ENG-9.9")
        assert missing.status_code == 404
        assert "no key result ENG-9.9" in missing.text


class TestObjectiveAndSources:
    """`/objective/<id>` has a small chart per KR; `/sources` lists each source's health and the queues."""

    def test_the_objective_page_has_a_card_and_chart_per_kr(self, viewer: httpx.Client) -> None:
        page = parse(viewer.get("/objective/ENG-1").text)
        assert [a["id"] for a in page.find("section") if (a.get("class") or "").startswith("card")] == [
            "kr-ENG-1.1",
            "kr-ENG-1.2",
        ]
        assert len(page.find("svg", **{"class": "chart chart-small"})) == 2
        assert viewer.get("/objective/NOPE").status_code == 404

    def test_the_sources_page_lists_the_source_and_the_queues(self, viewer: httpx.Client) -> None:
        html = viewer.get("/sources").text
        assert 'id="source-acme-github"' in html
        assert "Deliveries waiting" in html
        assert "Failing writes" in html


class TestHeadersAndTimes:
    """Every dashboard answer has the strict CSP; times are in the viewer's zone, labelled, else UTC."""

    @pytest.mark.parametrize("path", [*PAGES, "/static/dashboard.css", "/login", "/kr/ENG-1.1.csv"])
    def test_every_answer_carries_the_strict_csp(self, viewer: httpx.Client, path: str) -> None:
        answer = viewer.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-security-policy"] == CSP
        assert answer.headers["x-content-type-options"] == "nosniff"

    def test_no_page_names_another_origin_or_inline_script_or_style(self, viewer: httpx.Client) -> None:
        for path in PAGES:
            page = parse(viewer.get(path).text)
            assert all(a.get("src", "").startswith("/static/") for a in page.find("script"))  # type: ignore[union-attr]
            assert all((a.get("href") or "").startswith(("/static/", "data:")) for a in page.find("link"))
            assert not page.find("style")
            assert not [a for _, a in page.tags if "style" in a]

    def test_times_are_utc_without_a_zone_cookie_and_local_with_one(self, viewer: httpx.Client) -> None:
        assert 'Times in <span class="zone">UTC</span>' in viewer.get("/").text
        viewer.cookies.set("tz", "Asia/Tokyo")
        html = viewer.get("/kr/ENG-1.1").text
        assert "Asia/Tokyo" in html
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d Asia/Tokyo", html)
        viewer.cookies.set("tz", "Not/AZone")
        assert 'Times in <span class="zone">UTC</span>' in viewer.get("/").text
