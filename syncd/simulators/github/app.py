"""The simulated GitHub as one Starlette application."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from syncd.simulators.github.http import API_PREFIX, Call, Reply
from syncd.simulators.github.parts import SimParts
from syncd.simulators.github.routes_admin import AdminRoutes
from syncd.simulators.github.routes_extra import ExtraRoutes
from syncd.simulators.github.routes_issues import IssueRoutes
from syncd.simulators.github.state import SimError

_ALL_METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE"]


def _not_found(call: Call) -> Reply:
    raise SimError(404, "Not Found")


def build_app(parts: SimParts) -> Starlette:
    """Every route of the simulator; unknown API paths answer GitHub's 404 (and are logged)."""
    routes: list[Route] = [
        *IssueRoutes(parts).routes(),
        *AdminRoutes(parts).routes(),
        *ExtraRoutes(parts).routes(),
        Route(f"{API_PREFIX}/{{path:path}}", parts.pipeline.endpoint(_not_found, auth="none"), methods=_ALL_METHODS),
    ]
    return Starlette(routes=routes)
