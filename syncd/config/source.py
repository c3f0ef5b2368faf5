"""The part of a source's config every tracker shares; each adapter subclasses it with its own keys."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field

from syncd.config.types import Duration, EnvironmentHttpUrl

#: A source name: lowercase, as it appears in URLs (`/webhooks/{name}`) and logs.
SOURCE_NAME = r"^[a-z0-9][a-z0-9_.-]*$"


class StrictModel(BaseModel):
    """A config model that rejects unknown keys (a typo must never be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class SourceConfig(StrictModel):
    """One tracker connection. `kind` selects the adapter; `name` is how logs, URLs and tasks refer to it."""

    name: str = Field(pattern=SOURCE_NAME, description="Unique name, used in /webhooks/{name}.")
    kind: str
    base_url: EnvironmentHttpUrl = Field(
        description="API root: the public service, an enterprise server, or a simulator."
    )
    enabled: bool = True
    poll_interval: Duration = Field(default=timedelta(seconds=60), description="Incremental poll period.")
    reconcile_interval: Duration = Field(default=timedelta(hours=6), description="Full re-listing period.")
    poll_overlap: Duration = Field(default=timedelta(seconds=60), description="How far back each poll reaches.")
    timeout: Duration = Field(default=timedelta(seconds=30), description="Per-request timeout.")
    writes_per_minute: int | None = Field(
        default=None, ge=1, description="Cap on content writes per minute (defaults to the tracker's limit)."
    )
