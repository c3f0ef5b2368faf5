"""The request the simulated Asana logs: what it saw of one API call (paths relative to `/api/1.0`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from syncd.simulators.kit.request_log import QueryParameters


@dataclass(frozen=True)
class LoggedRequest(QueryParameters):
    """One API request as the simulator saw it (paths are relative to `/api/1.0`)."""

    at: float
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    status: int
    retry_after: float | None = None
