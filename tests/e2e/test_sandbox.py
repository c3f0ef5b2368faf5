"""`syncd sandbox` end to end: the story's final state against ground truth computed from the simulators.

The library test plays the whole story at `--speed max` with `exit_when_done` and then holds the store,
the comments and the fields against `syncd.sandbox.expected.ground_truth` (which reads the simulators'
records, not syncd's store) and against the same numbers worked out by hand. The subprocess tests run
the real command: a seed-only run whose store `syncd status` can read afterwards, and a Ctrl-C mid-story.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rich.console import Console

from adapters.registry import load_config
from syncd.core.model import TaskState
from syncd.sandbox.company import GOAL_KR
from syncd.sandbox.config import SandboxPaths
from syncd.sandbox.display import LiveDisplay, PlainDisplay
from syncd.sandbox.expected import GroundTruth, ground_truth
from syncd.sandbox.observed import comment_percents, progress_field, syncd_comments
from syncd.sandbox.okr_store import metric_id
from syncd.sandbox.run import SandboxOptions, SandboxOutcome, run_sandbox
from syncd.simulators.asana.sandbox import AsanaSandboxTracker
from syncd.simulators.github.sandbox import GitHubSandboxTracker
from syncd.store.engine import create_store_engine
from syncd.store.status_query import StatusReport, read_status
from tests.sandbox.test_expected import SEEDED
from tests.support.daemon import REPO, wait_until

pytestmark = pytest.mark.slow

#: The story's end, by hand (see syncd/sandbox/story.py): what each step did to the seed's numbers.
FINAL = {
    "ENG-1.1": 5 / 9,  # password-less sign-in labelled (open), the signup pull request merged
    "ENG-1.2": 14 / 28,  # setup wizard (5) in progress: +2.5; the migration (3) dropped
    "ENG-1.3": (47 - 35) / (60 - 35),  # activation checked in at 47%
    "ENG-2.1": 6 / 12,  # the CSV crash, once its label was fixed, closed (its webhook lost)
    "ENG-2.2": (620 - 900) / (300 - 900),  # p95 checked in at 620 ms
    "GTM-1.1": (4 + 0.5 * 2) / 7,  # battlecards in Doing, the demo workspace done
    "GTM-1.2": (120 + 80 + 45 + 70 + 30) / 400,  # Northwind grew to 120 k$
    "GTM-1.3": ((58 + 52 + 49 + 41) / 4 - 60) / (40 - 60),  # Contoso won after 41 days
}


@pytest.fixture(scope="module")
def screen() -> io.StringIO:
    """What the run printed (its plain display)."""
    return io.StringIO()


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory, screen: io.StringIO) -> SandboxOutcome:
    """One whole sandbox run: seed, first sync, every story step, caught up, stopped."""
    directory = tmp_path_factory.mktemp("sandbox") / "syncd-sandbox"
    display = PlainDisplay(Console(file=screen, width=120))
    options = SandboxOptions(directory=directory, speed=None, exit_when_done=True)
    return run_sandbox(options, display)


@pytest.fixture(scope="module")
def truth(outcome: SandboxOutcome) -> GroundTruth:
    """Ground truth from the simulators' final state (they keep it after being stopped)."""
    world = outcome.world
    return ground_truth(world.config, world.sources, world.checkins, datetime.now(UTC))


@pytest.fixture(scope="module")
def report(outcome: SandboxOutcome) -> StatusReport:
    """What `syncd status` reads from the store the run left behind."""
    engine = create_store_engine(outcome.world.config.store.url)
    try:
        return read_status(engine, outcome.world.config, datetime.now(UTC))
    finally:
        engine.dispose()


