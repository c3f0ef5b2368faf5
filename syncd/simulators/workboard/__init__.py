"""A simulated WorkBoard API (`/wb/apis`): metrics read and updated with a bearer token.

`GET /metric/{id}` answers `{"success": true, "data": {"metric": {metric_id, metric_name, metric_data,
metric_target}}}`; `PUT /metric/{id}` takes `metric_data` (a number) and an optional `metric_comment`, sets
the value and keeps the update in the metric's history (`updates`). A wrong body is a 400 naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from syncd.simulators.kit.metric_store import Answer, Metric, MetricStoreSimulator


class WorkBoardSimulator(MetricStoreSimulator):
    """WorkBoard for one organisation."""

    vendor = "WorkBoard"

    def __init__(self, token: str) -> None:
        super().__init__(token, prefix="/wb/apis")

    def routes(self) -> list[tuple[str, str, Callable[..., Answer]]]:
        """Read a metric, update it."""
        return [("GET", "/metric/{id}", self._metric), ("PUT", "/metric/{id}", self._update)]

    def _metric(self, metric_id: str, _headers: Mapping[str, str], _body: Any) -> Answer:
        metric = self.metrics.get(metric_id)
        if metric is None:
            return 404, {"success": False, "message": f"metric {metric_id} not found"}
        return 200, {"success": True, "data": {"metric": _shape(metric)}}

    def _update(self, metric_id: str, _headers: Mapping[str, str], body: Any) -> Answer:
        metric = self.metrics.get(metric_id)
        if metric is None:
            return 404, {"success": False, "message": f"metric {metric_id} not found"}
        if not isinstance(body, dict) or not isinstance(body.get("metric_data"), int | float):
            return 400, {"success": False, "message": "metric_data must be a number"}
        if not isinstance(body.get("metric_comment", ""), str):
            return 400, {"success": False, "message": "metric_comment must be a string"}
        metric.actual = float(body["metric_data"])
        metric.updates.append(dict(body))
        return 200, {"success": True, "data": {"metric": _shape(metric)}}


def _shape(metric: Metric) -> dict[str, Any]:
    return {
        "metric_id": metric.id, "metric_name": metric.name, "metric_data": metric.actual,
        "metric_target": metric.target,
    }  # fmt: skip
