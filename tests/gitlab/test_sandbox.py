"""GitLab's part in `syncd sandbox`: its share of the company, the story's changes, what syncd's adapter reads.

Like tests/jira/test_sandbox.py: the part is found through the registry, seeds issues and merge requests whose
states and labels the adapter's own normalizer reads as the seed meant them, makes the story's changes as
people would, and reads syncd's Markdown notes back in a form the sandbox's percentage reader understands.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from adapters.gitlab.adapter import GitLabAdapter
from adapters.gitlab.config import GitLabSourceConfig
from adapters.gitlab.descriptor import GITLAB
from syncd.config.views import build_okr
from syncd.core.model import TaskRef, TaskSnapshot, TaskState
from syncd.core.progress import kr_progress
from syncd.core.render import MARKDOWN, CommentEntry
from syncd.ports import PushWrite, WriteKind
from syncd.sandbox.company import acme
from syncd.sandbox.observed import comment_percents
from syncd.sandbox.seed import seed
from syncd.sandbox.tracker import sandbox_sources
from syncd.simulators.gitlab.sandbox import SECRET_ENV, TOKEN_ENV, GitLabSandboxTracker
from syncd.simulators.sandbox import SeedCompany, SeedItem
from tests.sandbox.conftest import resolved_config

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
COMPANY = SeedCompany("Acme", ())
ITEMS = (
    SeedItem("Open one", ("kr:ENG-1.1",), team="web", key="open"),
    SeedItem("Started", ("kr:ENG-1.2", "points:5"), "in_progress", team="api", key="started"),
    SeedItem("Finished", ("kr:ENG-1.1",), "done", team="web", key="finished"),
    SeedItem("Given up", ("kr:ENG-2.1", "bug"), "dropped", team="api", key="dropped"),
    SeedItem("Review me", ("kr:ENG-1.1",), "in_progress", team="web", change=True, key="change"),
    SeedItem("Unlabelled", team="sales"),
)
CREDENTIALS = {TOKEN_ENV: "gitlab-sandbox-test-token", SECRET_ENV: "gitlab-sandbox-test-secret"}


def _config(tracker: GitLabSandboxTracker, base_url: str = "http://127.0.0.1:1") -> GitLabSourceConfig:
    """The tracker's config entry with its `${ENV}` secrets replaced by the test's values."""
    raw = tracker.source_config("acme-gitlab", base_url, "4s")
    raw["token"], raw["webhook_secret"] = CREDENTIALS[TOKEN_ENV], CREDENTIALS[SECRET_ENV]
    return GitLabSourceConfig.model_validate(raw)


def _snapshots(tracker: GitLabSandboxTracker) -> dict[str, TaskSnapshot]:
    """What the sandbox's ground truth reads: each record through the descriptor's `read_task`, by title."""
    assert GITLAB.sandbox is not None
    config = _config(tracker)
    records = tracker.task_records(config.model_dump())
    return {snapshot.title: snapshot for snapshot in (GITLAB.sandbox.read_task(config, r) for r in records)}


@pytest.fixture
def tracker() -> GitLabSandboxTracker:
    """A GitLab sandbox tracker seeded with `ITEMS`, not started."""
    seeded = GitLabSandboxTracker()
    seeded.seed(COMPANY, ITEMS)
    return seeded


@pytest.fixture
def served(tracker: GitLabSandboxTracker) -> Iterator[GitLabSandboxTracker]:
    """The seeded tracker, served with the test's credentials."""
    tracker.start(CREDENTIALS)
    yield tracker
    tracker.stop()


def test_the_sandbox_runs_gitlab(tracker: GitLabSandboxTracker) -> None:
    """`syncd sandbox` gets an `acme-gitlab` source of kind gitlab; its entry names the team projects by path."""
    trackers = sandbox_sources("Acme")
    gitlab = next(source for source in trackers.sources if source.name == "acme-gitlab")
    assert (gitlab.tracker.kind, gitlab.title) == ("gitlab", "GitLab")
    assert not [line for line in trackers.left_out if line.startswith("GitLab")]
    raw = tracker.source_config("acme-gitlab", "http://127.0.0.1:1", "4s")
    assert (raw["token"], raw["webhook_secret"]) == (f"${{{TOKEN_ENV}}}", f"${{{SECRET_ENV}}}")
    assert _config(tracker).projects == ["acme/web", "acme/api", "acme/sales"]


