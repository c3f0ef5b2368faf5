"""The dashboard's pages: overview, objective, key result, sources; rendered on the server with Jinja2.

Each handler reads the store once (off the event loop) and renders a template of this package; charts are SVG
drawn from `charts`. Unknown ids are 404 pages. Access and headers are `routes`' business.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from syncd.config.views import OkrModel
from syncd.core.status import expected_progress
from syncd.runtime.context import Runtime
from syncd.runtime.okr_cache import OkrCache
from syncd.store.errors import StoreError
from syncd.store.goals_read import read_kr_page, read_objective_krs, read_overview
from syncd.store.status_query import StatusReport, read_status
from syncd.web.dashboard import charts, views

T = TypeVar("T")
TZ_COOKIE = "tz"


def template_environment() -> Environment:
    """The package's templates, autoescaped, with the view helpers as globals."""
    environment = Environment(
        loader=PackageLoader("syncd.web.dashboard", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates ship in the package and change only with it: compiled once, never re-checked on disk.
        auto_reload=False,
    )
    environment.globals.update(colour=views.status_colour, bar=charts.bar_width, scope_text=views.scope_text)
    return environment


class Pages:
    """The page handlers of one app (one template environment, the daemon's runtime)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.templates = template_environment()
        self._okr = OkrCache()

    def okr(self) -> OkrModel:
        """The OKR model of the config in force (built once per loaded config)."""
        return self._okr.model(self.runtime.loaded)

    def render(self, request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Render `name` with the viewer's clock and who is signed in."""
        clock = viewer_clock(request)
        server = self.runtime.config.server
        html = self.templates.get_template(name).render(
            clock=clock,
            user=request.scope.get("syncd.viewer"),
            can_logout=server.viewer_token is not None and request.scope.get("syncd.viewer") == "viewer",
            **context,
        )
        return HTMLResponse(html, status_code)

    def not_found(self, request: Request, what: str) -> HTMLResponse:
        """A 404 page naming what was not found."""
        return self.render(request, "missing.html", 404, what=what)

    async def overview(self, request: Request) -> HTMLResponse:
        """`/`: the objectives of one cycle as a tree, KRs nested (`?cycle=` picks the cycle)."""
        okr = self.okr()
        now = self.runtime.clock()
        everything = await self._read(lambda _now: read_overview(self.runtime.engine, okr, now))
        cycles = list(okr.cycles.values())
        chosen = request.query_params.get("cycle") or _current_cycle(okr, now)
        if cycles and chosen not in okr.cycles:
            return self.not_found(request, f"cycle {chosen}")
        objectives = [o for o in everything if o.cycle == chosen]
        owners = {objective.id: objective.owner for objective in self.runtime.config.objectives}
        return self.render(
            request,
            "overview.html",
            generated_at=now,
            cycles=cycles,
            cycle=okr.cycles.get(chosen) if chosen else None,
            tree=views.objective_tree(objectives, owners, viewer_clock(request)),
        )

    async def objective(self, request: Request) -> HTMLResponse:
        """`/objective/<id>`: the objective's KRs side by side with small charts."""
        okr = self.okr()
        objective_id = request.path_params["objective_id"]
        if objective_id not in okr.objectives:
            return self.not_found(request, f"objective {objective_id}")
        view = okr.objectives[objective_id]
        summaries = await self._read(lambda now: read_objective_krs(self.runtime.engine, okr, objective_id, now))
        now = self.runtime.clock()
        everything = await self._read(lambda _now: read_overview(self.runtime.engine, okr, now))
        status = next(o for o in everything if o.id == objective_id)
        cycle = okr.cycles[view.cycle_id]
        clock = viewer_clock(request)
        cards = [
            (
                s.key_result,
                views.chart(s.history, cycle, now, clock, small=True, scope=s.key_result.measure != "metric"),
            )
            for s in summaries
        ]
        owner = next((o.owner for o in self.runtime.config.objectives if o.id == objective_id), "")
        return self.render(request, "objective.html", objective=status, owner=owner, cycle=cycle, cards=cards)

    async def key_result(self, request: Request) -> HTMLResponse:
        """`/kr/<id>`: the KR's burn-up, its tasks by source, what changed lately, its metric check-ins."""
        okr = self.okr()
        kr_id = okr.rules.canonical(request.path_params["kr_id"])
        if kr_id is None:
            return self.not_found(request, f"key result {request.path_params['kr_id']}")
        now = self.runtime.clock()
        page = await self._read(lambda _now: read_kr_page(self.runtime.engine, okr, kr_id, now))
        view = okr.key_results[kr_id]
        cycle = okr.cycles[view.cycle_id]
        clock = viewer_clock(request)
        return self.render(
            request,
            "key_result.html",
            page=page,
            kr=page.key_result,
            cycle=cycle,
            expected=expected_progress(cycle, now),
            chart=views.chart(page.history, cycle, now, clock, small=False, scope=view.measure.value != "metric"),
            axis=views.axis_days(cycle, clock),
            groups=views.tasks_by_source(page.tasks, view, okr),
            changes=views.recent_changes(page.history, now, clock),
            metric_check_ins=[p for p in page.history if p.kind == "metric"],
            progress_check_ins=[p for p in page.history if p.kind == "progress"][-20:][::-1],
        )

    async def sources(self, request: Request) -> HTMLResponse:
        """`/sources`: each tracker connection's freshness, last error, queue depths, failing writes."""
        report: StatusReport = await self._read(lambda now: read_status(self.runtime.engine, self.runtime.config, now))
        return self.render(request, "sources.html", report=report)

    async def _read(self, read: Callable[[datetime], T]) -> T:
        """Run a store read at the runtime's `now` in a worker thread; an unavailable store raises `StoreError`."""
        now = self.runtime.clock()
        return await run_in_threadpool(read, now)


def viewer_clock(request: Request) -> views.Clock:
    """The clock of the viewer's zone (the `tz` cookie), UTC when it names none."""
    return views.Clock(views.viewer_zone(request.cookies.get(TZ_COOKIE)))


def _current_cycle(okr: OkrModel, now: datetime) -> str | None:
    """The cycle running at `now`, else the latest that started, else the first configured."""
    cycles = list(okr.cycles.values())
    if not cycles:
        return None
    today = now.date()
    running = [c for c in cycles if c.start <= today <= c.end]
    started = sorted((c for c in cycles if c.start <= today), key=lambda c: c.start)
    return (running or started[-1:] or cycles)[0].id


__all__ = ["Pages", "StoreError", "template_environment"]
