"""Linear tests: a simulated workspace, a source on it, the real adapter; every request the adapter made is checked
against Linear's published GraphQL schema at teardown (skipped with a reason when vendor data is absent)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.linear.adapter import LinearAdapter
from adapters.linear.config import LinearSourceConfig
from syncd.simulators.linear import LinearSimulator
from tests.linear.support import LINEAR_SCHEMA, TOKEN, linear_config, schema_problems


@pytest.fixture
def linear_sim() -> Iterator[LinearSimulator]:
    """A started workspace with teams ENG, DES and OPS."""
    with LinearSimulator(token=TOKEN) as sim:
        for key in ("ENG", "DES", "OPS"):
            sim.create_team(key)
        yield sim


@pytest.fixture
def linear_source(linear_sim: LinearSimulator) -> LinearSourceConfig:
    """A source on the simulated workspace following ENG."""
    return linear_config(linear_sim.url)


@pytest.fixture
def make_adapter(linear_sim: LinearSimulator) -> Iterator[Any]:
    """Builds adapters on the workspace (closed afterwards); their requests are checked against Linear's schema."""
    built: list[LinearAdapter] = []

    def make(**overrides: Any) -> LinearAdapter:
        adapter = LinearAdapter(linear_config(linear_sim.url, **overrides))
        built.append(adapter)
        return adapter

    yield make
    for adapter in built:
        adapter.close()
    if LINEAR_SCHEMA.is_file():
        assert schema_problems(linear_sim.requests) == []
