"""`syncd explain` finds GitLab tasks by their links: the page itself, a sub-page of an issue or merge request
(`/designs`, `/diffs`), and `SOURCE:REF` with GitLab's own references (the runtime's `find_task` on a backfilled
store: the contract bench over the simulator)."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.gitlab.descriptor import GITLAB
from syncd.runtime.task_report import find_task
from syncd.simulators.gitlab.contract import PROJECT, GitLabContractTracker
from tests.contract.bench import SOURCE, contract_bench


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("{root}/acme/web/-/issues/1", "acme/web#1"),
        ("{root}/acme/web/-/issues/1/designs", "acme/web#1"),
        ("{root}/acme/web/-/merge_requests/1/diffs", "acme/web!1"),
        ("contract:acme/web!1", "acme/web!1"),
        ("acme/web#1", "acme/web#1"),
    ],
)
def test_links_and_refs_name_the_task(tmp_path: Path, link: str, expected: str) -> None:
    """Issue and merge request pages and their sub-pages; a GitHub-shaped path must not shadow a GitLab one."""
    with contract_bench(GITLAB, tmp_path) as bench:
        tracker = bench.tracker
        assert isinstance(tracker, GitLabContractTracker)
        tracker.create_task("Ship it", labels=["kr:ENG-1.1"])
        tracker.sim.create_merge_request(PROJECT, "Ship it API", labels=["kr:ENG-1.1"])
        bench.backfill()
        with bench.engine.connect() as conn:
            row = find_task(conn, bench.runtime.config, link.format(root=tracker.sim.url))
        assert (row.source, row.external_id) == (SOURCE, expected)
