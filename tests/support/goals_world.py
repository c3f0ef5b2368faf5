"""A seeded store for the dashboard's tests: two cycles, an objective with an aligned child, tasks that move
over three weeks (added, done, dropped), metric check-ins with notes; every step recomputed at its own time.

    world = GoalsWorld.create(tmp_path)
    world.play()                                 # the story's days, each recomputed at its own time
    with world.serving() as url: ...             # the web role's app over real HTTP
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, Engine

from adapters.registry import load_config
from syncd.config.models import SyncdConfig
from syncd.config.views import build_okr
from syncd.core.model import TaskSnapshot, TaskState
from syncd.runtime.context import LoadedConfig, Runtime
from syncd.runtime.recompute.checkins import CheckIns
from syncd.runtime.recompute.dirty import Recompute
from syncd.simulators.github import GitHubSimulator
from syncd.store.engine import create_store_engine
from syncd.store.migrate import upgrade
from syncd.store.mirror import mark_krs_dirty, upsert_snapshots
from syncd.store.okr import sync_config
from syncd.store.transactions import run_in_transaction
from tests.support.github_sim import GITHUB_TOKEN
from tests.support.served_app import serving_app

VIEWER_TOKEN = "viewer-token-0123456789abcdef"
API_TOKEN = "api-token-0123456789abcdef"
ENV = {"SYNCD_VIEWER_TOKEN": VIEWER_TOKEN, "SYNCD_API_TOKEN": API_TOKEN, "GITHUB_TOKEN": GITHUB_TOKEN}
SOURCE = "acme-github"
NOW = datetime.now(UTC).replace(microsecond=0)
TODAY = NOW.date()
CYCLE = {
    "id": "2026-Q4",
    "title": "Q4",
    "start": (TODAY - timedelta(days=30)).isoformat(),
    "end": (TODAY + timedelta(days=60)).isoformat(),
}
NEXT_CYCLE = {
    "id": "2027-H1",
    "title": "Next half",
    "start": (TODAY + timedelta(days=61)).isoformat(),
    "end": (TODAY + timedelta(days=240)).isoformat(),
}


def config_data(
    store_url: str, *, server: Mapping[str, Any] | None = None, base_url: str = "http://127.0.0.1:9", poll: str = "60s"
) -> dict[str, Any]:
    """The config: ENG-1 (tasks KR, metric KR) with ENG-2 aligned to it (count KR), and one in the next cycle."""
    return {
        "store": {"url": store_url},
        "server": dict(
            server
            if server is not None
            else {"viewer_token": "${SYNCD_VIEWER_TOKEN}", "api_token": "${SYNCD_API_TOKEN}"}
        ),
        "cycles": [CYCLE, NEXT_CYCLE],
        "objectives": [
            {
                "id": "ENG-1",
                "title": "Delight new customers",
                "cycle": CYCLE["id"],
                "owner": "Ada Lovelace",
                "key_results": [
                    {"id": "ENG-1.1", "title": "Ship self-serve onboarding"},
                    {
                        "id": "ENG-1.2",
                        "title": "Cut time to first value",
                        "measure": "metric",
                        "start": 7,
                        "target": 2,
                        "unit": "days",
                    },
                ],
            },
            {
                "id": "ENG-2",
                "title": "Make signup effortless",
                "cycle": CYCLE["id"],
                "parent": "ENG-1",
                "owner": "Grace Hopper",
                "key_results": [
                    {"id": "ENG-2.1", "title": "Close three signup epics", "measure": "count", "target": 3}
                ],
            },
            {
                "id": "OPS-1",
                "title": "Run quietly",
                "cycle": NEXT_CYCLE["id"],
                "key_results": [{"id": "OPS-1.1", "title": "Page nobody at night"}],
            },
        ],
        "sources": [
            {
                "name": SOURCE,
                "kind": "github",
                "base_url": base_url,
                "token": "${GITHUB_TOKEN}",
                "repos": ["acme/web"],
                "poll_interval": poll,
                "poll_overlap": "5s",
            }
        ],
    }


def task(number: int, labels: tuple[str, ...], state: TaskState, at: datetime) -> TaskSnapshot:
    """Issue `acme/web#number` as the mirror keeps it."""
    return TaskSnapshot(
        source=SOURCE,
        external_id=f"acme/web#{number}",
        url=f"https://github.example/acme/web/issues/{number}",
        title=f"Issue {number}",
        state=state,
        updated_at=at,
        labels=labels,
        container="acme/web",
    )


#: The story, day by day (days before now): which issues change to which state.
STORY: tuple[tuple[int, tuple[tuple[int, tuple[str, ...], TaskState], ...]], ...] = (
    (
        20,
        (
            (1, ("kr:ENG-1.1",), TaskState.OPEN),
            (2, ("kr:ENG-1.1",), TaskState.OPEN),
            (3, ("kr:ENG-1.1",), TaskState.OPEN),
            (4, ("kr:ENG-1.1",), TaskState.OPEN),
        ),
    ),
    (15, ((1, ("kr:ENG-1.1",), TaskState.DONE), (7, ("kr:ENG-2.1",), TaskState.DONE))),
    (
        10,
        (
            (5, ("kr:ENG-1.1",), TaskState.OPEN),
            (6, ("kr:ENG-1.1",), TaskState.OPEN),
            (2, ("kr:ENG-1.1",), TaskState.DONE),
        ),
    ),
    (5, ((3, ("kr:ENG-1.1",), TaskState.DROPPED), (8, ("kr:ENG-2.1",), TaskState.DONE))),
    (1, ((4, ("kr:ENG-1.1",), TaskState.DONE),)),
)
#: Metric check-ins of ENG-1.2: (days before now, value, note).
METRIC = ((18, 6.5, "first cohort measured"), (8, 5.0, "onboarding emails shipped"), (2, 4.0, ""))


@dataclass
class GoalsWorld:
    """The config file and the SQLite store of one dashboard test."""

    directory: Path
    config_path: Path
    store_url: str
    server: Mapping[str, Any] | None = None
    engines: list[Engine] = field(default_factory=list)

    @classmethod
    def create(cls, directory: Path, *, server: Mapping[str, Any] | None = None, **config: Any) -> GoalsWorld:
        """Write the config, migrate the store (a fresh SQLite file in `directory`), load the config into it."""
        store_url = f"sqlite:///{directory / 'syncd.db'}"
        world = cls(directory, directory / "syncd.yaml", store_url, server)
        world.write_config(**config)
        engine = world.engine()
        upgrade(engine)
        sync_config(engine, world.config(), NOW - timedelta(days=25))
        return world

    def write_config(self, **options: Any) -> None:
        """(Re)write the config file."""
        data = config_data(self.store_url, server=self.server, **options)
        self.config_path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    def config(self) -> SyncdConfig:
        """The config, validated with the test secrets."""
        return load_config(self.config_path, ENV)

    def engine(self) -> Engine:
        """The store's engine (disposed by `close`)."""
        engine = create_store_engine(self.store_url)
        self.engines.append(engine)
        return engine

    def runtime(self, at: datetime | None = None) -> Runtime:
        """A runtime on the store whose clock reads `at` (default: the real clock)."""
        config = self.config()
        runtime = Runtime(loaded=LoadedConfig(config, self.config_path, {}), engine=self.engine())
        if at is not None:
            runtime.clock = lambda: at
        return runtime

    def change(self, at: datetime, changes: tuple[tuple[int, tuple[str, ...], TaskState], ...]) -> None:
        """Mirror the tasks' new states at `at` and recompute their KRs then."""
        runtime = self.runtime(at)
        rules = build_okr(runtime.config).rules
        snapshots = [task(number, labels, state, at) for number, labels, state in changes]

        def mirror(conn: Connection) -> None:
            change = upsert_snapshots(conn, snapshots, rules, at, or_equal=True)
            mark_krs_dirty(conn, change.dirty_krs, at)

        run_in_transaction(runtime.engine, mirror, what="seed the mirror")
        while Recompute(runtime).run_once():
            pass
        runtime.executor.shutdown(wait=True)

    def check_in(self, at: datetime, value: float, note: str) -> None:
        """A metric check-in of ENG-1.2 made at `at`."""
        runtime = self.runtime(at)
        CheckIns(runtime).record("ENG-1.2", value, note=note, at=at, via="api")
        runtime.executor.shutdown(wait=True)

    def final_states(self) -> dict[int, tuple[tuple[str, ...], TaskState]]:
        """Each issue of the story as it stands at the end: its labels and state."""
        final: dict[int, tuple[tuple[str, ...], TaskState]] = {}
        for _days, changes in STORY:
            for number, labels, state in changes:
                final[number] = (labels, state)
        return dict(sorted(final.items()))

    def mirror_into(self, sim: GitHubSimulator) -> None:
        """Create the story's issues in the simulator's `acme/web` as they stand at the end (numbers 1..8), so a
        daemon polling it finds what the store already has."""
        for number, (labels, state) in self.final_states().items():
            created = sim.create_issue("acme/web", f"Issue {number}", labels=labels)
            assert created == number, "the simulator's acme/web must start empty"
            if state is TaskState.DONE:
                sim.close_issue("acme/web", number, "completed")
            elif state is TaskState.DROPPED:
                sim.close_issue("acme/web", number, "not_planned")

    def play(self) -> None:
        """The whole story: task changes and metric check-ins in time order."""
        steps: list[tuple[int, Any]] = [(days, ("tasks", changes)) for days, changes in STORY]
        steps += [(days, ("metric", (value, note))) for days, value, note in METRIC]
        for days, (kind, payload) in sorted(steps, key=lambda step: -step[0]):
            at = NOW - timedelta(days=days)
            if kind == "tasks":
                self.change(at, payload)
            else:
                self.check_in(at, *payload)

    @contextmanager
    def serving(self) -> Iterator[str]:
        """The web role's app for this world over real HTTP (uvicorn on a loopback port)."""
        runtime = self.runtime()
        with serving_app(runtime) as url:
            yield url

    def close(self) -> None:
        """Dispose every engine made."""
        for engine in self.engines:
            engine.dispose()