def test_each_state_reads_back_as_the_seed_meant_it(tracker: GitLabSandboxTracker) -> None:
    """Issues by label and close, the change as a draft merge request, as the adapter reads them."""
    snapshots = _snapshots(tracker)
    assert {title: s.state for title, s in snapshots.items()} == {
        "Open one": TaskState.OPEN, "Started": TaskState.IN_PROGRESS, "Finished": TaskState.DONE,
        "Given up": TaskState.DROPPED, "Review me": TaskState.IN_PROGRESS, "Unlabelled": TaskState.OPEN,
    }  # fmt: skip
    assert (snapshots["Review me"].kind, tracker.external_id("change")) == ("merge_request", "acme/web!1")
    assert snapshots["Given up"].labels == ("kr:ENG-2.1", "bug", "wontfix")


@pytest.mark.parametrize("key", ["open", "change"])
def test_state_changes_go_through_every_state(tracker: GitLabSandboxTracker, key: str) -> None:
    """In progress, done, dropped and back to open, for an issue and a merge request."""
    title = {"open": "Open one", "change": "Review me"}[key]
    seen = []
    for state in ("in_progress", "done", "dropped", "open"):
        tracker.set_state(key, state)  # type: ignore[arg-type]
        seen.append(_snapshots(tracker)[title].state)
    assert seen == [TaskState.IN_PROGRESS, TaskState.DONE, TaskState.DROPPED, TaskState.OPEN]


def test_the_company_spread_puts_no_number_task_on_gitlab() -> None:
    """GitLab items hold no number fields syncd reads: no metric task goes there."""
    company = acme(TODAY)
    sources = sandbox_sources(company.name).sources
    seed(company, sources)
    gitlab = next(source.tracker for source in sources if source.name == "acme-gitlab")
    assert isinstance(gitlab, GitLabSandboxTracker)
    titles = {snapshot.title for snapshot in _snapshots(gitlab).values()}
    assert titles
    assert not [item for item in company.items if item.numbers and item.title in titles]


def test_the_adapter_reads_the_served_share_and_its_note_reads_back(served: GitLabSandboxTracker) -> None:
    """A full poll by the adapter sees what the ground truth sees; syncd's note comes back once, with its
    percentage; a person's note is not syncd's."""
    adapter = GitLabAdapter(_config(served, served.web_root()))
    try:
        polled = [s for part in adapter.partitions() for s in adapter.reconcile(part, NOW).snapshots]
        assert {s.external_id: (s.state, s.labels) for s in polled} == {
            s.external_id: (s.state, s.labels) for s in _snapshots(served).values()
        }
        company = acme(TODAY)
        sources = sandbox_sources(company.name).sources
        seed(company, sources)
        okr = build_okr(resolved_config(company, sources))
        kr = okr.key_results["ENG-1.2"]
        cycle = okr.cycles[kr.cycle_id]
        started = _snapshots(served)["Started"]
        entry = CommentEntry(
            kr, okr.objectives[kr.objective_id], cycle, kr_progress(kr, [started], [], cycle, NOW), NOW
        )
        body = MARKDOWN.render(TaskRef("acme-gitlab", "acme/api#1"), [entry], [])
        served.sim.comment("acme/api#1", "Looks good")
        adapter.apply(TaskRef("acme-gitlab", "acme/api#1"), PushWrite(WriteKind.COMMENT, "acme/api#1", text=body))
    finally:
        adapter.close()
    (note,) = served.syncd_comments("acme/api#1")
    assert comment_percents(note) == {"ENG-1.2": 50}
    assert served.syncd_comments("acme/web#1") == []
    assert served.progress_field("acme/api#1") is None
