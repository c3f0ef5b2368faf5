"""The read API's request and response models: the shapes of `syncd status --json`, made exact for OpenAPI.

Field names and meanings are those of `syncd.store.status_query` (and `key_result_detail`); each model
validates straight from those dataclasses (`from_attributes`), so the API and the CLI never drift.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

StatusWord = Literal["not_started", "no_tasks", "on_track", "at_risk", "off_track", "done"]
MeasureWord = Literal["tasks", "count", "metric"]
TaskStateWord = Literal["open", "in_progress", "done", "dropped"]


class ApiModel(BaseModel):
    """Read from the status dataclasses; unknown keys in requests are refused."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class KeyResultOut(ApiModel):
    """A KR with its last computed progress, judged against the time elapsed in its cycle."""

    id: str
    title: str
    measure: MeasureWord
    progress: float = Field(ge=0, le=1, description="0 to 1.")
    percent: int = Field(ge=0, le=100, description="Progress as a whole percentage, rounded half up.")
    status: StatusWord
    status_text: str = Field(description="The status in words, e.g. `on track (expected 45%)`.")
    amount: str = Field(description="done/total in words, e.g. `2 of 3 tasks done`, `4.5 / 2 days (from 7)`.")
    done: float
    total: float
    current: float | None = Field(description="Count and metric KRs: the current value.")
    target: float | None = Field(description="Count and metric KRs: the value that means done.")
    unit: str
    task_count: int = Field(ge=0, description="Linked tasks that count (not dropped, not deleted).")
    last_change: datetime | None = Field(description="When progress last moved.")
    computed_at: datetime | None = Field(description="When progress was last computed.")


class ObjectiveOut(ApiModel):
    """An objective with its KRs, in config order."""

    id: str
    title: str
    cycle: str
    parent: str | None
    progress: float = Field(ge=0, le=1)
    percent: int = Field(ge=0, le=100)
    status: StatusWord
    status_text: str
    expected: float = Field(ge=0, le=1, description="The share of the cycle elapsed.")
    key_results: list[KeyResultOut]


class ObjectivesOut(ApiModel):
    """Every objective of the config, as of `generated_at`."""

    generated_at: datetime
    objectives: list[ObjectiveOut]


class SourceOut(ApiModel):
    """A configured source's health: freshness of its last successful poll, last error, budget left."""

    name: str
    kind: str
    enabled: bool
    last_poll_at: datetime | None
    last_success_at: datetime | None
    age_seconds: float | None = Field(ge=0, description="Seconds since the last successful poll.")
    last_error: str | None
    failing_since: datetime | None
    budget_remaining: int | None
    budget_limit: int | None
    budget_resets_at: datetime | None
    trouble: str | None = Field(
        default=None, description="Requests being throttled or failing now (in-line retries included); null when not."
    )
    trouble_since: datetime | None = None
    queued_writes: int = Field(default=0, ge=0, description="Writes waiting: out of date, or of unknown outcome.")
    recent_writes: int = Field(default=0, ge=0, description="Writes made in the last five minutes.")
    queue_eta_seconds: float | None = Field(
        default=None, ge=0, description="How long the queued writes take at the last five minutes' pace."
    )


class SourcesOut(ApiModel):
    """Every configured source, as of `generated_at`."""

    generated_at: datetime
    sources: list[SourceOut]


class LinkedTaskOut(ApiModel):
    """A task that counts towards the KR and the rule that linked it."""

    source: str
    external_id: str
    url: str
    title: str
    state: TaskStateWord
    labels: list[str]
    points: float | None
    rule: str
    updated_at: datetime


class CheckInOut(ApiModel):
    """A point of history: a metric input (`metric`) or a computed progress change (`progress`)."""

    at: datetime
    kind: Literal["metric", "progress"]
    value: float
    progress: float
    done: float | None
    total: float | None
    cause: str
    note: str


class KeyResultDetailOut(ApiModel):
    """A KR with its objective, linked tasks and check-in history (oldest first)."""

    key_result: KeyResultOut
    objective: str
    tasks: list[LinkedTaskOut]
    check_ins: list[CheckInOut]


class CheckInIn(ApiModel):
    """A metric KR's value as measured; `at` defaults to now (a time without zone is UTC)."""

    value: float = Field(allow_inf_nan=False, description="The KR's current value, in its unit.")
    note: str = Field(default="", max_length=2000)
    at: datetime | None = Field(default=None, description="When it was measured; within the KR's cycle.")


class CheckInCreated(ApiModel):
    """The recorded check-in and the KR's standing right after it."""

    check_in: CheckInOut
    key_result: KeyResultOut


class Problem(ApiModel):
    """Why a request was refused, and what to do."""

    detail: str
