"""Jira tests: a simulated site, a source on it, the real adapter; every request the adapter made is checked
against Jira Cloud's OpenAPI description at teardown (skipped with a reason when vendor data is absent)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.jira.adapter import JiraAdapter
from adapters.jira.config import JiraSourceConfig
from syncd.simulators.jira import JiraSimulator
from tests.jira.openapi import JIRA_SPEC, JiraSpec
from tests.jira.support import EMAIL, TOKEN, jira_config


@pytest.fixture
def jira_sim() -> Iterator[JiraSimulator]:
    """A started site with projects ENG and OPS (API user in America/Los_Angeles)."""
    with JiraSimulator(email=EMAIL, token=TOKEN) as sim:
        sim.create_project("ENG")
        sim.create_project("OPS")
        yield sim


@pytest.fixture
def jira_source(jira_sim: JiraSimulator) -> JiraSourceConfig:
    """A source on the simulated site following ENG."""
    return jira_config(jira_sim.url)


@pytest.fixture
def make_adapter(jira_sim: JiraSimulator) -> Iterator[Any]:
    """Builds adapters on the site (closed afterwards); their requests are checked against the OpenAPI."""
    built: list[JiraAdapter] = []

    def make(**overrides: Any) -> JiraAdapter:
        adapter = JiraAdapter(jira_config(jira_sim.url, **overrides))
        built.append(adapter)
        return adapter

    yield make
    for adapter in built:
        adapter.close()
    if JIRA_SPEC.is_file():
        assert JiraSpec().problems(jira_sim.requests) == []
