"""A real `syncd run` against the Asana simulator (issue 5's "done when"): a tagged task gets exactly one
comment with the right percentage and the progress field set, updated in place as a sibling task
completes, once through webhooks alone and once through polling alone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.asana.adapter import build_adapter
from syncd.runtime.context import utc_now
from syncd.runtime.ingest.handshakes import install_webhooks
from syncd.simulators.asana import AsanaSimulator
from syncd.store.engine import create_store_engine
from tests.support.asana_openapi import AsanaSpec
from tests.support.asana_sim import SOURCE, TOKEN, AsanaWorld, source_config
from tests.support.daemon import DaemonProcess, base_config, running_daemon, wait_until, write_config

pytestmark = pytest.mark.slow


def start_daemon(tmp_path: Path, sim: AsanaSimulator, world: AsanaWorld, **source: Any) -> Iterator[DaemonProcess]:
    """`syncd run` on SQLite with one Asana source on the simulator (token from the environment)."""
    entry = source_config(sim, world, **source).model_dump(mode="json", exclude_none=True)
    entry["token"] = "${ASANA_TOKEN}"
    config = base_config(f"sqlite:///{tmp_path / 'syncd.db'}", sources=[entry])
    with running_daemon(write_config(tmp_path, config), env={"ASANA_TOKEN": TOKEN}) as process:
        yield process


@pytest.fixture(autouse=True)
def _daemon_traffic_matches_asana_openapi(asana_sim: AsanaSimulator, asana_spec: AsanaSpec | None) -> Iterator[None]:
    """Everything the daemon asked of the simulator is in Asana's OpenAPI description (when present)."""
    yield
    if asana_spec is not None:
        assert asana_spec.problems(asana_sim.requests) == []


@pytest.fixture
def webhook_daemon(tmp_path: Path, asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> Iterator[DaemonProcess]:
    """Polls only at start (backfill): anything later must arrive by webhook."""
    yield from start_daemon(tmp_path, asana_sim, asana_world, poll_interval="1h", reconcile_interval="24h")


@pytest.fixture
def polling_daemon(tmp_path: Path, asana_sim: AsanaSimulator, asana_world: AsanaWorld) -> Iterator[DaemonProcess]:
    """No webhooks: a poll every second."""
    yield from start_daemon(tmp_path, asana_sim, asana_world, poll_interval="1s", reconcile_interval="24h")


def comment_text(sim: AsanaSimulator, task: str) -> str:
    """The plain text of the task's first comment ('' before there is one)."""
    comments = sim.comments(task)
    return str(comments[0]["text"]) if comments else ""


def progress_shown(sim: AsanaSimulator, tasks: list[str], world: AsanaWorld, percent: int, done: int) -> bool:
    """Every task's comment and field say `percent`, with `done` of the tasks done."""
    return all(
        f"{percent}% ({done} of {len(tasks)} tasks done)" in comment_text(sim, task)
        and sim.field_value(task, "KR progress") == percent / 100
        for task in tasks
    )


def siblings(sim: AsanaSimulator, world: AsanaWorld) -> list[str]:
    """Two tasks tagged for ENG-1.1 (fed to the Asana goal too)."""
    return [
        sim.create_task(name, project=world.web, tags=["kr:ENG-1.1"]).gid
        for name in ("Onboarding flow", "Onboarding emails")
    ]


class TestEndToEnd:
    """What a team sees in Asana after completing a tagged task."""

    def test_through_webhooks(
        self, tmp_path: Path, asana_sim: AsanaSimulator, asana_world: AsanaWorld, webhook_daemon: DaemonProcess
    ) -> None:
        """Webhooks installed against the running daemon (handshake), events delivered as they happen."""
        installer = build_adapter(source_config(asana_sim, asana_world))
        store = create_store_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
        try:
            actions = install_webhooks(store, installer, webhook_daemon.url, dry_run=False, clock=utc_now)
        finally:
            installer.close()
            store.dispose()
        assert [a.action for a in actions] == ["create", "create"]
        asana_sim.start_auto_delivery(0.05)
        tasks = siblings(asana_sim, asana_world)
        wait_until(lambda: progress_shown(asana_sim, tasks, asana_world, 0, 0), timeout=30, what="the first comments")
        polls = asana_sim.log.count("GET", "^/events$")
        asana_sim.complete_task(tasks[1])
        wait_until(lambda: progress_shown(asana_sim, tasks, asana_world, 50, 1), timeout=30, what="the edited comments")
        assert [len(asana_sim.comments(task)) for task in tasks] == [1, 1]
        assert asana_sim.log.count("POST", "/stories$") == 2
        wait_until(
            lambda: asana_sim.goal(asana_world.goal)["metric"]["current_number_value"] == 0.5,
            timeout=30,
            what="the goal metric",
        )
        assert asana_sim.log.count("GET", "^/events$") == polls, "the change must have come by webhook, not by a poll"

    def test_through_polling(
        self, asana_sim: AsanaSimulator, asana_world: AsanaWorld, polling_daemon: DaemonProcess
    ) -> None:
        """No webhook at all: the Events API poll finds the new tasks and the completion."""
        tasks = siblings(asana_sim, asana_world)
        wait_until(lambda: progress_shown(asana_sim, tasks, asana_world, 0, 0), timeout=30, what="the first comments")
        asana_sim.complete_task(tasks[0])
        wait_until(lambda: progress_shown(asana_sim, tasks, asana_world, 50, 1), timeout=30, what="the edited comments")
        assert [len(asana_sim.comments(task)) for task in tasks] == [1, 1]
        assert asana_sim.webhooks() == []
        assert f"[syncd {SOURCE}:{tasks[0]}]" in comment_text(asana_sim, tasks[0])
