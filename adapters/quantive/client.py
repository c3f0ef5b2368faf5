"""The only module of the Quantive store that does I/O: the Results REST API over httpx.

Every request carries `Authorization: Bearer <token>` and `gtmhub-accountId` (Quantive's "Usage" page: any
request must name the account in that header). A check-in is `POST /metrics/{id}/checkin`; reading a metric is
`GET /metrics/{id}`. Failures are mapped by `adapters.store_http`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from adapters.quantive.config import QuantiveStoreConfig
from adapters.store_http import StoreHttp
from syncd.core.errors import Permanent


class QuantiveClient:
    """Blocking Quantive Results calls for one store."""

    def __init__(self, config: QuantiveStoreConfig, transport: httpx.BaseTransport | None = None) -> None:
        headers = {"authorization": f"Bearer {config.token.get_secret_value()}", "gtmhub-accountId": config.account_id}
        self.http = StoreHttp("Quantive", config.base_url, headers, config.timeout.total_seconds(), transport)

    def metric(self, metric_id: str) -> dict[str, Any]:
        """One metric (key result) as Quantive serves it: `id`, `name`, `actual`, `target`, ..."""
        response = self.http.request("GET", f"/metrics/{metric_id}", where=f"reading metric {metric_id}")
        return _object(response, f"metric {metric_id}")

    def check_in(self, metric_id: str, actual: float, day: date, comment: str) -> dict[str, Any]:
        """Record one check-in on a metric: its new `actual`, the day, and a comment."""
        body = {"actual": actual, "checkInDate": day.isoformat(), "comment": comment}
        response = self.http.request("POST", f"/metrics/{metric_id}/checkin", json=body,
                                     where=f"a check-in on metric {metric_id}")  # fmt: skip
        return _object(response, f"the check-in on metric {metric_id}") if response.content else {}

    def close(self) -> None:
        """Release connections."""
        self.http.close()


def _object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        raise Permanent(f"Quantive answered {what} with something that is not JSON") from None
    if not isinstance(data, dict):
        raise Permanent(f"Quantive answered {what} with JSON that is not an object")
    return data