class TestStory:
    """The story plays to its end and syncd catches up with every step."""

    def test_every_step_caught_up_and_the_run_ended_cleanly(self, outcome: SandboxOutcome) -> None:
        """Exit 0, no problem, not interrupted; each step (the typo's warning included) was reflected."""
        assert outcome.problem is None
        assert (outcome.exit_code, outcome.interrupted, outcome.converged) == (0, False, True)
        assert len(outcome.steps) == 13
        assert [result.step.title for result in outcome.steps if not result.caught_up] == []

    def test_the_daemon_stopped_gracefully_and_logged_no_error(self, outcome: SandboxOutcome) -> None:
        """The log shows a graceful stop and no error-level event."""
        events = [json.loads(line) for line in outcome.world.paths.log.read_text(encoding="utf-8").splitlines()]
        names = [event.get("event") for event in events]
        assert "daemon.started" in names
        assert names.index("daemon.stopped") > names.index("daemon.stopping")
        assert [event for event in events if event.get("level") in ("error", "critical")] == []

    def test_the_secrets_were_only_set_for_the_run(self, outcome: SandboxOutcome) -> None:
        """The process environment no longer holds the sandbox's tokens."""
        assert not [name for name in os.environ if name.startswith("SYNCD_SANDBOX_")]


class TestDisplay:
    """What the person running the sandbox reads."""

    def test_the_plain_output_tells_the_story_and_where_to_look(
        self, outcome: SandboxOutcome, screen: io.StringIO
    ) -> None:
        """Pointers first, then each step with how long syncd took and the page to watch, then the status."""
        text = screen.getvalue()
        world = outcome.world
        assert "status  . " in text
        assert {"GitHub", "Asana"} <= {source.title for source in world.sources}
        for source in world.sources:
            assert f"{source.title} simulator {source.tracker.web_root()}" in text
            assert f"  {source.title:<7} {source.tracker.page()}  (text; add ?format=json for JSON)" in text
        assert "first sync done" in text
        assert [f"[{n:>2}/13]" in text for n in range(1, 14)] == [True] * 13
        assert text.count("        caught up in ") == 13
        assert "Tasks naming unknown key results:" in text

    def test_the_live_view_draws_every_kr_and_every_step(self, outcome: SandboxOutcome) -> None:
        """On a terminal: a bar per KR with its percentage and status, the steps ticked off, syncd caught up."""
        assert outcome.final is not None
        view = LiveDisplay(Console(file=io.StringIO(), force_terminal=True, width=140))
        with view:
            view.intro(outcome.world, [result.step for result in outcome.steps])
            for index, result in enumerate(outcome.steps):
                view.step_finished(index, result)
            view.show(outcome.final)
        recorder = Console(file=io.StringIO(), width=140, record=True)
        recorder.print(view.render())
        text = recorder.export_text()
        for objective in outcome.final.report.objectives:
            for kr in objective.key_results:
                assert kr.id in text
                assert f"{kr.percent:>3}%" in text
        assert text.count("✓") == 13
        assert "syncd is caught up" in text


class TestFinalState:
    """Store, comments and fields equal the ground truth, which equals the formulas worked by hand."""

    def test_ground_truth_equals_the_hand_worked_story(self, truth: GroundTruth) -> None:
        """The simulators' final state gives the numbers the story should produce."""
        assert truth.progress == pytest.approx(FINAL)

    def test_each_kr_in_the_store_equals_the_ground_truth(self, report: StatusReport, truth: GroundTruth) -> None:
        """Every KR's stored progress is what the formulas give for the trackers' tasks."""
        stored = {kr.id: kr.progress for objective in report.objectives for kr in objective.key_results}
        assert stored == pytest.approx(dict(truth.progress), abs=1e-9)
        assert report.queues.pending_deliveries == report.queues.due_push_targets == 0
        assert report.failing_targets == ()

    def test_each_labelled_task_has_exactly_one_comment_with_the_right_percentages(
        self, outcome: SandboxOutcome, truth: GroundTruth
    ) -> None:
        """One syncd comment per labelled task (GitHub comment or Asana story), stating each KR's percentage."""
        world = outcome.world
        for task in truth.labelled():
            comments = syncd_comments(world.source(task.snapshot.source), task.snapshot)
            assert len(comments) == 1, task.snapshot.external_id
            assert comment_percents(comments[0]) == truth.comment_percents(task), task.snapshot.external_id
        assert len(truth.labelled()) == 48  # the seed's 46, password-less sign-in, the CSV crash

    def test_unlabelled_tasks_get_no_comment(self, outcome: SandboxOutcome, truth: GroundTruth) -> None:
        """syncd writes nothing on tasks that name no KR."""
        world = outcome.world
        quiet = [task for task in truth.tasks if not task.labelled]
        assert quiet
        assert all(syncd_comments(world.source(task.snapshot.source), task.snapshot) == [] for task in quiet)
        assert {task.snapshot.source for task in truth.labelled()} == {source.name for source in world.sources}

    def test_the_progress_fields_and_the_goal_are_set(self, outcome: SandboxOutcome, truth: GroundTruth) -> None:
        """Each linked task of a tracker with a progress field (Asana) shows its first KR's percentage; the
        goal shows the pipeline in k$."""
        world = outcome.world
        with_field = {source.name: source for source in world.sources if source.tracker.writes_progress_field}
        linked = [t for t in truth.labelled() if t.snapshot.source in with_field and t.kr_ids]
        assert "acme-asana" in with_field
        assert {t.snapshot.source for t in linked} == with_field.keys()
        for task in linked:
            assert progress_field(with_field[task.snapshot.source], task.snapshot) == truth.field_fraction(task)
        asana = world.source("acme-asana").tracker
        assert isinstance(asana, AsanaSandboxTracker)
        goal = asana.sim.goal(asana.goals[GOAL_KR])
        assert goal["metric"]["current_number_value"] == pytest.approx(FINAL[GOAL_KR] * 400)  # 345 k$


