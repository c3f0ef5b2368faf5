"""The Quantive OKR store: a KR's value is checked in on its Quantive metric, once per change.

A check-in is a create (Quantive keeps each one in the metric's history), so a write whose outcome is unknown
(a timeout, a crash after sending) reads the metric first: if it already holds the value, the earlier
check-in landed and none is made again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from adapters.metric_store import MetricStore
from adapters.quantive.client import QuantiveClient
from adapters.quantive.config import QuantiveStoreConfig
from syncd.config.okr_store import OkrStoreConfig
from syncd.ports import PushWrite


def _today() -> date:
    return datetime.now(UTC).date()


class QuantiveStore(MetricStore):
    """One `kind: quantive` store."""

    kind = "quantive"
    title = "Quantive"
    unknown_metric_fix = "copy the key result's id from its URL in Quantive (…/key-result/<id>) into metrics:"
    failure_fix = "check token and account_id"

    def __init__(
        self, config: QuantiveStoreConfig, client: QuantiveClient | None = None, today: Callable[[], date] = _today
    ) -> None:
        self.quantive = client or QuantiveClient(config)
        super().__init__(config, self.quantive)
        self._today = today

    def write(self, metric_id: str, number: float, write: PushWrite) -> None:
        """Check the value in (after an unknown outcome, only if the metric does not hold it already)."""
        if write.unknown and _same(self.quantive.metric(metric_id).get("actual"), number):
            return
        self.quantive.check_in(metric_id, number, self._today(), write.text or "")


def _same(actual: object, number: float) -> bool:
    return isinstance(actual, int | float) and abs(float(actual) - number) < 1e-9


def build_store(config: OkrStoreConfig) -> QuantiveStore:
    """The registry's factory (no I/O until used)."""
    if not isinstance(config, QuantiveStoreConfig):
        raise TypeError(f"a quantive store needs a QuantiveStoreConfig, not {type(config).__name__}")
    return QuantiveStore(config)
