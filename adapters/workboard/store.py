"""The WorkBoard OKR store: a KR's value is written into its WorkBoard metric, once per change.

An update sets the value (a PUT), so writing it again after an unknown outcome is harmless.
"""

from __future__ import annotations

from adapters.metric_store import MetricStore
from adapters.workboard.client import WorkBoardClient
from adapters.workboard.config import WorkBoardStoreConfig
from syncd.config.okr_store import OkrStoreConfig
from syncd.ports import PushWrite


class WorkBoardStore(MetricStore):
    """One `kind: workboard` store."""

    kind = "workboard"
    title = "WorkBoard"
    name_field = "metric_name"
    unknown_metric_fix = "copy the key result's metric id from WorkBoard (its API page or URL) into metrics:"
    failure_fix = "check the token (it needs write access there)"

    def __init__(self, config: WorkBoardStoreConfig, client: WorkBoardClient | None = None) -> None:
        self.workboard = client or WorkBoardClient(config)
        super().__init__(config, self.workboard)

    def write(self, metric_id: str, number: float, write: PushWrite) -> None:
        """Set the metric's value and comment (a PUT: harmless to repeat after an unknown outcome)."""
        self.workboard.update(metric_id, number, write.text or "")


def build_store(config: OkrStoreConfig) -> WorkBoardStore:
    """The registry's factory (no I/O until used)."""
    if not isinstance(config, WorkBoardStoreConfig):
        raise TypeError(f"a workboard store needs a WorkBoardStoreConfig, not {type(config).__name__}")
    return WorkBoardStore(config)
