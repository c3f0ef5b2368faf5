"""The Quantive OKR store: a KR's value is checked in on its Quantive metric, once per change.

A check-in is a create (Quantive keeps each one in the metric's history), so a write whose outcome is unknown
(a timeout, a crash after sending) reads the metric first: if it already holds the value, the earlier
check-in landed and none is made again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from adapters.okr_values import metric_writes
from adapters.quantive.client import QuantiveClient
from adapters.quantive.config import QuantiveStoreConfig
from syncd.config.okr_store import OkrStoreConfig
from syncd.core.errors import NotFound, Permanent, TrackerError
from syncd.core.pacing import RateLimit
from syncd.ports import OkrState, OnlineCheck, PushWrite, WriteResult

#: Quantive publishes no write limit that we found: a conservative pace unless `writes_per_minute` says more.
DEFAULT_WRITES_PER_MINUTE = 60


def _today() -> date:
    return datetime.now(UTC).date()


class QuantiveStore:
    """One `kind: quantive` store."""

    kind = "quantive"
    max_concurrent_writes = 1

    def __init__(
        self, config: QuantiveStoreConfig, client: QuantiveClient | None = None, today: Callable[[], date] = _today
    ) -> None:
        self.config = config
        self.client = client or QuantiveClient(config)
        self._today = today

    @property
    def name(self) -> str:
        """The store's configured name."""
        return self.config.name

    @property
    def write_limits(self) -> Sequence[RateLimit]:
        """`writes_per_minute`, else 60 a minute."""
        return (RateLimit(self.config.writes_per_minute or DEFAULT_WRITES_PER_MINUTE, timedelta(minutes=1)),)

    def wanted(self, state: OkrState) -> Sequence[PushWrite]:
        """One check-in target per mapped KR."""
        return metric_writes(state, self.config.metrics, self.config.value)

    def apply(self, write: PushWrite) -> WriteResult:
        """Check the value in (after an unknown outcome, only if the metric does not hold it already)."""
        metric_id = self.config.metrics.get(write.key)
        if metric_id is None or write.number is None:
            raise Permanent(f"KR {write.key} is no longer mapped to a Quantive metric in store {self.name}")
        if write.unknown and _same(self.client.metric(metric_id).get("actual"), write.number):
            return WriteResult(metric_id)
        self.client.check_in(metric_id, write.number, self._today(), write.text or "")
        return WriteResult(metric_id)

    def check_online(self) -> Sequence[OnlineCheck]:
        """Each configured metric exists and the token may read it."""
        return [self._check(kr_id, metric_id) for kr_id, metric_id in sorted(self.config.metrics.items())]

    def _check(self, kr_id: str, metric_id: str) -> OnlineCheck:
        what = f"metric of {kr_id}"
        try:
            metric = self.client.metric(metric_id)
        except NotFound:
            fix = "copy the key result's id from its URL in Quantive (…/key-result/<id>) into metrics:"
            return OnlineCheck(self.name, what, False, f"Quantive knows no metric {metric_id}", fix)
        except TrackerError as error:
            return OnlineCheck(self.name, what, False, str(error), "check token and account_id")
        return OnlineCheck(self.name, what, True, f"{metric_id} ({metric.get('name', '')}) exists")

    def close(self) -> None:
        """Release connections."""
        self.client.close()


def _same(actual: object, number: float) -> bool:
    return isinstance(actual, int | float) and abs(float(actual) - number) < 1e-9


def build_store(config: OkrStoreConfig) -> QuantiveStore:
    """The registry's factory (no I/O until used)."""
    if not isinstance(config, QuantiveStoreConfig):
        raise TypeError(f"a quantive store needs a QuantiveStoreConfig, not {type(config).__name__}")
    return QuantiveStore(config)
