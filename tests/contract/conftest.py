"""The contract suite runs once per registered tracker: `tracker` is its descriptor, `bench` its bench."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.descriptor import TrackerDescriptor
from adapters.registry import registry
from tests.contract.bench import ContractBench, contract_bench


@pytest.fixture(params=registry().descriptors, ids=lambda descriptor: descriptor.kind)
def tracker(request: pytest.FixtureRequest) -> TrackerDescriptor:
    """Each registered tracker in turn."""
    descriptor: TrackerDescriptor = request.param
    return descriptor


@pytest.fixture
def bench(tracker: TrackerDescriptor, tmp_path: Path) -> Iterator[ContractBench]:
    """The tracker's simulator, its real adapter and a runtime over them (SQLite in tmp_path)."""
    with contract_bench(tracker, tmp_path) as made:
        yield made
