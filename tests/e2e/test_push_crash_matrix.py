"""Crash matrix: `kill -9` a real `syncd run` at each step of a push, for a comment create and a comment
update, on SQLite and on PostgreSQL (skipped without SYNCD_TEST_POSTGRES_URL).

Every (kind, step) case has its own GitHub source and repository, so eight writes are in flight at once
(one pusher per source), each held at its own step, and one kill hits them all: one restart per store.

The simulated GitHub holds the daemon's write (`faults.hold`), so the kill lands exactly:
- `before_request`: the write-ahead is committed, the request never reaches the tracker (dropped);
- `after_sent`: the tracker applies the request only once the restarted daemon looked for the comment, or
  `LATE` seconds after it came up (a request that outlived its sender: the new process must let it settle
  before it searches by marker, or it creates a second comment);
- `after_answer`: the tracker applied it and answered, the daemon is killed before it records the answer
  (the test holds the store, so the record waits; the daemon's debug event `push.answered` says it got there);
- `after_record`: the outcome is recorded (`push.comment_written`).
An update writes text B (a label naming no KR adds a warning line); while B is in flight the label is
removed again and the daemon renders A, the text the store last recorded as applied, before it dies
(issue 15 item 2: the tracker may then hold B while the store says A). After the restart: one syncd
comment per task, equal to the store's desired text (A again for every update) and to the ground truth,
every target in sync, and no duplicate was ever made (no DELETE was needed to repair one).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from syncd.simulators.github import GitHubSimulator
from syncd.simulators.kit.faults import RequestGate
from syncd.store.engine import create_store_engine, normalize_url
from syncd.store.tables import PUSH_TARGETS
from tests.support.daemon import DaemonProcess, wait_until, write_config
from tests.support.github_sim import GITHUB_WEBHOOK_SECRET, github_source_dict, start_github_sim
from tests.support.sim_daemon import DAEMON_ENV, ground_truth, store_counts, store_progress
from tests.support.store import postgres_schema

pytestmark = pytest.mark.slow

KINDS = ("create", "update")
STEPS = ("before_request", "after_sent", "after_answer", "after_record")
#: Updates are to tasks of OBJ-1.1, which gains no task meanwhile (their text A stays what it was).
UPDATE_LABEL, CREATE_LABEL = "kr:OBJ-1.1", "kr:OBJ-1.2"
#: A label naming no KR: the comment gains a warning line and no KR's progress (or its last-change time) moves.
WARNING_LABEL = "kr:NOPE-9.9"
#: The request timeout: longer than the test holds a request, and how long the restarted pusher lets an
#: unknown write settle.
TIMEOUT = "5s"
#: How long after the restart a request of the dead daemon may still land (well inside the settle time).
LATE = 2.0


@dataclass(frozen=True)
class Case:
    """One cell of the matrix: a kind of write killed at a step, on its own source, repository and issue."""

    kind: str
    step: str
    number: int = 0

    @property
    def source(self) -> str:
        """The case's source name."""
        return f"{self.kind}-{self.step.replace('_', '-')}"

    @property
    def repo(self) -> str:
        """The case's repository."""
        return f"acme/{self.source}"

    @property
    def key(self) -> str:
        """The task's external id."""
        return f"{self.repo}#{self.number}"


CASES = tuple(Case(kind, step) for kind in KINDS for step in STEPS)


