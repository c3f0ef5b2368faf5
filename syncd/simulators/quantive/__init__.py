"""A simulated Quantive Results API (`/results/api/v1`): metrics, check-ins, bearer token + gtmhub-accountId.

`GET /metrics/{id}` answers the metric (`id`, `name`, `actual`, `target`); `POST /metrics/{id}/checkin` takes
`actual` (number), `checkInDate` (YYYY-MM-DD) and an optional `comment`, sets the metric's `actual` and keeps the
check-in in its history (`updates`). A wrong body is a 400 naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from syncd.simulators.kit.metric_store import Answer, MetricStoreSimulator

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class QuantiveSimulator(MetricStoreSimulator):
    """Quantive Results for one account."""

    vendor = "Quantive"

    def __init__(self, token: str, account_id: str) -> None:
        super().__init__(token, prefix="/results/api/v1")
        self.account_id = account_id

    def required_headers(self) -> Mapping[str, str]:
        """Quantive requires the account in `gtmhub-accountId`."""
        return {"gtmhub-accountid": self.account_id}

    def routes(self) -> list[tuple[str, str, Callable[..., Answer]]]:
        """Read a metric, check in on it."""
        return [("GET", "/metrics/{id}", self._metric), ("POST", "/metrics/{id}/checkin", self._check_in)]

    def _metric(self, metric_id: str, _headers: Mapping[str, str], _body: Any) -> Answer:
        metric = self.metrics.get(metric_id)
        if metric is None:
            return 404, {"error": f"metric {metric_id} not found"}
        return 200, {"id": metric.id, "name": metric.name, "actual": metric.actual, "target": metric.target}

    def _check_in(self, metric_id: str, _headers: Mapping[str, str], body: Any) -> Answer:
        metric = self.metrics.get(metric_id)
        if metric is None:
            return 404, {"error": f"metric {metric_id} not found"}
        if not isinstance(body, dict) or not isinstance(body.get("actual"), int | float):
            return 400, {"error": "actual must be a number"}
        if not isinstance(body.get("checkInDate"), str) or not _DAY.match(body["checkInDate"]):
            return 400, {"error": "checkInDate must be a date (YYYY-MM-DD)"}
        if not isinstance(body.get("comment", ""), str):
            return 400, {"error": "comment must be a string"}
        metric.actual = float(body["actual"])
        metric.updates.append(dict(body))
        return 200, {"id": metric.id, "actual": metric.actual, "checkInDate": body["checkInDate"]}
