"""The contract suite once more for Jira Data Center: the same tests (reads, webhooks, writes, fault storms) with
the Jira descriptor's contract simulator swapped for a Data Center server (REST v2, `startAt` search, wiki-markup
comments, a personal access token). The registry's run in tests/contract covers Jira Cloud."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.descriptor import TrackerDescriptor
from adapters.jira.descriptor import JIRA
from syncd.simulators.jira.contract import JiraContractTracker
from tests.contract.bench import ContractBench, contract_bench
from tests.contract.test_faults import TestStorms
from tests.contract.test_reads import TestBackfill, TestIncrementalPoll, TestLabels, TestPagination, TestTaskStates
from tests.contract.test_webhooks import TestRedelivery, TestSignatures, TestUnknownEvents, served
from tests.contract.test_writes import TestProgressComment, TestProgressField, field_bench
from tests.jira.openapi import JIRA_SPEC, JiraSpec

#: The suite's classes and the fixtures they use, collected here again (pytest runs what a module names).
__all__ = [
    "TestBackfill",
    "TestIncrementalPoll",
    "TestLabels",
    "TestPagination",
    "TestProgressComment",
    "TestProgressField",
    "TestRedelivery",
    "TestSignatures",
    "TestStorms",
    "TestTaskStates",
    "TestUnknownEvents",
    "field_bench",
    "served",
]
DATA_CENTER = dataclasses.replace(JIRA, contract_simulator="syncd.simulators.jira.contract:data_center_tracker")


@pytest.fixture
def tracker() -> TrackerDescriptor:
    """Jira, its contract simulator a Data Center server."""
    return DATA_CENTER


@pytest.fixture
def bench(tracker: TrackerDescriptor, tmp_path: Path) -> Iterator[ContractBench]:
    """The Data Center server, the real adapter and a runtime over them (SQLite in tmp_path); afterwards every
    request the runtime made is checked against the OpenAPI (v2 against the v3 twins) when it is present."""
    with contract_bench(tracker, tmp_path) as made:
        yield made
        assert isinstance(made.tracker, JiraContractTracker)
        if JIRA_SPEC.is_file():
            assert JiraSpec().problems(made.tracker.sim.requests) == []
