"""Linear's part in `syncd sandbox`: its share of the company, the story's changes, what syncd's adapter reads.

Like tests/sandbox/test_tracker.py does for GitHub and Asana: the part is found through the registry,
seeds issues whose states and labels the adapter's own normalizer reads as the seed meant them, makes
the story's changes as people would, and reads syncd's Markdown comments and attachment back in a form the sandbox's
percentage reader understands.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from adapters.linear.adapter import LinearAdapter
from adapters.linear.config import LinearSourceConfig
from adapters.linear.descriptor import LINEAR
from adapters.linear.render import LINEAR_MARKDOWN
from syncd.config.views import build_okr
from syncd.core.matching import match_task
from syncd.core.model import TaskRef, TaskSnapshot, TaskState
from syncd.core.progress import kr_progress
from syncd.core.render import CommentEntry
from syncd.ports import PushWrite, WriteKind
from syncd.sandbox.company import acme
from syncd.sandbox.observed import comment_percents
from syncd.sandbox.seed import seed
from syncd.sandbox.tracker import sandbox_sources
from syncd.simulators.linear.sandbox import SECRET_ENV, TOKEN_ENV, LinearSandboxTracker
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
    SeedItem("Unlabelled", team="sales"),
)
CREDENTIALS = {TOKEN_ENV: "lin_api_sandbox_test_token", SECRET_ENV: "linear-sandbox-test-secret"}


def _config(tracker: LinearSandboxTracker, base_url: str = "http://127.0.0.1:1") -> LinearSourceConfig:
    """The tracker's config entry with its `${ENV}` secrets replaced by the test's values."""
    raw = tracker.source_config("acme-linear", base_url, "4s")
    raw["token"], raw["webhook_secret"] = CREDENTIALS[TOKEN_ENV], CREDENTIALS[SECRET_ENV]
    return LinearSourceConfig.model_validate(raw)


def _snapshots(tracker: LinearSandboxTracker) -> dict[str, TaskSnapshot]:
    """What the sandbox's ground truth reads: each record through the descriptor's `read_task`, by title."""
    assert LINEAR.sandbox is not None
    config = _config(tracker)
    records = tracker.task_records(config.model_dump())
    return {snapshot.title: snapshot for snapshot in (LINEAR.sandbox.read_task(config, r) for r in records)}


@pytest.fixture
def tracker() -> LinearSandboxTracker:
    """A Linear sandbox tracker seeded with `ITEMS`, not started."""
    seeded = LinearSandboxTracker()
    seeded.seed(COMPANY, ITEMS)
    return seeded


@pytest.fixture
def served(tracker: LinearSandboxTracker) -> Iterator[LinearSandboxTracker]:
    """The seeded tracker, served with the test's credentials."""
    tracker.start(CREDENTIALS)
    yield tracker
    tracker.stop()


class TestRegistered:
    """The sandbox takes Linear in through the registry alone."""

    def test_the_sandbox_runs_linear_and_leaves_it_not_out(self) -> None:
        """`syncd sandbox` gets an `acme-linear` source of kind linear, and prints no "left out" line for Linear."""
        trackers = sandbox_sources("Acme")
        linear = next(source for source in trackers.sources if source.name == "acme-linear")
        assert linear.tracker.kind == "linear"
        assert linear.title == "Linear"
        assert not [line for line in trackers.left_out if line.startswith("Linear")]
        assert linear.tracker.secret_names() == (TOKEN_ENV, SECRET_ENV)

    def test_the_config_entry_validates_and_refers_to_its_secrets_only_by_name(self) -> None:
        """The entry names the teams and keeps the progress attachment; the token and secret are `${ENV}`."""
        tracker = LinearSandboxTracker()
        tracker.seed(COMPANY, ITEMS)
        raw = tracker.source_config("acme-linear", "http://127.0.0.1:1", "4s")
        assert (raw["token"], raw["webhook_secret"]) == (f"${{{TOKEN_ENV}}}", f"${{{SECRET_ENV}}}")
        config = _config(tracker)
        assert config.teams == ["WEB", "API", "SALES"]
        assert config.attachment


