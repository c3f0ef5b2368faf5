"""What the metric stores (Quantive, WorkBoard) share: a `metrics:` map of KR id -> metric id, a per-minute
write pace, one target per mapped KR (`adapters.okr_values.metric_writes`) and a `check --online` probe per
metric. Each store says only how a value is written (`write`) and how its answers are worded."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, ClassVar, Protocol

from adapters.okr_values import metric_writes
from syncd.core.errors import NotFound, Permanent, TrackerError
from syncd.core.pacing import RateLimit
from syncd.ports import OkrState, OnlineCheck, PushWrite, WriteResult


class MetricStoreConfig(Protocol):
    """The keys a metric store's config has (the pydantic models of `kind: quantive` and `kind: workboard`)."""

    @property
    def name(self) -> str: ...
    @property
    def metrics(self) -> dict[str, str]: ...
    @property
    def value(self) -> str: ...
    @property
    def writes_per_minute(self) -> int | None: ...


class MetricClient(Protocol):
    """The part of a metric store's client the shared code uses."""

    def metric(self, metric_id: str) -> dict[str, Any]: ...
    def close(self) -> None: ...


class MetricStore(ABC):
    """One configured metric store; subclasses set the class attributes and `write`."""

    #: The config's `kind:` and the tool's name in messages ("Quantive").
    kind: ClassVar[str]
    title: ClassVar[str]
    #: Neither tool publishes a write limit that we found: a conservative pace unless `writes_per_minute` says more.
    default_writes_per_minute: ClassVar[int] = 60
    #: The metric's name in the tool's answer to `metric(id)`, for `check --online`.
    name_field: ClassVar[str] = "name"
    #: What `check --online` advises for an unknown metric id, and for any other failure.
    unknown_metric_fix: ClassVar[str]
    failure_fix: ClassVar[str]
    max_concurrent_writes = 1

    def __init__(self, config: MetricStoreConfig, client: MetricClient) -> None:
        self.config = config
        self.client = client

    @property
    def name(self) -> str:
        """The store's configured name."""
        return self.config.name

    @property
    def write_limits(self) -> Sequence[RateLimit]:
        """`writes_per_minute`, else the store's default a minute."""
        per_minute = self.config.writes_per_minute or self.default_writes_per_minute
        return (RateLimit(per_minute, timedelta(minutes=1)),)

    def wanted(self, state: OkrState) -> Sequence[PushWrite]:
        """One metric target per mapped KR."""
        return metric_writes(state, self.config.metrics, self.config.value)

    def apply(self, write: PushWrite) -> WriteResult:
        """Write the KR's number (and comment) into its metric."""
        metric_id = self.config.metrics.get(write.key)
        if metric_id is None or write.number is None:
            raise Permanent(f"KR {write.key} is no longer mapped to a {self.title} metric in store {self.name}")
        self.write(metric_id, write.number, write)
        return WriteResult(metric_id)

    @abstractmethod
    def write(self, metric_id: str, number: float, write: PushWrite) -> None:
        """Put `number` (with `write.text` as its comment) into the metric; `write.unknown` as in `SourceAdapter`."""

    def check_online(self) -> Sequence[OnlineCheck]:
        """Each configured metric exists and the token may read it."""
        return [self._check(kr_id, metric_id) for kr_id, metric_id in sorted(self.config.metrics.items())]

    def _check(self, kr_id: str, metric_id: str) -> OnlineCheck:
        what = f"metric of {kr_id}"
        try:
            metric = self.client.metric(metric_id)
        except NotFound:
            detail = f"{self.title} knows no metric {metric_id}"
            return OnlineCheck(self.name, what, False, detail, self.unknown_metric_fix)
        except TrackerError as error:
            return OnlineCheck(self.name, what, False, str(error), self.failure_fix)
        return OnlineCheck(self.name, what, True, f"{metric_id} ({metric.get(self.name_field, '')}) exists")

    def close(self) -> None:
        """Release connections."""
        self.client.close()
