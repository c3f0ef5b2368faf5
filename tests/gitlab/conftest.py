"""GitLab tests: a simulated instance, sources on it, the real adapter (python-gitlab); every request the adapters
made is checked at teardown against GitLab's own reference pages (skipped with a reason when vendor data is
absent)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from adapters.gitlab.adapter import GitLabAdapter
from syncd.simulators.gitlab import GitLabSimulator
from tests.gitlab import api_docs
from tests.gitlab.support import TOKEN, gitlab_config


@pytest.fixture
def gitlab_sim() -> Iterator[GitLabSimulator]:
    """A started instance with projects acme/web, acme/platform/api and other/else."""
    with GitLabSimulator(token=TOKEN) as sim:
        for path in ("acme/web", "acme/platform/api", "other/else"):
            sim.create_project(path)
        yield sim


@pytest.fixture
def make_adapter(gitlab_sim: GitLabSimulator) -> Iterator[Any]:
    """Builds adapters on the instance (closed afterwards); their requests are checked against the pages."""
    built: list[GitLabAdapter] = []

    def make(**overrides: Any) -> GitLabAdapter:
        adapter = GitLabAdapter(gitlab_config(gitlab_sim.url, **overrides))
        built.append(adapter)
        return adapter

    yield make
    for adapter in built:
        adapter.close()
    if api_docs.DOCS.is_dir():
        sent = [api_docs.Sent(r.method, r.path, r.query, r.body) for r in gitlab_sim.requests]
        found, _ = api_docs.problems(api_docs.endpoints(), sent)
        assert found == []