class TestSeed:
    """Its share of the company, as the adapter reads it."""

    def test_each_state_reads_back_as_the_seed_meant_it(self, tracker: LinearSandboxTracker) -> None:
        """Todo, In Progress, Done and Canceled read as open, in progress, done and dropped."""
        states = {title: snapshot.state for title, snapshot in _snapshots(tracker).items()}
        assert states == {
            "Open one": TaskState.OPEN,
            "Started": TaskState.IN_PROGRESS,
            "Finished": TaskState.DONE,
            "Given up": TaskState.DROPPED,
            "Unlabelled": TaskState.OPEN,
        }

    def test_labels_stay_and_points_become_the_estimate(self, tracker: LinearSandboxTracker) -> None:
        """`kr:` labels are team labels; `points:5` is the issue's estimate, which the adapter reads as points."""
        started = _snapshots(tracker)["Started"]
        assert started.labels == ("kr:ENG-1.2",)
        assert started.points == 5
        assert _snapshots(tracker)["Given up"].labels == ("kr:ENG-2.1", "bug")

    def test_each_team_gets_its_own_team(self, tracker: LinearSandboxTracker) -> None:
        """Issues are identified in their team; the story finds them by key."""
        assert {title: s.external_id.rpartition("-")[0] for title, s in _snapshots(tracker).items()} == {
            "Open one": "WEB", "Started": "API", "Finished": "WEB", "Given up": "API", "Unlabelled": "SALES",
        }  # fmt: skip
        assert tracker.story_keys() == ("open", "started", "finished", "dropped")
        assert tracker.external_id("started") == "API-1"

    def test_the_company_spread_puts_no_number_task_on_linear(self) -> None:
        """Linear has no number fields by name: no metric task goes there."""
        company = acme(TODAY)
        sources = sandbox_sources(company.name).sources
        seed(company, sources)
        linear = next(source.tracker for source in sources if source.name == "acme-linear")
        assert isinstance(linear, LinearSandboxTracker)
        assert not linear.holds_numbers
        titles = {snapshot.title for snapshot in _snapshots(linear).values()}
        assert titles
        assert not [item for item in company.items if item.numbers and item.title in titles]


class TestStoryChanges:
    """What people do in the story, as the adapter then reads it."""

    def test_state_changes_go_through_every_state(self, tracker: LinearSandboxTracker) -> None:
        """In progress, done, dropped and back to open, each as the adapter reads it."""
        seen = []
        for state in ("in_progress", "done", "dropped", "open"):
            tracker.set_state("open", state)  # type: ignore[arg-type]
            seen.append(_snapshots(tracker)["Open one"].state)
        assert seen == [TaskState.IN_PROGRESS, TaskState.DONE, TaskState.DROPPED, TaskState.OPEN]

    def test_labels_come_and_go_and_numbers_are_refused(self, tracker: LinearSandboxTracker) -> None:
        """A typo label is added and taken off again; a number field by name is a clear error."""
        tracker.add_label("dropped", "kr:ENG-21")
        assert _snapshots(tracker)["Given up"].labels == ("kr:ENG-2.1", "bug", "kr:ENG-21")
        tracker.remove_label("dropped", "kr:ENG-21")
        assert _snapshots(tracker)["Given up"].labels == ("kr:ENG-2.1", "bug")
        with pytest.raises(ValueError, match="no number field named 'Pipeline"):
            tracker.set_number("open", "Pipeline (k$)", 120)
        assert tracker.settle("open") == 0.0

    def test_a_lost_webhook_is_dropped_and_reported(self, served: LinearSandboxTracker) -> None:
        """With a team webhook installed, `lose_next_webhook` drops the next change's delivery only."""
        team = served.sim.state.team("WEB").id
        served.sim.state.add_hook("http://127.0.0.1:9/webhooks/acme-linear", ["Issue"], team, None)
        served.set_state("open", "in_progress")
        assert served.sim.wait_for_deliveries()
        assert not served.lost_webhook()
        served.lose_next_webhook()
        served.set_state("open", "done")
        assert served.sim.wait_for_deliveries()
        assert served.lost_webhook()
        assert [delivery.dropped for delivery in served.sim.deliveries] == [False, True]
        assert served.idle()


class TestWhatSyncdWrote:
    """syncd's writes through the real adapter, read back as the sandbox compares them."""

    def test_the_adapter_reads_the_served_share_like_the_ground_truth(self, served: LinearSandboxTracker) -> None:
        """A full poll of every team by the adapter, with the run's token, sees the same tasks as `task_records` + `read_task`."""
        adapter = LinearAdapter(_config(served, served.web_root()))
        try:
            polled = [s for part in adapter.partitions() for s in adapter.reconcile(part, NOW).snapshots]
        finally:
            adapter.close()
        assert {s.external_id: (s.state, s.labels, s.points) for s in polled} == {
            s.external_id: (s.state, s.labels, s.points) for s in _snapshots(served).values()
        }

    def test_the_progress_comment_and_field_read_back(self, served: LinearSandboxTracker) -> None:
        """syncd's Markdown comment comes back once, with the percentage and warning the renderer wrote; the
        attachment's progress as the fraction; a person's comment is not syncd's."""
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
        unknown = match_task(replace(started, labels=("kr:ENG-21",)), okr.rules).unknown
        body = LINEAR_MARKDOWN.render(TaskRef("acme-linear", "API-1"), [entry], unknown)
        people = served.sim.state.add_comment(served.sim.issue("API-1"), "Looks good", None)
        people.user_id = "maya"
        adapter = LinearAdapter(_config(served, served.web_root()))
        try:
            adapter.apply(None, PushWrite(WriteKind.COMMENT, "API-1", text=body))
            adapter.apply(None, PushWrite(WriteKind.FIELD, "API-1", number=2 / 3))
        finally:
            adapter.close()
        (comment,) = served.syncd_comments("API-1")
        assert comment_percents(comment) == {"ENG-1.2": 50}
        assert "names no key result ENG-21" in comment
        assert served.progress_field("API-1") == 0.67
        assert served.progress_field("WEB-1") is None
        assert served.syncd_comments("WEB-1") == []
