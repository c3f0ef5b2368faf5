"""The contract, reading side: what a team does in its tracker shows in syncd's mirror and progress.

Every test runs once per registered tracker (see conftest.py), through its simulator and real adapter.
"""

from __future__ import annotations

import pytest

from syncd.simulators.contract import ContractState
from tests.contract.bench import IN_PROGRESS_CREDIT, KR, OTHER_KR, ContractBench
from tests.contract.support import require

LINK = f"kr:{KR}"


class TestBackfill:
    """The first reconciliation mirrors every task of the followed container, linked or not."""

    def test_existing_tasks_are_mirrored_with_their_state_and_links(self, bench: ContractBench) -> None:
        """Tasks made before syncd started: done, open and unlabelled ones, each mirrored as it is."""
        done = bench.tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        open_ = bench.tracker.create_task("Add single sign-on", labels=[LINK])
        plain = bench.tracker.create_task("Upgrade the build image")
        bench.backfill()
        assert bench.mirrored_ids() == {done.external_id, open_.external_id, plain.external_id}
        assert bench.progress() == pytest.approx(0.5)
        row = bench.mirrored(done)
        assert row is not None
        assert row["state"] == "done"
        assert (bench.links(done), bench.links(plain)) == ({KR}, set())


class TestIncrementalPoll:
    """With no webhook at all, the next incremental poll finds what changed since the last one."""

    def test_changes_after_the_backfill_arrive_by_polling(self, bench: ContractBench) -> None:
        """A completed task, a new linked task and a new label: all there after one poll."""
        first = bench.tracker.create_task("Ship the signup form", labels=[LINK])
        bench.backfill()
        assert bench.progress() == 0.0
        bench.tracker.set_state(first, "done")
        second = bench.tracker.create_task("Add single sign-on", labels=[LINK])
        bench.tracker.add_label(first, f"kr:{OTHER_KR}")
        bench.poll()
        assert bench.progress() == pytest.approx(0.5)
        assert bench.progress(OTHER_KR) == 1.0
        assert second.external_id in bench.mirrored_ids()


#: Each state a task is moved to, the state it starts in, and what the KR's progress is afterwards: the
#: KR has one done task and one open task besides it (in progress earns IN_PROGRESS_CREDIT).
STATES: list[tuple[ContractState, ContractState, float, str | None]] = [
    ("open", "done", 1 / 3, "open"),
    ("in_progress", "open", (1 + IN_PROGRESS_CREDIT) / 3, "in_progress"),
    ("done", "open", 2 / 3, "done"),
    ("dropped", "open", 1 / 2, "dropped"),
    ("deleted", "open", 1 / 2, None),
    ("moved_away", "open", 1 / 2, None),
]


class TestTaskStates:
    """A task moved to each state counts as the design says; deleted and moved-away tasks leave the KR."""

    @pytest.mark.parametrize(("state", "start", "progress", "mirrored_as"), STATES, ids=[s[0] for s in STATES])
    def test_a_task_moved_to_a_state(
        self, bench: ContractBench, state: ContractState, start: ContractState, progress: float, mirrored_as: str | None
    ) -> None:
        """The change reaches syncd as it does in production (webhook, then the fetch it asks for)."""
        require(bench.tracker, state)
        require(bench.tracker, "webhooks")
        bench.tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        bench.tracker.create_task("Write the docs", labels=[LINK])
        subject = bench.tracker.create_task("Add single sign-on", labels=[LINK], state=start)
        bench.backfill()
        bench.serve_webhooks()
        before = bench.progress()
        bench.tracker.set_state(subject, state)
        bench.settle()
        assert bench.progress() == pytest.approx(progress), f"from {before:.3f}"
        row = bench.mirrored(subject)
        assert row is not None
        if mirrored_as is None:
            assert row["deleted"], "a task that left the followed container must leave the mirror"
        else:
            assert not row["deleted"]
            assert row["state"] == mirrored_as


class TestLabels:
    """Labels (tags) link tasks to KRs: adding, removing and renaming one moves the task between KRs."""

    def test_a_label_added_links_the_task(self, bench: ContractBench) -> None:
        """An unlabelled done task labelled `kr:ENG-1.1` brings ENG-1.1 to 100%."""
        require(bench.tracker, "webhooks")
        task = bench.tracker.create_task("Ship the signup form", state="done")
        bench.backfill()
        bench.serve_webhooks()
        assert bench.progress() == 0.0
        bench.tracker.add_label(task, LINK)
        bench.settle()
        assert bench.progress() == 1.0
        assert bench.links(task) == {KR}

    def test_a_label_removed_unlinks_the_task(self, bench: ContractBench) -> None:
        """The done task's label taken off: ENG-1.1 keeps only its open task."""
        require(bench.tracker, "webhooks")
        task = bench.tracker.create_task("Ship the signup form", labels=[LINK], state="done")
        bench.tracker.create_task("Add single sign-on", labels=[LINK])
        bench.backfill()
        bench.serve_webhooks()
        assert bench.progress() == pytest.approx(0.5)
        bench.tracker.remove_label(task, LINK)
        bench.settle()
        assert bench.progress() == 0.0
        assert bench.links(task) == set()

    def test_a_label_renamed_moves_its_tasks_to_the_kr_it_names_now(self, bench: ContractBench) -> None:
        """`kr:ENG-1.2` renamed `kr:ENG-1.1`: its done task leaves ENG-1.2 and counts for ENG-1.1."""
        require(bench.tracker, "label_rename")
        require(bench.tracker, "webhooks")
        task = bench.tracker.create_task("Fix the welcome email", labels=[f"kr:{OTHER_KR}"], state="done")
        bench.tracker.create_task("Add single sign-on", labels=[LINK])
        bench.backfill()
        bench.serve_webhooks()
        assert (bench.progress(), bench.progress(OTHER_KR)) == (0.0, 1.0)
        bench.tracker.rename_label(f"kr:{OTHER_KR}", LINK)
        bench.settle()
        assert (bench.progress(), bench.progress(OTHER_KR)) == (pytest.approx(0.5), 0.0)
        assert bench.links(task) == {KR}


class TestPagination:
    """A listing exactly one page long, and one a task longer, is mirrored whole, page by page."""

    @pytest.mark.parametrize(("extra", "pages"), [(0, 1), (1, 2)], ids=["one-page", "one-page-plus-one"])
    def test_every_task_of_a_listing_is_mirrored(self, bench: ContractBench, extra: int, pages: int) -> None:
        """`page_size + extra` tasks: each is mirrored once, read in `pages` pages."""
        tasks = bench.tracker.seed_tasks(bench.tracker.page_size + extra)
        before = bench.tracker.listing_requests()
        bench.schedule()
        assert bench.mirrored_ids() == {task.external_id for task in tasks}
        assert bench.tracker.listing_requests() - before == pages
