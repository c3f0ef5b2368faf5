"""Asana tests: the shared simulator fixtures, and a conformance check of every request the adapter made."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.asana.adapter import AsanaAdapter, build_adapter
from syncd.simulators.asana import AsanaSimulator
from tests.conftest import VENDOR_DATA
from tests.support.asana_openapi import SPEC_RELATIVE, AsanaSpec, load_spec
from tests.support.asana_sim import (
    AsanaWorld,
    MakeAdapter,
    asana_config,
    asana_receiver,
    asana_sim,
    asana_world,
    source_config,
)

#: The shared fixtures, re-exported so pytest finds them by name in this folder.
__all__ = [
    "asana_adapter",
    "asana_config",
    "asana_receiver",
    "asana_sim",
    "asana_spec",
    "asana_world",
    "make_asana_adapter",
]


@pytest.fixture(scope="session")
def asana_spec() -> AsanaSpec | None:
    """Asana's OpenAPI description, or None when the vendor data is absent (the check is then skipped)."""
    if not (VENDOR_DATA / SPEC_RELATIVE).is_file():
        return None
    return load_spec(VENDOR_DATA)


@pytest.fixture
def make_asana_adapter(
    asana_sim: AsanaSimulator, asana_world: AsanaWorld, asana_spec: AsanaSpec | None
) -> Iterator[MakeAdapter]:
    """Build adapters over `source_config(..., **overrides)`; after the test they are closed and every
    request the simulator saw must match Asana's OpenAPI description."""
    made: list[AsanaAdapter] = []

    def make(**overrides: Any) -> AsanaAdapter:
        adapter = build_adapter(source_config(asana_sim, asana_world, **overrides))
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        adapter.close()
    if asana_spec is not None:
        problems = asana_spec.problems(asana_sim.requests)
        assert not problems, "requests outside Asana's OpenAPI description:\n" + "\n".join(problems)


@pytest.fixture
def asana_adapter(make_asana_adapter: MakeAdapter) -> AsanaAdapter:
    """The adapter over the default test config (requests checked against the OpenAPI description)."""
    return make_asana_adapter()
