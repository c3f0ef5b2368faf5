"""The dashboard in a real browser against a real `syncd run` on a seeded store (issue 21's acceptance)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from syncd.config.views import build_okr
from syncd.store.goals_read import read_kr_page
from syncd.store.status_query import read_status
from tests.browser.conftest import Live, Watched
from tests.support.daemon import wait_until
from tests.support.goals_world import VIEWER_TOKEN

pytestmark = pytest.mark.slow
PAGES = {"overview": "/", "key-result": "/kr/ENG-1.1", "objective": "/objective/ENG-1", "sources": "/sources"}


class TestAccess:
    """Login is required; a wrong token is refused; logout ends the session."""

    def test_login_required_wrong_token_refused_logout_works(self, watched: Watched) -> None:
        page = watched.page
        page.goto(watched.base + "/")
        assert page.url == watched.base + "/login"
        watched.login("not-the-token")
        assert page.locator("p.error").inner_text() == "That is not the viewer token."
        watched.login()
        assert page.url == watched.base + "/"
        assert page.locator("li.objective").count() == 2
        page.click("form.logout button")
        page.wait_for_url(watched.base + "/login")
        page.goto(watched.base + "/kr/ENG-1.1")
        assert page.url == watched.base + "/login"

    def test_a_login_link_with_the_token_in_its_fragment_logs_in(self, watched: Watched) -> None:
        """The sandbox prints such a link; the token never reaches the server's logs or the address bar."""
        watched.page.goto(f"{watched.base}/login#token={VIEWER_TOKEN}")
        watched.page.wait_for_url(watched.base + "/")
        assert watched.page.locator("li.objective").count() == 2
        assert all(VIEWER_TOKEN not in url for url in watched.requests)


class TestPages:
    """What the pages show is what the store has."""

    def test_the_overview_shows_each_percent_and_status_as_the_store_has_them(
        self, watched: Watched, live: Live, screenshots: Any
    ) -> None:
        watched.login()
        report = read_status(live.world.engine(), live.world.config(), live.world.runtime().clock())
        page = watched.page
        for objective in (o for o in report.objectives if o.cycle == "2026-Q4"):
            items = [(objective.id, objective.percent, objective.status, "objective")]
            items += [(kr.id, kr.percent, kr.status, "kr") for kr in objective.key_results]
            for item_id, percent, status, kind in items:
                row = page.locator(f'[id="{kind}-{item_id}"] > .row')
                assert row.locator(".percent").inner_text() == f"{percent}%"
                assert row.locator(".status").inner_text().strip() == status.replace("_", " ")
        screenshots(page, "overview")

    def test_the_kr_chart_has_one_point_per_check_in_and_the_expected_line(
        self, watched: Watched, live: Live, screenshots: Any
    ) -> None:
        watched.login()
        engine = live.world.engine()
        detail = read_kr_page(engine, build_okr(live.world.config()), "ENG-1.1", live.world.runtime().clock())
        page = watched.page
        page.goto(watched.base + "/kr/ENG-1.1")
        points = page.locator("svg.chart circle.point")
        assert points.count() == len([p for p in detail.history if p.kind == "progress"])
        assert page.locator("svg.chart path.expected").count() == 1
        assert page.locator("svg.chart path.scope").count() == 1
        screenshots(page, "key-result")
        page.goto(watched.base + "/objective/ENG-1")
        assert page.locator("svg.chart-small").count() == 2
        screenshots(page, "objective")
        page.goto(watched.base + "/sources")
        assert page.locator("#source-acme-github").count() == 1
        screenshots(page, "sources")

    def test_a_phone_width_shows_the_overview_without_sideways_scrolling(
        self, browser: Any, live: Live, screenshots: Any
    ) -> None:
        context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
        page = context.new_page()
        seen = Watched(page, live.url)
        seen.login()
        page.goto(live.url + "/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        screenshots(page, "phone")
        context.close()


class TestLive:
    """The story's moves reach the charts: tasks added and removed in the tracker show as a scope change."""

    def test_scope_changes_appear_after_tasks_are_added_and_removed(self, watched: Watched, live: Live) -> None:
        watched.login()
        page = watched.page
        page.goto(watched.base + "/kr/ENG-1.1")
        before = page.locator("svg.chart circle.point").count()
        live.sim.create_issue("acme/web", "Issue 9", labels=["kr:ENG-1.1"])
        live.sim.create_issue("acme/web", "Issue 10", labels=["kr:ENG-1.1"])
        live.sim.close_issue("acme/web", 5, "not_planned")

        def moved() -> bool:
            page.goto(watched.base + "/kr/ENG-1.1")
            return page.locator("svg.chart circle.point").count() > before

        wait_until(moved, timeout=30, what="a new check-in on the KR page", interval=0.5)
        cells = page.locator("td.scope-change").all_inner_texts()
        assert sum(int(n) for cell in cells for n in re.findall(r"\+(\d+) task", cell)) >= 6  # 4 seeded + 2 new
        assert any("-1 task" in cell for cell in cells[:3])
        assert "+2 tasks" in " ".join(cells[:3])


class TestQuality:
    """No console errors, no request to another origin, every link reachable by keyboard."""

    def test_no_console_errors_and_no_request_to_another_origin(self, watched: Watched) -> None:
        watched.login()
        for path in [*PAGES.values(), "/kr/ENG-1.2", "/?cycle=2027-H1"]:
            watched.page.goto(watched.base + path)
            watched.page.wait_for_load_state("networkidle")
        assert watched.errors == []
        assert watched.foreign() == []
        assert any(url.endswith("/static/dashboard.css") for url in watched.requests)

    def test_the_csp_header_is_on_every_page(self, live: Live) -> None:
        with httpx.Client(base_url=live.url) as client:
            client.post("/login", data={"token": live.world.config().server.viewer_token.get_secret_value()})  # type: ignore[union-attr]
            for path in PAGES.values():
                assert "default-src 'none'" in client.get(path).headers["content-security-policy"]

    @pytest.mark.parametrize("name", list(PAGES))
    def test_tab_reaches_every_link(self, watched: Watched, name: str) -> None:
        watched.login()
        page = watched.page
        page.goto(watched.base + PAGES[name])
        targets = page.evaluate(
            "Array.from(document.querySelectorAll('a[href], button')).map((e, i) => (e.dataset.k = String(i)))"
        )
        reached: set[str] = set()
        for _ in range(len(targets) + 5):
            page.keyboard.press("Tab")
            key = page.evaluate("document.activeElement && document.activeElement.dataset.k")
            if key is not None:
                reached.add(key)
        assert reached == set(targets)
