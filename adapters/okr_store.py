"""What an OKR store declares about itself, once, in its own package: `OkrStoreDescriptor`.

An OKR store (Quantive, WorkBoard, an outbound webhook) is where syncd pushes each KR's computed progress.
Each store's `descriptor.py` builds one; `adapters.registry` lists the built-in ones beside the trackers, and
the config layer gets the `okr_stores[]` models from there, never naming a store kind itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from syncd.config.okr_store import OkrStoreConfig
from syncd.ports import OkrStore

#: Builds the store of one `okr_stores[]` item (its own config model, checked by the factory).
StoreFactory = Callable[[OkrStoreConfig], OkrStore]


@dataclass(frozen=True)
class OkrStoreDescriptor:
    """One OKR store kind: its `kind`, people's name for it, its config model, its factory and its simulator."""

    #: The config's `kind:` (lowercase).
    kind: str
    #: The tool's name for people ("Quantive Results").
    title: str
    #: The pydantic model of one `okr_stores[]` item: an `OkrStoreConfig` subclass with `kind: Literal[<kind>]`.
    config_model: type[OkrStoreConfig]
    build_store: StoreFactory
    #: "module:callable" of its simulator class (tests, the sandbox); imported only by `load_simulator`.
    simulator: str = ""

    def load_simulator(self) -> Callable[..., Any]:
        """The simulator factory named by `simulator` (ValueError when the store names none)."""
        module, _, name = self.simulator.partition(":")
        if not module or not name:
            raise ValueError(f"the {self.kind} OKR store names no simulator (module:callable)")
        factory: Callable[..., Any] = getattr(importlib.import_module(module), name)
        return factory
