"""Statement budget: a recompute of one KR runs a bounded number of SQL statements and reads its tasks once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from syncd.core.model import TaskState
from syncd.runtime.worker import Worker
from tests.support.fake_adapter import task
from tests.support.worker_env import WorkerEnv, sqlite_bench

#: Statements one recompute of one KR with two linked tasks may run (read-ahead, lock, KR, check-in,
#: objectives, render of its tasks, goals): 18 on `main` before the store took the SQL, 15 since the
#: recompute reads a KR's tasks once per transaction and knows the progress times it just stored, 14
#: since new push targets go in with one executemany.
STATEMENT_BUDGET = 14


@pytest.fixture
def env(tmp_path: Path) -> Iterator[WorkerEnv]:
    """A worker bench on SQLite."""
    with sqlite_bench(tmp_path) as bench:
        yield bench


def _recompute_statements(env: WorkerEnv) -> list[str]:
    worker = Worker(env.runtime)
    worker.drain()  # the KRs a fresh config marks dirty are recomputed first: one KR is left to measure
    env.deliver("task.changed", snapshot=task("acme/web#1", labels=["kr:ENG-1.1"], state=TaskState.DONE))
    env.deliver("task.changed", snapshot=task("acme/web#2", labels=["kr:ENG-1.1"]))
    assert worker.deliveries.apply_batch() == 2
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(env.engine, "before_cursor_execute", record)
    try:
        assert worker.recompute.recompute_krs() == 1
    finally:
        event.remove(env.engine, "before_cursor_execute", record)
    return statements


class TestRecomputeStatements:
    """One recompute of one KR stays within its statement budget."""

    def test_one_kr_recompute_runs_within_the_budget(self, env: WorkerEnv) -> None:
        statements = _recompute_statements(env)
        print(f"\nstatements per recompute of one KR: {len(statements)}")
        for sql in statements:
            print("  ", " ".join(sql.split())[:160])
        assert len(statements) <= STATEMENT_BUDGET

    def test_the_write_transaction_reads_the_krs_tasks_once(self, env: WorkerEnv) -> None:
        """Progress and the render of the KR's tasks share one read of them (no second `load_tasks`)."""
        statements = _recompute_statements(env)
        in_transaction = statements[statements.index("BEGIN IMMEDIATE") :]
        task_reads = [sql for sql in in_transaction if "FROM tasks" in sql or "JOIN tasks" in sql]
        assert len(task_reads) == 1, task_reads
