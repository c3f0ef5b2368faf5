"""The WorkBoard OKR store: a KR's value is written into its WorkBoard metric, once per change.

An update sets the value (a PUT), so writing it again after an unknown outcome is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from adapters.okr_values import metric_writes
from adapters.workboard.client import WorkBoardClient
from adapters.workboard.config import WorkBoardStoreConfig
from syncd.config.okr_store import OkrStoreConfig
from syncd.core.errors import NotFound, Permanent, TrackerError
from syncd.core.pacing import RateLimit
from syncd.ports import OkrState, OnlineCheck, PushWrite, WriteResult

#: WorkBoard publishes no write limit that we found: a conservative pace unless `writes_per_minute` says more.
DEFAULT_WRITES_PER_MINUTE = 60


class WorkBoardStore:
    """One `kind: workboard` store."""

    kind = "workboard"
    max_concurrent_writes = 1

    def __init__(self, config: WorkBoardStoreConfig, client: WorkBoardClient | None = None) -> None:
        self.config = config
        self.client = client or WorkBoardClient(config)

    @property
    def name(self) -> str:
        """The store's configured name."""
        return self.config.name

    @property
    def write_limits(self) -> Sequence[RateLimit]:
        """`writes_per_minute`, else 60 a minute."""
        return (RateLimit(self.config.writes_per_minute or DEFAULT_WRITES_PER_MINUTE, timedelta(minutes=1)),)

    def wanted(self, state: OkrState) -> Sequence[PushWrite]:
        """One metric-update target per mapped KR."""
        return metric_writes(state, self.config.metrics, self.config.value)

    def apply(self, write: PushWrite) -> WriteResult:
        """Set the metric's value and comment."""
        metric_id = self.config.metrics.get(write.key)
        if metric_id is None or write.number is None:
            raise Permanent(f"KR {write.key} is no longer mapped to a WorkBoard metric in store {self.name}")
        self.client.update(metric_id, write.number, write.text or "")
        return WriteResult(metric_id)

    def check_online(self) -> Sequence[OnlineCheck]:
        """Each configured metric exists and the token may read it."""
        return [self._check(kr_id, metric_id) for kr_id, metric_id in sorted(self.config.metrics.items())]

    def _check(self, kr_id: str, metric_id: str) -> OnlineCheck:
        what = f"metric of {kr_id}"
        try:
            metric = self.client.metric(metric_id)
        except NotFound:
            fix = "copy the key result's metric id from WorkBoard (its API page or URL) into metrics:"
            return OnlineCheck(self.name, what, False, f"WorkBoard knows no metric {metric_id}", fix)
        except TrackerError as error:
            return OnlineCheck(self.name, what, False, str(error), "check the token (it needs write access there)")
        return OnlineCheck(self.name, what, True, f"{metric_id} ({metric.get('metric_name', '')}) exists")

    def close(self) -> None:
        """Release connections."""
        self.client.close()


def build_store(config: OkrStoreConfig) -> WorkBoardStore:
    """The registry's factory (no I/O until used)."""
    if not isinstance(config, WorkBoardStoreConfig):
        raise TypeError(f"a workboard store needs a WorkBoardStoreConfig, not {type(config).__name__}")
    return WorkBoardStore(config)
