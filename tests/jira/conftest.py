"""Jira tests: a simulated site, a source on it, the real adapter; every request the adapter made is checked
against Jira Cloud's OpenAPI description at teardown (skipped with a reason when vendor data is absent).

The site is Jira Cloud unless a test module parametrizes `deployment` (indirectly) over `FLAVOURS`, which
runs its tests on a Data Center server too (REST v2, a personal access token, wiki-markup comments)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.jira.adapter import JiraAdapter
from adapters.jira.config import JiraSourceConfig
from syncd.simulators.jira import JiraSimulator
from tests.jira.openapi import JIRA_SPEC, JiraSpec
from tests.jira.support import EMAIL, PAT, TOKEN, flavour_config


@pytest.fixture
def deployment(request: pytest.FixtureRequest) -> str:
    """The site's flavour: "Cloud" unless the test is parametrized with another."""
    return str(getattr(request, "param", "Cloud"))


@pytest.fixture
def jira_sim(deployment: str) -> Iterator[JiraSimulator]:
    """A started site with projects ENG and OPS (API user in America/Los_Angeles)."""
    with JiraSimulator(email=EMAIL, token=TOKEN, personal_access_token=PAT, deployment=deployment) as sim:
        sim.create_project("ENG")
        sim.create_project("OPS")
        yield sim


@pytest.fixture
def jira_source(jira_sim: JiraSimulator) -> JiraSourceConfig:
    """A source on the simulated site following ENG (credentials as its flavour takes them)."""
    return flavour_config(jira_sim)


@pytest.fixture
def make_adapter(jira_sim: JiraSimulator) -> Iterator[Any]:
    """Builds adapters on the site (closed afterwards); their requests are checked against the OpenAPI."""
    built: list[JiraAdapter] = []

    def make(**overrides: Any) -> JiraAdapter:
        adapter = JiraAdapter(flavour_config(jira_sim, **overrides))
        built.append(adapter)
        return adapter

    yield make
    for adapter in built:
        adapter.close()
    if JIRA_SPEC.is_file():
        assert JiraSpec().problems(jira_sim.requests) == []
