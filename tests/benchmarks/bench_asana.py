"""Request-count benchmark of the Asana adapter against the simulator (issue 5).

Run: `python tests/benchmarks/bench_asana.py` (not collected by pytest; about a minute). Seeds 5,000
tasks in 10 projects, then counts the HTTP requests the simulator receives for:

1. a full backfill (first poll of every project: a sync token, then `limit=100` pages of tasks);
2. an idle poll of every project (one Events API call each);
3. 500 compact events touching 200 tasks, two ways: webhook deliveries (interpreted, then fetched
   per delivery, and coalesced as the scheduler does), and an Events API poll.

Each figure is printed with its ratio to a naive baseline: one `GET /tasks/{gid}` per listed task (backfill),
per project (idle poll: the same as ours, shown for completeness) and per event (events). Target: batched
fetches, well under one request per event. Seeded: the same figures every run.
"""

from __future__ import annotations

import logging
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from adapters.asana.adapter import AsanaAdapter
    from syncd.ports import Bookmark
    from syncd.simulators.asana import AsanaSimulator
    from tests.support.asana_sim import WebhookReceiver

PROJECTS, TASKS_PER_PROJECT = 10, 500
EVENTS, TOUCHED = 500, 200
#: What the daemon's scheduler coalesces into one fetch (syncd.store.bookmarks.FETCH_BATCH).
SCHEDULER_FETCH_BATCH = 50
EVENTS_PER_DELIVERY = 50


@dataclass(frozen=True)
class Figure:
    """One measured phase: requests made, a naive baseline's requests, seconds taken."""

    name: str
    requests: int
    baseline: int
    seconds: float
    note: str = ""

    def line(self) -> str:
        """A printable row."""
        ratio = self.requests / self.baseline if self.baseline else float("nan")
        return f"{self.name:<44} {self.requests:>6} {self.baseline:>9} {ratio:>7.3f} {self.seconds:>7.2f}s  {self.note}"


def main() -> None:
    """Seed, measure every phase, print the table."""
    _repo_on_path()
    quiet_logs()
    from adapters.asana.adapter import build_adapter
    from syncd.simulators.asana import AsanaSimulator
    from tests.support.asana_sim import WebhookReceiver, seed_world, source_config

    rng = random.Random(20260105)
    sim = AsanaSimulator()
    sim.start()
    try:
        world = seed_world(sim)
        projects = [
            sim.create_project(world.workspace, f"Project {n}", sections=("To do", "Doing", "Won't do")).gid
            for n in range(PROJECTS)
        ]
        for project in projects:
            sim.add_custom_field_to_project(project, world.fields["Points"])
        tasks = seed_tasks(sim, projects, rng)
        adapter = build_adapter(source_config(sim, world, projects=projects, progress_field=None, goals={}))
        receiver = WebhookReceiver(adapter)
        receiver.start()
        try:
            figures, bookmarks = backfill(sim, adapter, projects, len(tasks))
            figures.append(idle(sim, adapter, bookmarks))
            adapter.install_webhooks(receiver.url, dry_run=False, handshakes=receiver)
            touched = rng.sample(tasks, TOUCHED)
            make_events(sim, touched, rng)
            figures.extend(webhook_path(sim, adapter, receiver))
            figures.append(poll_path(sim, adapter, bookmarks))
        finally:
            receiver.stop()
            adapter.close()
    finally:
        sim.stop()
    print(f"Asana adapter requests: {len(tasks):,} tasks in {PROJECTS} projects; {EVENTS} events on {TOUCHED} tasks")
    print(f"{'phase':<44} {'ours':>6} {'baseline':>9} {'ratio':>7} {'time':>8}")
    for figure in figures:
        print(figure.line())


def seed_tasks(sim: AsanaSimulator, projects: list[str], rng: random.Random) -> list[str]:
    """500 tasks per project, a third tagged with a KR, some done or in progress."""
    gids = []
    for project in projects:
        doing = sim.section(project, "Doing").gid
        for number in range(TASKS_PER_PROJECT):
            tags = [f"kr:ENG-{rng.randint(1, 20)}.1"] if number % 3 == 0 else []
            section = doing if number % 7 == 0 else None
            gids.append(
                sim.create_task(
                    f"Task {number}", project=project, tags=tags, section=section, completed=number % 5 == 0
                ).gid
            )
    return gids


def measured(sim: AsanaSimulator, run: Callable[[], Any]) -> tuple[Any, int, float]:
    """Run `run`; return its result, the requests the simulator saw meanwhile, and the seconds taken."""
    before, started = len(sim.requests), time.perf_counter()
    result = run()
    return result, len(sim.requests) - before, time.perf_counter() - started


