"""WorkBoard declared as an OKR store (see `adapters.okr_store`)."""

from __future__ import annotations

from adapters.okr_store import OkrStoreDescriptor
from adapters.workboard.config import WorkBoardStoreConfig
from adapters.workboard.store import build_store

WORKBOARD = OkrStoreDescriptor(
    kind="workboard",
    title="WorkBoard",
    config_model=WorkBoardStoreConfig,
    build_store=build_store,
    simulator="syncd.simulators.workboard:WorkBoardSimulator",
)
