"""`kind: quantive` OKR store config: the API root (regional hosts too), token, account id, KR -> metric ids."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr

from syncd.config.okr_store import OkrStoreConfig
from syncd.config.types import EnvironmentAllowed, EnvironmentHttpUrl

#: What a store is sent for a KR: its progress in percent (0-100), or its current value (count or metric).
StoreValue = Literal["progress", "current"]


class QuantiveStoreConfig(OkrStoreConfig):
    """A Quantive Results account written through its REST API (`POST {base_url}/metrics/{id}/checkin`)."""

    kind: Literal["quantive"]
    base_url: EnvironmentHttpUrl = Field(
        default="https://app.quantive.com/results/api/v1",
        description="API root: https://app.quantive.com/results/api/v1 (EU), https://app.us.quantive.com/results/api/v1 (US).",
    )
    token: SecretStr = Field(description="A Quantive API token (use ${ENV}); sent as Authorization: Bearer.")
    account_id: Annotated[str, EnvironmentAllowed()] = Field(
        min_length=1, description="The Quantive account id, sent as gtmhub-accountId (may be ${ENV})."
    )
    metrics: dict[str, str] = Field(
        min_length=1, description="KR id -> Quantive metric (key result) id, e.g. {ENG-1.1: 6512f0c2a1b2c3d4e5f60718}."
    )
    value: StoreValue = Field(
        default="progress", description="progress: the KR's progress 0-100; current: its count or metric value."
    )

    def kr_ids(self) -> tuple[str, ...]:
        """The KR ids of `metrics:`."""
        return tuple(self.metrics)
