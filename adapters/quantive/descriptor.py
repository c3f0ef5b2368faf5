"""Quantive Results declared as an OKR store (see `adapters.okr_store`)."""

from __future__ import annotations

from adapters.okr_store import OkrStoreDescriptor
from adapters.quantive.config import QuantiveStoreConfig
from adapters.quantive.store import build_store

QUANTIVE = OkrStoreDescriptor(
    kind="quantive",
    title="Quantive Results",
    config_model=QuantiveStoreConfig,
    build_store=build_store,
    simulator="syncd.simulators.quantive:QuantiveSimulator",
)
