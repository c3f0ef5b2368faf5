"""The only module of the WorkBoard store that does I/O: the REST API v1 over httpx.

Every request carries `Authorization: Bearer <token>` (WorkBoard stopped taking the token as a URL parameter in
2019). Updating a metric is `PUT /metric/{id}` with `metric_data` and `metric_comment`; reading one is
`GET /metric/{id}`, answered `{"success": true, "data": {"metric": {...}}}`. Failures are mapped by
`adapters.store_http`.
"""

from __future__ import annotations

from typing import Any

import httpx

from adapters.store_http import StoreHttp
from adapters.workboard.config import WorkBoardStoreConfig
from syncd.core.errors import Permanent


class WorkBoardClient:
    """Blocking WorkBoard calls for one store."""

    def __init__(self, config: WorkBoardStoreConfig, transport: httpx.BaseTransport | None = None) -> None:
        headers = {"authorization": f"Bearer {config.token.get_secret_value()}"}
        self.http = StoreHttp("WorkBoard", config.base_url, headers, config.timeout.total_seconds(), transport)

    def metric(self, metric_id: str) -> dict[str, Any]:
        """One metric as WorkBoard serves it (`metric_id`, `metric_name`, `metric_data`, ...)."""
        response = self.http.request("GET", f"/metric/{metric_id}", where=f"reading metric {metric_id}")
        try:
            metric = response.json()["data"]["metric"]
        except (ValueError, KeyError, TypeError):
            raise Permanent(f"WorkBoard answered metric {metric_id} in an unknown shape") from None
        if not isinstance(metric, dict):
            raise Permanent(f"WorkBoard answered metric {metric_id} in an unknown shape")
        return metric

    def update(self, metric_id: str, value: float, comment: str) -> None:
        """Set a metric's value, with a comment saying where it came from."""
        body = {"metric_data": value, "metric_comment": comment}
        self.http.request("PUT", f"/metric/{metric_id}", json=body, where=f"updating metric {metric_id}")

    def close(self) -> None:
        """Release connections."""
        self.http.close()
