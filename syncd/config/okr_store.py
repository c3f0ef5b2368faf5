"""The part of an OKR store's config every store shares; each store package subclasses it with its own keys."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from syncd.config.source import SOURCE_NAME, StrictModel
from syncd.config.types import Duration


class OkrStoreConfig(StrictModel):
    """One OKR store that syncd pushes progress into. `kind` selects the store; `name` is how logs, push targets
    and `syncd status` refer to it (it must differ from every source name)."""

    name: str = Field(pattern=SOURCE_NAME, description="Unique name among sources and stores.")
    kind: str
    enabled: bool = True
    timeout: Duration = Field(default=timedelta(seconds=30), description="Per-request timeout.")
    writes_per_minute: int | None = Field(
        default=None, ge=1, description="Cap on writes per minute (defaults to the store's own limit)."
    )

    def kr_ids(self) -> tuple[str, ...]:
        """The KR ids this store names in its own keys (`metrics:`), checked by `syncd check`."""
        return ()