@dataclass
class Bench:
    """A simulator, a daemon on it, and the store both are checked against."""

    sim: GitHubSimulator
    daemon: DaemonProcess
    store_url: str
    config: Path

    def target(self, case: Case) -> dict[str, Any] | None:
        """The comment target of the case's issue as the store holds it."""
        engine = create_store_engine(self.store_url)
        try:
            with engine.connect() as conn:
                query = select(PUSH_TARGETS).where(PUSH_TARGETS.c.kind == "comment", PUSH_TARGETS.c.key == case.key)
                row = conn.execute(query).one_or_none()
                return None if row is None else dict(row._mapping)
        finally:
            engine.dispose()

    def ours(self, case: Case) -> list[tuple[int, str]]:
        """(id, body) of the syncd comments on the case's issue."""
        return [(c.id, c.body) for c in self.sim.comments(case.repo, case.number) if "<!-- syncd:task=" in c.body]

    def settled(self, case: Case, text: str | None = None) -> str | None:
        """The issue's one syncd comment once it equals the store's desired text (and `text`, if given) and
        the target is in sync; None until then."""
        target, ours = self.target(case), self.ours(case)
        if target is None or len(ours) != 1 or target["inflight_hash"] is not None:
            return None
        body = ours[0][1]
        if target["applied_hash"] != target["desired_hash"] or body != target["desired_text"]:
            return None
        return body if text is None or body == text else None

    def believes_applied(self, case: Case) -> bool:
        """Whether the store's desired content is the one it last recorded as applied."""
        target = self.target(case)
        return target is not None and target["desired_hash"] == target["applied_hash"]

    @contextmanager
    def store_held(self, cases: Sequence[Case]) -> Iterator[None]:
        """Keep the daemon from recording anything about these cases' comments inside the block."""
        if self.store_url.startswith("sqlite"):
            conn = sqlite3.connect(self.store_url.removeprefix("sqlite:///"), timeout=10, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")  # the file's write lock: every write transaction waits
            try:
                yield
            finally:
                conn.execute("ROLLBACK")
                conn.close()
            return
        engine = create_engine(normalize_url(self.store_url))
        try:
            with engine.begin() as conn:  # the targets' row locks: their records wait
                lock = "SELECT id FROM push_targets WHERE kind = 'comment' AND key = :key FOR UPDATE"
                for case in cases:
                    conn.execute(text(lock), {"key": case.key})
                yield
        finally:
            engine.dispose()


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    """A GitHub simulator with one repository per case, taking writes as fast as they come."""
    simulator = start_github_sim(tuple(case.repo for case in CASES), writes_per_minute=None)
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store: a SQLite file, or a throwaway PostgreSQL schema (skipped without the test URL)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'syncd.db'}"
        return
    with postgres_schema(request.getfixturevalue("postgres_url")) as url:
        yield url


def _config(directory: Path, sim: GitHubSimulator, store_url: str) -> Path:
    """Two KRs; a source per case, polling every second and writing as fast as it is let."""
    fast = {"poll_interval": "1s", "timeout": TIMEOUT, "writes_per_minute": 100_000, "writes_per_hour": 1_000_000}
    secrets = {"token": "${GH_TOKEN}", "webhook_secret": "${GH_SECRET}"}
    sources = [{**github_source_dict(sim, name=c.source, repos=(c.repo,), **secrets), **fast} for c in CASES]
    krs = [{"id": "OBJ-1.1", "title": "Key result OBJ-1.1"}, {"id": "OBJ-1.2", "title": "Key result OBJ-1.2"}]
    return write_config(
        directory,
        {
            "store": {"url": store_url},
            "cycles": [{"id": "2026-H2", "start": "2026-07-01", "end": "2026-12-31"}],
            "objectives": [{"id": "OBJ-1", "title": "Objective", "cycle": "2026-H2", "key_results": krs}],
            "sources": sources,
            "push": {"coalesce_window": "100ms"},
        },
    )


@pytest.fixture
def bench(tmp_path: Path, sim: GitHubSimulator, store_url: str) -> Iterator[Bench]:
    """A daemon on every case's source, logging at debug level (for `push.answered`)."""
    config = _config(tmp_path, sim, store_url)
    daemon = DaemonProcess(config, env={**DAEMON_ENV, "SYNCD_LOG_LEVEL": "debug"}).start().wait_ready()
    for case in CASES:
        sim.add_webhook_target(f"{daemon.url}/webhooks/{case.source}", GITHUB_WEBHOOK_SECRET, repos=[case.repo])
    try:
        yield Bench(sim, daemon, store_url, config)
    finally:
        daemon.terminate()


def _seed(bench: Bench) -> tuple[list[Case], dict[Case, str]]:
    """An issue per case; each update case's issue already carries its comment A (returned by case)."""
    cases = []
    for case in CASES:
        labels = [UPDATE_LABEL] if case.kind == "update" else []
        cases.append(Case(case.kind, case.step, bench.sim.create_issue(case.repo, case.step, labels=labels)))
    text_a = {
        case: wait_until(lambda c=case: bench.settled(c), timeout=30, what=f"comment A on {case.key}")
        for case in cases
        if case.kind == "update"
    }
    return cases, text_a