def backfill(
    sim: AsanaSimulator, adapter: AsanaAdapter, projects: list[str], total: int
) -> tuple[list[Figure], dict[str, Bookmark]]:
    """First poll of every project."""
    now = datetime.now(UTC)
    results, requests, seconds = measured(sim, lambda: [adapter.poll(None, p, now) for p in projects])
    listed = sum(len(r.snapshots) for r in results)
    assert listed == total, f"the backfill listed {listed} of {total} tasks"
    pages = sum(math.ceil(TASKS_PER_PROJECT / 100) for _ in projects)
    note = f"{listed:,} tasks listed; {pages} pages + {len(projects)} sync tokens"
    return [Figure("full backfill", requests, total + pages, seconds, note)], {r.partition: r.bookmark for r in results}


def idle(sim: AsanaSimulator, adapter: AsanaAdapter, bookmarks: dict[str, Bookmark]) -> Figure:
    """One poll of every project with nothing changed."""
    now = datetime.now(UTC)
    results, requests, seconds = measured(sim, lambda: [adapter.poll(b, p, now) for p, b in bookmarks.items()])
    for result in results:
        bookmarks[result.partition] = result.bookmark
    changed = sum(len(r.snapshots) for r in results)
    return Figure("idle poll (all projects)", requests, len(bookmarks), seconds, f"{changed} tasks changed")


def make_events(sim: AsanaSimulator, touched: list[str], rng: random.Random) -> None:
    """Exactly 500 compact events: each touched task gets 2 or 3 Points changes (one event each)."""
    counts = [2] * TOUCHED
    for index in rng.sample(range(TOUCHED), EVENTS - 2 * TOUCHED):
        counts[index] += 1
    changes = [gid for gid, count in zip(touched, counts, strict=True) for _ in range(count)]
    rng.shuffle(changes)
    for value, gid in enumerate(changes):
        sim.set_custom_field(gid, "Points", value % 13)


def webhook_path(sim: AsanaSimulator, adapter: AsanaAdapter, receiver: WebhookReceiver) -> list[Figure]:
    """Deliver the events; fetch per delivery, and coalesced the way the scheduler batches fetches."""
    accepted, _, deliver_seconds = measured(sim, lambda: sim.deliver_webhooks(EVENTS_PER_DELIVERY))
    bodies = receiver.bodies()[-accepted:]
    refetches = [adapter.interpret("events", body).refetch for body in bodies]
    events = sum(len(d.events) for d in sim.deliveries[-accepted:])
    assert events == EVENTS, f"{events} events were delivered, expected {EVENTS}"
    _, per_delivery, seconds = measured(sim, lambda: [adapter.fetch(gids) for gids in refetches])
    unique = list(dict.fromkeys(gid for gids in refetches for gid in gids))
    chunks = [unique[i : i + SCHEDULER_FETCH_BATCH] for i in range(0, len(unique), SCHEDULER_FETCH_BATCH)]
    fetched, coalesced, coalesced_seconds = measured(sim, lambda: [adapter.fetch(chunk) for chunk in chunks])
    assert sum(len(f.snapshots) for f in fetched) == TOUCHED
    note = f"{accepted} deliveries of {EVENTS_PER_DELIVERY} events ({deliver_seconds:.2f}s to deliver)"
    return [
        Figure("events via webhooks, fetched per delivery", per_delivery, EVENTS, seconds, note),
        Figure(
            "events via webhooks, fetches coalesced",
            coalesced,
            EVENTS,
            coalesced_seconds,
            f"{len(unique)} tasks in {len(chunks)} fetches",
        ),
    ]


def poll_path(sim: AsanaSimulator, adapter: AsanaAdapter, bookmarks: dict[str, Bookmark]) -> Figure:
    """The same 500 events read from the Events API by one poll of every project."""
    now = datetime.now(UTC)
    results, requests, seconds = measured(sim, lambda: [adapter.poll(b, p, now) for p, b in bookmarks.items()])
    changed = sum(len(r.snapshots) for r in results)
    assert changed == TOUCHED, f"the poll returned {changed} tasks, expected {TOUCHED}"
    return Figure("events via Events API poll", requests, EVENTS, seconds, f"{changed} tasks fetched")


def quiet_logs() -> None:
    """Only warnings: the per-poll info lines would bury the table."""
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


def _repo_on_path() -> None:
    """Run as a plain script from anywhere: make the checkout's `tests` importable."""
    root = str(Path(__file__).resolve().parents[2])
    if root not in sys.path:
        sys.path.insert(0, root)


if __name__ == "__main__":
    main()