class TestOkrStore:
    """The simulated Quantive beside the trackers holds every KR's final progress, checked in only on change."""

    def test_each_kr_metric_holds_its_final_progress(self, outcome: SandboxOutcome) -> None:
        quantive = outcome.world.quantive
        assert quantive is not None
        for kr_id, progress in FINAL.items():
            updates = quantive.updates(metric_id(kr_id))
            assert updates, f"{kr_id} was never checked in"
            assert updates[-1]["actual"] == pytest.approx(round(progress * 100, 2))
            values = [u["actual"] for u in updates]
            assert all(a != b for a, b in itertools.pairwise(values)), f"{kr_id}: a check-in without a change"


class TestWarningsAndRepairs:
    """Mistyped KR ids warn in the comment and in status; a lost webhook is repaired by the poll."""

    def test_misspelled_labels_warn_in_the_comment_and_in_status(
        self, outcome: SandboxOutcome, truth: GroundTruth, report: StatusReport
    ) -> None:
        """`kr:ENG-12` and `kr:GMT-1.1` are reported with the KR they probably mean."""
        world = outcome.world
        warned = [task for task in truth.labelled() if task.unknown]
        assert sorted(task.unknown for task in warned) == [("ENG-12",), ("GMT-1.1",)]
        for task, meant in zip(sorted(warned, key=lambda t: t.unknown), ("ENG-1.2", "GTM-1.1"), strict=True):
            (comment,) = syncd_comments(world.source(task.snapshot.source), task.snapshot)
            assert f"names no key result {task.unknown[0]}" in comment
            assert f"Did you mean {meant}" in comment
        listed = {(item.kr_id, item.suggestions[0]) for t in report.unknown_kr_tasks for item in t.unknown}
        assert listed == {("ENG-12", "ENG-1.2"), ("GMT-1.1", "GTM-1.1")}

    def test_the_story_typo_warned_then_its_fix_counted(self, outcome: SandboxOutcome, truth: GroundTruth) -> None:
        """The step that mistyped kr:ENG-21 waited for its warning; after the fix the bug counts for ENG-2.1."""
        world = outcome.world
        typo, fix = outcome.steps[6], outcome.steps[7]
        assert "kr:ENG-21" in typo.step.title
        assert typo.caught_up
        assert fix.caught_up
        holder = world.holder("csv-crash")
        crash = next(
            t.snapshot for t in truth.tasks if t.snapshot.external_id == holder.tracker.external_id("csv-crash")
        )
        (comment,) = syncd_comments(holder, crash)
        assert "ENG-21" not in comment
        assert list(comment_percents(comment)) == ["ENG-2.1"]

    def test_the_lost_webhook_was_repaired_by_polling(self, outcome: SandboxOutcome, truth: GroundTruth) -> None:
        """The close of the CSV crash never reached syncd as a webhook, yet ENG-2.1 counts it."""
        holder = outcome.world.holder("csv-crash")
        assert holder.tracker.lost_webhook()
        crash = next(t for t in truth.tasks if t.snapshot.external_id == holder.tracker.external_id("csv-crash"))
        assert crash.snapshot.state == TaskState.DONE
        assert crash.kr_ids == ("ENG-2.1",)

    def test_webhooks_were_installed_through_the_adapters(self, outcome: SandboxOutcome) -> None:
        """Each repository has one hook to the daemon; the Asana project one webhook that passed its handshake."""
        world = outcome.world
        github, asana = world.source("acme-github").tracker, world.source("acme-asana").tracker
        assert isinstance(github, GitHubSandboxTracker)
        assert isinstance(asana, AsanaSandboxTracker)
        url = f"{world.endpoints.daemon_url}/webhooks/acme-github"
        assert [[hook.url for hook in github.sim.hooks(repo)] for repo in github.repos] == [[url]] * len(github.repos)
        (webhook,) = asana.sim.webhooks()
        assert webhook["target"].startswith(f"{world.endpoints.daemon_url}/webhooks/acme-asana")
        assert webhook["active"] is True


