"""`kind: workboard` OKR store config: the API root, a bearer token, KR -> WorkBoard metric ids."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from adapters.quantive.config import StoreValue
from syncd.config.okr_store import OkrStoreConfig
from syncd.config.types import EnvironmentHttpUrl


class WorkBoardStoreConfig(OkrStoreConfig):
    """A WorkBoard organisation written through its REST API (`PUT {base_url}/metric/{id}`)."""

    kind: Literal["workboard"]
    base_url: EnvironmentHttpUrl = Field(
        default="https://www.myworkboard.com/wb/apis", description="API root (a dedicated host when you have one)."
    )
    token: SecretStr = Field(description="A WorkBoard access token (use ${ENV}); sent as Authorization: Bearer.")
    metrics: dict[str, str] = Field(min_length=1, description='KR id -> WorkBoard metric id, e.g. {ENG-1.2: "381920"}.')
    value: StoreValue = Field(
        default="progress", description="progress: the KR's progress 0-100; current: its count or metric value."
    )

    def kr_ids(self) -> tuple[str, ...]:
        """The KR ids of `metrics:`."""
        return tuple(self.metrics)
