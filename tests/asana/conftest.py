"""Asana tests: the shared simulator fixtures, and a conformance check of every request the adapter made."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.asana.adapter import AsanaAdapter, build_adapter
from adapters.asana.config import AsanaSourceConfig
from syncd.simulators.asana import AsanaSimulator
from tests.conftest import VENDOR_DATA
from tests.support.asana_openapi import SPEC_RELATIVE, AsanaSpec, load_spec
from tests.support.asana_sim import asana_config, asana_receiver, asana_sim, asana_world

#: The shared fixtures, re-exported so pytest finds them by name in this folder.
__all__ = ["asana_adapter", "asana_config", "asana_receiver", "asana_sim", "asana_spec", "asana_world"]


@pytest.fixture(scope="session")
def asana_spec() -> AsanaSpec | None:
    """Asana's OpenAPI description, or None when the vendor data is absent (the check is then skipped)."""
    if not (VENDOR_DATA / SPEC_RELATIVE).is_file():
        return None
    return load_spec(VENDOR_DATA)


@pytest.fixture
def asana_adapter(
    asana_config: AsanaSourceConfig, asana_sim: AsanaSimulator, asana_spec: AsanaSpec | None
) -> Iterator[AsanaAdapter]:
    """The adapter; after the test, every request the simulator saw must match Asana's OpenAPI description."""
    adapter = build_adapter(asana_config)
    yield adapter
    adapter.close()
    if asana_spec is not None:
        problems = asana_spec.problems(asana_sim.requests)
        assert not problems, "requests outside Asana's OpenAPI description:\n" + "\n".join(problems)