def _sandbox(directory: Path, *args: str) -> subprocess.Popen[str]:
    """`syncd sandbox --dir DIR ARGS` as a child process writing its output to files beside DIR."""
    env = {"PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    command = [sys.executable, "-m", "syncd.cli.main", "sandbox", "--dir", str(directory), *args]
    out = (directory.parent / "stdout.txt").open("w", encoding="utf-8")
    err = (directory.parent / "stderr.txt").open("w", encoding="utf-8")
    return subprocess.Popen(command, cwd=directory.parent, env=env, stdout=out, stderr=err, text=True)


def _output(directory: Path) -> tuple[str, str]:
    return tuple(  # type: ignore[return-value]
        (directory.parent / name).read_text(encoding="utf-8") for name in ("stdout.txt", "stderr.txt")
    )


def _env_file(paths: SandboxPaths) -> dict[str, str]:
    lines = paths.env.read_text(encoding="utf-8").splitlines()
    return dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))


class TestCommand:
    """The real `syncd sandbox` command."""

    def test_a_seed_only_run_leaves_a_store_that_syncd_status_reads(self, tmp_path: Path) -> None:
        """`--no-story --exit-when-done` syncs the seed and exits 0; `. sandbox.env && syncd status` then works."""
        directory = tmp_path / "syncd-sandbox"
        process = _sandbox(directory, "--no-story", "--exit-when-done")
        assert process.wait(timeout=120) == 0, _output(directory)
        stdout, stderr = _output(directory)
        assert "first sync done" in stdout
        assert "Done: 0 of 0 story steps caught up" in stdout
        assert ". ./syncd-sandbox/sandbox.env && syncd status -c ./syncd-sandbox/syncd.yaml" in stdout
        assert stderr == ""
        paths = SandboxPaths(directory)
        env = {**_env_file(paths), "PYTHONPATH": str(REPO), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        status = subprocess.run(
            [sys.executable, "-m", "syncd.cli.main", "status", "-c", str(paths.config), "--json"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert status.returncode == 0, status.stderr
        document = json.loads(status.stdout)
        progress = {kr["id"]: kr["progress"] for o in document["objectives"] for kr in o["key_results"]}
        assert progress == pytest.approx(SEEDED)
        assert load_config(paths.config, environ=_env_file(paths)).sources[0].name == "acme-github"

    def test_ctrl_c_mid_story_stops_everything_cleanly(self, tmp_path: Path) -> None:
        """SIGINT in the pause after the first step: exit 0, no traceback, daemon stopped gracefully, simulators gone."""
        directory = tmp_path / "syncd-sandbox"
        process = _sandbox(directory, "--speed", "1")
        try:
            wait_until(lambda: "caught up in" in _output(directory)[0], timeout=90, what="the story's first step")
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=30) == 0, _output(directory)
        finally:
            if process.poll() is None:
                process.kill()
        stdout, stderr = _output(directory)
        assert "Stopped (Ctrl-C)" in stdout
        assert "Traceback" not in stdout + stderr
        assert stderr == ""
        log = SandboxPaths(directory).log.read_text(encoding="utf-8")
        assert '"event": "daemon.stopped"' in log
        simulator = urlsplit(stdout.split("GitHub simulator ", 1)[1].split(",", 1)[0])
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection((simulator.hostname, simulator.port), timeout=2),
        ):
            pass
