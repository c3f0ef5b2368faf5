"""Public SVG badges (`/badge/<id>.svg`) of an objective's or a KR's progress and status, for a README.

Drawn on the server from the status the overview shows (the template `badge.svg`); an unknown id is 404. Badges
are cached briefly by clients (`max-age=300`): they are for READMEs, not for watching live.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse, Response

from syncd.config.views import OkrModel
from syncd.runtime.context import Runtime
from syncd.store.goals_read import read_overview
from syncd.store.key_result_detail import read_key_result_status
from syncd.web.dashboard.pages import template_environment
from syncd.web.dashboard.views import status_colour

#: Approximate width of one character of the badge's 11px sans-serif text (SVG user units).
CHAR_WIDTH = 6.5


class Badges:
    """Renders the badge of one objective or KR."""

    def __init__(self, runtime: Runtime, okr: Callable[[], OkrModel]) -> None:
        self.runtime = runtime
        self.okr = okr
        self.template = template_environment().get_template("badge.svg")

    async def answer(self, item_id: str) -> Response:
        """The badge of `item_id` (an objective or KR id), or 404."""
        okr = self.okr()
        now = self.runtime.clock()
        kr_id = okr.rules.canonical(item_id)
        if kr_id is not None:
            kr = await run_in_threadpool(read_key_result_status, self.runtime.engine, okr, kr_id, now)
            return self._svg(kr.id, kr.percent, kr.status, kr.status_text)
        if item_id in okr.objectives:
            objectives = await run_in_threadpool(read_overview, self.runtime.engine, okr, now)
            objective = next(o for o in objectives if o.id == item_id)
            return self._svg(objective.id, objective.percent, objective.status, objective.status_text)
        return PlainTextResponse("Not Found", 404)

    def _svg(self, label: str, percent: int, status: str, words: str) -> Response:
        value = f"{percent}% {status.replace('_', ' ')}"
        left, right = 10 + len(label) * CHAR_WIDTH, 10 + len(value) * CHAR_WIDTH
        body = self.template.render(
            label=label, value=value, left=left, right=right, colour=status_colour(status), title=words
        )
        return Response(body, media_type="image/svg+xml", headers={"cache-control": "max-age=300"})