def _start_writes(bench: Bench, cases: Sequence[Case]) -> dict[Case, RequestGate]:
    """Make every case's write (create: link the task; update: text B) and hold it at the simulator."""
    gates = {}
    for case in cases:
        if case.kind == "create":
            path = f"/repos/{case.repo}/issues/{case.number}/comments"
            gates[case] = bench.sim.faults.hold(method="POST", path=path)
            bench.sim.add_label(case.repo, case.number, CREATE_LABEL)
        else:
            ((comment_id, _),) = bench.ours(case)
            gates[case] = bench.sim.faults.hold(method="PATCH", path=f"/repos/{case.repo}/issues/comments/{comment_id}")
            bench.sim.add_label(case.repo, case.number, WARNING_LABEL)
    for case, gate in gates.items():
        assert gate.arrived.wait(30), f"the daemon never sent its write for {case.key}"
    return gates


def _kill_at_every_step(bench: Bench, gates: dict[Case, RequestGate]) -> dict[Case, RequestGate]:
    """Let each held write go as far as its case's step, then kill the daemon once; returns the writes still
    on their way (`after_sent`), to be let through later."""
    at = {step: [case for case in gates if case.step == step] for step in STEPS}
    for case in at["after_record"]:
        gates[case].release()
        bench.daemon.wait_for_event("push.comment_written", timeout=10, key=case.key)
    for case in (case for case in gates if case.kind == "update"):
        bench.sim.remove_label(case.repo, case.number, WARNING_LABEL)  # the KR returns to A while B is in flight
    for case in (case for case in gates if case.kind == "update" and case.step != "after_record"):
        wait_until(lambda c=case: bench.believes_applied(c), timeout=10, what=f"{case.key} back to A in the store")
    with bench.store_held(at["after_answer"]):
        for case in at["after_answer"]:
            gates[case].release()
            bench.daemon.wait_for_event("push.answered", timeout=10, key=case.key)
        bench.daemon.kill()
    for case in at["before_request"]:
        gates[case].drop()
    return {case: gates[case] for case in at["after_sent"]}


def _land_late(bench: Bench, on_the_way: dict[Case, RequestGate], since: int) -> None:
    """Let the dead daemon's requests land once the new daemon listed those issues' comments (its requests
    after the `since`-th of the log), or `LATE` seconds from now at the latest."""
    paths = {f"/repos/{case.repo}/issues/{case.number}/comments" for case in on_the_way}
    deadline = time.monotonic() + LATE
    while time.monotonic() < deadline:
        looked = {r.path for r in bench.sim.requests[since:] if r.method == "GET"}
        if paths <= looked:
            break
        time.sleep(0.05)
    for gate in on_the_way.values():
        gate.release()
        assert gate.answered.wait(10)


def _converged(bench: Bench) -> bool:
    """Nothing left to apply, recompute or write, and every KR equal to the ground truth."""
    counts = store_counts(bench.store_url)
    if counts.get("deliveries_pending", 0) or counts["dirty_krs"] or counts["unsynced_targets"]:
        return False
    return store_progress(bench.store_url) == ground_truth(bench.sim, bench.config)


class TestPushCrashMatrix:
    """Whatever step of a write the daemon dies at, it ends with exactly one comment, showing the truth."""

    def test_kill_9_at_each_step_of_a_comment_create_and_update(self, bench: Bench) -> None:
        started = time.monotonic()
        cases, text_a = _seed(bench)
        on_the_way = _kill_at_every_step(bench, _start_writes(bench, cases))
        killed, since = time.monotonic(), len(bench.sim.requests)
        bench.daemon.restart()
        _land_late(bench, on_the_way, since)
        for case in cases:
            expected = text_a.get(case)
            what = f"one comment after a kill {case.step}" + (", showing A again" if expected else "")
            wait_until(lambda c=case, t=expected: bench.settled(c, t), timeout=30, what=f"{what} on {case.key}")
        wait_until(lambda: _converged(bench), timeout=30, what="the store in sync with the tracker's truth")
        now = time.monotonic()
        print(
            f"crash matrix: {len(cases)} writes killed; {killed - started:.1f}s to the kill, {now - killed:.1f}s after"
        )
        deletes = [r.path for r in bench.sim.requests if r.method == "DELETE"]
        assert deletes == [], "a duplicate comment was made (and repaired)"
